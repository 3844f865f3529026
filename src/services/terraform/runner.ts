import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { TofuError } from '../../core/errors.js';
import { TfJsonStreamParser, type TfEvent } from './events.js';
import { newRunId, processAlive, processStartTicks, runPaths, runStatus, thisOwner, writeRunRecord, type RunRecord } from './run-record.js';

/** How to run one Terraform command. */
export interface RunOptions {
  /** Working directory: the root module. */
  cwd: string;
  /** The complete environment of the child (nothing is inherited implicitly). */
  env: NodeJS.ProcessEnv;
  /** Called for each machine-readable UI event of stdout (only when the command was given `-json`). */
  onEvent?: (event: TfEvent) => void;
  /** Called for each line of plain stdout (only when `json` is false), e.g. init's progress text. */
  onText?: (line: string) => void;
  /** Called for each line Terraform writes to stderr (human text: init progress, crash traces). */
  onStderr?: (line: string) => void;
  /** Whether stdout is the `-json` event stream (parsed) or plain text (collected). Default true. */
  json?: boolean;
}

/** How a Terraform process ended. */
export interface RunResult {
  /** Exit code; with `-detailed-exitcode`, 2 means "changes present". -1 if killed by a signal. */
  exitCode: number;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Whether {@link TfProcess.cancel} was called. */
  cancelled: boolean;
  /** Plain stdout (only when `json` was false), whole (a run printing more than 512 MiB fails). */
  stdout: string;
  /** The last 64 KiB of stderr. */
  stderr: string;
  /** Wall time in ms. */
  durationMs: number;
  /** A followed run that was let go ({@link DurableProcess.stop}): it goes on; its status is unknown here. */
  stopped?: true;
}

/** A running Terraform command. */
export interface TfProcess {
  readonly pid: number | undefined;
  /** The argument list it was started with (no secrets: variables come from files). */
  readonly args: readonly string[];
  /**
   * Asks Terraform to stop gracefully: sends exactly one SIGINT (Terraform then lets in-flight
   * operations finish, writes state and releases the lock). Never escalates; later calls do nothing.
   * @returns true if the signal was sent now, false if it had been sent before or the process ended.
   */
  cancel(): boolean;
  /** Settles when the process exits; never rejects for a non-zero exit (see `exitCode`). */
  readonly done: Promise<RunResult>;
}

const STDERR_KEEP = 64 * 1024;
/** Plain stdout (show -json, output -json) is kept whole up to this size; beyond it the run fails clearly. */
const STDOUT_MAX = 512 * 1024 * 1024;

/**
 * What Terraform printed, collected the same way whether it came through a pipe or a file:
 * stdout parsed as the `-json` stream (or kept whole as text, with `onText` per line), stderr's
 * last STDERR_KEEP bytes kept and passed on line by line.
 */
class OutputSink {
  stdout = '';
  stderr = '';
  stdoutOverflow = false;
  private stdoutPartial = '';
  private stderrPartial = '';
  private readonly parser: TfJsonStreamParser | undefined;

  constructor(private readonly opts: RunOptions) {
    this.parser = (opts.json ?? true) ? new TfJsonStreamParser() : undefined;
  }

  private emit(events: TfEvent[]): void {
    if (this.opts.onEvent) for (const e of events) this.opts.onEvent(e);
  }

  private static lines(partial: string, chunk: string, each: ((line: string) => void) | undefined): string {
    if (!each) return '';
    const lines = (partial + chunk).split('\n');
    const rest = lines.pop() ?? '';
    for (const l of lines) each(l.replace(/\r$/, ''));
    return rest;
  }

  out(chunk: string): void {
    if (this.parser) this.emit(this.parser.push(chunk));
    else if (this.stdout.length < STDOUT_MAX) {
      this.stdout += chunk;
      this.stdoutPartial = OutputSink.lines(this.stdoutPartial, chunk, this.opts.onText);
    } else this.stdoutOverflow = true;
  }

  err(chunk: string): void {
    this.stderr += chunk;
    if (this.stderr.length > STDERR_KEEP) this.stderr = this.stderr.slice(-STDERR_KEEP);
    this.stderrPartial = OutputSink.lines(this.stderrPartial, chunk, this.opts.onStderr);
  }

  /** Delivers what is left (a last line without newline, the parser's end). */
  end(): void {
    if (this.parser) this.emit(this.parser.end());
    if (this.stderrPartial && this.opts.onStderr) this.opts.onStderr(this.stderrPartial);
    if (this.stdoutPartial && this.opts.onText) this.opts.onText(this.stdoutPartial);
    this.stderrPartial = this.stdoutPartial = '';
  }
}

/**
 * Starts `binary args…` in its own process group (so a Ctrl-C in the operator's terminal reaches
 * only the console, which forwards one SIGINT itself). stdout is parsed as Terraform's
 * machine-readable UI stream (see events.ts) unless `json` is false.
 * @throws TofuError (through `done`) when the binary cannot be started.
 */
