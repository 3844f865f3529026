/**
 * The embedded local AWS emulator (moto) behind `--local`: find it, start one
 * background emulator per user, reuse it while it lives, stop it, and build the
 * environment that points Terraform and SDK clients at it.
 *
 * Files in the state directory (default `~/.cache/platform-console/local`,
 * `$PLATFORM_LOCAL_DIR` overrides it, an explicit `stateDir` option overrides both):
 *
 * - `emulator.json`  the running emulator: `{ version, pid, port, endpoint, startedAt, command, procStart? }`,
 *                    written atomically (temp file, then rename) once the emulator answers;
 * - `emulator.lock`  held ({@link acquireFileLock}) while one caller starts or stops the
 *                    emulator, so concurrent consoles never start two; a lock whose holder died
 *                    or whose deadline passed is taken over;
 * - `moto.log`       the emulator's stdout and stderr (the previous run's in `moto.log.1`).
 *
 * Only 127.0.0.1 is ever bound or contacted.
 */
import { shellWords } from '../../core/shell-words.js';
import { spawn, execFile } from 'node:child_process';
import { constants as fsConstants, readFileSync } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { reasonOf, writeFileAtomic } from '../../core/atomic-write.js';
import { LocalEmulatorError } from '../../core/errors.js';
import { acquireFileLock, FileLockBusyError } from '../../core/file-lock.js';
import { processAlive, processStartTicks } from '../../core/process.js';

// node:http through getBuiltinModule, not `import`: an ES import of node:http builds its ES module
// facade, which reads every export, and its lazy web globals (WebSocket…) load Node's bundled undici
// (~25 ms on every start).
const http = process.getBuiltinModule('node:http');

/** The only address the emulator binds and the console contacts. */
export const EMULATOR_HOST = '127.0.0.1';

/** Default time (ms) {@link ensureEmulator} waits for a freshly started emulator to answer. */
export const DEFAULT_START_TIMEOUT_MS = 20_000;

/** Default time (ms) {@link stopEmulator} waits after SIGTERM before it sends SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 5_000;

const INSTALL_HINT = 'pip install "moto[server]"';
const STATE_FILE = 'emulator.json';
const LOCK_FILE = 'emulator.lock';
const LOG_FILE = 'moto.log';
const PROBE_PATH = '/moto-api/config';

/** A running emulator, as {@link ensureEmulator} returns it. */
export interface EmulatorInfo {
  /** Base URL of the emulator, always `http://127.0.0.1:PORT` (no trailing slash). */
  endpoint: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Process id of the emulator; it leads its own process group (the group id is the same number). */
  pid: number;
  /** True when this call started the emulator, false when it reused a running one. */
  startedNow: boolean;
  /** When the emulator was spawned, in ms since the Unix epoch. Together with `pid` it identifies one emulator run. */
  startedAt: number;
}

/** Options shared by {@link ensureEmulator}, {@link stopEmulator} and {@link readEmulatorRecord}. */
export interface EmulatorDirOptions {
  /**
   * Directory for `emulator.json`, the lock and `moto.log`. Default: `$PLATFORM_LOCAL_DIR`,
   * else `~/.cache/platform-console/local`. Created (mode 0700) when missing.
   */
  stateDir?: string;
}

/** Options of {@link ensureEmulator}. */
export interface EnsureEmulatorOptions extends EmulatorDirOptions {
  /** How long (ms) to wait for a freshly started emulator to answer. Default {@link DEFAULT_START_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Called once, just before a new emulator process is started (not when a running one is reused). */
  onStarting?: () => void;
}

/** Options of {@link stopEmulator}. */
export interface StopEmulatorOptions extends EmulatorDirOptions {
  /** How long (ms) to wait after SIGTERM before SIGKILL. Default {@link DEFAULT_STOP_GRACE_MS}. */
  graceMs?: number;
}

/** The content of `emulator.json`. */
export interface EmulatorRecord {
  version: 1;
  pid: number;
  port: number;
  endpoint: string;
  /** Spawn time, ms since the Unix epoch. */
  startedAt: number;
  /** The command line the emulator was started with (without the `-H`/`-p` arguments). */
  command: string[];
  /** Linux only: the process start time from `/proc/PID/stat` (clock ticks since boot), to tell a reused pid apart. */
  procStart?: string;
}

/**
 * The state directory: `explicit` if given, else `$PLATFORM_LOCAL_DIR`, else
 * `~/.cache/platform-console/local`. Does not create it.
 */
