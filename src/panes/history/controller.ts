/** The History pane's controller: the newest records of the environment's history, read when the pane is shown, every 30 s and after each apply; Enter shows one whole. */
import type { HistoryStore } from '../../services/history/store.js';
import { PolledList } from '../../state/polled-list.js';
import type { Store } from '../../state/store.js';
import { HISTORY_PANE_LIMIT, historyDetailLines, visibleHistory, type HistoryRow } from './slice.js';

/** How often the pane reads the records again while the console is open (ms). */
export const HISTORY_REFRESH_MS = 30_000;

/** The History pane's controller. */
export class HistoryController extends PolledList<HistoryRow> {
  constructor(store: Store, history: Pick<HistoryStore, 'list'>, refreshMs = HISTORY_REFRESH_MS) {
    super(store, (s) => s.history, async () => (await history.list(HISTORY_PANE_LIMIT)).map((r) => ({ key: r.key, record: r.record })), [], refreshMs);
  }

  /** `Enter`: the selected record, whole. */
  enter(): void {
    const s = this.store.state;
    const row = visibleHistory(s)[s.selected];
    if (!row) return;
    this.store.open({ kind: 'details', title: `${row.record.operation} ${row.record.id}`, lines: historyDetailLines(row.record), scroll: Number.MAX_SAFE_INTEGER });
  }
}