export function runTerraform(binary: string, args: readonly string[], opts: RunOptions): TfProcess {
  const started = Date.now();
  const child = spawn(binary, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const sink = new OutputSink(opts);
  let cancelled = false;
  let exited = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => sink.out(chunk));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => sink.err(chunk));

  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', (err) => {
      exited = true;
      reject(new TofuError(`cannot start ${binary}: ${err.message}`, 'check TF_BINARY and PATH', { cause: err }));
    });
    child.on('close', (code, signal) => {
      exited = true;
      sink.end();
      if (sink.stdoutOverflow) {
        reject(new TofuError(`${binary} ${args[0] ?? ''} printed more than ${STDOUT_MAX / 1024 / 1024} MiB`, 'the plan is too large to read whole; split the configuration'));
        return;
      }
      resolve({ exitCode: code ?? -1, signal, cancelled, stdout: sink.stdout, stderr: sink.stderr, durationMs: Date.now() - started });
    });
  });

  return {
    pid: child.pid,
    args,
    cancel() {
      if (cancelled || exited || child.pid === undefined) return false;
      cancelled = true;
      try {
        process.kill(child.pid, 'SIGINT');
      } catch {
        return false;
      }
      return true;
    },
    done,
  };
}

/**
 * The wrapper of a durable run (POSIX sh): files it creates are 0600 (`umask 077`: plan files,
 * `errored.tfstate`); it survives the interrupt it forwards (a trap, not an ignore, so Terraform
 * still receives SIGINT) and waits for Terraform, then writes Terraform's exit status atomically to
 * `$PC_RUN_EXIT` and exits with it.
 */
const WRAPPER = `umask 077
trap ':' INT TERM HUP
"$@"
rc=$?
printf '%s\\n' "$rc" > "$PC_RUN_EXIT.tmp" && mv -f "$PC_RUN_EXIT.tmp" "$PC_RUN_EXIT"
exit $rc`;

/** How often a followed run's files are read (ms). */
const FOLLOW_POLL_MS = 100;

/** Options of a durable run: the run's files live in `runsDir`; the record says what it is. */
export interface DurableOptions extends RunOptions {
  /** The directory of run records and output files (0700). */
  runsDir: string;
  /** The engine operation, recorded for a console that finds the run later. */
  operation: string;
  /** Recorded with the run (an apply's plan file and its hash). */
  planFile?: string;
  planHash?: string;
}

/** A running (or followed) Terraform command whose output goes to files, with its record. */
export interface DurableProcess extends TfProcess {
  readonly record: RunRecord;
  /**
   * A followed run only ({@link followRun}): stops reading its files (its poller ends, so it no
   * longer keeps this process alive); the run itself goes on. `done` then settles with `stopped`.
   */
  stop?(): void;
}

/**
 * Reads a growing file from an offset: each `poll()` passes the new text to `onText`.
 * Multi-byte characters split across reads are kept whole (StringDecoder).
 */
class FileTail {
  private offset = 0;
  private handle: FileHandle | undefined;
  private busy: Promise<void> | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buf = Buffer.allocUnsafe(256 * 1024);

  constructor(
    private readonly path: string,
    private readonly onText: (text: string) => void,
  ) {}

  /** Reads everything written since the last poll; concurrent calls share one read. */
  poll(): Promise<void> {
    this.busy ??= this.read().finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async read(): Promise<void> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r');
      } catch {
        return; // not created yet
      }
    }
    for (;;) {
      const { bytesRead } = await this.handle.read(this.buf, 0, this.buf.length, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      this.onText(this.decoder.write(this.buf.subarray(0, bytesRead)));
    }
  }

  async close(): Promise<void> {
    await this.poll();
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}

/**
 * Follows a durable run's stdout and stderr files as they grow, parsing stdout as the `-json`
 * stream, until `ended()` says the run is over; then reads the rest and settles.
 */
function followFiles(rec: RunRecord, opts: RunOptions, ended: () => Promise<{ exitCode: number; signal: NodeJS.Signals | null } | undefined>, kick: { now?: () => void; stop?: () => void }): Promise<Omit<RunResult, 'cancelled' | 'durationMs'>> {
  const sink = new OutputSink(opts);
  const out = new FileTail(rec.out, (chunk) => sink.out(chunk));
  const err = new FileTail(rec.err, (chunk) => sink.err(chunk));
  return new Promise((resolve) => {
    let finishing = false;
    const tick = async () => {
      if (finishing) return;
      await Promise.all([out.poll(), err.poll()]);
      const end = await ended();
      if (!end || finishing) return;
      finishing = true;
      clearInterval(timer);
      await Promise.all([out.close(), err.close()]);
      sink.end();
      resolve({ exitCode: end.exitCode, signal: end.signal, stdout: sink.stdout, stderr: sink.stderr });
    };
    const timer = setInterval(() => void tick(), FOLLOW_POLL_MS);
    kick.now = () => void tick();
    kick.stop = () => {
      if (finishing) return;
      finishing = true;
      clearInterval(timer);
      void Promise.all([out.close(), err.close()]).finally(() => resolve({ exitCode: -1, signal: null, stdout: sink.stdout, stderr: sink.stderr, stopped: true }));
    };
  });
}

