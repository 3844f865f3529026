/**
 * The state operations of one environment (see {@link StateOps}): reading the state, and the
 * repairs — `state rm`, `state mv`, `state push`, `terraform import`, `force-unlock` — each one
 * refused while the state lock is held by someone else (named) or a run of this machine is alive,
 * preceded by a copy of the state (kept 0600 under the work dir and SSE-KMS in the state bucket),
 * and recorded in the environment's history with the serials before and after. Plain TypeScript,
 * no Ink: the console's State pane and `--ci state` both use it.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { BoundedReadError, readBoundedFile } from '../../core/read-bounded.js';
import { ConsoleError } from '../../core/errors.js';
import { isResourceAddress, parseState, stateIdentity } from '../../core/tf-state.js';
import type { LockState } from '../aws/state-lock.js';
import { newHistoryId, sha256Hex, type HistoryRecord } from '../history/record.js';
import { thisLogin } from '../history/recorder.js';
import { historyErrorReason, type HistoryStore } from '../history/store.js';
import type { LockInfo } from '../terraform/backend.js';
import type { Engine } from '../terraform/engine.js';
import type { StateBackup, StateChange, StateOps, StateProgress, StateRead } from './types.js';

/** What the service needs besides the engine. */
export interface StateServiceDeps {
  engine: Engine;
  environment: string;
  /** Reads the state lock object; never throws. */
  readLock(): Promise<LockState>;
  /** The environment's history: state changes are recorded there and backups written beside it. */
  history?: HistoryStore;
  /** The STS caller ARN, for the records. */
  callerArn: string;
  /** The profile file (its sha256 goes into each record). */
  profileFile: string;
  terraformVersion: string;
  /** Called with a warning that does not stop the change (the backup or record could not reach the bucket). */
  onWarning?: (text: string) => void;
  /**
   * Reads the state object from the backend directly ('' when there is none): the State pane's
   * read. `terraform state pull` decodes the state and writes it out again as indented JSON, which
   * for 10,000 resources takes twice as long as `terraform state list` (bench/state.ts); the
   * object itself is the same state. When absent or when it fails, `state pull` is used.
   */
  readObject?: () => Promise<string>;
}

/** The largest state file `push` reads (bytes): far beyond a 10,000-resource state (~19 MB). */
export const STATE_FILE_MAX_BYTES = 512 * 1024 * 1024;

/** `a, b, c` of at most 5 addresses, then `(+N more)`. */
function listed(addresses: readonly string[]): string {
  return `${addresses.slice(0, 5).join(', ')}${addresses.length > 5 ? ` (+${addresses.length - 5} more)` : ''}`;
}

/** The key prefix of an environment's state backups in the state bucket: `ENV/state-backups/`. */
export function backupPrefix(environment: string): string {
  return `${environment}/state-backups/`;
}

/** The `moved` block that makes `state mv FROM TO` part of the configuration. */
export function movedBlock(from: string, to: string): string {
  return `moved {\n  from = ${from}\n  to   = ${to}\n}\n`;
}

/** `the state lock is held by WHO (OPERATION, since CREATED, lock ID ID)`. */
export function lockText(l: LockInfo): string {
  return `the state lock is held by ${l.who} (${l.operation}, since ${l.created}, lock ID ${l.id})`;
}

/** The addresses of a state text's resource instances. */
function addressesOf(text: string): Set<string> {
  return new Set(parseState(text).resources.map((r) => r.address));
}

/** See {@link StateOps}. */
export class StateService implements StateOps {
  constructor(readonly d: StateServiceDeps) {}

  /** The environment's work dir for backups: `WORK/ENV/state-backups/` (0700). */
  get backupDir(): string {
    return join(this.d.engine.config.dataDir, 'state-backups');
  }

  async pull(): Promise<string> {
    return this.d.engine.statePull();
  }

