/**
 * One line of text per event of a roll, as `--ci roll` prints it and the Roll pane lists it (after
 * the time): `i-0abc drain ✓: ip-10-0-1-5: 1 pod evicted, …`, `✗ gate etcd: …`, `node 2 of 3: i-…`.
 * Pure; the events are services/roll/runner.ts's.
 */
import type { RollEvent, RollOutcome } from '../services/roll/runner.js';

const MARK = { running: '', succeeded: ' ✓', failed: ' ✗', skipped: ' (skipped)' } as const;

/** The line of `e`, or undefined for an event that is no line (`record`, `paused`, `resumed`). */
export function rollEventText(e: RollEvent): string | undefined {
  if (e.kind === 'gate') return `${e.ok ? '✓' : '✗'} gate ${e.name}: ${e.detail}`;
  if (e.kind === 'step') return `${e.instanceId} ${e.step}${MARK[e.state]}: ${e.detail}`;
  if (e.kind === 'batch') return `node ${e.index + 1} of ${e.of}: ${e.instanceIds.join(', ')}`;
  return undefined;
}

/**
 * The count of instances a roll replaced, for its closing line: `1 instance replaced`, with the
 * pairs when `pairs` (`(i-a → i-b, i-c → i-d)`), and any replacement not verified named, e.g.
 * `2 instances replaced (i-a → i-b, i-c → i-d); i-d not verified: the roll stopped before its checks passed`.
 */
export function replacedText(replaced: RollOutcome['replaced'], o: { pairs: boolean }): string {
  const n = replaced.length;
  const unverified = replaced.filter((r) => !r.verified).map((r) => r.to);
  const list = o.pairs && n ? ` (${replaced.map((r) => `${r.from} → ${r.to}`).join(', ')})` : '';
  const not = unverified.length ? `; ${unverified.join(', ')} not verified: the roll stopped before ${unverified.length === 1 ? 'its' : 'their'} checks passed` : '';
  return `${n} instance${n === 1 ? '' : 's'} replaced${list}${not}`;
}
