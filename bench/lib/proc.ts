/**
 * Running child processes for the benchmarks: timed runs with line arrival times, and a cleanup
 * registry so an interrupted benchmark still stops what it started (only processes it started,
 * by pid) and removes its temp dirs.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

type Cleanup = () => Promise<void> | void;
/** Registered cleanup steps (each wrapped so that it runs once, whoever calls it first). */
const cleanups: (() => Promise<void>)[] = [];
/** Children started by the benchmarks and still running (ended first by {@link runCleanups}). */
const running = new Set<ChildProcess>();
let stopping = false;

/** True once an interrupt started the cleanup: no new child may be started then. */
export function isStopping(): boolean {
  return stopping;
}

/** Throws when the benchmark is being interrupted (call before starting anything new). */
export function assertNotStopping(): void {
  if (stopping) throw new Error('interrupted: cleaning up');
}

/** Tracks a child this process started, so an interrupt ends it (by pid). */
export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
}

/**
 * Registers a cleanup step; returns a function that runs it (once: a second call, from the
 * benchmark's `finally` or from an interrupt, awaits the same run) and unregisters it.
 */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  let run: Promise<void> | undefined;
  const once = (): Promise<void> => {
    // Unregistered only when done, so that runCleanups() also waits for a run already under way.
    run ??= (async () => {
      try {
        await fn();
      } finally {
        const i = cleanups.indexOf(once);
        if (i >= 0) cleanups.splice(i, 1);
      }
    })();
    return run;
  };
  cleanups.push(once);
  return once;
}

/**
 * Runs every registered cleanup step, newest first; errors are printed, not thrown. With
 * `interrupt`, first refuses new children and ends the running ones (SIGINT, then SIGTERM, by
 * pid; only children this process started).
 */
export async function runCleanups(opts: { interrupt?: boolean } = {}): Promise<void> {
  if (opts.interrupt) {
    stopping = true;
    // SIGINT first: the console's --ci forwards exactly one interrupt to Terraform and waits for it
    // to write state and release the lock, and bare Terraform stops gracefully on it too.
    const children = [...running];
    const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const [signal, waitMs] of [['SIGINT', 5_000], ['SIGTERM', 2_000]] as const) {
      for (const c of alive()) {
        if (c.pid === undefined) continue;
        try {
          process.kill(c.pid, signal);
        } catch {
          /* gone */
        }
      }
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline && alive().length) await new Promise((r) => setTimeout(r, 25));
    }
  }
  while (cleanups.length) {
    const step = cleanups[cleanups.length - 1]!;
    try {
      await step();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    } finally {
      const i = cleanups.indexOf(step);
      if (i >= 0) cleanups.splice(i, 1);
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
  /** Allowed while an interrupt is cleaning up (the cleanup's own commands). */
  duringCleanup?: boolean;
}

/**
 * Spawns `file args…` with stdin ignored and stdout/stderr piped, and resolves when it has exited
 * and its pipes are closed. Wall time is measured to the `exit` event.
 */
export function runTimed(file: string, args: readonly string[], o: TimedOptions): Promise<TimedRun> {
  if (!o.duringCleanup) assertNotStopping();
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
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
      reject(err);
    });
    child.on('exit', (c, s) => {
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

/** Options of {@link forkWorker}. */
export interface WorkerOptions {
  /** Environment of the worker (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this many ms (default 180,000). */
  timeoutMs?: number;
  /** What the error message calls the worker, e.g. `cluster worker`. */
  label: string;
  /** Node's flags for the worker (default none), e.g. {@link BENCH_NODE_FLAGS} for the console's side. */
  execArgv?: readonly string[];
}

/**
 * `BENCH_NODE_FLAGS` (space-separated Node/V8 flags, e.g. `--max-semi-space-size=1`): the benchmarks
 * that time the console's own process (first-frame, screen-load) run it with these, to weigh a flag
 * before adopting it. Empty by default: the console as the launchers start it.
 */
export const BENCH_NODE_FLAGS: readonly string[] = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/**
 * Forks `script` (a compiled benchmark module) with `args` on this Node (flags: `o.execArgv`), and
 * resolves with the first IPC message it sends once it exits 0. Its output (last 8,000 characters)
 * goes into the error when it fails, is killed at the timeout, or exits without a message.
 * Tracked for {@link runCleanups}.
 */
export function forkWorker<T>(script: string, args: readonly string[], o: WorkerOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    assertNotStopping();
    const child = fork(script, [...args], { execPath: process.execPath, execArgv: [...(o.execArgv ?? [])], ...(o.env ? { env: o.env } : {}), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    track(child);
    let output = '';
    child.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-8_000)));
    child.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-8_000)));
    let result: T | undefined;
    let got = false;
    child.on('message', (m) => {
      if (got) return;
      got = true;
      result = m as T;
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) child.kill('SIGKILL');
    }, o.timeoutMs ?? 180_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (got && code === 0) resolve(result as T);
      else reject(new Error(`${o.label} ${signal ? `was killed by ${signal}` : `exited ${code}`}${got ? '' : ' without a result'}:\n${tail(output, 15)}`));
    });
  });
}

/**
 * CPU time (user + system, ms) of this process's children that have ended and been waited for
 * (Linux /proc/self/stat cutime + cstime, 100 ticks a second: 10 ms steps); NaN when unreadable.
 * The difference across one child's run is that child's CPU time when no other child ended meanwhile.
 */
export function childrenCpuMs(): number {
  try {
    const st = readFileSync('/proc/self/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) * 10; // fields 16 and 17: cutime, cstime
  } catch {
    return Number.NaN;
  }
}
