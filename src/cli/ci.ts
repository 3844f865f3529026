import { ConsoleError, formatError, UsageError } from '../core/errors.js';
import { realDrift } from '../core/plan-drift.js';
import type { Paths } from '../core/paths.js';
import type { Profile } from '../core/profile.js';
import { historyLine } from '../services/history/record.js';
import type { HistoryRecorder } from '../services/history/recorder.js';
import { openSession, type Session } from '../services/session.js';
import { assertApproved, type CiCommand, type SecretsCommand, type StateCommand } from './args.js';
import { runStateCommand, type StateCiResult } from './ci-state.js';
import { planMarkdown } from './plan-report.js';
import { CiReporter } from './reporter.js';
import { exitAfterGrace, INTERRUPT_GRACE_MS } from './interrupt.js';

/** Exit codes of `--ci`: 0 success and no changes, 2 the plan has changes, 1 any error. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

/** Options of a headless run. */
export interface CiOptions {
  command: CiCommand;
  environment: string;
  /** The validated profile (loaded by the caller before anything ran). */
  profile: Profile;
  local: boolean;
  json: boolean;
  autoApprove: boolean;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** Where lines go (stdout) and where human error lines go (stderr). */
  out: (line: string) => void;
  err: (line: string) => void;
  /** Raw bytes to stdout (`--ci secrets get`); default process.stdout. */
  outRaw?: (data: Buffer) => void;
  /** With `--ci secrets`. */
  secrets?: SecretsCommand;
  /** With `--ci bootstrap`. */
  writeProfile?: boolean;
  /** With `--ci unlock`. */
  lockId?: string;
  /** With `--ci state`. */
  state?: StateCommand;
  /** With `--ci plan --format markdown`: the plan as one Markdown document on stdout, progress on stderr. */
  markdown?: boolean;
  /** With `--ci history`: how many of the newest records (default {@link HISTORY_DEFAULT_LIMIT}). */
  limit?: number;
}

/** `--ci history` lists this many records unless `--limit N` says otherwise. */
export const HISTORY_DEFAULT_LIMIT = 20;

/**
 * Before a plan, apply or destroy: when another run on this environment (a console or pipeline on
 * this machine) is still running, follows it to its end, prints its outcome and refuses to run
 * (throws); when one ended while nobody watched, prints its outcome as a notice.
 */
async function followOtherRun(session: Session, reporter: CiReporter, command: string): Promise<void> {
  const engine = session.engine;
  const active = await engine.activeRun();
  for (const rec of active ? [] : await engine.unreportedRuns()) {
    const out = await engine.follow(rec);
    reporter.notice(`the ${rec.operation} started at ${rec.startedAt} by ${rec.owner.user}@${rec.owner.host} ended while nobody watched: ${out.ok ? `ok${out.summary ? ` (${out.summary.add} added, ${out.summary.change} changed, ${out.summary.remove} destroyed)` : ''}` : out.error?.message ?? `exit ${out.exitCode}`}`);
  }
  if (!active) return;
  const what = `the ${active.operation} started at ${active.startedAt} by ${active.owner.user}@${active.owner.host} (pid ${active.pid})`;
  reporter.notice(`${what} is running on ${session.environment}: following it until it ends (Ctrl-C stops following, not the run)`);
  const out = await engine.follow(active);
  throw new ConsoleError(
    `${what} was running on ${session.environment} and ${out.ok ? 'has ended without error' : out.exitCode === -1 ? 'was killed' : `failed (${out.error?.message ?? `exit ${out.exitCode}`})`}: nothing was run by this command`,
    `run --ci ${command} again`,
  );
}


/**
 * Runs one headless command with the same services as the console and returns the exit code.
 * On SIGINT it sends Terraform exactly one interrupt and waits for it to write state and release
 * the lock; further SIGINTs only print that it is waiting. Interrupted while no Terraform runs
 * (opening the environment, an AWS command), it exits with 1 once the current step ends, within
 * {@link INTERRUPT_GRACE_MS}, or at once on a second signal.
 * Never throws: errors are printed (and summarized in NDJSON) and give exit code 1.
 */
