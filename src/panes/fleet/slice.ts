/**
 * The Fleet screen's slice: every environment's row (from the state buckets, see
 * `services/fleet`), the read in progress, and what this screen started on a row (a drift check,
 * a playground's destroy) with its progress. Written only by the named transitions here. Plain
 * TypeScript.
 */
import type { FleetRow } from '../../services/fleet/rows.js';
import { memo1, type Message } from '../../state/list-slice.js';
import type { AppState } from '../../state/store.js';

/** What the Fleet screen runs on one row, and how it is going. */
export interface FleetRun {
  operation: 'drift' | 'destroy';
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';
  /** The row's words for it: the latest progress, or the outcome. */
  text: string;
  /** ms epoch: when it started running (absent while queued or skipped). */
  startedAt?: number;
  /** ms epoch: when it ended. */
  endedAt?: number;
}

/** The Fleet screen's state. */
export interface FleetSlice {
  /** The rows of the last complete read, those that need attention first. */
  rows: FleetRow[];
  /** True once one read has completed. */
  loaded: boolean;
  /** The read in progress: environments read of all, and when it started (ms epoch). */
  reading?: { done: number; total: number; startedAt: number };
  /** ms epoch when the last complete read started (the rows' ages are as of then). */
  readAt?: number;
  /** Why the last read failed as a whole (the profiles directory, the emulator); rows keep the previous read. */
  error?: Message;
  /** By environment: what this screen ran on it since the rows were last read after it ended. */
  runs: Record<string, FleetRun>;
  /** `:drift-all` in progress: checks done of all, and the limit of checks at once. */
  driftAll?: { done: number; total: number; concurrency: number };
}

/** An empty Fleet screen. */
export function fleetSlice(): FleetSlice {
  return { rows: [], loaded: false, runs: {} };
}

/** A read started. */
export function fleetReadStarted(sl: FleetSlice, now: number): void {
  sl.reading = { done: 0, total: 0, startedAt: now };
}

/** A read's progress: `done` of `total` environments read. */
export function fleetReadProgress(sl: FleetSlice, done: number, total: number): void {
  if (sl.reading) Object.assign(sl.reading, { done, total });
}

/**
 * A read completed: its rows replace the old ones. A run that succeeded is dropped once the rows
 * say what it did: the read started after it ended, or the row's history has its record. One that
 * failed or was skipped stays (its reason is not in the rows) until a read with `clearFailed` (the
 * operator's `r`); running and queued ones stay.
 */
export function fleetLoaded(sl: FleetSlice, rows: FleetRow[], startedAt: number, o: { clearFailed?: boolean } = {}): void {
  sl.rows = rows;
  sl.loaded = true;
  sl.readAt = startedAt;
  sl.reading = undefined;
  sl.error = undefined;
  for (const [env, run] of Object.entries(sl.runs)) {
    if (run.endedAt === undefined) continue;
    // Why a run failed or was skipped is not in the rows: it stays until the operator reads again (r).
    if ((run.status === 'failed' || run.status === 'skipped') && !o.clearFailed) continue;
    const row = rows.find((r) => r.environment === env);
    if (run.endedAt <= startedAt || (row && run.startedAt !== undefined && recordedSince(row, run.operation, run.startedAt))) delete sl.runs[env];
  }
}

/** Whether the row's history shows an operation of this kind that started at or after `since` (ms epoch). */
function recordedSince(row: FleetRow, operation: FleetRun['operation'], since: number): boolean {
  // A child starts its operation a moment after the fleet starts the child: a second of slack for clocks.
  const at = operation === 'drift' ? row.drift?.checkedAt : row.last?.operation === 'destroy' ? row.last.startedAt : undefined;
  return at !== undefined && Date.parse(at) >= since - 1_000;
}

/** A read failed as a whole: the previous rows stay, with the error above them. */
export function fleetReadFailed(sl: FleetSlice, error: Message): void {
  sl.reading = undefined;
  sl.error = error;
}

/** Sets a row's run (queued, running with progress, or its outcome). */
export function setFleetRun(sl: FleetSlice, environment: string, run: FleetRun): void {
  sl.runs[environment] = run;
}

/** Drops a row's run (a question backed out of before anything ran). */
export function clearFleetRun(sl: FleetSlice, environment: string): void {
  delete sl.runs[environment];
}

/** The text `/` matches in a row: every column's words. */
function haystack(r: FleetRow, run: FleetRun | undefined): string {
  return [r.environment, r.account, r.region, r.lock.state, r.lock.state === 'held' ? r.lock.who : '', r.last?.operation ?? '', r.last?.outcome ?? '', r.last?.who ?? '', r.error ?? '', ...r.attention, run?.text ?? '', r.playground ? 'playground' : ''].join(' ').toLowerCase();
}

/** The filtered rows, computed once per rows, filter and runs (a frame a second must not redo 2,000 rows). */
const filtered = memo1((sl: FleetSlice, key: string) => {
  const f = key.slice(0, key.indexOf('\u0000'));
  return f ? sl.rows.filter((r) => haystack(r, sl.runs[r.environment]).includes(f)) : sl.rows;
});
/** Identities of the rows arrays and runs maps, for the memo's key. */
const ids = new WeakMap<object, number>();
let nextId = 0;
const idOf = (o: object) => ids.get(o) ?? (ids.set(o, ++nextId), nextId);

/** The rows shown: all, or those whose words contain the `/` filter (any case). */
export function visibleFleet(s: AppState): readonly FleetRow[] {
  const f = s.screen === 'fleet' ? s.filter.toLowerCase() : '';
  const sl = s.fleet;
  if (!f) return sl.rows;
  // The runs' texts are matched too: they change without a new rows array.
  return filtered(sl, `${f}\u0000${idOf(sl.rows)}\u0000${Object.values(sl.runs).map((r) => r.text).join('\u0001')}`);
}

/** The selected row, if any. */
export function selectedFleetRow(s: AppState): FleetRow | undefined {
  return visibleFleet(s)[s.selected];
}
