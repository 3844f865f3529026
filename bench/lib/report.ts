/**
 * What a benchmark hands back to bench/run.ts, and the small helpers every benchmark uses to
 * compute and print figures: percentiles, aligned tables, target checks.
 *
 * Rule of the project: benchmarks print figures side by side (ours vs the bare tool) in one run
 * and never assert timing. A missed target is shown as "no", never as a failure.
 */

/** One figure that has a target. */
export interface TargetCheck {
  /** What is measured, e.g. "first full frame". */
  figure: string;
  /** The value as printed, with its unit. */
  value: string;
  /** The target as printed, e.g. "< 500 ms". */
  target: string;
  met: boolean;
}

/** The result of one benchmark. */
export interface BenchResult {
  name: string;
  title: string;
  /** Aligned text tables and notes, ready to print. */
  text: string;
  targets: TargetCheck[];
}

/** A benchmark module's entry. Throws only when the benchmark could not run. */
export type Bench = (log: (line: string) => void) => Promise<BenchResult>;

/** Sorted copy. */
function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Median (mean of the two middle values for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a typed or plain array; NaN when empty. Sorts a copy. */
export function percentile(xs: ArrayLike<number>, p: number): number {
  const n = xs.length;
  if (n === 0) return Number.NaN;
  const s = Float64Array.from(xs as ArrayLike<number>).sort();
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return s[rank - 1]!;
}

/** Several nearest-rank percentiles of one array, sorting it once. */
export function percentiles(xs: ArrayLike<number>, ps: readonly number[]): number[] {
  const n = xs.length;
  if (n === 0) return ps.map(() => Number.NaN);
  const s = Float64Array.from(xs as ArrayLike<number>).sort();
  return ps.map((p) => s[Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1]!);
}

/** `1234.5` → `1,235 ms`; below 10 ms one decimal. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v).toLocaleString('en-US')} ms`;
}

/** Bytes → `12.3 MB` (MiB). */
export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a';
}

/** Integer with thousands separators. */
export function int(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
}

/** `2.345` → `2.35×`. */
export function ratio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a';
}

/** "yes" / "NO" for a target column. */
export function metText(met: boolean): string {
  return met ? 'yes' : 'NO';
}

/**
 * An aligned plain-text table. `align` per column: 'l' (default for the first column) or 'r'
 * (default for the others). Cells may be empty strings.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const all = [header, ...rows];
  const cols = Math.max(...all.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols; c++) widths.push(Math.max(...all.map((r) => [...(r[c] ?? '')].length)));
  const al = (c: number): 'l' | 'r' => align?.[c] ?? (c === 0 ? 'l' : 'r');
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => {
        const pad = ' '.repeat(Math.max(0, widths[c]! - [...cell].length));
        return al(c) === 'l' ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
