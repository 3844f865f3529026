/**
 * Running child processes for the benchmarks: timed runs with line arrival times, and a cleanup
 * registry so an interrupted benchmark still stops what it started (only processes it started,
 * by pid) and removes its temp dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];

/** Registers a cleanup step; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  cleanups.push(fn);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
}

/** Children of {@link runTimed} still running (ended first by {@link runCleanups}). */
const running = new Set<ChildProcess>();

/** Runs every registered cleanup step, newest first; errors are printed, not thrown. */
export async function runCleanups(): Promise<void> {
  // First end the timed children still running (only those this process started), by pid.
  const children = [...running];
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null)) await new Promise((r) => setTimeout(r, 25));
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    }
  }
}

/** A finished timed run. */
export interface TimedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time from just before spawn to the process's exit, ms. */
  ms: number;
  stdout: string;
  stderr: string;
  /** Each stdout line with its arrival time (ms since just before spawn). */
  lines: { at: number; text: string }[];
  timedOut: boolean;
}

/** Options of {@link runTimed}. */
export interface TimedOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill (SIGTERM, then SIGKILL after 3 s) after this many ms; default 300,000. */
  timeoutMs?: number;
}

/**
 * Spawns `file args…` with stdin ignored and stdout/stderr piped, and resolves when it has exited
 * and its pipes are closed. Wall time is measured to the `exit` event.
 */
export function runTimed(file: string, args: readonly string[], o: TimedOptions): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let exitAt = 0;
    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    let stdout = '';
    let stderr = '';
    let partial = '';
    let timedOut = false;
    const lines: TimedRun['lines'] = [];
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const at = performance.now() - t0;
      stdout += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
            try {
              process.kill(child.pid, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
        }, 3_000).unref();
      }
    }, o.timeoutMs ?? 300_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.on('exit', (c, s) => {
      running.delete(child);
      exitAt = performance.now();
      code = c;
      signal = s;
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (!exitAt) exitAt = performance.now();
      if (partial) lines.push({ at: exitAt - t0, text: partial });
      resolve({ code, signal, ms: exitAt - t0, stdout, stderr, lines, timedOut });
    });
  });
}

/** The last `n` lines of a text, for error messages. */
export function tail(text: string, n = 8): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Throws with the run's output tail when it did not exit 0 (or `okCodes`). */
export function check(what: string, r: TimedRun, okCodes: readonly number[] = [0]): TimedRun {
  if (r.timedOut || r.code === null || !okCodes.includes(r.code)) {
    const how = r.timedOut ? 'timed out' : r.code === null ? `was killed by ${r.signal}` : `exited ${r.code}`;
    throw new Error(`${what} ${how}:\n${tail(r.stderr || r.stdout)}`);
  }
  return r;
}
