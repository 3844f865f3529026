/**
 * Where a `--ci --json` run of the console spends its time, from the arrival times of its NDJSON
 * events (ms since just before spawn, as {@link runTimed} records them), not from its human text.
 *
 * The run is cut at the events the console itself emits: `progress` (steps of opening the
 * environment), `operation_start` / `operation_end` (one Terraform process each; `show -json` is
 * run quietly inside the plan operation, after its `operation_end`), `plan` (the plan model, after
 * `show -json`), plus the spawn and the exit. Each interval is named after what happens between its
 * two cuts, so the intervals add up to the wall time exactly. Progress messages are matched loosely
 * and an unknown one is shown as it is, so a reworded or added step still gives a breakdown.
 */
import type { TimedRun } from './proc.js';

/** One interval of a run: what happened, and for how long (ms). */
export interface Phase {
  label: string;
  ms: number;
}

type Cut =
  | { kind: 'spawn'; at: number }
  | { kind: 'progress'; at: number; message: string }
  | { kind: 'operation_start' | 'operation_end'; at: number; operation: string }
  | { kind: 'plan'; at: number }
  | { kind: 'exit'; at: number };

/** A progress step, as a row label. */
function describeStep(message: string): string {
  if (/^opening the environment/.test(message)) return 'open session: spawn terraform version, load the AWS SDK (meanwhile), check the emulator';
  if (/emulator|moto/i.test(message) && !/bucket|kms/i.test(message)) return 'open session: find the running emulator (lock-free check, probe)';
  if (/bucket|kms/i.test(message)) return 'open session: bootstrap state bucket + KMS key (idempotent)';
  if (/credential/i.test(message)) return 'open session: check credentials (STS)';
  return `open session: "${message}"`;
}

function labelOf(a: Cut, b: Cut): string {
  switch (a.kind) {
    case 'spawn':
      return 'node start-up, module loading, profile validation';
    case 'progress':
      // After the last step: whatever openSession still awaits, then Engine.init's check.
      return b.kind === 'operation_start' ? `${describeStep(a.message)}; then STS, terraform version, CLI config, init check` : describeStep(a.message);
    case 'operation_start':
      return `terraform ${a.operation}`;
    case 'operation_end':
      if (b.kind === 'plan') return 'terraform show -json + plan model';
      if (b.kind === 'exit') return `after the ${a.operation} until the process exits`;
      return `console: between ${a.operation} and ${b.kind === 'operation_start' ? b.operation : b.kind}`;
    case 'plan':
      if (b.kind === 'exit') return 'after the plan until the process exits';
      return `console: from the plan model to ${b.kind === 'operation_start' ? `the ${b.operation}` : b.kind}`;
    case 'exit':
      return 'exit';
  }
}

/**
 * The phases of one `--ci --json` run, or why there are none (`missing`: the events that were
 * expected and not found, e.g. because the NDJSON format changed).
 * @param need operations that must appear (each with a start and an end), e.g. ['plan', 'apply'].
 */
export function ciPhases(r: TimedRun, need: readonly string[]): { phases: Phase[] } | { missing: string } {
  const cuts: Cut[] = [{ kind: 'spawn', at: 0 }];
  for (const { at, text } of r.lines) {
    if (!text.startsWith('{')) continue;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    const type = ev.type;
    if (type === 'progress' && typeof ev.message === 'string') cuts.push({ kind: 'progress', at, message: ev.message });
    else if ((type === 'operation_start' || type === 'operation_end') && typeof ev.operation === 'string') cuts.push({ kind: type, at, operation: ev.operation });
    else if (type === 'plan') cuts.push({ kind: 'plan', at });
  }
  cuts.push({ kind: 'exit', at: r.ms });
  const has = (kind: Cut['kind'], op?: string) => cuts.some((c) => c.kind === kind && (op === undefined || ('operation' in c && c.operation === op)));
  const missing = [
    ...(has('progress') ? [] : ['progress']),
    ...need.flatMap((op) => [...(has('operation_start', op) ? [] : [`operation_start ${op}`]), ...(has('operation_end', op) ? [] : [`operation_end ${op}`])]),
  ];
  if (missing.length) return { missing: missing.join(', ') };
  const phases: Phase[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const label = labelOf(cuts[i]!, cuts[i + 1]!);
    const d = cuts[i + 1]!.at - cuts[i]!.at;
    // Two cuts in one stdout chunk give a 0-ms interval; same label twice (never expected) adds up.
    const prev = phases.find((p) => p.label === label);
    if (prev) prev.ms += d;
    else phases.push({ label, ms: d });
  }
  return { phases };
}

/** Labels of several runs' phases, in order of first appearance. */
export function phaseLabels(runs: readonly (readonly Phase[])[]): string[] {
  const out: string[] = [];
  for (const run of runs) for (const p of run) if (!out.includes(p.label)) out.push(p.label);
  return out;
}