function cancelGroup(pid: number, state: { cancelled: boolean; exited: boolean }): boolean {
  if (state.cancelled || state.exited) return false;
  state.cancelled = true;
  try {
    // The whole process group, as a Ctrl-C in a terminal would: the wrapper traps it and waits,
    // Terraform stops gracefully, provider plugins ignore it.
    process.kill(-pid, 'SIGINT');
  } catch {
    return false;
  }
  return true;
}

/**
 * Starts `binary args…` so that it outlives this process: in its own session (setsid), under a
 * small sh wrapper, with stdout and stderr going to files in `runsDir` (never a pipe, which would
 * kill Terraform with its console), and a run record beside them. This process follows the files
 * (the `-json` stream is parsed as with {@link runTerraform}) and settles `done` when the run ends.
 * Cancel sends one SIGINT to the run's process group.
 * @throws TofuError (synchronously) when the run's files cannot be created; through `done` when
 *   the wrapper cannot be started.
 */
export async function startDurable(binary: string, args: readonly string[], opts: DurableOptions): Promise<DurableProcess> {
  const started = Date.now();
  const id = newRunId();
  const paths = runPaths(opts.runsDir, id);
  let outFd: number;
  let errFd: number;
  try {
    await mkdir(opts.runsDir, { recursive: true, mode: 0o700 });
    outFd = openSync(paths.out, 'wx', 0o600);
    errFd = openSync(paths.err, 'wx', 0o600);
  } catch (err) {
    throw new TofuError(`cannot create the run's output files in ${opts.runsDir}: ${(err as Error).message}`, 'check that the work directory is writable and the disk has space', { cause: err });
  }
  let child;
  try {
    child = spawn('/bin/sh', ['-c', WRAPPER, `platform-console-run:${id}`, binary, ...args], {
      cwd: opts.cwd,
      env: { ...opts.env, PC_RUN_EXIT: paths.exit },
      stdio: ['ignore', outFd, errFd],
      detached: true,
    });
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const pid = child.pid;
  // Listen at once: the process may end while the record is being written.
  const state = { cancelled: false, exited: false };
  let childExit: { exitCode: number; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const kick: { now?: () => void } = {};
  child.on('error', (err) => {
    state.exited = true;
    spawnError = err;
    kick.now?.();
  });
  child.on('exit', (code, signal) => {
    state.exited = true;
    childExit = { exitCode: code ?? -1, signal };
    kick.now?.();
  });
  const record: RunRecord = {
    id,
    operation: opts.operation,
    pid: pid ?? -1,
    ...(pid !== undefined && processStartTicks(pid) !== undefined ? { procStart: processStartTicks(pid)! } : {}),
    startedAt: new Date(started).toISOString(),
    owner: thisOwner(),
    ...(opts.planFile ? { planFile: opts.planFile } : {}),
    ...(opts.planHash ? { planHash: opts.planHash } : {}),
    out: paths.out,
    err: paths.err,
    exit: paths.exit,
  };
  if (pid !== undefined) await writeRunRecord(opts.runsDir, record);
  const done = new Promise<RunResult>((resolve, reject) => {
    const failed = () => reject(new TofuError(`cannot start ${binary} (through /bin/sh): ${spawnError?.message ?? 'no process'}`, 'check TF_BINARY and PATH', { cause: spawnError }));
    if (pid === undefined) {
      if (spawnError) failed();
      else child.once('error', failed);
      return;
    }
    followFiles(record, opts, async () => childExit, kick).then(
      (r) => resolve({ ...r, cancelled: state.cancelled, durationMs: Date.now() - started }),
      reject,
    );
  });
  return {
    pid,
    args,
    record,
    cancel: () => (pid === undefined ? false : cancelGroup(pid, state)),
    done,
  };
}

/**
 * Follows a durable run started by another process (a console that died or still runs, a `--ci`
 * run): reads its output from the start, so every event is delivered again, then as it grows, and
 * settles when its exit status appears, or with exit code -1 when its process is gone without one
 * (killed). Cancel sends the one SIGINT to its process group, as its owner would.
 */
export function followRun(rec: RunRecord, opts: RunOptions): DurableProcess {
  const started = Date.parse(rec.startedAt) || Date.now();
  const state = { cancelled: false, exited: false };
  const control: { now?: () => void; stop?: () => void } = {};
  const done = followFiles(rec, opts, async () => {
    const s = await runStatus(rec);
    if (s.kind === 'running') return undefined;
    state.exited = true;
    return { exitCode: s.kind === 'ended' ? s.exitCode : -1, signal: null };
  }, control).then((r) => ({ ...r, cancelled: state.cancelled, durationMs: Date.now() - started }));
  return {
    pid: rec.pid,
    args: [],
    record: rec,
    cancel: () => (processAlive(rec.pid, rec.procStart) ? cancelGroup(rec.pid, state) : false),
    stop: () => control.stop?.(),
    done,
  };
}
