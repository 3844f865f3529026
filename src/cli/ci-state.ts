/**
 * `--ci state …`: the state, read and repaired headless with the same service as the State pane
 * (services/state). Reads print their result on stdout (progress on stderr); every change needs
 * `--auto-approve`, is refused while the state lock is held by someone else, keeps a copy of the
 * state first and is recorded in the history. `target`, `replace` and `import` are plans (exit 0
 * no changes, 2 changes) that `--auto-approve` applies.
 */
import { ConsoleError, StateLockError, UsageError } from '../core/errors.js';
import { IMPORT_NO_CONFIG, parseState, stateResourceLines } from '../core/tf-state.js';
import type { Session } from '../services/session.js';
import type { StateChange } from '../services/state/types.js';
import { assertApproved, type StateCommand } from './args.js';
import type { CiReporter } from './reporter.js';

/** What a `--ci state` run needs of the headless runner. */
export interface StateCiContext {
  session: Session;
  reporter: CiReporter;
  json: boolean;
  autoApprove: boolean;
  /** Result lines (stdout). */
  out: (line: string) => void;
  /** Raw bytes to stdout (`state pull`). */
  outRaw: (data: Buffer) => void;
  /** How many interrupts arrived so far. */
  interrupted: () => number;
}

/** The outcome: the exit code and the fields the JSON summary adds. */
export interface StateCiResult {
  code: number;
  /** Added to the summary (`--json`) as they are. */
  fields: Record<string, unknown>;
  /** The human summary line (without `--json`). */
  line?: string;
  /** Plan counts (target, replace, import). */
  counts?: { add: number; change: number; destroy: number; risk?: string };
}

/** The summary fields of a state change. */
function changeFields(c: StateChange): Record<string, unknown> {
  return {
    state_operation: c.operation,
    addresses: c.addresses,
    ...(c.serialBefore !== undefined ? { serial_before: c.serialBefore } : {}),
    ...(c.serialAfter !== undefined ? { serial_after: c.serialAfter } : {}),
    ...(c.backup ? { backup_path: c.backup.path, ...(c.backup.key ? { backup_key: c.backup.key } : {}) } : {}),
    ...(c.historyId ? { history_id: c.historyId } : {}),
    ...(c.movedBlock ? { moved_block: c.movedBlock } : {}),
    ...(c.warnings?.length ? { warnings: c.warnings } : {}),
  };
}

/** `serial 7 → 8; copy of the state before: PATH (and s3://…)`. */
function changeTail(c: StateChange, bucket: string): string {
  const serial = c.serialBefore !== undefined ? `serial ${c.serialBefore} → ${c.serialAfter ?? '(not read after)'}` : '';
  const copy = c.backup ? `the state before is kept in ${c.backup.path}${c.backup.key ? ` and s3://${bucket}/${c.backup.key}` : ''}` : '';
  return [serial, copy].filter(Boolean).join('; ');
}

/**
 * Runs one `--ci state` command.
 * @throws UsageError when a change is asked without `--auto-approve`; ConsoleError/TofuError from
 *   the state service (refused while the lock is held, address not in the state, Terraform's error).
 */
