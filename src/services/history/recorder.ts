/**
 * Records every apply and destroy an engine runs into the environment's history: `running` when
 * Terraform starts, the outcome, per-resource results and durations and the diagnostics' summaries
 * when it ends; and, on start, marks `interrupted` the records whose process died before writing
 * their end. Plain TypeScript, no Ink: the console's controller and `--ci` both use it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import type { LockState } from '../aws/state-lock.js';
import type { Engine, EngineEvent, Operation } from '../terraform/engine.js';
import { realDrift } from '../../core/plan-drift.js';
import { listRuns, processAlive, runStatus, thisOwner } from '../terraform/run-record.js';
import { newHistoryId, sha256Hex, type HistoryRecord, type HistoryResource } from './record.js';
import type { HistoryStore, HistoryWrite } from './store.js';

const run = promisify(execFile);

/**
 * A `running` record with no run of this machine behind it (another host's) is marked
 * `interrupted` only once it is this old (ms) and the lock is free: a run takes the state lock a
 * moment after it writes `running`.
 */
export const FOREIGN_RUNNING_GRACE_MS = 10 * 60_000;
/** How many of the newest records are checked for a `running` left behind. */
export const RECONCILE_SCAN = 50;

/**
 * The commit of the Terraform root module's checkout: the HEAD commit when `git status` shows no
 * change under `dir`, `modified` when it does, undefined when `dir` is not in a git work tree (or
 * git is missing). Never throws.
 */
export async function gitStateOf(dir: string): Promise<string | undefined> {
  try {
    const head = (await run('git', ['-C', dir, 'rev-parse', 'HEAD'], { timeout: 10_000 })).stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(head)) return undefined;
    const status = (await run('git', ['-C', dir, 'status', '--porcelain', '--', '.'], { timeout: 10_000 })).stdout;
    return status.trim() ? 'modified' : head;
  } catch {
    return undefined;
  }
}

/** What the recorder needs besides the engine and the store. */
export interface RecorderContext {
  environment: string;
  /** The STS caller ARN of the session. */
  callerArn: string;
  /** The profile file: its sha256 goes into each record. */
  profileFile: string;
  /** The Terraform root module (for {@link gitStateOf}). */
  terraformDir: string;
  /** The CLI's version (from `terraform version -json`). */
  terraformVersion: string;
  /** Called with a warning the operator must see (the bucket could not be written, …). */
  onWarning: (text: string) => void;
  /** Called with a notice (records uploaded, a record marked interrupted). */
  onNotice: (text: string) => void;
}

/** `user@host` of this process. */
export function thisLogin(): string {
  const o = thisOwner();
  return `${o.user}@${o.host}`;
}

/**
 * Listens to an engine and writes one history record per apply or destroy it starts (not for runs
 * it only follows: those belong to the process that started them). Writes are queued in order
 * and never block or fail the operation; {@link flush} waits for them.
 */
export class HistoryRecorder {
  private queue: Promise<unknown> = Promise.resolve();
  /** A drift check that has ended, waiting for its `plan` event (see onEvent). */
  private awaiting: HistoryRecord | undefined;
  private current: { rec: HistoryRecord; started: Map<string, number>; operation: Operation } | undefined;
  private off: (() => void) | undefined;
  /** Ids of the records this process started (never marked interrupted by it). */
  private mine = new Set<string>();
  /** True from an `attached` event to the end of that followed run. */
  private following = false;

  constructor(
    readonly engine: Engine,
    readonly store: HistoryStore,
    readonly ctx: RecorderContext,
  ) {}

  /** Starts listening to the engine; returns the stop function. */
  attach(): () => void {
    this.off = this.engine.on((e) => this.onEvent(e));
    return () => this.off?.();
  }

  /** Resolves when every write queued so far has settled. */
  async flush(): Promise<void> {
    this.completeAwaiting();
    for (;;) {
      const q = this.queue;
      await q;
      if (q === this.queue) return;
    }
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((err: unknown) => this.ctx.onWarning(`history: ${(err as Error).message}`));
  }

