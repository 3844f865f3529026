/**
 * The Fleet screen's controller: reads every environment's row (on start, every 60 s while the
 * screen shows, and on `r`), opens the selected environment's console (`Enter`), runs drift checks
 * over the listed environments (`:drift-all`) and destroys a playground (`d`, after its typed
 * name). Checks and destroys run as this program's own `--ci` commands in child processes, each
 * recorded in its environment's history as any pipeline's run is. Plain TypeScript, no Ink.
 */
import { mapLimit } from '../../core/concurrency.js';
import { messageOf } from '../../core/errors.js';
import { progressOf, type ChildOutcome } from '../../services/fleet/child.js';
import { age } from '../../core/fleet-cells.js';
import type { FleetRow } from '../../services/fleet/rows.js';
import type { Store } from '../../state/store.js';
import { clearFleetRun, fleetLoaded, fleetReadFailed, fleetReadProgress, fleetReadStarted, selectedFleetRow, setFleetRun, visibleFleet, type FleetRun } from './slice.js';

/** While the Fleet screen shows, its rows are read again this often (ms). */
export const FLEET_REFRESH_MS = 60_000;
/** While the rows are read, the count read so far is shown at most this often (ms). */
export const READ_PROGRESS_MS = 250;
/** {@link FleetController.resume} reads again unless a read started less than this long ago (ms). */
const FRESH_MS = 5_000;
/** `:drift-all` runs this many checks at once unless `--concurrency N` says otherwise. */
export const DRIFT_ALL_CONCURRENCY = 2;

/** What the Fleet screen needs from the program (the console wires the services; tests may pass their own). */
export interface FleetControllerOptions {
  /** Reads the rows, needing attention first (`readFleet`); calls `onProgress` as environments are read. */
  read(onProgress: (done: number, total: number) => void): Promise<FleetRow[]>;
  /** The managed resource addresses of an environment's state (`readStateResources`): what its destroy deletes. */
  stateResources(environment: string): Promise<string[]>;
  /** Runs `--ci ARGS` for an environment in a child process (`runChild`); `signal` interrupts it once. */
  run(environment: string, args: readonly string[], onEvent: (e: Record<string, unknown>) => void, signal: AbortSignal): Promise<ChildOutcome>;
  /** Opens an environment's console in place of the Fleet screen. */
  open(environment: string): void;
  /** Ends the program. */
  quit(): void;
  /** `:drift-all`'s checks at once (default {@link DRIFT_ALL_CONCURRENCY}). */
  concurrency?: number;
  /** The refresh period (ms; default {@link FLEET_REFRESH_MS}). */
  refreshMs?: number;
}

/** The last line of a child's stderr that says something (its error, not its hint). */
function lastError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => l.startsWith('error:')) ?? lines.at(-1) ?? '';
  return err.replace(/^error:\s*/, '');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The Fleet screen's controller (see the module's comment). */
