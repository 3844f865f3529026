/**
 * The fleet's rows: what one environment needs from its operator, from its state lock and its
 * history records (no Terraform run). Pure: the shape, the attention rules, the order and the text;
 * reading is in read.ts.
 */
import { age } from '../../core/fleet-cells.js';
import type { HistoryRecord } from '../history/record.js';

export { age } from '../../core/fleet-cells.js';

/** The state lock as the fleet shows it; `ageMs` from the lock's `Created` to the read. */
export type FleetLock =
  | { state: 'free' }
  | { state: 'held'; who: string; operation: string; created: string; ageMs: number }
  | { state: 'unknown'; reason: string };

/** One environment's row. Times are ISO 8601 (UTC); ages in ms at the time of the read. */
export interface FleetRow {
  environment: string;
  /** The profile's `aws_account` (empty when it names none) and region. */
  account: string;
  region: string;
  /** A personal playground (`play-…`). */
  playground: boolean;
  lock: FleetLock;
  /** The newest history record: what, how it went, who, when. */
  last?: { operation: string; outcome: string; who: string; startedAt: string; endedAt?: string };
  /** The newest drift check among the newest records read: when, and what it found. */
  drift?: { checkedAt: string; outcome: string; changed: number };
  /** Whether the state object exists, and its size (bytes). */
  state: { exists: boolean; bytes?: number };
  /** Playgrounds: the start of the oldest apply since the last destroy, among the records read. */
  firstApplyAt?: string;
  /** The newest apply or destroy among the records read is a destroy that succeeded: nothing runs there. */
  destroyed?: boolean;
  /** Why the row could not be read (credentials, access, the profile): the rest of the row is empty. */
  error?: string;
  /** What needs the operator, most urgent first (empty: nothing). */
  attention: string[];
}

/** The rules' thresholds. */
export interface AttentionRules {
  /** A held lock older than this (ms) needs attention (default 1 h). */
  lockAgeMs: number;
  /** A playground whose first apply is older than this (ms) needs attention (`--playground-age`, default 7 days). */
  playgroundAgeMs: number;
}

export const DEFAULT_RULES: AttentionRules = { lockAgeMs: 60 * 60_000, playgroundAgeMs: 7 * 24 * 60 * 60_000 };

/** The rank of each reason, for the order of rows: lower is more urgent. */
const RANK = { error: 0, lock: 1, failed: 2, drift: 3, playground: 4 } as const;

/** One reason a row needs the operator: its rank ({@link RANK}: lower is more urgent) and its text. */
interface Reason {
  rank: number;
  text: string;
}

/** The reasons of {@link attentionOf}, with their ranks, most urgent first. */
function reasonsOf(row: Omit<FleetRow, 'attention'>, rules: AttentionRules, now: number): Reason[] {
  const out: Reason[] = [];
  if (row.error) out.push({ rank: RANK.error, text: `cannot read: ${row.error}` });
  if (row.lock.state === 'held' && row.lock.ageMs > rules.lockAgeMs) out.push({ rank: RANK.lock, text: `lock held ${age(row.lock.ageMs)} by ${row.lock.who} (${row.lock.operation})` });
  const last = row.last;
  if (last && (last.outcome === 'failed' || last.outcome === 'interrupted' || last.outcome === 'cancelled')) out.push({ rank: RANK.failed, text: `last ${last.operation} ${last.outcome} (${age(now - Date.parse(last.endedAt ?? last.startedAt))} ago)` });
  const d = row.drift;
  if (d && d.changed > 0) {
    const appliedSince = last && last.operation === 'apply' && last.outcome === 'succeeded' && Date.parse(last.startedAt) > Date.parse(d.checkedAt);
    if (!appliedSince) out.push({ rank: RANK.drift, text: `drift: ${d.changed} changed outside Terraform (${age(now - Date.parse(d.checkedAt))} ago)` });
  }
  if (row.playground && row.firstApplyAt) {
    const a = now - Date.parse(row.firstApplyAt);
    if (a > rules.playgroundAgeMs) out.push({ rank: RANK.playground, text: `playground up ${age(a)}` });
  }
  return out.sort((x, y) => x.rank - y.rank);
}

/**
 * What a row needs, most urgent first, by the fleet's rules: a row that could not be read; a held
 * lock older than `lockAgeMs`; a last operation that failed, was interrupted or cancelled; drift
 * found by the newest drift check (when no apply succeeded after it); a playground older than
 * `playgroundAgeMs`.
 * @returns the reasons, each a short phrase ("drift: 2 changed outside Terraform (3h ago)").
 */
export function attentionOf(row: Omit<FleetRow, 'attention'>, rules: AttentionRules, now: number): string[] {
  return reasonsOf(row, rules, now).map((r) => r.text);
}

/**
 * Rows that need attention first (by their most urgent reason under the same `rules` at `now`),
 * then the rest; by environment name within each.
 */
export function sortRows(rows: readonly FleetRow[], rules: AttentionRules, now: number): FleetRow[] {
  const ranked = rows.map((row) => ({ row, rank: reasonsOf(row, rules, now)[0]?.rank ?? Number.MAX_SAFE_INTEGER }));
  ranked.sort((a, b) => a.rank - b.rank || a.row.environment.localeCompare(b.row.environment));
  return ranked.map((x) => x.row);
}

/**
 * The row's history part from records, newest first (as listed): the newest is `last`; the newest
 * drift check is `drift`; for a playground the oldest apply after the newest succeeded destroy is
 * `firstApplyAt`; `destroyed` when the newest apply or destroy (running or not) is a destroy that succeeded.
 */
export function historyPart(records: readonly HistoryRecord[]): Pick<FleetRow, 'last' | 'drift' | 'firstApplyAt' | 'destroyed'> {
  const out: Pick<FleetRow, 'last' | 'drift' | 'firstApplyAt' | 'destroyed'> = {};
  const change = records.find((r) => r.operation === 'apply' || r.operation === 'destroy');
  if (change?.operation === 'destroy' && change.outcome === 'succeeded') out.destroyed = true;
  const newest = records[0];
  if (newest) out.last = { operation: newest.operation, outcome: newest.outcome, who: newest.who.login || newest.who.arn, startedAt: newest.startedAt, ...(newest.endedAt ? { endedAt: newest.endedAt } : {}) };
  const drift = records.find((r) => r.operation === 'drift' && r.outcome === 'succeeded');
  if (drift) out.drift = { checkedAt: drift.endedAt ?? drift.startedAt, outcome: drift.outcome, changed: drift.drift?.changed.length ?? 0 };
  let first: string | undefined;
  for (const r of records) {
    if (r.operation === 'destroy' && r.outcome === 'succeeded') break;
    if (r.operation === 'apply' && r.outcome !== 'running') first = r.startedAt;
  }
  if (first) out.firstApplyAt = first;
  return out;
}