export async function runStateCommand(cmd: StateCommand, x: StateCiContext): Promise<StateCiResult> {
  const { session, reporter } = x;
  const state = session.state;
  const bucket = session.backend.bucket;
  assertApproved('state', cmd, x.autoApprove);
  const progress = (t: string) => reporter.step(t);
  const warnAll = (c: StateChange) => {
    for (const w of c.warnings ?? []) reporter.warning(w);
  };
  switch (cmd.op) {
    case 'list': {
      const r = await state.read();
      for (const res of r.doc.resources) {
        if (x.json) x.out(JSON.stringify({ type: 'state_resource', address: res.address, module: res.module, mode: res.mode, resource_type: res.type, name: res.name, ...(res.indexKey !== undefined ? { index_key: res.indexKey } : {}), ...(res.id ? { id: res.id } : {}), ...(res.status ? { status: res.status } : {}) }));
        else x.out(res.address);
      }
      if (!x.json && !r.doc.resources.length) reporter.step(r.doc.serial ? 'the state has no resources' : `there is no state yet at s3://${bucket}/${session.backend.key}`);
      return { code: 0, fields: { count: r.doc.resources.length, serial: r.doc.serial, lineage: r.doc.lineage, terraform_version: r.doc.terraformVersion, bytes: r.doc.bytes } };
    }
    case 'show': {
      const doc = parseState(await state.pull());
      const res = doc.resources.find((r) => r.address === cmd.address);
      if (!res) {
        const near = doc.resources.filter((r) => r.address.includes(cmd.address) || cmd.address.includes(r.address)).slice(0, 5).map((r) => r.address);
        throw new ConsoleError(`${cmd.address} is not in the state`, near.length ? `did you mean: ${near.join(', ')}` : 'list the addresses with --ci state list');
      }
      if (x.json) {
        x.out(JSON.stringify({ type: 'state_resource', address: res.address, module: res.module, mode: res.mode, resource_type: res.type, name: res.name, ...(res.id ? { id: res.id } : {}), ...(res.status ? { status: res.status } : {}), provider: res.provider, dependencies: res.dependencies, attributes: res.attributes, sensitive_paths: res.sensitiveCount }));
      } else for (const l of stateResourceLines(res)) x.out(l);
      return { code: 0, fields: { address: res.address, serial: doc.serial } };
    }
    case 'pull': {
      const text = await state.pull();
      if (!text.trim()) throw new ConsoleError(`there is no state at s3://${bucket}/${session.backend.key}`, 'apply first; nothing to pull');
      x.outRaw(Buffer.from(text.endsWith('\n') ? text : `${text}\n`));
      const doc = parseState(text);
      reporter.step(`pulled the state: serial ${doc.serial}, lineage ${doc.lineage}, ${doc.resources.length} resource instances, ${doc.bytes} bytes`);
      return { code: 0, fields: { serial: doc.serial, lineage: doc.lineage, bytes: doc.bytes, count: doc.resources.length } };
    }
    case 'target':
    case 'replace':
    case 'import': {
      const engine = session.engine;
      const focus = cmd.op === 'target' ? { targets: [cmd.address] } : cmd.op === 'replace' ? { replace: [cmd.address] } : { imports: [{ to: cmd.address, id: cmd.id }] };
      // With --auto-approve nobody reads the structured plan before it is applied.
      let plan;
      try {
        plan = await engine.plan({ ...focus, ...(x.autoApprove ? { structured: false } : { driftDetail: false }) });
      } catch (err) {
        // An object an import block cannot plan may still be imported the old way.
        if (cmd.op === 'import' && err instanceof ConsoleError && !(err instanceof StateLockError) && !IMPORT_NO_CONFIG.test(err.message)) throw new ConsoleError(err.message, `${err.hint ? `${err.hint} · ` : ''}if an import block cannot plan this object, --ci state import-direct ${cmd.address} ${cmd.id} --auto-approve runs terraform import (no plan to review)`, { cause: err });
        throw err;
      }
      const counts = { add: plan.summary.add, change: plan.summary.change, destroy: plan.summary.destroy, risk: plan.risk };
      const imports = cmd.op === 'import' ? 1 : 0;
      if (!x.autoApprove || !plan.hasChanges) {
        return { code: plan.hasChanges ? 2 : 0, fields: { state_operation: cmd.op, addresses: [cmd.address], applied: false }, counts, line: `state ${cmd.op} ${session.environment}: ${plan.hasChanges ? `planned${imports ? ' 1 import,' : ''} ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy; nothing applied (--auto-approve applies it)` : 'no changes'}` };
      }
      if (x.interrupted()) throw new ConsoleError('interrupted after planning: nothing was applied');
      const r = await engine.apply();
      return { code: 0, fields: { state_operation: cmd.op, addresses: [cmd.address], applied: true }, counts: { add: r.add, change: r.change, destroy: r.remove }, line: `state ${cmd.op} ${session.environment}: applied${imports ? ' 1 import,' : ''} ${r.add} added, ${r.change} changed, ${r.remove} destroyed` };
    }
    case 'rm': {
      const c = await state.rm(cmd.addresses, progress);
      warnAll(c);
      return { code: 0, fields: changeFields(c), line: `state rm ${session.environment}: removed ${cmd.addresses.join(', ')} from the state (the objects stay in AWS; the next plan wants to create ${cmd.addresses.length === 1 ? 'it' : 'them'}); ${changeTail(c, bucket)}` };
    }
    case 'mv': {
      const c = await state.mv(cmd.from, cmd.to, progress);
      warnAll(c);
      if (!x.json) {
        x.out('# commit this block to the configuration so the move is reproducible:');
        for (const l of (c.movedBlock ?? '').trimEnd().split('\n')) x.out(l);
      }
      return { code: 0, fields: changeFields(c), line: `state mv ${session.environment}: moved ${cmd.from} to ${cmd.to}; ${changeTail(c, bucket)}` };
    }
    case 'import-direct': {
      const c = await state.importDirect(cmd.address, cmd.id, progress);
      warnAll(c);
      return { code: 0, fields: changeFields(c), line: `state import-direct ${session.environment}: imported ${cmd.id} into ${cmd.address}; ${changeTail(c, bucket)}` };
    }
    case 'push': {
      const c = await state.push(cmd.file, progress);
      warnAll(c);
      return { code: 0, fields: changeFields(c), line: `state push ${session.environment}: pushed ${cmd.file}; ${changeTail(c, bucket)}` };
    }
    case 'unlock': {
      const r = await state.unlock(cmd.lockId, progress);
      warnAll(r.change);
      return { code: 0, fields: { ...changeFields(r.change), lock_id: r.lock.id, lock_who: r.lock.who, lock_operation: r.lock.operation, lock_created: r.lock.created }, line: `state unlock ${session.environment}: released the state lock ${r.lock.id} held by ${r.lock.who} (${r.lock.operation}, since ${r.lock.created})` };
    }
  }
}