export function resolveStateDir(explicit?: string): string {
  if (explicit) return explicit;
  const fromEnv = process.env['PLATFORM_LOCAL_DIR'];
  if (fromEnv) return fromEnv;
  return join(homedir(), '.cache', 'platform-console', 'local');
}

/** Path of the emulator's log file (`moto.log`) in the state directory. */
export function emulatorLogPath(stateDir?: string): string {
  return join(resolveStateDir(stateDir), LOG_FILE);
}

// ---------------------------------------------------------------------------
// Finding moto

/**
 * Splits `PLATFORM_MOTO_SERVER` into words (see {@link shellWords}).
 * @throws LocalEmulatorError on an unterminated quote.
 */
export function splitCommand(line: string): string[] {
  const words = shellWords(line);
  if (!words) {
    throw new LocalEmulatorError(
      `PLATFORM_MOTO_SERVER has an unterminated quote: ${line}`,
      'fix PLATFORM_MOTO_SERVER, or unset it to use moto_server from PATH',
    );
  }
  return words;
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      const s = await stat(candidate);
      if (s.isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function pythonHasMoto(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('python3', ['-c', 'import moto.server'], { timeout: 20_000 }, (err) => resolve(!err));
  });
}

/**
 * The command that runs moto's server, as argv words (the caller appends `-H 127.0.0.1 -p PORT`):
 * `$PLATFORM_MOTO_SERVER` split into words when set and non-empty; else `moto_server` when an
 * executable of that name is on PATH (the bare name is returned); else
 * `['python3', '-m', 'moto.server']` when `python3 -c "import moto.server"` succeeds.
 * @throws LocalEmulatorError "the local AWS emulator (moto) is not installed" (hint: `pip install "moto[server]"`)
 *   when none is found, or when `$PLATFORM_MOTO_SERVER` cannot be parsed.
 */
export async function findMotoCommand(): Promise<string[]> {
  const override = process.env['PLATFORM_MOTO_SERVER'];
  if (override && override.trim()) {
    const words = splitCommand(override.trim());
    if (words.length > 0) return words;
  }
  if (await onPath('moto_server')) return ['moto_server'];
  if (await pythonHasMoto()) return ['python3', '-m', 'moto.server'];
  throw new LocalEmulatorError('the local AWS emulator (moto) is not installed', INSTALL_HINT);
}

// ---------------------------------------------------------------------------
// Processes and ports

/** `processStartTicks` as the string the emulator's record keeps. */
function procStartOf(pid: number): string | undefined {
  const t = processStartTicks(pid);
  return t === undefined ? undefined : String(t);
}

/** Whether a process with this pid exists and is not a zombie (see {@link processAlive}). */
export function pidAlive(pid: number): boolean {
  return processAlive(pid);
}

/** Whether `record`'s process is still the very process that was recorded (pid alive, same start time when known). */
function recordProcessAlive(record: EmulatorRecord): boolean {
  const start = record.procStart === undefined ? undefined : Number(record.procStart);
  return processAlive(record.pid, Number.isFinite(start) ? start : undefined);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await sleep(25);
  }
  return !pidAlive(pid);
}

/** SIGTERM the process group, wait up to `graceMs`, then SIGKILL and wait up to 2 s more. Resolves whether it is gone. */
async function terminateGroup(pid: number, graceMs: number): Promise<boolean> {
  killGroup(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return true;
  killGroup(pid, 'SIGKILL');
  return waitGone(pid, 2_000);
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, EMULATOR_HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * Whether a moto server answers on 127.0.0.1:`port`: `GET /moto-api/config` returns a
 * 2xx JSON object (a cheap, moto-only endpoint). Never rejects; `timeoutMs` bounds one try.
 */
export function probeMoto(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (!done) {
        done = true;
        resolve(ok);
      }
    };
    const req = http.request(
      { host: EMULATOR_HOST, port, path: PROBE_PATH, method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return finish(false);
          try {
            const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            finish(typeof body === 'object' && body !== null);
          } catch {
            finish(false);
          }
        });
        res.on('error', () => finish(false));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      finish(false);
    });
    req.on('error', () => finish(false));
    req.end();
  });
}

// ---------------------------------------------------------------------------
// State files

/**
 * Writes `value` as JSON to `path` atomically, mode 0600 ({@link writeFileAtomic}).
 * @throws ConsoleError "cannot write PATH: …" as {@link writeFileAtomic}.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
}

function isRecord(v: unknown): v is EmulatorRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    r['version'] === 1 &&
    typeof r['pid'] === 'number' &&
    typeof r['port'] === 'number' &&
    typeof r['endpoint'] === 'string' &&
    typeof r['startedAt'] === 'number' &&
    Array.isArray(r['command'])
  );
}

/**
 * The content of `stateDir/emulator.json`, or undefined when it is missing or unreadable.
 * Says nothing about whether that emulator still runs.
 */