  private say(w: HistoryWrite, phase: 'start' | 'end'): void {
    if (w.stored === 'local') {
      this.ctx.onWarning(`history: the record of this ${phase === 'start' ? 'operation' : 'operation\'s end'} could not be written to s3://${this.store.o.bucket}/${w.key} (${w.reason}): kept in ${w.path}; the next run uploads it`);
    } else if (w.stored === 'conflict') {
      this.ctx.onWarning(`history: s3://${this.store.o.bucket}/${w.key} was changed by another writer${w.current ? ` (now ${w.current.outcome})` : ''}: it was not overwritten`);
    }
  }

  private onEvent(e: EngineEvent): void {
    // A followed run (`attached` comes before its operation-start) is recorded by the process that started it.
    if (e.kind === 'attached') this.following = true;
    if (this.following) {
      if (e.kind === 'operation-end') this.following = false;
      return;
    }
    // A drift check's drift comes in the `plan` event, after its operation-end (show -json runs then).
    if (e.kind === 'plan' && this.awaiting) {
      const changed = realDrift(e.plan).map((d) => d.address);
      this.awaiting.drift = { changed, notDrift: e.plan.drift.length - changed.length };
      this.completeAwaiting();
      return;
    }
    if (e.kind === 'operation-start') this.completeAwaiting();
    if (e.kind === 'operation-start' && (e.operation === 'apply' || e.operation === 'plan-refresh-only')) {
      const plan = e.operation === 'apply' ? this.engine.savedPlan : undefined;
      const startedAt = new Date(e.at);
      // A drift check; the apply of its plan changes only the state.
      const operation: HistoryRecord['operation'] = e.operation === 'plan-refresh-only' ? 'drift' : plan?.refreshOnly ? 'state-refresh' : plan?.destroyMode ? 'destroy' : 'apply';
      const rec: HistoryRecord = {
        version: 1,
        id: newHistoryId(startedAt, operation),
        environment: this.ctx.environment,
        operation,
        outcome: 'running',
        who: { arn: this.ctx.callerArn, login: thisLogin() },
        startedAt: startedAt.toISOString(),
        terraformVersion: this.ctx.terraformVersion,
        profileHash: '',
        ...(plan && !plan.refreshOnly ? { plan: { add: plan.summary.add, change: plan.summary.change, destroy: plan.summary.destroy, replace: plan.summary.replace, risk: plan.risk } } : {}),
        resources: [],
        diagnostics: [],
        ...(e.runId ? { runId: e.runId } : {}),
      };
      this.mine.add(rec.id);
      this.current = { rec, started: new Map(), operation: e.operation };
      this.enqueue(async () => {
        rec.profileHash = sha256Hex(await readFile(this.ctx.profileFile).catch(() => new Uint8Array()));
        const git = await gitStateOf(this.ctx.terraformDir);
        if (git) rec.git = git;
        this.say(await this.store.create({ ...rec, resources: [], diagnostics: [] }), 'start');
      });
      return;
    }
    const cur = this.current;
    if (!cur) return;
    if (e.kind === 'tf' && e.operation === cur.operation) {
      const ev = e.event;
      if (ev.type === 'version' && ev.terraform) cur.rec.terraformVersion = ev.terraform;
      else if ((ev.type === 'apply_start' || ev.type === 'apply_complete' || ev.type === 'apply_errored') && cur.operation === 'plan-refresh-only' && String(ev.action) === 'read') {
        // A drift check reads its data sources: not resources it touched.
      } else if (ev.type === 'apply_start') {
        cur.started.set(ev.address, ev.timestamp);
        if (!cur.rec.resources.some((r) => r.address === ev.address)) cur.rec.resources.push({ address: ev.address, action: String(ev.action), result: 'unfinished' });
      } else if (ev.type === 'apply_complete' || ev.type === 'apply_errored') {
        let row: HistoryResource | undefined = cur.rec.resources.find((r) => r.address === ev.address);
        if (!row) {
          row = { address: ev.address, action: String(ev.action), result: 'unfinished' };
          cur.rec.resources.push(row);
        }
        row.result = ev.type === 'apply_complete' ? 'succeeded' : 'failed';
        const t0 = cur.started.get(ev.address);
        row.durationMs = t0 !== undefined ? Math.max(0, ev.timestamp - t0) : ev.elapsedSeconds * 1000;
      } else if (ev.type === 'diagnostic' && (ev.severity === 'error' || ev.severity === 'warning')) {
        cur.rec.diagnostics.push({ severity: ev.severity, summary: ev.summary.slice(0, 500), ...(ev.address ? { address: ev.address } : {}) });
      } else if (ev.type === 'change_summary') {
        cur.rec.result = { add: ev.add, change: ev.change, destroy: ev.remove, ...(ev.import ? { import: ev.import } : {}) };
      }
      return;
    }
    if (e.kind === 'operation-end' && e.operation === cur.operation) {
      const rec = cur.rec;
      this.current = undefined;
      rec.outcome = e.cancelled ? 'cancelled' : e.ok ? 'succeeded' : 'failed';
      rec.endedAt = new Date(e.at).toISOString();
      // A successful drift check is completed with its drift, which the `plan` event brings next.
      if (cur.operation === 'plan-refresh-only' && e.ok && !e.cancelled) this.awaiting = rec;
      else this.enqueue(async () => this.say(await this.store.complete(rec), 'end'));
    }
  }

