/**
 * A polled AWS list feeding a pane's list slice: started when the pane is first shown, quiet
 * auto-refresh with backoff (the services' Poller), its rows, loading state and error written
 * through the list slice's transitions.
 */
import { messageOf } from '../core/errors.js';
import { Poller } from '../services/aws/poller.js';
import { listFailed, listLoaded, listLoading, listSort, type ListSlice, type Message } from './list-slice.js';
import type { AppState, Store } from './store.js';

/** Runs a function while the console has handed the terminal over (Ink's suspendTerminal). */
export type TerminalHandoff = (fn: () => Promise<void>) => Promise<void>;

/** The message line for an error of a pane (see core's messageOf). */
export function errorMessage(err: unknown): Message {
  return { level: 'error', ...messageOf(err) };
}

/**
 * One polled list, the base of a list pane's controller: `activate` when the pane is first shown,
 * `refresh` on r, `sort` on < > !, `stop` on quit.
 */
export class PolledList<T> {
  private poller: Poller<T[]> | undefined;

  constructor(
    protected readonly store: Store,
    /** The slice it fills. */
    private readonly slice: (s: AppState) => ListSlice<T>,
    /** One fetch of every row (AbortSignal: stop). */
    private readonly fetch: (signal: AbortSignal) => Promise<T[]>,
    /** The sortable columns, in the order < and > walk through them. */
    private readonly sortKeys: readonly string[],
    /** Auto-refresh interval, ms. */
    private readonly intervalMs = 15_000,
  ) {}

  /** `<` `>` `!`: the sort column or direction; the selection goes to the top. */
  sort(change: 1 | -1 | 'reverse'): void {
    this.store.update((s) => {
      listSort(this.slice(s), this.sortKeys, change);
      s.selected = 0;
    });
  }

  /** The pane is shown: polling starts the first time; later calls do nothing. */
  activate(): void {
    if (this.poller) return;
    const sl = () => this.slice(this.store.state);
    this.poller = new Poller<T[]>(this.fetch, {
      intervalMs: this.intervalMs,
      onData: (rows) => this.store.update(() => listLoaded(sl(), rows)),
      onError: (err) => this.store.update(() => listFailed(sl(), errorMessage(err))),
      onState: (st) => this.store.update(() => listLoading(sl(), st.loading, st.backoff)),
    });
    this.poller.start();
  }

  /** Fetches now. */
  refresh(): void {
    this.poller?.refresh();
  }

  /** Stops polling. */
  stop(): void {
    this.poller?.stop();
  }
}