export async function readEmulatorRecord(opts: EmulatorDirOptions = {}): Promise<EmulatorRecord | undefined> {
  const dir = resolveStateDir(opts.stateDir);
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8'));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function liveEmulator(stateDir: string): Promise<EmulatorRecord | undefined> {
  const record = await readEmulatorRecord({ stateDir });
  if (!record) return undefined;
  if (!recordProcessAlive(record)) return undefined;
  return (await probeMoto(record.port)) ? record : undefined;
}

function infoOf(record: EmulatorRecord, startedNow: boolean): EmulatorInfo {
  return { endpoint: record.endpoint, port: record.port, pid: record.pid, startedNow, startedAt: record.startedAt };
}

// ---------------------------------------------------------------------------
// The lock

/**
 * Takes `stateDir/emulator.lock` ({@link acquireFileLock}: waits while a live holder has it,
 * takes over one whose holder died, whose deadline passed, or which stays unreadable for 2 s).
 * @param holdMs how long (ms) this caller may hold it before others take it over.
 * @param waitMs how long (ms) to wait for another holder.
 * @returns the release function.
 * @throws LocalEmulatorError when another live console holds it for over `waitMs`, or the lock
 *   file cannot be created.
 */
async function acquireLock(stateDir: string, holdMs: number, waitMs: number): Promise<() => Promise<void>> {
  const path = join(stateDir, LOCK_FILE);
  try {
    return (await acquireFileLock(path, { holdMs, waitMs })).release;
  } catch (err) {
    if (err instanceof FileLockBusyError) {
      throw new LocalEmulatorError(
        `another console (pid ${err.holder?.pid ?? '?'}) is starting or stopping the local emulator and has not finished`,
        `wait a moment and try again; if nothing is running, remove ${path}`,
        { cause: err },
      );
    }
    throw new LocalEmulatorError(`cannot create the emulator lock ${path}: ${reasonOf(err)}`, `check the permissions of ${stateDir}`, { cause: err });
  }
}

// ---------------------------------------------------------------------------
// Starting

async function logTail(logPath: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(logPath, 'utf8');
    const all = text.trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

type StartOutcome =
  | { kind: 'ready'; record: EmulatorRecord }
  | { kind: 'port-in-use' };

async function spawnOnce(stateDir: string, command: string[], timeoutMs: number): Promise<StartOutcome> {
  const [file, ...baseArgs] = command;
  if (!file) throw new LocalEmulatorError('PLATFORM_MOTO_SERVER is empty', 'set it to a command, or unset it');
  const port = await freePort();
  const logPath = join(stateDir, LOG_FILE);
  try {
    await rename(logPath, `${logPath}.1`);
  } catch {
    // no previous log
  }
  const fh = await open(logPath, 'w', 0o600);
  const startedAt = Date.now();
  await fh.write(`--- ${new Date(startedAt).toISOString()} starting: ${[...command, '-H', EMULATOR_HOST, '-p', String(port)].join(' ')}\n`);
  const child = spawn(file, [...baseArgs, '-H', EMULATOR_HOST, '-p', String(port)], {
    detached: true,
    stdio: ['ignore', fh.fd, fh.fd],
    cwd: stateDir,
    env: process.env,
  });
  // Listen before any await: a failed spawn reports 'error' on the next tick.
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (err) => {
    spawnError = err;
  });
  child.unref();
  await fh.close();
  const commandText = command.join(' ');
  // Recorded at once, before it answers: a console that quits (or is killed) during the start
  // leaves a moto that `--local stop`, the next start (which reuses or replaces it) and the tests'
  // clean-up all know of. Removed again when this start fails.
  const recordFile = join(stateDir, STATE_FILE);
  const recordOf = (pid: number): EmulatorRecord => {
    const record: EmulatorRecord = { version: 1, pid, port, endpoint: `http://${EMULATOR_HOST}:${port}`, startedAt, command };
    const ps = procStartOf(pid);
    if (ps !== undefined) record.procStart = ps;
    return record;
  };
  if (child.pid !== undefined) await writeJsonAtomic(recordFile, recordOf(child.pid));
  try {
    return await waitUntilReady();
  } catch (err) {
    await rm(recordFile, { force: true });
    throw err;
  }

  async function waitUntilReady(): Promise<StartOutcome> {
    const deadline = startedAt + timeoutMs;
    for (;;) {
      if (spawnError) {
        const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
        throw new LocalEmulatorError(
          missing ? `the local AWS emulator command was not found: ${commandText}` : `cannot run the local AWS emulator (${commandText}): ${spawnError.message}`,
          missing ? `${INSTALL_HINT}, or set PLATFORM_MOTO_SERVER to its command` : `see ${logPath}`,
          { cause: spawnError },
        );
      }
      const pid = child.pid;
      if (pid !== undefined && !exited && (await probeMoto(port, 500))) {
        child.removeAllListeners('exit');
        return { kind: 'ready', record: recordOf(pid) };
      }
      if (exited) {
        const tail = await logTail(logPath);
        if (/address already in use|errno 98/i.test(tail)) {
          await rm(recordFile, { force: true });
          return { kind: 'port-in-use' };
        }
        const how = exited.signal ? `was killed by ${exited.signal}` : `exited with code ${exited.code ?? '?'}`;
        throw new LocalEmulatorError(
          `the local AWS emulator (${commandText}) ${how} before it answered${tail ? `; last lines of ${logPath}:\n${tail}` : ''}`,
          `check ${logPath}; if moto is missing or broken: ${INSTALL_HINT}`,
        );
      }
      if (Date.now() > deadline) {
        if (pid !== undefined) await terminateGroup(pid, 1_000);
        const tail = await logTail(logPath);
        throw new LocalEmulatorError(
          `the local AWS emulator (${commandText}) did not answer on ${EMULATOR_HOST}:${port} within ${timeoutMs} ms${tail ? `; last lines of ${logPath}:\n${tail}` : ''}`,
          `check ${logPath}; a slow machine may need a longer start timeout`,
        );
      }
      await sleep(50);
    }
  }
}

