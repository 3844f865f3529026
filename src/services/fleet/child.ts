/**
 * Runs one environment's headless command (`--ci drift --json`, `--ci destroy --auto-approve
 * --json`) as a child process of this program, as a pipeline runner would: the Fleet screen's
 * `:drift-all` and `d`. Each child opens its environment with its own profile and credentials,
 * takes the state lock, and writes its history record as usual; the fleet only follows its NDJSON
 * (the `--ci --json` events the README lists). Plain TypeScript, no Ink.
 */
import { spawn } from 'node:child_process';

/** How to start this program again: the Node binary and the entry script (`process.execPath`, `process.argv[1]`). */
export interface ProgramPath {
  node: string;
  script: string;
}

/** What one child run ended with. */
export interface ChildOutcome {
  /** The child's exit code (0 ok, 2 drift or changes, 1 error); -1 when it was killed by a signal. */
  code: number;
  /** Its `summary` event, when it printed one. */
  summary?: Record<string, unknown>;
  /** The last lines it wrote to stderr (its error and hint), at most 2,000 characters. */
  stderr: string;
}

/** A line of progress from one NDJSON event, or undefined for an event not worth a row's words. */
export function progressOf(e: Record<string, unknown>): string | undefined {
  const t = e.type;
  if (t === 'progress' || t === 'notice' || t === 'warning') return typeof e.message === 'string' ? e.message : undefined;
  if (t === 'operation_start') return `terraform ${String(e.operation)}`;
  // Terraform's machine-readable UI ("JSON Output Format"): its own one-line @message.
  if (typeof e['@message'] === 'string' && (t === 'apply_start' || t === 'apply_complete' || t === 'refresh_start' || t === 'change_summary' || t === 'apply_progress')) return e['@message'];
  return undefined;
}

/**
 * Runs `node SCRIPT ...args` with `env`, calling `onEvent` for each NDJSON line of its stdout.
 * Never rejects: a child that cannot be started ends with code 1 and the reason in `stderr`.
 * `signal` aborts it: the child gets SIGINT (one interrupt to Terraform, which writes the state
 * and releases the lock, as `--ci` does on Ctrl-C) and the promise settles when it has exited.
 */
export function runChild(program: ProgramPath, args: readonly string[], env: NodeJS.ProcessEnv, onEvent: (e: Record<string, unknown>) => void, signal?: AbortSignal): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    let summary: Record<string, unknown> | undefined;
    let stderr = '';
    let pending = '';
    const child = spawn(program.node, [program.script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = () => child.kill('SIGINT');
    signal?.addEventListener('abort', onAbort, { once: true });
    const line = (l: string) => {
      if (!l.trim()) return;
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(l) as Record<string, unknown>;
      } catch {
        return; // not an event (nothing else is written to stdout with --json)
      }
      if (e.type === 'summary') summary = e;
      onEvent(e);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) line(l);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-2_000);
    });
    let settled = false;
    const done = (code: number) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (pending) line(pending);
      resolve({ code, ...(summary ? { summary } : {}), stderr: stderr.trim() });
    };
    child.on('error', (err) => {
      stderr = `${stderr}could not start ${program.script}: ${err.message}`;
      done(1);
    });
    child.on('close', (code) => done(code ?? -1));
  });
}