  /** The state's text: the backend's object itself, else `terraform state pull` (see {@link StateServiceDeps.readObject}). */
  private async readText(): Promise<{ text: string; source: StateRead['source'] }> {
    const text = this.d.readObject ? await this.d.readObject().catch(() => undefined) : undefined;
    return text !== undefined ? { text, source: 'object' } : { text: await this.d.engine.statePull(), source: 'pull' };
  }

  async read(): Promise<StateRead> {
    const t0 = Date.now();
    const { text, source } = await this.readText();
    const readMs = Date.now() - t0;
    return { doc: parseState(text), readMs, at: Date.now(), source };
  }

  /**
   * Refuses while this console or machine runs an operation, and while the lock is held (or
   * cannot be read): before every change, and before a plan the State pane or `--ci state` starts.
   * @throws ConsoleError that names the holder.
   */
  async assertFree(what: string): Promise<void> {
    await this.d.engine.assertIdle(what);
    const lock = await this.d.readLock();
    if (lock.kind === 'held') {
      throw new ConsoleError(`${what} refused: ${lockText(lock.lock)}: nothing was changed`, `wait for that operation to end; if it is dead, release the lock first (force-unlock with its ID)`);
    }
    if (lock.kind === 'unknown') throw new ConsoleError(`${what} refused: the state lock cannot be read (${lock.reason}): nothing was changed`, 'check that the backend answers, then try again');
  }