/**
 * Returns the user's running emulator, starting one when needed.
 *
 * Reuses the emulator recorded in `stateDir/emulator.json` while its pid lives (the same
 * process: start time checked on Linux) and its port answers as moto. Otherwise, holding
 * the exclusive lock `stateDir/emulator.lock`, it picks a free port on 127.0.0.1, spawns
 * {@link findMotoCommand} with `-H 127.0.0.1 -p PORT` detached (its own process group,
 * stdout and stderr to `stateDir/moto.log`, unref'd so the console can exit while it
 * lives on), polls until it answers, and writes `emulator.json` atomically. A recorded
 * process that lives but does not answer is terminated when it is recognisably moto.
 * Concurrent callers (in this or other processes) get the same emulator.
 *
 * @param opts.stateDir  see {@link EmulatorDirOptions}
 * @param opts.timeoutMs how long (ms) a fresh emulator may take to answer; default 20,000
 * @returns the emulator; `startedNow` says whether this call started it
 * @throws LocalEmulatorError when moto is not installed, the process exits or does not answer
 *   within `timeoutMs` (the message carries the log's last lines), or the lock cannot be taken.
 */
export async function ensureEmulator(opts: EnsureEmulatorOptions = {}): Promise<EmulatorInfo> {
  const stateDir = resolveStateDir(opts.stateDir);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  await mkdirState(stateDir);

  const running = await liveEmulator(stateDir);
  if (running) return infoOf(running, false);

  // Holders keep the lock at most ~3 starts (port retries) plus slack; waiters wait as long.
  const holdMs = 3 * timeoutMs + 15_000;
  const release = await acquireLock(stateDir, holdMs, holdMs + 5_000);
  try {
    const again = await liveEmulator(stateDir);
    if (again) return infoOf(again, false);

    const previous = await readEmulatorRecord({ stateDir });
    if (previous && recordProcessAlive(previous) && (previous.procStart !== undefined || looksLikeMoto(previous.pid))) {
      // Alive but not answering: hung. It is the recorded process (same start time, or moto by name): end it.
      await terminateGroup(previous.pid, 2_000);
    }
    await rm(join(stateDir, STATE_FILE), { force: true });

    const command = await findMotoCommand();
    opts.onStarting?.();
    for (let attempt = 0; ; attempt++) {
      const outcome = await spawnOnce(stateDir, command, timeoutMs);
      if (outcome.kind === 'ready') {
        await writeJsonAtomic(join(stateDir, STATE_FILE), outcome.record);
        return infoOf(outcome.record, true);
      }
      if (attempt >= 2) {
        throw new LocalEmulatorError(
          'the local AWS emulator could not bind a free port on 127.0.0.1 (three tries)',
          `check ${join(stateDir, LOG_FILE)}`,
        );
      }
    }
  } finally {
    await release();
  }
}

