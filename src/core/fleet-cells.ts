/**
 * A fleet row's columns as text, the same for `--ci fleet` and the Fleet screen: the lock, the
 * last operation, the last drift check, the state, and what it needs. Pure: no I/O.
 */
import type { FleetLock, FleetRow } from '../services/fleet/rows.js';

/** A duration as the fleet says it: `45s`, `12m`, `3h`, `9d`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `free`, `held 3m by who (apply)`, `unknown (why)`. */
export function lockCell(l: FleetLock): string {
  if (l.state === 'free') return 'free';
  if (l.state === 'held') return `held ${age(l.ageMs)} by ${l.who} (${l.operation})`;
  return `unknown (${l.reason.slice(0, 40)})`;
}

/** The text columns of a row read at `now` (ms epoch): a row that could not be read has only its reason. */
export function fleetCells(r: FleetRow, now: number): { lock: string; last: string; drift: string; state: string; needs: string } {
  if (r.error) return { lock: '-', last: '-', drift: '-', state: '-', needs: r.attention.join('; ') };
  const last = r.last ? `${r.last.operation} ${r.last.outcome} ${age(now - Date.parse(r.last.endedAt ?? r.last.startedAt))} ago by ${r.last.who}` : 'no records';
  const drift = r.drift ? `${r.drift.changed ? `${r.drift.changed} changed` : 'none'} (${age(now - Date.parse(r.drift.checkedAt))} ago)` : 'never checked';
  const state = !r.state.exists ? 'none' : r.destroyed ? 'destroyed' : `${Math.max(1, Math.round((r.state.bytes ?? 0) / 1024))} KiB${r.playground && r.firstApplyAt ? `, up ${age(now - Date.parse(r.firstApplyAt))}` : ''}`;
  return { lock: lockCell(r.lock), last, drift, state, needs: r.attention.join('; ') || 'ok' };
}
