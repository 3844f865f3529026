/**
 * `--ci roll secure|compute`: a roll of a node group, headless (see services/roll).
 *
 * Without `--auto-approve` it shows the plan of the roll (the instances on another launch template
 * version, in order) and the gates as they are now, and exits 2 when there is something to roll:
 * nothing is changed. With `--auto-approve` it takes the state lock (Operation "roll": Terraform
 * and other rolls wait), writes a history record (operation roll) and updates it at every step,
 * and rolls. A roll that was killed or crashed is resumed: its half-done node first (its
 * replacement awaited, or its termination finished when its etcd member was already removed),
 * then the instances still on the old version.
 *
 * Output: human lines, or NDJSON with `--json` (`roll_plan`, `roll_gate`, `roll_step`, `notice`,
 * `warning`, then `summary`). Exit codes: 0 rolled (or nothing to roll), 2 something to roll and
 * no `--auto-approve`, 1 a gate or step said no, the roll was interrupted, or any error.
 */
import { ConsoleError, formatError } from '../core/errors.js';
import { replacedText, rollEventText } from '../core/roll-text.js';
import type { Paths } from '../core/paths.js';
import type { Profile } from '../core/profile.js';
import type { Session } from '../services/session.js';
import type { SshSettings } from '../services/ssh/connection.js';
import type { SshTarget } from '../services/ssh/targets.js';
import type { GroupInstance, Layer } from '../services/roll/group.js';
import type { RollPlan } from '../services/roll/plan.js';
import type { ExecuteEvent } from '../services/roll/execute.js';
import type { RollResume, RollSettings } from '../services/roll/runner.js';
import type { SshCliOptions } from './ci-ssh.js';
import { exitAfterGrace } from './interrupt.js';

/** What the command line says of a roll. */
export interface RollCliOptions {
  layer: Layer;
  /** `--force`: every instance, current or not. */
  force: boolean;
  /** `--batch N` (compute only). */
  batch: number;
  /** `--settle S`, ms. */
  settleMs: number;
  /** `--drain-timeout S`, ms. */
  drainTimeoutMs: number;
  /** `--disable-eviction`. */
  disableEviction: boolean;
}

/** What `--ci roll` needs. */
export interface CiRollOptions {
  environment: string;
  profile: Profile;
  local: boolean;
  json: boolean;
  autoApprove: boolean;
  roll: RollCliOptions;
  /** The SSH options (bastion, user, identity, known_hosts) for etcdctl on the control plane. */
  ssh: Omit<SshCliOptions, 'targets' | 'command'>;
  /** `--kubeconfig FILE`. */
  kubeconfig?: string;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  /**
   * For the tests' harness only: where an instance is reached by SSH (its loopback sshd host), and
   * shorter waits. Never set by the command line.
   */
  harness?: { targetOf?: (i: GroupInstance) => SshTarget | Promise<SshTarget>; pollMs?: number; replaceTimeoutMs?: number };
}

/** Exit codes of `--ci roll`. */
export const ROLL_EXIT = { ok: 0, error: 1, pending: 2 } as const;

const clock = () => new Date().toISOString().slice(11, 19);

/**
 * Runs `--ci roll`. Never throws: errors are printed (and summarized with `--json`), exit 1.
 */
