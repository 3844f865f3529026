/**
 * The state of one polled AWS list (the Instances, Load balancers and Secrets panes) and its named
 * transitions: the only code that writes a list slice's rows, loading state, error and sort order.
 */

/** The one message line of the status bar (or a pane's own error line). */
export interface Message {
  level: 'info' | 'warn' | 'error';
  text: string;
  hint?: string;
}

/** One AWS list of a pane: rows, loading state, the pane's own error, sort order. */
export interface ListSlice<T> {
  rows: T[];
  loading: boolean;
  /** True once one fetch has succeeded. */
  loaded: boolean;
  /** The last fetch's error, shown inside the pane (the other panes keep working). */
  error?: Message;
  /** ms epoch of the last successful fetch. */
  lastOk?: number;
  /** True while the auto-refresh is backing off (throttled). */
  backoff: boolean;
  sortKey: string;
  sortDir: 'asc' | 'desc';
}

/** A new, empty list sorted by `sortKey` ascending. */
export function listSlice<T>(sortKey: string): ListSlice<T> {
  return { rows: [], loading: false, loaded: false, backoff: false, sortKey, sortDir: 'asc' };
}

/** A fetch succeeded: its rows replace the old ones and the pane's error clears. */
export function listLoaded<T>(sl: ListSlice<T>, rows: T[], now = Date.now()): void {
  sl.rows = rows;
  sl.loaded = true;
  sl.error = undefined;
  sl.lastOk = now;
}

/** A fetch failed: the error shows in the pane; the old rows stay. */
export function listFailed<T>(sl: ListSlice<T>, error: Message): void {
  sl.error = error;
}

/** The poller's state: a fetch under way, the auto-refresh backing off. */
export function listLoading<T>(sl: ListSlice<T>, loading: boolean, backoff = sl.backoff): void {
  sl.loading = loading;
  sl.backoff = backoff;
}

/** `<` `>` walk the sort column through `keys` (ascending again), `!` reverses the direction. */
export function listSort<T>(sl: ListSlice<T>, keys: readonly string[], change: 1 | -1 | 'reverse'): void {
  if (change === 'reverse') {
    sl.sortDir = sl.sortDir === 'asc' ? 'desc' : 'asc';
    return;
  }
  const i = keys.indexOf(sl.sortKey);
  sl.sortKey = keys[(i + change + keys.length) % keys.length] ?? keys[0]!;
  sl.sortDir = 'asc';
}

/** `memo1(fn)`: `fn` memoized on its last (object identity, string key) pair (sorted and filtered rows). */
export function memo1<A extends object, R>(fn: (a: A, k: string) => R): (a: A, k: string) => R {
  let lastA: A | undefined;
  let lastK = '';
  let last: R | undefined;
  return (a, k) => {
    if (a !== lastA || k !== lastK) {
      last = fn(a, k);
      lastA = a;
      lastK = k;
    }
    return last as R;
  };
}
