/**
 * The History pane's controller: the newest records of the environment's history, read when the
 * pane is shown, every 30 s and after each apply; Enter shows one whole.
 *
 * Reading 1,000 records takes seconds (one GetObject each), so a refresh lists and reads the newest
 * screenful first and shows it, then lists the rest and reads it in batches, showing each; records
 * that have ended never change, so they are read once per console (only `running` ones again).
 */
import type { HistoryRecord } from '../../services/history/record.js';
import type { HistoryStore } from '../../services/history/store.js';
import { listLoaded } from '../../state/list-slice.js';
import { PolledList } from '../../state/polled-list.js';
import type { Store } from '../../state/store.js';
import { HISTORY_PANE_LIMIT, historyDetailLines, visibleHistory, type HistoryRow } from './slice.js';

/** How often the pane reads the records again while the console is open (ms). */
export const HISTORY_REFRESH_MS = 30_000;
/** Records read and shown first (more than a screen holds). */
export const HISTORY_FIRST_PAGE = 50;
/** Then the rest, this many per batch (each batch shown as it comes). */
const HISTORY_BATCH = 200;

/** The History pane's controller. */
export class HistoryController extends PolledList<HistoryRow> {
  constructor(store: Store, history: Pick<HistoryStore, 'listKeys' | 'readMany'>, refreshMs = HISTORY_REFRESH_MS) {
    const ended = new Map<string, HistoryRecord>();
    const fetch = async (signal: AbortSignal): Promise<HistoryRow[]> => {
      const fresh = new Map<string, HistoryRecord>();
      const read = async (keys: readonly string[]) => {
        const todo = keys.filter((k) => !ended.has(k) && !fresh.has(k));
        if (todo.length) for (const r of await history.readMany(todo)) (r.record.outcome === 'running' ? fresh : ended).set(r.key, r.record);
      };
      const rowsOf = (keys: readonly string[]) =>
        keys.flatMap((key) => {
          const record = ended.get(key) ?? fresh.get(key);
          return record ? [{ key, record }] : [];
        });
      // The newest screenful first: a short listing and its reads, shown at once.
      const first = await history.listKeys(HISTORY_FIRST_PAGE);
      await read(first);
      if (first.length < HISTORY_FIRST_PAGE) return rowsOf(first);
      this.store.update((s) => listLoaded(s.history, rowsOf(first)));
      const all = await history.listKeys(HISTORY_PANE_LIMIT);
      // Then the rest in batches, each shown as it comes; the poller shows the whole at the end.
      const todo = all.filter((k) => !ended.has(k) && !fresh.has(k));
      for (let i = 0; i < todo.length && !signal.aborted; i += HISTORY_BATCH) {
        await read(todo.slice(i, i + HISTORY_BATCH));
        if (i + HISTORY_BATCH < todo.length) this.store.update((s) => listLoaded(s.history, rowsOf(all)));
      }
      return rowsOf(all);
    };
    super(store, (s) => s.history, fetch, [], refreshMs);
  }
  /** `Enter`: the selected record, whole. */
  enter(): void {
    const s = this.store.state;
    const row = visibleHistory(s)[s.selected];
    if (!row) return;
    this.store.open({ kind: 'details', title: `${row.record.operation} ${row.record.id}`, lines: historyDetailLines(row.record), scroll: Number.MAX_SAFE_INTEGER });
  }
}