export async function runCiRoll(o: CiRollOptions): Promise<number> {
  const started = Date.now();
  const layer = o.roll.layer;
  const emitJson = (obj: Record<string, unknown>) => o.out(JSON.stringify(obj));
  const say = (text: string) => (o.json ? emitJson({ type: 'progress', message: text, timestamp: new Date().toISOString() }) : o.out(`[${clock()}] ${text}`));
  const warn = (text: string) => (o.json ? emitJson({ type: 'warning', message: text }) : o.err(`warning: ${text}`));
  let session: Session | undefined;
  const ac = new AbortController();
  let interrupts = 0;
  /** Set when the command has ended (a session that opens later is closed at once). */
  let ended = false;
  /** Set once the roll itself starts (the lock, the record, the first step): before, nothing was changed. */
  let rolling = false;
  const onSignal = () => {
    interrupts++;
    if (!rolling) {
      // Nothing was changed yet: the step in progress (a request, an SSH command to etcd) is
      // abandoned, the command ends; the process exits at the latest after a grace (or now, at a second signal).
      if (interrupts === 1) ac.abort(new ConsoleError('interrupted before the roll started: no instance or node was touched and no lock taken'));
      exitAfterGrace(interrupts, ROLL_EXIT.error);
      return;
    }
    if (interrupts === 1) {
      o.err('interrupted: stopping at the next wait; whatever was done so far stays as it is (an instance already terminated is replaced by its group). Run --ci roll again to resume.');
      ac.abort(new ConsoleError('interrupted'));
    } else o.err('still stopping: the step in progress is ending');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  /** `p`, or the interruption's error as soon as a signal comes before the roll started. */
  const untilInterrupted = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (ac.signal.aborted) return reject(ac.signal.reason as Error);
      const onAbort = () => reject(ac.signal.reason as Error);
      ac.signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => ac.signal.removeEventListener('abort', onAbort));
    });
  const summary = (fields: Record<string, unknown>) => {
    if (o.json) emitJson({ type: 'summary', command: 'roll', environment: o.environment, layer, ...fields, duration_ms: Date.now() - started });
  };
  try {
    say(`opening ${o.environment}`);
    const { openSession } = await import('../services/session.js');
    if (ac.signal.aborted) throw ac.signal.reason as Error;
    const opening = openSession({ environment: o.environment, profile: o.profile, local: o.local, paths: o.paths, env: o.env, onProgress: (s) => say(s) });
    // A session that opens after an interruption is closed all the same.
    opening.then((s) => (ended ? s.close() : (session = s))).catch(() => undefined);
    session = await untilInterrupted(opening);
    const sess = session;
    const { rollPorts, instanceTarget } = await import('../services/roll/ports.js');
    const { ROLL_DEFAULTS, RollControl } = await import('../services/roll/runner.js');
    const { loadClusterKubeconfig } = await import('../services/kube/source.js');
    const { loadKubeconfig } = await import('../services/kube/kubeconfig.js');

    // The cluster (loaded when first needed: after the group, so that a layer never applied says
    // "apply first") and (control plane) SSH to etcd.
    const kc = async () => {
      const src = await loadClusterKubeconfig({ ...(o.kubeconfig ? { file: o.kubeconfig } : {}), local: o.local, ctx: sess.aws, outputs: () => sess.engine.outputs() });
      return loadKubeconfig(src.text, { source: src.source });
    };
    let ssh: SshSettings | undefined;
    if (layer === 'secure') {
      const { resolveSshSettings } = await import('./ci-ssh.js');
      const { listInstances } = await import('../services/aws/instances.js');
      ssh = await untilInterrupted(resolveSshSettings({ ssh: o.ssh, profile: o.profile, environment: o.environment, env: o.env, err: o.err, session: async () => sess, instances: () => listInstances(sess.aws) }));
    }
    const targetOf = o.harness?.targetOf;
    const ports = rollPorts({ aws: sess.aws, layer, kube: kc, ...(ssh ? { ssh } : {}), ...(targetOf ? { targetOf } : { targetOf: instanceTarget }) });

    const { previewRoll } = await import('../services/roll/preview.js');
    const preview = await untilInterrupted(previewRoll(layer, ports, sess.history, { force: o.roll.force, batch: o.roll.batch }));
    const { group, plan, resume, earlier } = preview;
    printPlan(o, plan, group.desired, resume);
    if (!plan.batches.length && !resume) {
      const text = `nothing to roll: the ${group.instances.length} instance${group.instances.length === 1 ? '' : 's'} of ${plan.group} run version ${plan.version}`;
      if (o.json) summary({ ok: true, exit_code: ROLL_EXIT.ok, planned: 0, replaced: [], outcome: 'nothing' });
      else o.out(`${text} (exit 0)`);
      return ROLL_EXIT.ok;
    }
    if (plan.blockers.length && !resume) throw new ConsoleError(`the roll cannot start: ${plan.blockers.join('; ')}`, 'wait for the group to be whole (a replacement still coming up?), then run the roll again');
    // The gates as they are now (the roll checks them again before each node).
    const gates = preview.gates;
    if (!o.json) o.out('gates now:');
    for (const g of gates) {
      if (o.json) emitJson({ type: 'roll_gate', name: g.name, ok: g.ok, detail: g.detail });
      else o.out(`  ${g.ok ? '✓' : '✗'} ${g.name}: ${g.detail}`);
    }
    const planned = plan.batches.flat().length;
    if (!o.autoApprove) {
      const failed = gates.filter((g) => !g.ok);
      const text = failed.length
        ? `the roll cannot start now: ${failed.map((g) => `the ${g.name} gate (${g.detail})`).join('; ')}`
        : `${planned} instance${planned === 1 ? '' : 's'} to roll${layer === 'secure' ? ', one at a time' : o.roll.batch > 1 ? `, ${o.roll.batch} at a time` : ', one at a time'}${resume ? `, after finishing ${resume.instanceId}` : ''}: run again with --auto-approve to roll`;
      const code = failed.length ? ROLL_EXIT.error : ROLL_EXIT.pending;
      if (o.json) summary({ ok: !failed.length, exit_code: code, planned, replaced: [], outcome: 'planned', ...(failed.length ? { error: text } : {}) });
      else (failed.length ? o.err : o.out)(`${text} (exit ${code})`);
      return code;
    }
    // The lock, the record, the roll.
    const { executeRoll } = await import('../services/roll/execute.js');
    if (ac.signal.aborted) throw ac.signal.reason as Error;
    rolling = true;
    const settings: RollSettings = {
      ...ROLL_DEFAULTS,
      drainTimeoutMs: o.roll.drainTimeoutMs,
      disableEviction: o.roll.disableEviction,
      settleMs: o.roll.settleMs,
      ...(o.harness?.pollMs ? { pollMs: o.harness.pollMs } : {}),
      ...(o.harness?.replaceTimeoutMs ? { replaceTimeoutMs: o.harness.replaceTimeoutMs } : {}),
    };
    const onEvent = (e: ExecuteEvent) => {
      if (e.kind === 'record') return;
      if (e.kind === 'locked') return say(`took the state lock ${e.id} for the roll${e.tookOver ? ` (from a roll that died: ${e.tookOver})` : ''}`);
      if (e.kind === 'warning') return warn(e.text);
      if (o.json) {
        if (e.kind === 'gate') emitJson({ type: 'roll_gate', name: e.name, ok: e.ok, detail: e.detail });
        else if (e.kind === 'step') emitJson({ type: 'roll_step', instance_id: e.instanceId, step: e.step, state: e.state, detail: e.detail, timestamp: new Date().toISOString() });
        else if (e.kind === 'batch') emitJson({ type: 'roll_batch', index: e.index + 1, of: e.of, instance_ids: e.instanceIds });
        return;
      }
      const line = rollEventText(e);
      if (line) o.out(`[${clock()}] ${line}`);
    };
    const { outcome, recordId } = await executeRoll(
      { environment: o.environment, aws: sess.aws, backend: sess.backend, history: sess.history, callerArn: sess.callerArn, terraformVersion: sess.binary.version, profileFile: sess.profileFile },
      plan,
      { force: o.roll.force, batch: o.roll.batch, ports, settings, control: new RollControl(), signal: ac.signal, ...(resume ? { resume } : {}), ...(earlier ? { earlier } : {}) },
      onEvent,
    );
    const code = outcome.outcome === 'succeeded' ? ROLL_EXIT.ok : ROLL_EXIT.error;
    const total = new Set([...plan.batches.flat().map((t) => t.instance.instanceId), ...(resume ? [resume.instanceId] : [])]).size;
    if (o.json) summary({ ok: code === 0, exit_code: code, planned: total, replaced: outcome.replaced, outcome: outcome.outcome, history_id: recordId, ...(outcome.reason ? { error: outcome.reason } : {}) });
    else if (code === 0) o.out(`rolled ${layer} of ${o.environment}: ${outcome.replaced.length} of ${total} instances replaced${outcome.replaced.length ? ` (${outcome.replaced.map((r) => `${r.from} → ${r.to}`).join(', ')})` : ''}; recorded as ${recordId} (${((Date.now() - started) / 1000).toFixed(1)} s, exit 0)`);
    else o.err(`the roll of ${layer} of ${o.environment} stopped: ${outcome.reason ?? outcome.outcome}; ${replacedText(outcome.replaced, { pairs: true })}; the rest left as they are; recorded as ${recordId} (exit 1)`);
    return code;
  } catch (err) {
    o.err(formatError(err));
    if (o.json) summary({ ok: false, exit_code: ROLL_EXIT.error, ...(ac.signal.aborted && !rolling ? { planned: 0, replaced: [], outcome: 'interrupted' } : {}), error: (err as Error).message, ...(err instanceof ConsoleError && err.hint ? { hint: err.hint } : {}) });
    return ROLL_EXIT.error;
  } finally {
    ended = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
    session?.close();
  }
}

