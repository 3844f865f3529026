/**
 * The History pane's controller: the newest records of the environment's history, read when the
 * pane is shown, every 30 s and after each apply; Enter shows one whole.
 *
 * Reading 1,000 records takes seconds (one GetObject each), so a refresh lists the keys, reads the
 * newest screenful first and shows it, then reads the rest in batches, showing each; records that
 * have ended never change, so they are read once per console (only `running` ones again).
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
export const HISTORY_FIRST_PAGE = 60;
/** Then the rest, this many per batch (each batch shown as it comes). */
const HISTORY_BATCH = 200;

/** The History pane's controller. */
export class HistoryController extends PolledList<HistoryRow> {
  constructor(store: Store, history: Pick<HistoryStore, 'listKeys' | 'readMany'>, refreshMs = HISTORY_REFRESH_MS) {
    const ended = new Map<string, HistoryRecord>();
    const fetch = async (signal: AbortSignal): Promise<HistoryRow[]> => {
      const keys = await history.listKeys(HISTORY_PANE_LIMIT);
      const fresh = new Map<string, HistoryRecord>();
      const rows = () => keys.flatMap((key) => {
        const record = ended.get(key) ?? fresh.get(key);
        return record ? [{ key, record }] : [];
      });
      const todo = keys.filter((k) => !ended.has(k));
      for (let i = 0; i < todo.length && !signal.aborted; ) {
        const n = i === 0 ? HISTORY_FIRST_PAGE : HISTORY_BATCH;
        for (const r of await history.readMany(todo.slice(i, i + n))) (r.record.outcome === 'running' ? fresh : ended).set(r.key, r.record);
        i += n;
        // Show what has been read so far (the newest first); the poller shows the whole at the end.
        if (i < todo.length) this.store.update((s) => listLoaded(s.history, rows()));
      }
      return rows();
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
