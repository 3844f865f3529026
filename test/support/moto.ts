/**
 * A real moto server for the test suites: one fresh process per {@link startMoto} call,
 * on a free 127.0.0.1 port, killed by `stop()` and, as a safety net, when the test
 * process exits (normally, or on SIGINT/SIGTERM/SIGHUP). A test process killed with
 * SIGKILL cannot clean up: its moto lingers until killed by hand.
 *
 * Missing moto: {@link requireMoto} (per test) and {@link motoSkipReason} (per suite)
 * make tests FAIL when `CI=true`, and skip them with a loud reason otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { LocalEmulatorError } from '../../src/core/errors.js';
import { EMULATOR_HOST, emulatorEnv, findMotoCommand, freePort, pidAlive, probeMoto } from '../../src/services/local/emulator.js';
import { killOnExit } from './exit-hook.js';

/** A running moto started by {@link startMoto}. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Process id (leader of its own process group). */
  pid: number;
  /** {@link emulatorEnv} for this server, region us-east-1 (empty values mean "delete this key"). */
  env: Record<string, string>;
  /** Wipes all of moto's state: `POST /moto-api/reset`. Rejects when moto does not answer 2xx. */
  reset(): Promise<void>;
  /** Kills the process group (SIGTERM, SIGKILL after 3 s) and waits until it is gone. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

function killAllNow(): void {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  live.clear();
}

function installExitHook(): void {
  killOnExit(killAllNow);
}

let availability: Promise<boolean> | undefined;

/** Whether a moto server can be run here ({@link findMotoCommand} succeeds). Cached per process. */
export function motoAvailable(): Promise<boolean> {
  availability ??= findMotoCommand().then(
    () => true,
    () => false,
  );
  return availability;
}

const MISSING = 'moto is not installed (pip install "moto[server]"): tests that need the AWS emulator';

/**
 * For `describe(name, { skip: await motoSkipReason() }, …)`: undefined when moto is available
 * or when `CI=true` (the suite then runs and fails loudly in {@link startMoto}); otherwise a
 * skip reason, also written to stderr so the skip is not missed.
 */
export async function motoSkipReason(): Promise<string | undefined> {
  if (await motoAvailable()) return undefined;
  if (process.env['CI'] === 'true') return undefined;
  const reason = `SKIPPED: ${MISSING} are skipped outside CI`;
  process.stderr.write(`\n*** ${reason} ***\n\n`);
  return reason;
}

/**
 * Per-test guard. Resolves true when moto is available. When it is not: with `CI=true` it
 * throws (the test fails); otherwise it calls `t.skip(reason)`, writes the reason to stderr,
 * and resolves false: the test must then return at once.
 * @throws Error when moto is missing and `CI=true`.
 */
export async function requireMoto(t: TestContext): Promise<boolean> {
  if (await motoAvailable()) return true;
  if (process.env['CI'] === 'true') {
    throw new Error(`${MISSING} cannot run, and CI=true: install moto in the CI image`);
  }
  const reason = `SKIPPED: ${MISSING} are skipped outside CI`;
  process.stderr.write(`\n*** ${t.name}: ${reason} ***\n\n`);
  t.skip(reason);
  return false;
}

function postReset(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: EMULATOR_HOST, port, path: '/moto-api/reset', method: 'POST', agent: false, timeout: 10_000, headers: { connection: 'close', 'content-length': 0 } },
      (res) => {
        res.resume();
        res.on('end', () => {
          const s = res.statusCode ?? 0;
          if (s >= 200 && s < 300) resolve();
          else reject(new Error(`moto reset answered HTTP ${s}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('moto reset timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts a fresh moto (`findMotoCommand()` + `-H 127.0.0.1 -p PORT`) in its own process
 * group and waits (up to `timeoutMs`, default 20,000 ms) until it answers.
 * Its output is kept in memory and shown in the error when it fails to start. `env` adds variables
 * to its environment (e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to make moto enforce IAM).
 * @throws LocalEmulatorError when moto is missing, exits early, or does not answer in time.
 */
export async function startMoto(opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<MotoServer> {
  installExitHook();
  const command = await findMotoCommand();
  const [file, ...args] = command;
  if (!file) throw new LocalEmulatorError('empty moto command', 'unset PLATFORM_MOTO_SERVER');
  const timeoutMs = opts.timeoutMs ?? 20_000;

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(file, [...args, '-H', EMULATOR_HOST, '-p', String(port)], {
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let output = '';
    // PC_TEST_KEEP_LOGS=DIR: the whole log in DIR/moto-test-PID-PORT.log too, for a failure seen only under load.
    let keepFile = process.env.PC_TEST_KEEP_LOGS ? join(process.env.PC_TEST_KEEP_LOGS, `moto-test-${process.pid}-${port}.log`) : undefined;
    if (keepFile) mkdirSync(process.env.PC_TEST_KEEP_LOGS!, { recursive: true });
    const keep = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-8_000);
      if (!keepFile) return;
      try {
        appendFileSync(keepFile, b);
      } catch {
        keepFile = undefined; // a full or vanished directory: keep the tail in memory only
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited = false;
    let spawnError: Error | undefined;
    const exitP = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      exited = true;
      live.delete(child);
    });
    child.once('error', (err) => {
      spawnError = err;
      live.delete(child);
    });
    // Do not let the server (or its pipes) keep the test process alive.
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (!ready) {
      if (spawnError) throw new LocalEmulatorError(`cannot run ${command.join(' ')}: ${spawnError.message}`, 'pip install "moto[server]"');
      if (exited) break;
      if (Date.now() > deadline) break;
      ready = await probeMoto(port, 500);
      if (!ready) await sleep(50);
    }
    if (!ready) {
      if (!exited && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      live.delete(child);
      if (exited && /address already in use|errno 98/i.test(output) && attempt < 2) continue;
      throw new LocalEmulatorError(
        `moto (${command.join(' ')}) ${exited ? 'exited' : `did not answer within ${timeoutMs} ms`} on port ${port}:\n${output.trim().split('\n').slice(-15).join('\n')}`,
        'pip install "moto[server]"',
      );
    }
    const pid = child.pid as number;
    const endpoint = `http://${EMULATOR_HOST}:${port}`;
    let stopped = false;
    return {
      endpoint,
      port,
      pid,
      env: emulatorEnv({ endpoint }),
      reset: () => postReset(port),
      async stop() {
        if (stopped) return;
        stopped = true;
        if (!exited) {
          child.ref(); // keep the event loop alive until the exit is seen
          try {
            process.kill(-pid, 'SIGTERM');
          } catch {
            // gone
          }
          const timer = setTimeout(() => {
            try {
              process.kill(-pid, 'SIGKILL');
            } catch {
              // gone
            }
          }, 3_000);
          await exitP;
          clearTimeout(timer);
        }
        live.delete(child);
        while (pidAlive(pid)) await sleep(10);
      },
    };
  }
}