export class FleetController {
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  /** A read asked for while one ran: it runs once that one ends (a run's outcome is then in the rows). */
  private again = false;
  /** The next read clears the reasons of failed and skipped runs (the operator pressed r). */
  private clearFailed = false;
  private readonly aborts = new Map<string, AbortController>();
  private readonly runs = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    readonly store: Store,
    private readonly o: FleetControllerOptions,
  ) {}

  /**
   * Shows the screen: reads the rows now (unless a read is under way or one started in the last
   * {@link FRESH_MS}) and every refresh period until {@link pause}.
   */
  resume(): void {
    this.stopped = false;
    const readAt = this.store.state.fleet.readAt;
    if (!this.reading && (readAt === undefined || Date.now() - readAt > FRESH_MS)) void this.refresh();
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.refresh(), this.o.refreshMs ?? FLEET_REFRESH_MS);
    this.timer.unref();
  }

  /** The screen is not shown (an environment's console is open): no more periodic reads; runs go on. */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * `r` (`manual`: the reasons of failed and skipped runs are cleared too), and every refresh period
   * and after runs: reads every row again (one read at a time; one asked for meanwhile follows it).
   */
  refresh(manual = false): Promise<void> {
    if (manual) this.clearFailed = true;
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const clearFailed = this.clearFailed;
    this.clearFailed = false;
    const startedAt = Date.now();
    this.store.update((s) => fleetReadStarted(s.fleet, startedAt));
    this.reading = (async () => {
      try {
        // The count read so far, at most every READ_PROGRESS_MS: each update is a frame, and a frame
        // of the whole screen costs more than reading an environment.
        let said = 0;
        const rows = await this.o.read((done, total) => {
          const now = Date.now();
          if (done !== 0 && done !== total && now - said < READ_PROGRESS_MS) return;
          said = now;
          this.store.update((s) => fleetReadProgress(s.fleet, done, total));
        });
        this.store.update((s) => {
          fleetLoaded(s.fleet, rows, startedAt, { clearFailed });
          s.selected = Math.min(s.selected, Math.max(0, visibleFleet(s).length - 1));
        });
      } catch (err) {
        const { text, hint } = messageOf(err);
        this.store.update((s) => fleetReadFailed(s.fleet, { level: 'error', text: `The fleet could not be read: ${text}`, ...(hint ? { hint } : {}) }));
      } finally {
        this.reading = undefined;
      }
      if (this.again && !this.stopped) {
        this.again = false;
        await this.refresh();
      }
    })();
    return this.reading;
  }

  /** A destroy started from this screen is running (on this environment, or any when none is named). */
  destroying(environment?: string): string | undefined {
    const runs = this.store.state.fleet.runs;
    return Object.keys(runs).find((e) => (!environment || e === environment) && runs[e]!.operation === 'destroy' && (runs[e]!.status === 'running' || runs[e]!.status === 'queued'));
  }

  /** `Enter`: opens the selected environment's console in place of this screen. */
  enter(): void {
    const row = selectedFleetRow(this.store.state);
    if (!row) {
      this.store.say('info', 'No environment is selected.');
      return;
    }
    const d = this.destroying();
    if (d) {
      this.store.say('warn', `The destroy of ${d} started here is running: open an environment once it has ended.`, 'its row shows its progress');
      return;
    }
    this.o.open(row.environment);
  }

  /** Sets a row's run. */
  private setRun(environment: string, run: FleetRun): void {
    this.store.update((s) => setFleetRun(s.fleet, environment, run));
  }

  /**
   * Runs one environment's `--ci` command, the row showing its progress; resolves with its
   * outcome (never rejects).
   */
  private async runOn(environment: string, operation: FleetRun['operation'], args: readonly string[]): Promise<ChildOutcome & { startedAt: number }> {
    const abort = new AbortController();
    this.aborts.set(environment, abort);
    const startedAt = Date.now();
    const what = operation === 'drift' ? 'drift check' : 'destroy';
    this.setRun(environment, { operation, status: 'running', text: `${what}: starting`, startedAt });
    let said = 0;
    const p = this.o.run(environment, args, (e) => {
      const line = progressOf(e);
      // Terraform's messages come in bursts: the row shows the latest, at most every READ_PROGRESS_MS.
      if (!line || Date.now() - said < READ_PROGRESS_MS) return;
      said = Date.now();
      this.setRun(environment, { operation, status: 'running', text: `${what}: ${line.slice(0, 200)}`, startedAt });
    }, abort.signal);
    this.runs.add(p);
    try {
      return { ...(await p), startedAt };
    } finally {
      this.runs.delete(p);
      if (this.aborts.get(environment) === abort) this.aborts.delete(environment);
    }
  }

  /**
   * `:drift-all`: a drift check (`--ci drift`, recorded in each environment's history) of every
   * listed row, at most `concurrency` at once. Skipped, each row saying why: a held lock, a row
   * that could not be read, an environment with no state, one with a run of this screen already.
   */
  driftAll(): void {
    const fl = this.store.state.fleet;
    if (fl.driftAll) {
      this.store.say('info', `Drift checks are running (${fl.driftAll.done} of ${fl.driftAll.total} done).`);
      return;
    }
    const rows = visibleFleet(this.store.state);
    if (!rows.length) {
      this.store.say('info', fl.loaded ? 'No environment is listed: nothing to check.' : 'The fleet is still being read: :drift-all once its rows show.');
      return;
    }
    const todo: FleetRow[] = [];
    const skipped: string[] = [];
    this.store.update((s) => {
      for (const r of rows) {
        const run = s.fleet.runs[r.environment];
        if (run && (run.status === 'running' || run.status === 'queued')) {
          skipped.push(`${r.environment} (${run.operation === 'drift' ? 'a drift check' : 'a destroy'} running)`);
          continue;
        }
        const why = r.error ? `cannot read: ${r.error}` : r.lock.state === 'held' ? `lock held by ${r.lock.who} (${r.lock.operation}, ${age(r.lock.ageMs)})` : r.lock.state === 'unknown' ? `lock unknown (${r.lock.reason})` : !r.state.exists ? 'no state to check' : r.destroyed ? 'destroyed, nothing to check' : undefined;
        if (why) {
          skipped.push(`${r.environment} (${why.replace(/ by .*| \(.*|:.*|, .*/, '')})`);
          setFleetRun(s.fleet, r.environment, { operation: 'drift', status: 'skipped', text: `drift check skipped: ${why}`, endedAt: Date.now() });
        } else {
          todo.push(r);
          setFleetRun(s.fleet, r.environment, { operation: 'drift', status: 'queued', text: 'drift check: queued' });
        }
      }
    });
    if (!todo.length) {
      this.store.say('warn', `No drift check started: ${plural(skipped.length, 'environment')} skipped (each row says why).`);
      return;
    }
    const concurrency = this.o.concurrency ?? DRIFT_ALL_CONCURRENCY;
    this.store.update((s) => {
      s.fleet.driftAll = { done: 0, total: todo.length, concurrency };
    });
    this.store.say('info', `Checking drift in ${plural(todo.length, 'environment')}, ${concurrency} at a time${skipped.length ? `; ${skipped.length} skipped (each row says why)` : ''}.`);
    const counts = { clean: 0, drifted: 0, failed: 0 };
    const all = mapLimit(todo, concurrency, async (r) => {
      if (this.stopped) return;
      const out = await this.runOn(r.environment, 'drift', ['-e', r.environment, '--ci', 'drift', '--json']);
      const s = out.summary;
      let run: FleetRun;
      if (out.code === 0 && s?.ok === true) {
        counts.clean++;
        run = { operation: 'drift', status: 'succeeded', text: 'drift check: no drift', startedAt: out.startedAt, endedAt: Date.now() };
      } else if (out.code === 2 && s?.ok === true) {
        counts.drifted++;
        run = { operation: 'drift', status: 'succeeded', text: `drift check: ${plural(Number(s.drift ?? 0), 'resource')} changed outside Terraform`, startedAt: out.startedAt, endedAt: Date.now() };
      } else {
        counts.failed++;
        run = { operation: 'drift', status: 'failed', text: `drift check failed: ${typeof s?.error === 'string' ? s.error : lastError(out.stderr) || `exit ${out.code}`}`, startedAt: out.startedAt, endedAt: Date.now() };
      }
      this.setRun(r.environment, run);
      this.store.update((st) => {
        if (st.fleet.driftAll) st.fleet.driftAll.done++;
      });
    });
    const p = all.then(async () => {
      this.store.update((s) => {
        s.fleet.driftAll = undefined;
      });
      if (this.stopped) return;
      const ran = counts.clean + counts.drifted + counts.failed;
      const skip = skipped.length ? `; skipped: ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ` and ${skipped.length - 5} more` : ''}` : '';
      this.store.say(counts.failed ? 'error' : counts.drifted ? 'warn' : 'info', `Drift checks done: ${ran} of ${todo.length} ran: ${counts.drifted} drifted, ${counts.clean} without drift, ${counts.failed} failed${skip}.`, counts.failed ? 'each failed row says why' : undefined);
      await this.refresh();
    });
    this.runs.add(p);
    void p.finally(() => this.runs.delete(p));
  }

  /**
   * `d`: on a playground's row, asks for its typed name, saying how many resources its state holds
   * (all of which the destroy deletes), then runs its destroy (`--ci destroy --auto-approve`,
   * recorded in its history). Refused on another environment, on a held lock, and on a row that
   * could not be read.
   */
  async askDestroy(): Promise<void> {
    const row = selectedFleetRow(this.store.state);
    if (!row) {
      this.store.say('info', 'No environment is selected.');
      return;
    }
    const env = row.environment;
    if (!row.playground) {
      this.store.say('warn', `d destroys playgrounds (play-…) only: ${env} is not one.`, `Enter opens ${env}'s console, where d plans its destroy`);
      return;
    }
    if (row.error) {
      this.store.say('error', `${env} cannot be read, so it is not destroyed from here: ${row.error}`, `Enter opens its console`);
      return;
    }
    if (row.lock.state === 'held') {
      this.store.say('warn', `${env}'s state lock is held by ${row.lock.who} (${row.lock.operation}, ${age(row.lock.ageMs)}): nothing destroyed.`, 'wait for that run to end, then r and d again');
      return;
    }
    const run = this.store.state.fleet.runs[env];
    if (run && (run.status === 'running' || run.status === 'queued')) {
      this.store.say('warn', `A ${run.operation === 'drift' ? 'drift check' : 'destroy'} of ${env} is running: wait for it to end.`);
      return;
    }
    // Queued from here on: a second d or a :drift-all meanwhile leaves this row alone.
    this.setRun(env, { operation: 'destroy', status: 'queued', text: 'destroy: reading its state' });
    const drop = () => this.store.update((s) => clearFleetRun(s.fleet, env));
    this.store.say('info', `Reading ${env}'s state…`);
    let addresses: string[];
    try {
      addresses = await this.o.stateResources(env);
    } catch (err) {
      drop();
      const { text, hint } = messageOf(err);
      this.store.say('error', `${env}'s state could not be read, so nothing was destroyed: ${text}`, hint);
      return;
    }
    if (!addresses.length) {
      drop();
      this.store.say('info', `Nothing to destroy: ${env}'s state holds no resources.`);
      return;
    }
    const shown = addresses.slice(0, 5).map((a) => `- ${a}`);
    if (addresses.length > shown.length) shown.push(`… and ${addresses.length - shown.length} more`);
    this.store.ask({
      action: 'destroy',
      typed: true,
      expect: env,
      prompt: `Destroy ${env}: its state holds ${plural(addresses.length, 'resource')}; terraform destroy deletes them all (recorded in its history). Type the environment name to confirm:`,
      detail: shown,
      mismatch: (input) => ({ text: `"${input.slice(0, 40)}" is not "${env}": nothing destroyed.`, hint: 'type the environment name exactly, or Esc to back out' }),
      onYes: () => void this.destroy(env),
      onNo: () => {
        drop();
        this.store.say('info', 'Nothing destroyed.');
      },
    });
  }

  private async destroy(environment: string): Promise<void> {
    this.store.say('info', `Destroying ${environment}: its row shows the progress.`);
    const p = this.runOn(environment, 'destroy', ['-e', environment, '--ci', 'destroy', '--auto-approve', '--json']);
    const out = await p;
    const s = out.summary;
    if (out.code === 0 && s?.ok === true) {
      const n = Number(s.destroy ?? 0);
      this.setRun(environment, { operation: 'destroy', status: 'succeeded', text: `destroy: ${plural(n, 'resource')} destroyed`, startedAt: out.startedAt, endedAt: Date.now() });
      this.store.say('info', `Destroyed ${environment}: ${plural(n, 'resource')} destroyed.`);
    } else {
      const why = typeof s?.error === 'string' ? s.error : lastError(out.stderr) || `exit ${out.code}`;
      this.setRun(environment, { operation: 'destroy', status: 'failed', text: `destroy failed: ${why}`, startedAt: out.startedAt, endedAt: Date.now() });
      this.store.say('error', `The destroy of ${environment} failed: ${why}`, 'its history has the record; Enter opens its console');
    }
    if (!this.stopped) await this.refresh();
  }

  /** `q`: quits, unless a destroy started here runs; drift checks under way are interrupted first. */
  quit(): void {
    const d = this.destroying();
    if (d) {
      this.store.say('warn', `The destroy of ${d} is running: quitting now could leave its state locked or half-written.`, 'wait for it to end (its row shows its progress)');
      return;
    }
    this.o.quit();
  }

  /** How many runs (child processes) of this screen are under way, by operation. */
  running(): { drift: number; destroy: number } {
    const out = { drift: 0, destroy: 0 };
    for (const env of this.aborts.keys()) {
      const op = this.store.state.fleet.runs[env]?.operation;
      if (op) out[op]++;
    }
    return out;
  }

  /**
   * Ends the screen's work: no more reads; each run under way gets one interrupt (Terraform writes
   * the state and releases the lock, as `--ci` does on Ctrl-C). Resolves when every child has exited.
   * @returns how many runs were interrupted.
   */
  async stop(): Promise<number> {
    this.stopped = true;
    this.pause();
    const n = this.aborts.size;
    for (const a of this.aborts.values()) a.abort();
    await Promise.allSettled([...this.runs]);
    return n;
  }
}
