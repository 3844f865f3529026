/**
 * The History pane's slice: the newest records of the environment's history (`ENV/history/` in
 * the state bucket), newest first as the keys list them, filtered by `/`; and the whole record as
 * the lines of its details view. Plain TypeScript.
 */
import type { HistoryRecord } from '../../services/history/record.js';
import { formatElapsed } from '../../ui/format.js';
import { listSlice, memo1, type ListSlice } from '../../state/list-slice.js';
import type { AppState } from '../../state/store.js';

/** One row: a record and its S3 key. */
export interface HistoryRow {
  key: string;
  record: HistoryRecord;
}

/** The History pane's state: the polled list (never re-sorted: the keys' order is newest first). */
export type HistorySlice = ListSlice<HistoryRow>;

/** How many of the newest records the pane reads. */
export const HISTORY_PANE_LIMIT = 1000;

/** An empty pane. */
export function historySlice(): HistorySlice {
  return listSlice<HistoryRow>('started');
}

/** The text `/` matches in a row: operation, outcome, who, id, times, resource addresses, diagnostics. */
function haystack(r: HistoryRecord): string {
  return [r.operation, r.outcome, r.who.login, r.who.arn, r.id, r.startedAt, r.git ?? '', r.plan?.risk ?? '', ...r.resources.map((x) => x.address), ...r.diagnostics.map((d) => d.summary)].join(' ').toLowerCase();
}

const filtered = memo1((rows: HistoryRow[], f: string) => (f ? rows.filter((r) => haystack(r.record).includes(f)) : rows));

/** The pane's rows, newest first, filtered by `/` (a substring, any case). */
export function visibleHistory(s: AppState): readonly HistoryRow[] {
  return filtered(s.history.rows, s.pane === 'history' ? s.filter.toLowerCase() : '');
}

/** End − start of a record in ms; undefined while running or when a time is unreadable. */
export function recordDurationMs(r: HistoryRecord): number | undefined {
  if (!r.endedAt) return undefined;
  const d = Date.parse(r.endedAt) - Date.parse(r.startedAt);
  return Number.isFinite(d) ? d : undefined;
}

/** `+A ~C -D` of a record: Terraform's final counts when it printed them, else the plan's; `-` when neither. */
export function historyCounts(r: HistoryRecord): string {
  const c = r.result ?? r.plan;
  return c ? `+${c.add} ~${c.change} -${c.destroy}` : '-';
}

/** The duration of a record for a table cell: `1m 02s`, `running`, or '' when unknown. */
export function historyDuration(r: HistoryRecord): string {
  const d = recordDurationMs(r);
  return d !== undefined ? formatElapsed(d) : r.outcome === 'running' ? 'running' : '';
}

/**
 * The whole record as the lines of its details view: what, who, when, versions, the plan, the
 * per-resource table sorted by duration (longest first) and the diagnostics' summaries.
 */
export function historyDetailLines(r: HistoryRecord): string[] {
  const rows = [...r.resources].sort((a, b) => (b.durationMs ?? -1) - (a.durationMs ?? -1) || a.address.localeCompare(b.address));
  const mark = (x: HistoryRecord['resources'][number]) => (x.result === 'succeeded' ? '✓' : x.result === 'failed' ? '✗' : '…');
  const lines = [
    `${r.operation} ${r.outcome}  ${r.id}`,
    `started   ${r.startedAt}`,
    `ended     ${r.endedAt ?? '(not recorded)'}${recordDurationMs(r) !== undefined ? `  (${historyDuration(r)})` : ''}`,
    `who       ${r.who.login}  ${r.who.arn}`,
    `terraform ${r.terraformVersion}   terraform/ ${r.git ?? '(not a git checkout)'}`,
    `profile   sha256 ${r.profileHash}`,
    ...(r.plan ? [`plan      +${r.plan.add} ~${r.plan.change} -${r.plan.destroy}${r.plan.replace ? ` (${r.plan.replace} replaced)` : ''}  risk ${r.plan.risk}`] : []),
    ...(r.result ? [`result    +${r.result.add} ~${r.result.change} -${r.result.destroy}`] : []),
    ...(r.note ? [`note      ${r.note}`] : []),
    ...(r.state
      ? [
          `state     ${r.state.addresses.join(' → ') || '(no address)'}`,
          ...(r.state.serialBefore !== undefined ? [`serial    ${r.state.serialBefore} → ${r.state.serialAfter ?? '(not read after)'}`] : []),
          ...(r.state.backupKey || r.state.backupPath ? [`backup    ${[r.state.backupKey ? `s3 key ${r.state.backupKey}` : '', r.state.backupPath ? `file ${r.state.backupPath}` : ''].filter(Boolean).join('  ')}`] : []),
          ...(r.state.lock ? [`lock      ${r.state.lock.id} held by ${r.state.lock.who} (${r.state.lock.operation}, since ${r.state.lock.created})`] : []),
        ]
      : []),
    ...(r.drift ? [`drift     ${r.drift.changed.length} changed outside Terraform${r.drift.notDrift ? ` (${r.drift.notDrift} more reported, not drift)` : ''}`, ...r.drift.changed.map((a) => `  ~ ${a}`)] : []),
    '',
    `resources (${rows.length}, longest first):`,
    ...(rows.length ? rows.map((x) => `  ${(x.durationMs !== undefined ? formatElapsed(x.durationMs) : '').padStart(8)}  ${mark(x)} ${x.action.padEnd(8)} ${x.address}`) : ['  (none recorded)']),
    '',
    `diagnostics (${r.diagnostics.length}):`,
    ...(r.diagnostics.length ? r.diagnostics.map((d) => `  ${d.severity.padEnd(7)} ${d.summary}${d.address ? `  (${d.address})` : ''}`) : ['  (none)']),
  ];
  return lines;
}