  /** Writes the copy of `text` locally (0600) and in the bucket (SSE-KMS); the bucket's failure is a warning. */
  private async backup(text: string, id: string, progress: StateProgress, warn: (t: string) => void): Promise<StateBackup> {
    const ident = stateIdentity(text);
    const serial = ident?.serial ?? 0;
    await mkdir(this.backupDir, { recursive: true, mode: 0o700 });
    // The id names the operation (newHistoryId): ID-serialN.tfstate.
    const name = `${id}-serial${serial}.tfstate`;
    const path = join(this.backupDir, name);
    await writeFileAtomic(path, text, { mode: 0o600 });
    const h = this.d.history;
    let key: string | undefined;
    if (h) {
      const k = `${backupPrefix(this.d.environment)}${name}`;
      try {
        await h.o.s3.send(new PutObjectCommand({ Bucket: h.o.bucket, Key: k, Body: text, ContentType: 'application/json', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: h.o.kmsKeyId }), { abortSignal: AbortSignal.timeout(30_000) });
        key = k;
      } catch (err) {
        warn(`the copy of the state could not be written to s3://${h.o.bucket}/${k} (${historyErrorReason(err)}); it is kept in ${path}`);
      }
    }
    progress(`kept a copy of the state (serial ${serial}) in ${path}${key ? ` and s3://${h!.o.bucket}/${key}` : ''}`);
    return { path, serial, ...(key ? { key } : {}) };
  }

  /**
   * The common shape of a change: refusals, the copy, the `running` record, the change, the serial
   * after and the completed record. `check` validates against the state text before anything runs.
   */
  private async change(
    operation: string,
    addresses: string[],
    progress: StateProgress,
    check: (text: string) => void,
    run: () => Promise<void>,
    extra: Partial<StateChange> = {},
    lock?: LockInfo,
  ): Promise<StateChange> {
    const what = operation.replace('-', ' ');
    const warnings: string[] = [];
    const warn = (t: string) => {
      warnings.push(t);
      this.d.onWarning?.(t);
    };
    if (!lock) await this.assertFree(what);
    // The copy is the backend's object itself (byte for byte) when it can be read that way.
    const before = (await this.readText()).text;
    check(before);
    const started = new Date();
    const id = newHistoryId(started, operation as HistoryRecord['operation']);
    const backup = lock ? undefined : await this.backup(before, id, progress, warn);
    const rec: HistoryRecord = {
      version: 1,
      id,
      environment: this.d.environment,
      operation: operation as HistoryRecord['operation'],
      outcome: 'running',
      who: { arn: this.d.callerArn, login: thisLogin() },
      startedAt: started.toISOString(),
      terraformVersion: this.d.engine.config.binary.version,
      profileHash: sha256Hex(await readFile(this.d.profileFile).catch(() => new Uint8Array())),
      resources: [],
      diagnostics: [],
      state: {
        addresses,
        ...(stateIdentity(before) ? { serialBefore: stateIdentity(before)!.serial } : {}),
        ...(backup?.key ? { backupKey: backup.key } : {}),
        ...(backup ? { backupPath: backup.path } : {}),
        ...(lock ? { lock: { id: lock.id, who: lock.who, operation: lock.operation, created: lock.created } } : {}),
      },
    };
    const h = this.d.history;
    const say = (w: Awaited<ReturnType<HistoryStore['create']>>) => {
      if (w.stored === 'local') warn(`history: the record of this ${what} could not be written to s3://${h!.o.bucket}/${w.key} (${w.reason}): kept in ${w.path}; the next run uploads it`);
    };
    if (h) say(await h.create(rec));
    try {
      await run();
    } catch (err) {
      rec.outcome = 'failed';
      rec.endedAt = new Date().toISOString();
      rec.diagnostics.push({ severity: 'error', summary: (err as Error).message.slice(0, 500) });
      if (h) say(await h.complete(rec));
      throw err;
    }
    const after = await this.readText().then((r) => r.text, () => undefined);
    const serialAfter = after !== undefined ? stateIdentity(after)?.serial : undefined;
    if (serialAfter !== undefined) rec.state!.serialAfter = serialAfter;
    rec.outcome = 'succeeded';
    rec.endedAt = new Date().toISOString();
    let historyId: string | undefined;
    if (h) {
      const w = await h.complete(rec);
      say(w);
      if (w.stored !== 'conflict') historyId = id;
    }
    return {
      operation,
      addresses,
      ...(rec.state!.serialBefore !== undefined ? { serialBefore: rec.state!.serialBefore } : {}),
      ...(serialAfter !== undefined ? { serialAfter } : {}),
      ...(backup ? { backup } : {}),
      ...(historyId ? { historyId } : {}),
      ...(warnings.length ? { warnings } : {}),
      ...extra,
    };
  }

  private static checkAddress(a: string): void {
    if (!isResourceAddress(a)) throw new ConsoleError(`"${a.slice(0, 120)}" is not a resource address: nothing was changed`, 'e.g. module.bastion.aws_instance.bastion or aws_subnet.private[0] (the State pane, or --ci state list)');
  }

  async rm(addresses: string[], progress: StateProgress = () => {}): Promise<StateChange> {
    if (!addresses.length) throw new ConsoleError('state rm needs at least one address: nothing was changed');
    for (const a of addresses) StateService.checkAddress(a);
    return this.change(
      'state-rm',
      addresses,
      progress,
      (text) => {
        const have = addressesOf(text);
        const missing = addresses.filter((a) => !have.has(a));
        if (missing.length) throw new ConsoleError(`${listed(missing)} ${missing.length === 1 ? 'is' : 'are'} not in the state: nothing was removed`, 'list the state (--ci state list, or the State pane) for the exact address');
      },
      async () => {
        progress(`terraform state rm ${addresses.join(' ')}`);
        await this.d.engine.stateRm(addresses);
      },
    );
  }

  async mv(from: string, to: string, progress: StateProgress = () => {}): Promise<StateChange> {
    StateService.checkAddress(from);
    StateService.checkAddress(to);
    if (from === to) throw new ConsoleError(`${from} is already at that address: nothing was moved`);
    return this.change(
      'state-mv',
      [from, to],
      progress,
      (text) => {
        const have = addressesOf(text);
        if (!have.has(from)) throw new ConsoleError(`${from} is not in the state: nothing was moved`, 'list the state (--ci state list, or the State pane) for the exact address');
        if (have.has(to)) throw new ConsoleError(`${to} is already in the state: nothing was moved`, 'move to an address that is free, or remove that one first');
      },
      async () => {
        progress(`terraform state mv ${from} ${to}`);
        await this.d.engine.stateMv(from, to);
      },
      { movedBlock: movedBlock(from, to) },
    );
  }

  async importDirect(address: string, id: string, progress: StateProgress = () => {}): Promise<StateChange> {
    StateService.checkAddress(address);
    if (address.startsWith('data.') || address.includes('.data.')) throw new ConsoleError(`${address} is a data source: only managed resources are imported`);
    if (!id || id.length > 1024 || /[\x00-\x1f]/.test(id)) throw new ConsoleError(`"${id.slice(0, 80)}" is not an import ID: nothing was imported`, "the ID is the object's id in AWS, e.g. i-0abc123 for an instance");
    return this.change(
      'state-import',
      [address],
      progress,
      (text) => {
        if (addressesOf(text).has(address)) throw new ConsoleError(`${address} is already in the state: nothing was imported`, 'remove it first (state rm), or import into another address');
      },
      async () => {
        progress(`terraform import ${address} ${id}`);
        await this.d.engine.importDirect(address, id);
      },
    );
  }

  async push(file: string, progress: StateProgress = () => {}): Promise<StateChange> {
    let text: string;
    try {
      // Never blocks on a FIFO or reads without bound.
      text = await readBoundedFile(file, STATE_FILE_MAX_BYTES);
    } catch (err) {
      if (!(err instanceof BoundedReadError)) throw err;
      const why = err.kind === 'not-regular' ? `it is ${err.detail.what}, not a regular file` : err.kind === 'too-large' ? `it is larger than ${STATE_FILE_MAX_BYTES / 1024 / 1024} MiB` : err.kind === 'missing' ? 'it does not exist' : (err.detail.message ?? 'unreadable');
      throw new ConsoleError(`cannot push ${file}: ${why}: nothing was pushed`, 'push a file written by terraform state pull (--ci state pull > FILE)');
    }
    const mine = stateIdentity(text);
    if (!mine) throw new ConsoleError(`${file} is not a Terraform state (no serial and lineage): nothing was pushed`, 'push a file written by terraform state pull (--ci state pull > FILE)');
    parseState(text);
    return this.change(
      'state-push',
      [],
      progress,
      (remoteText) => {
        const remote = stateIdentity(remoteText);
        if (remote && remote.lineage !== mine.lineage) {
          throw new ConsoleError(`${file} has lineage ${mine.lineage}, the backend's state has ${remote.lineage}: it is another state, nothing was pushed`, 'push only a state of this environment (its lineage is in the State pane\'s title)');
        }
        if (remote && mine.serial <= remote.serial) {
          throw new ConsoleError(`${file} has serial ${mine.serial}, not newer than the backend's ${remote.serial}: nothing was pushed`, 'pull the state again (--ci state pull), edit that copy, and push it; never push an older state over a newer one');
        }
      },
      async () => {
        progress(`terraform state push ${file} (serial ${mine.serial})`);
        await this.d.engine.statePush(file);
      },
    );
  }

  async unlock(lockId: string, progress: StateProgress = () => {}): Promise<{ lock: LockInfo; change: StateChange }> {
    await this.d.engine.assertIdle('unlock');
    const state = await this.d.readLock();
    if (state.kind === 'free') throw new ConsoleError('the state lock is free: nothing was released');
    if (state.kind === 'unknown') throw new ConsoleError(`the state lock cannot be read (${state.reason}): nothing was released`, 'check that the backend answers, then try again');
    const l = state.lock;
    if (l.id !== lockId) {
      throw new ConsoleError(`${JSON.stringify(lockId.slice(0, 80))} is not the ID of the held lock: nothing was released`, `the lock is ${l.id}, held by ${l.who} (${l.operation}, since ${l.created}); pass that ID if that run is dead`);
    }
    progress(`${lockText(l)}: releasing it`);
    const change = await this.change('state-unlock', [], progress, () => {}, () => this.d.engine.unlock(l.id), {}, l);
    progress(`released the state lock ${l.id}`);
    return { lock: l, change };
  }
}
