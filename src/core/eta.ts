/**
 * How long an apply will take, learned from the history of past applies (no history: no ETA).
 * Plain TypeScript, pure.
 *
 * - A resource's expected duration: the median of its own address and action in the last
 *   successful applies, else of the same resource type and action, else unknown.
 * - The whole apply: Terraform applies up to 10 resources at a time along the dependency graph,
 *   which the console does not know. The past applies say how much of their summed resource time
 *   ran in parallel (`wall / Σ durations`); the time left is that share of the expected time of
 *   what is left, and never less than the longest expected resource still to finish. It is an
 *   estimate: the console says "about".
 */

/** A past operation, as far as the estimate needs it (a history record's fields). */
export interface PastApply {
  operation: string;
  outcome: string;
  startedAt: string;
  endedAt?: string;
  resources: readonly { address: string; action: string; result: string; durationMs?: number }[];
}

/** How many of the newest successful applies are learned from. */
export const ETA_HISTORY = 10;

/** The resource type of an address: `module.a.aws_subnet.this["x"]` → `aws_subnet` (data sources: `data.aws_ami.x` → `aws_ami`). */
export function typeOfAddress(address: string): string {
  // Drop index keys (which may hold dots), then walk past module.NAME pairs and `data.`.
  const parts = address.replace(/\[[^\]]*\]/g, '').split('.');
  let i = 0;
  while (parts[i] === 'module') i += 2;
  if (parts[i] === 'data') i++;
  return parts[i] ?? '';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** What was learned: expected ms by address+action and by type+action, and the share that ran in parallel. */
export interface EtaModel {
  byAddress: Map<string, number>;
  byType: Map<string, number>;
  /** wall time / Σ resource durations of the past applies (median; of the destroys when there is no apply), in (0, 1]; undefined without one. */
  parallelShare?: number;
  /** How many applies it learned from. */
  applies: number;
}

/**
 * Learns from `records` (any order): the newest {@link ETA_HISTORY} succeeded applies and destroys.
 */
export function learnEta(records: readonly PastApply[]): EtaModel {
  const ok = records
    .filter((r) => (r.operation === 'apply' || r.operation === 'destroy') && r.outcome === 'succeeded' && r.resources.some((x) => x.result === 'succeeded' && x.durationMs !== undefined))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, ETA_HISTORY);
  const addr = new Map<string, number[]>();
  const type = new Map<string, number[]>();
  const shares: number[] = [];
  const applyShares: number[] = [];
  for (const r of ok) {
    let sum = 0;
    for (const x of r.resources) {
      if (x.result !== 'succeeded' || x.durationMs === undefined) continue;
      sum += x.durationMs;
      const ka = `${x.action} ${x.address}`;
      const kt = `${x.action} ${typeOfAddress(x.address)}`;
      addr.set(ka, [...(addr.get(ka) ?? []), x.durationMs]);
      type.set(kt, [...(type.get(kt) ?? []), x.durationMs]);
    }
    const wall = r.endedAt ? Date.parse(r.endedAt) - Date.parse(r.startedAt) : NaN;
    if (sum > 0 && Number.isFinite(wall) && wall > 0) (r.operation === 'apply' ? applyShares : shares).push(Math.min(1, wall / sum));
  }
  return {
    byAddress: new Map([...addr].map(([k, v]) => [k, median(v)])),
    byType: new Map([...type].map(([k, v]) => [k, median(v)])),
    // Destroys run in parallel differently (bench/history.ts saw 0.48 against the applies' 0.41–0.44): applies' share first.
    ...(applyShares.length ? { parallelShare: median(applyShares) } : shares.length ? { parallelShare: median(shares) } : {}),
    applies: ok.length,
  };
}

/** A resource's expected duration (ms): its own median, else its type's, else undefined. */
export function expectedMs(m: EtaModel, address: string, action: string): number | undefined {
  return m.byAddress.get(`${action} ${address}`) ?? m.byType.get(`${action} ${typeOfAddress(address)}`);
}

/** A resource of the running apply: done ones are left out by the caller or marked. */
export interface ApplyingRow {
  address: string;
  action: string;
  status: 'planned' | 'applying' | 'done' | 'errored' | 'cancelled' | string;
  /** ms epoch when it started (applying rows). */
  startedAt?: number;
}

/**
 * The time left of an apply (ms), or undefined when the history knows none of what is left.
 * Rows not yet started count their expected time; applying rows what is left of it (at least 0).
 * Rows with no expectation count as the median of the known ones.
 * @param now ms epoch.
 */
export function timeLeftMs(m: EtaModel, rows: readonly ApplyingRow[], now: number): number | undefined {
  if (!m.applies) return undefined;
  const left: { ms: number | undefined }[] = [];
  for (const r of rows) {
    if (r.status !== 'planned' && r.status !== 'applying') continue;
    if (r.action === 'noop' || r.action === 'read') continue;
    const e = expectedMs(m, r.address, r.action);
    left.push({ ms: e === undefined ? undefined : r.status === 'applying' && r.startedAt !== undefined ? Math.max(0, e - (now - r.startedAt)) : e });
  }
  if (!left.length) return 0;
  const known = left.map((x) => x.ms).filter((x): x is number => x !== undefined);
  if (!known.length) return undefined;
  const fill = median(known);
  const total = left.reduce((n, x) => n + (x.ms ?? fill), 0);
  const share = m.parallelShare ?? 1;
  return Math.max(Math.max(...known), total * share);
}
