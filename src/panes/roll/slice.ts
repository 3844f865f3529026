/**
 * The Roll pane's slice: the roll of one node group as it is planned and run (see services/roll):
 * the plan (each instance with why it goes and where it is now), the gates with their results, the
 * steps' lines, and the phase. Written only by the named transitions below. Plain TypeScript.
 */
import { rollEventText } from '../../core/roll-text.js';
import type { RollEvent } from '../../services/roll/runner.js';

/** Where a roll is. */
export type RollPhase = 'idle' | 'planning' | 'planned' | 'running' | 'pausing' | 'paused' | 'succeeded' | 'failed' | 'aborted' | 'interrupted';

/** One instance of the plan, as the table shows it. */
export interface RollRow {
  instanceId: string;
  availabilityZone: string;
  reason: string;
  /** `waiting`, the step running (`drain: evicted kube-system/…`), `replaced by i-… ✓`, `failed at STEP: …`. */
  status: string;
  /** The instance the group launched in its place, once InService. */
  replacement?: string;
  state: 'waiting' | 'running' | 'done' | 'failed';
}

/** The Roll pane's state. */
export interface RollSlice {
  layer?: 'secure' | 'compute';
  phase: RollPhase;
  group?: string;
  version?: string;
  rows: RollRow[];
  /** An earlier roll's half-done node, finished first. */
  resume?: string;
  gates: { name: string; ok: boolean; detail: string }[];
  /** Why the roll cannot start now (blockers, failed gates). */
  blockers: string[];
  /** The steps as they happened (newest last, at most {@link ROLL_LINES}). */
  lines: string[];
  /** The outcome's one line, once it ended. */
  outcome?: string;
  error?: { text: string; hint?: string };
}

/** Lines of steps kept. */
export const ROLL_LINES = 500;

/** An empty pane. */
export function rollSlice(): RollSlice {
  return { phase: 'idle', rows: [], gates: [], blockers: [], lines: [] };
}

/** A plan is being read for `layer`. */
export function rollPlanning(s: RollSlice, layer: 'secure' | 'compute'): void {
  Object.assign(s, rollSlice(), { layer, phase: 'planning' });
}

/** The plan and the gates as they are now. */
export function rollPlanned(s: RollSlice, p: { group: string; version: string; rows: Omit<RollRow, 'status' | 'state'>[]; resume?: string; gates: RollSlice['gates']; blockers: string[] }): void {
  s.phase = 'planned';
  s.group = p.group;
  s.version = p.version;
  s.rows = p.rows.map((r) => ({ ...r, status: 'waiting', state: 'waiting' }));
  if (p.resume) s.resume = p.resume;
  else delete s.resume;
  s.gates = p.gates;
  s.blockers = p.blockers;
  delete s.error;
}

/** The plan could not be read (or the roll could not start). */
export function rollError(s: RollSlice, text: string, hint?: string): void {
  if (s.phase === 'planning') s.phase = 'idle';
  s.error = { text, ...(hint ? { hint } : {}) };
}

/** The roll started (the lock taken). */
export function rollStarted(s: RollSlice): void {
  s.phase = 'running';
  s.gates = [];
  delete s.outcome;
  delete s.error;
}

function addLine(s: RollSlice, line: string): void {
  s.lines.push(line);
  if (s.lines.length > ROLL_LINES) s.lines.splice(0, s.lines.length - ROLL_LINES);
}

/** One event of the runner. */
export function rollEvent(s: RollSlice, e: RollEvent, at = new Date()): void {
  const t = at.toISOString().slice(11, 19);
  if (e.kind === 'gate') {
    const i = s.gates.findIndex((g) => g.name === e.name);
    const g = { name: e.name, ok: e.ok, detail: e.detail };
    if (i >= 0) s.gates[i] = g;
    else s.gates.push(g);
    addLine(s, `${t} ${rollEventText(e)}`);
  } else if (e.kind === 'step') {
    let row = s.rows.find((r) => r.instanceId === e.instanceId);
    if (!row) {
      row = { instanceId: e.instanceId, availabilityZone: '', reason: 'left half-done by an earlier roll', status: 'waiting', state: 'waiting' };
      s.rows.unshift(row);
    }
    const last = s.layer === 'compute' ? 'ready' : 'etcd-member';
    if (e.state === 'failed') Object.assign(row, { status: `failed at ${e.step}: ${e.detail}`, state: 'failed' });
    else if (e.step === 'replaced' && e.state === 'succeeded') Object.assign(row, { replacement: e.detail.split(' ')[0], status: `replaced by ${e.detail}`, state: 'running' });
    else if (e.step === last && e.state === 'succeeded') Object.assign(row, { status: `replaced by ${row.replacement ?? '?'} ✓`, state: 'done' });
    else if (row.state !== 'done') Object.assign(row, { status: `${e.step}: ${e.detail}`, state: 'running' });
    addLine(s, `${t} ${rollEventText(e)}`);
  } else if (e.kind === 'batch') addLine(s, `${t} ${rollEventText(e)}`);
  else if (e.kind === 'paused') {
    s.phase = 'paused';
    addLine(s, `${t} paused after the current node: g resumes, X aborts`);
  } else if (e.kind === 'resumed') {
    s.phase = 'running';
    addLine(s, `${t} resumed`);
  }
}

/** The roll ended. */
export function rollEnded(s: RollSlice, phase: 'succeeded' | 'failed' | 'aborted' | 'interrupted', outcome: string): void {
  s.phase = phase;
  s.outcome = outcome;
  addLine(s, outcome);
}