  /** Completes the drift check waiting for its `plan` event (with its drift, when that came). */
  private completeAwaiting(): void {
    const rec = this.awaiting;
    if (!rec) return;
    this.awaiting = undefined;
    this.enqueue(async () => this.say(await this.store.complete(rec), 'end'));
  }

  /**
   * On start: uploads the records earlier runs kept locally, then marks `interrupted` each
   * `running` record (of the newest {@link RECONCILE_SCAN}) whose process is gone, when the state
   * lock is free: a run of this machine whose Terraform has ended or vanished and whose owner
   * process is dead, or (no run of this machine behind it) one older than
   * {@link FOREIGN_RUNNING_GRACE_MS}. Says what it did through `onNotice` / `onWarning`.
   * @returns the records it marked. Never throws.
   */
  async reconcile(lock: LockState): Promise<HistoryRecord[]> {
    const marked: HistoryRecord[] = [];
    try {
      const up = await this.store.uploadPending(this.mine);
      if (up.uploaded.length) this.ctx.onNotice(`history: uploaded ${up.uploaded.length} record${up.uploaded.length === 1 ? '' : 's'} an earlier run kept locally (${up.uploaded.map((r) => `${r.operation} ${r.id}`).join(', ')})`);
      if (up.waiting.length) this.ctx.onWarning(`history: ${up.waiting.length} record${up.waiting.length === 1 ? '' : 's'} kept locally still cannot be written to s3://${this.store.o.bucket} (${up.waiting[0]!.reason}): ${up.waiting.map((w) => w.path).join(', ')}`);
      if (lock.kind !== 'free') return marked;
      const runs = await listRuns(this.engine.runsDir);
      const here = hostname();
      for (const s of await this.store.list(RECONCILE_SCAN)) {
        const rec = s.record;
        if (rec.outcome !== 'running' || this.mine.has(rec.id)) continue;
        const run = rec.runId ? runs.find((r) => r.id === rec.runId) : undefined;
        let note: string;
        if (run && run.owner.host === here) {
          const st = await runStatus(run);
          if (st.kind === 'running') continue;
          if (run.owner.pid !== process.pid && processAlive(run.owner.pid)) continue;
          note =
            st.kind === 'ended'
              ? `the process that started it (pid ${run.owner.pid}) stopped before recording the end; Terraform ended on its own with exit status ${st.exitCode}${st.exitCode === 0 ? ' (no error)' : ''}; the per-resource results were not recorded`
              : `the process that started it (pid ${run.owner.pid}) and Terraform (pid ${run.pid}) are gone without an exit status (killed)`;
        } else {
          const age = Date.now() - Date.parse(rec.startedAt);
          if (!(age > FOREIGN_RUNNING_GRACE_MS)) continue;
          note = `still "running" ${Math.round(age / 60_000)} min after its start with the state lock free: its process (${rec.who.login}) stopped before recording the end`;
        }
        const updated: HistoryRecord = { ...rec, outcome: 'interrupted', endedAt: new Date().toISOString(), note };
        const w = await this.store.complete(updated, { replaceInterrupted: false });
        if (w.stored === 'bucket') {
          marked.push(updated);
          this.ctx.onNotice(`history: the ${rec.operation} started at ${rec.startedAt} by ${rec.who.login} was left "running" and is now marked interrupted: ${note}`);
        } else this.say(w, 'end');
      }
    } catch (err) {
      this.ctx.onWarning(`history: ${(err as Error).message.split('\n')[0]}: nothing was checked for records left "running"`);
    }
    return marked;
  }
}