function looksLikeMoto(pid: number): boolean {
  if (process.platform !== 'linux') return false; // cannot tell: never kill a process we cannot identify
  try {
    return /moto/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

async function mkdirState(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new LocalEmulatorError(`cannot create the local emulator directory ${stateDir}: ${(err as Error).message}`, 'set PLATFORM_LOCAL_DIR to a writable directory', { cause: err });
  }
}

// ---------------------------------------------------------------------------
// Stopping

/**
 * Stops the user's emulator: SIGTERM to its process group, up to `graceMs` (default 5,000 ms)
 * for it to exit, then SIGKILL; removes `emulator.json`. Holds the lock meanwhile, so it
 * never races a start.
 *
 * @returns `{ stopped: true, pid }` when a running emulator was ended; `{ stopped: false }`
 *   when none was running (a leftover `emulator.json` is removed all the same).
 * @throws LocalEmulatorError when the process survives SIGKILL or the lock cannot be taken.
 */
export async function stopEmulator(opts: StopEmulatorOptions = {}): Promise<{ stopped: boolean; pid?: number }> {
  const stateDir = resolveStateDir(opts.stateDir);
  const graceMs = opts.graceMs ?? DEFAULT_STOP_GRACE_MS;
  const record = await readEmulatorRecord({ stateDir });
  if (!record) return { stopped: false };
  await mkdirState(stateDir);
  const release = await acquireLock(stateDir, graceMs + 15_000, 3 * DEFAULT_START_TIMEOUT_MS + 20_000);
  try {
    const current = await readEmulatorRecord({ stateDir });
    if (!current) return { stopped: false };
    if (!recordProcessAlive(current)) {
      await rm(join(stateDir, STATE_FILE), { force: true });
      return { stopped: false };
    }
    const gone = await terminateGroup(current.pid, graceMs);
    if (!gone) {
      throw new LocalEmulatorError(`the local AWS emulator (pid ${current.pid}) did not exit after SIGKILL`, `end process ${current.pid} by hand`);
    }
    await rm(join(stateDir, STATE_FILE), { force: true });
    return { stopped: true, pid: current.pid };
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------
// Environment

/**
 * Keys {@link emulatorEnv} returns as empty strings: the caller must DELETE them from the
 * child's environment (an empty `AWS_PROFILE` is not the same as none). They would otherwise
 * steer credentials, a profile, or endpoints away from the emulator.
 */
export const EMULATOR_UNSET_KEYS: readonly string[] = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
];

/**
 * The environment that points Terraform (provider and S3 backend) and SDK clients at the
 * emulator: `AWS_ENDPOINT_URL` = the endpoint, `AWS_ACCESS_KEY_ID` = `AWS_SECRET_ACCESS_KEY` =
 * `test`, `AWS_REGION` = `AWS_DEFAULT_REGION` = `region` (default `us-east-1`),
 * `AWS_EC2_METADATA_DISABLED` = `true`.
 *
 * Convention: every key of {@link EMULATOR_UNSET_KEYS} (AWS_PROFILE, AWS_SESSION_TOKEN, …) is
 * present with the value `""`, meaning "delete this key"; the caller must delete keys whose
 * value is empty rather than pass them on. {@link applyEmulatorEnv} does that (and also drops
 * service-specific `AWS_ENDPOINT_URL_*` overrides) for you.
 */
export function emulatorEnv(info: Pick<EmulatorInfo, 'endpoint'>, region = 'us-east-1'): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: info.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const k of EMULATOR_UNSET_KEYS) env[k] = '';
  return env;
}

/**
 * A complete child environment: `base` (default `process.env`) with {@link emulatorEnv}
 * applied — empty-valued keys deleted, every service-specific `AWS_ENDPOINT_URL_*` removed
 * (it would win over `AWS_ENDPOINT_URL`), and `127.0.0.1` added to `NO_PROXY`/`no_proxy`
 * so no proxy ever sees emulator traffic. `base` is not modified.
 */
export function applyEmulatorEnv(
  info: Pick<EmulatorInfo, 'endpoint'>,
  region = 'us-east-1',
  base: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (k.startsWith('AWS_ENDPOINT_URL_')) continue;
    out[k] = v;
  }
  for (const [k, v] of Object.entries(emulatorEnv(info, region))) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  for (const k of ['NO_PROXY', 'no_proxy']) {
    const cur = out[k];
    out[k] = cur ? (cur.split(',').map((s) => s.trim()).includes(EMULATOR_HOST) ? cur : `${cur},${EMULATOR_HOST}`) : EMULATOR_HOST;
  }
  return out;
}