/** The plan of the roll, before anything happens. */
function printPlan(o: CiRollOptions, plan: RollPlan, desired: number, resume: RollResume | undefined): void {
  if (o.json) {
    o.out(
      JSON.stringify({
        type: 'roll_plan',
        layer: plan.layer,
        group: plan.group,
        version: plan.version,
        desired,
        batches: plan.batches.map((b) => b.map((t) => ({ instance_id: t.instance.instanceId, availability_zone: t.instance.availabilityZone, reason: t.reason }))),
        current: plan.current.map((i) => i.instanceId),
        blockers: plan.blockers,
        ...(resume ? { resume: resume.instanceId } : {}),
      }),
    );
    return;
  }
  o.out(`roll ${plan.layer} of ${o.environment}: ${plan.group} to launch template version ${plan.version} (desired ${desired})`);
  if (resume) o.out(`  first: ${resume.instanceId} (${resume.availabilityZone}), which an earlier roll left half-done`);
  let n = 0;
  for (const b of plan.batches) {
    for (const t of b) o.out(`  ${++n}. ${t.instance.instanceId}  ${t.instance.availabilityZone}  ${t.reason}${b.length > 1 ? `  (batch of ${b.length})` : ''}`);
  }
  if (plan.current.length) o.out(`  left alone (current): ${plan.current.map((i) => i.instanceId).join(', ')}`);
  for (const b of plan.blockers) o.out(`  blocker: ${b}`);
}
