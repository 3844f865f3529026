import { spawn } from 'node:child_process';
import { TofuError } from '../../core/errors.js';
import { TfJsonStreamParser, type TfEvent } from './events.js';

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
 * Starts `binary args…` in its own process group (so a Ctrl-C in the operator's terminal reaches
 * only the console, which forwards one SIGINT itself). stdout is parsed as Terraform's
 * machine-readable UI stream (see events.ts) unless `json` is false.
 * @throws TofuError (through `done`) when the binary cannot be started.
 */
export function runTerraform(binary: string, args: readonly string[], opts: RunOptions): TfProcess {
  const started = Date.now();
  const child = spawn(binary, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const json = opts.json ?? true;
  const parser = json ? new TfJsonStreamParser() : undefined;
  let stdout = '';
  let stdoutOverflow = false;
  let stdoutPartial = '';
  let stderr = '';
  let stderrPartial = '';
  let cancelled = false;
  let exited = false;

  const emit = (events: TfEvent[]) => {
    if (opts.onEvent) for (const e of events) opts.onEvent(e);
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    if (parser) emit(parser.push(chunk));
    else if (stdout.length < STDOUT_MAX) {
      stdout += chunk;
      if (opts.onText) {
        const lines = (stdoutPartial + chunk).split('\n');
        stdoutPartial = lines.pop() ?? '';
        for (const l of lines) opts.onText(l.replace(/\r$/, ''));
      }
    } else stdoutOverflow = true;
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
    if (opts.onStderr) {
      const lines = (stderrPartial + chunk).split('\n');
      stderrPartial = lines.pop() ?? '';
      for (const l of lines) opts.onStderr(l.replace(/\r$/, ''));
    }
  });

  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', (err) => {
      exited = true;
      reject(new TofuError(`cannot start ${binary}: ${err.message}`, 'check TF_BINARY and PATH', { cause: err }));
    });
    child.on('close', (code, signal) => {
      exited = true;
      if (parser) emit(parser.end());
      if (stderrPartial && opts.onStderr) opts.onStderr(stderrPartial);
      if (stdoutPartial && opts.onText) opts.onText(stdoutPartial);
      if (stdoutOverflow) {
        reject(new TofuError(`${binary} ${args[0] ?? ''} printed more than ${STDOUT_MAX / 1024 / 1024} MiB`, 'the plan is too large to read whole; split the configuration'));
        return;
      }
      resolve({ exitCode: code ?? -1, signal, cancelled, stdout, stderr, durationMs: Date.now() - started });
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