export async function runCi(o: CiOptions): Promise<number> {
  // `--ci state list|show|pull` print their result on stdout like the AWS commands; the others are Terraform runs.
  const stateRead = o.command === 'state' && (o.state?.op === 'list' || o.state?.op === 'show' || o.state?.op === 'pull');
  const aws = o.command === 'instances' || o.command === 'elbs' || o.command === 'secrets' || o.command === 'bootstrap' || o.command === 'history' || stateRead;
  // The AWS commands print their result on stdout (`secrets get` prints the raw value, to pipe it):
  // their progress goes to stderr, and Terraform's events (reading outputs) are not printed.
  const reporter = new CiReporter((aws && !o.json) || o.markdown ? o.err : o.out, o.json);
  const started = Date.now();
  const counts: { add: number; change: number; destroy: number; risk?: string; drift?: number; state_updated?: boolean } = { add: 0, change: 0, destroy: 0 };
  let session: Session | undefined;
  let recorder: HistoryRecorder | undefined;
  let reconciling: Promise<unknown> | undefined;
  /** Starts the history's check of records left running (once); see below. */
  let startReconcile: (() => void) | undefined;
  /** The history's check (started if it was not) and its last writes, done. */
  const historyDone = async (): Promise<void> => {
    startReconcile?.();
    await reconciling;
    await recorder?.flush();
  };
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (session?.engine.attached) {
      // Following another run: it is not ours to interrupt; stop following, it goes on.
      o.err('stopped following; that run goes on (open the console to follow it, c to cancel it there)');
      process.exit(EXIT.error);
    }
    if (!session?.engine.busy) {
      // Nothing of Terraform's to protect: the step in progress (a request to AWS, the emulator's
      // start) gets a moment to end, then the process exits; a second signal exits at once.
      exitAfterGrace(interrupted, EXIT.error, {
        err: o.err,
        first: `interrupted: stopping (nothing is running in Terraform; exiting in ${INTERRUPT_GRACE_MS / 1000} s at the latest)`,
        late: 'interrupted: exiting now (the step in progress did not end)',
        again: 'interrupted again: exiting now',
      });
      return;
    }
    if (!session.engine.cancel()) o.err('still waiting for Terraform to write state and release the lock; it is not interrupted twice');
  };
  // SIGTERM (a pipeline's timeout) and SIGHUP (a closed terminal) are handled like Ctrl-C: Terraform
  // must never die mid-apply with the lock held and the state unwritten.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSigint);
  try {
    // Also checked when the command line is parsed; here for callers that build CiOptions themselves.
    assertApproved(o.command, o.state, o.autoApprove);
    session = await openSession({ environment: o.environment, profile: o.profile, local: o.local, paths: o.paths, env: o.env, onProgress: (s) => reporter.step(s) });
    for (const n of session.notices) reporter.notice(n);
    if (!aws) session.engine.on((e) => reporter.event(e));
    const engine = session.engine;
    let code: number = EXIT.ok;
    if (interrupted) throw new ConsoleError('interrupted before Terraform started: nothing was run');
    const planLike = o.command === 'state' && (o.state?.op === 'target' || o.state?.op === 'replace' || o.state?.op === 'import');
    const terraformCommand = o.command === 'plan' || o.command === 'apply' || o.command === 'destroy' || o.command === 'drift' || planLike;
    if (terraformCommand || o.command === 'history') {
      // Every apply and destroy leaves a record in ENV/history/ (see services/history); on start,
      // records an earlier run kept locally are uploaded and ones left "running" by a dead process are marked.
      recorder = session.historyRecorder({ onWarning: (t) => reporter.warning(t), onNotice: (t) => reporter.notice(t) });
      if (terraformCommand) recorder.attach();
    }
    // The lock is read (for the history's check of records left "running") before Terraform can
    // take it, beside the check of this machine's other runs.
    const lockRead = recorder ? session.readLock() : undefined;
    lockRead?.catch(() => undefined);
    // A state command refuses at once while the lock is held (named); plan, apply, … follow the run that holds it.
    if (planLike) await session.state.assertFree(`state ${o.state!.op}`);
    else if (terraformCommand) await followOtherRun(session, reporter, o.command);
    const lock = await lockRead; // never rejects (readLock says "unknown" instead)
    // That check (uploading records kept locally, marking records whose process is gone) needs
    // nothing of Terraform's and Terraform nothing of it: it runs beside the plan, and is waited
    // for before the history's last write. It never throws (its failures are warnings). Its
    // requests cost this process's thread ~50–100 ms (signing, parsing): for a Terraform command
    // they start once Terraform's first process has been spawned, so that they overlap its run
    // instead of delaying its start.
    if (recorder && lock) {
      const r = recorder;
      let off: (() => void) | undefined;
      startReconcile = () => {
        off?.();
        reconciling ??= r.reconcile(lock);
      };
      if (terraformCommand) off = engine.on((e) => e.kind === 'operation-start' && startReconcile?.());
      else startReconcile();
    }
    switch (o.command) {
      case 'plan': {
        // No change but drift reported (exit 0): the detail is --ci drift's; not a third Terraform process here.
        const plan = await engine.plan({ driftDetail: false });
        Object.assign(counts, { add: plan.summary.add, change: plan.summary.change, destroy: plan.summary.destroy, risk: plan.risk });
        code = plan.hasChanges ? EXIT.changes : EXIT.ok;
        if (o.markdown) o.out(planMarkdown(plan, o.environment));
        break;
      }
      case 'drift': {
        const plan = await engine.plan({ refreshOnly: true });
        const real = realDrift(plan).length;
        counts.drift = real;
        code = real ? EXIT.changes : EXIT.ok;
        if (o.autoApprove && plan.hasChanges) {
          if (interrupted) throw new ConsoleError('interrupted after the drift check: the state was not updated');
          await engine.apply();
          counts.state_updated = true;
          code = EXIT.ok;
        }
        break;
      }
            case 'apply':
      case 'destroy': {
        // --auto-approve: nobody reads the structured plan before it is applied, so no show -json.
        const plan = await engine.plan({ destroy: o.command === 'destroy', structured: false });
        if (interrupted) throw new ConsoleError('interrupted after planning: nothing was applied');
        if (plan.hasChanges) {
          const r = await engine.apply();
          Object.assign(counts, { add: r.add, change: r.change, destroy: r.remove });
        }
        break;
      }
      case 'output':
        await engine.outputs();
        break;
      case 'unlock':
      case 'state': {
        // `--ci unlock ID`: the old name of `--ci state unlock ID` (its typed ID is its confirmation).
        const cmd: StateCommand = o.command === 'unlock' ? { op: 'unlock', lockId: o.lockId ?? '' } : o.state!;
        const r: StateCiResult = await runStateCommand(cmd, {
          session,
          reporter,
          json: o.json,
          autoApprove: o.autoApprove || o.command === 'unlock',
          out: o.out,
          outRaw: o.outRaw ?? ((b) => process.stdout.write(b)),
          interrupted: () => interrupted,
        });
        if (r.counts) Object.assign(counts, r.counts);
        code = r.code;
        await historyDone();
        if (o.json) o.out(JSON.stringify({ type: 'summary', command: o.command, ...(o.command === 'state' ? { state_command: cmd.op } : {}), environment: o.environment, ok: true, exit_code: code, ...(r.counts ? counts : {}), ...r.fields, duration_ms: Date.now() - started }));
        else if (r.line) o.out(`${r.line} (${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code})`);
        else if (o.command === 'unlock') o.out(`unlock ${o.environment}: ok (${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code})`);
        return code;
      }
      case 'state-push-errored': {
        reporter.step(`pushing ${engine.erroredStatePath} to s3://${session.backend.bucket}/${session.backend.key}`);
        const lock = await session.readLock();
        if (lock.kind === 'unknown') throw new ConsoleError(`the state lock cannot be read (${lock.reason}): nothing was pushed`, 'check that the backend answers, then try again');
        const r = await engine.pushErroredState(lock.kind === 'held' ? lock.lock : undefined);
        if (r.releasedLock) reporter.step(`released the lock ${r.releasedLock} that the failed run could not release`);
        reporter.step(`pushed the unpersisted state${r.serial !== undefined ? ` (serial ${r.serial})` : ''}; the file is kept as ${r.movedTo}`);
        break;
      }
      case 'history': {
        // Records just marked interrupted are listed as such.
        startReconcile?.();
        await reconciling;
        const limit = o.limit ?? HISTORY_DEFAULT_LIMIT;
        const records = await session.history.list(limit);
        if (o.json) {
          for (const r of records) o.out(JSON.stringify({ type: 'history_record', key: r.key, ...r.record }));
          o.out(JSON.stringify({ type: 'summary', command: 'history', environment: o.environment, ok: true, exit_code: 0, count: records.length, duration_ms: Date.now() - started }));
        } else {
          if (!records.length) o.err(`no history records in s3://${session.backend.bucket}/${o.environment}/history/`);
          for (const r of records) o.out(historyLine(r.record));
        }
        return EXIT.ok;
      }
      case 'instances':
      case 'elbs':
      case 'secrets':
      case 'bootstrap': {
        const { runAwsCommand } = await import('./ci-aws.js');
        const extra = await runAwsCommand(o.command, {
          session,
          json: o.json,
          out: o.out,
          outRaw: o.outRaw ?? ((b) => process.stdout.write(b)),
          ...(o.secrets ? { secrets: o.secrets } : {}),
          writeProfile: o.writeProfile ?? false,
        });
        if (o.json) o.out(JSON.stringify({ type: 'summary', command: o.command, environment: o.environment, ok: true, exit_code: 0, ...extra, duration_ms: Date.now() - started }));
        return EXIT.ok;
      }
    }
    await historyDone();
    reporter.summary({ command: o.command, environment: o.environment, ok: true, exit_code: code, ...counts, duration_ms: Date.now() - started });
    return code;
  } catch (err) {
    const text = formatError(err);
    o.err(text);
    const ce = err instanceof ConsoleError ? err : undefined;
    await historyDone();
    if (o.json) {
      reporter.summary({
        command: o.command,
        environment: o.environment,
        ok: false,
        exit_code: EXIT.error,
        ...counts,
        duration_ms: Date.now() - started,
        error: ce ? ce.message : (err as Error).message,
        ...(ce?.hint ? { hint: ce.hint } : {}),
      });
    }
    return EXIT.error;
  } finally {
    // The history's last write (an apply's end) goes out before the clients are closed.
    await historyDone();
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSigint);
    session?.close();
  }
}
