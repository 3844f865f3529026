import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateLockError, TofuError } from '../../core/errors.js';
import { backendConfigArgs, parseLockInfo, type BackendSettings, type LockInfo } from './backend.js';
import type { TerraformBinary } from './binary.js';
import type { TfEvent } from './events.js';
import { parseOutputsJson, parsePlanJson, planFromStream, type OutputValue, type PlanModel } from './plan-model.js';
import { runTerraform, type RunResult, type TfProcess } from './runner.js';

/** Summary prefix of the diagnostic made from a provider's crash output (stderr). */
export const CRASH_SUMMARY = 'The provider crashed';

/** The Terraform operations the engine runs. */
export type Operation = 'init' | 'plan' | 'plan-destroy' | 'apply' | 'output';

/** Events of the engine, in order; the console's store and the `--ci` reporter both read them. */
export type EngineEvent =
  | { kind: 'operation-start'; operation: Operation; at: number }
  | { kind: 'operation-end'; operation: Operation; ok: boolean; exitCode: number; cancelled: boolean; durationMs: number; at: number }
  | { kind: 'tf'; operation: Operation; event: TfEvent }
  | { kind: 'stderr'; operation: Operation; line: string }
  /** A line of Terraform's plain (non-JSON) stdout, e.g. `init`'s progress. */
  | { kind: 'text'; operation: Operation; line: string }
  | { kind: 'plan'; plan: PlanModel }
  | { kind: 'outputs'; outputs: OutputValue[] }
  | { kind: 'lock-held'; lock: LockInfo }
  | { kind: 'cancel-requested'; operation: Operation };

/** Everything the engine needs to run Terraform for one environment. */
export interface EngineConfig {
  binary: TerraformBinary;
  /** The root module directory (terraform/). */
  terraformDir: string;
  /** This environment's working directory (TF_DATA_DIR, the saved plan); created 0700. */
  dataDir: string;
  /** The project's CLI configuration (TF_CLI_CONFIG_FILE). */
  cliConfigFile: string;
  /** The profile, passed as `-var-file`. */
  varFile: string;
  /** Variables given after the var file with `-var NAME=VALUE` (they win over the file). */
  extraVars?: Record<string, string>;
  backend: BackendSettings;
  /** The child environment (credentials, AWS_ENDPOINT_URL in local mode); TF_* are added by the engine. */
  env: NodeJS.ProcessEnv;
}

/** What an apply did, from its final `change_summary`. */
export interface ApplyResult {
  add: number;
  change: number;
  remove: number;
  durationMs: number;
  destroyMode: boolean;
}

type Listener = (e: EngineEvent) => void;

async function hashModuleTree(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.tf')) {
        h.update(p);
        h.update(await readFile(p));
      }
    }
  };
  await walk(dir);
  return h.digest('hex');
}

/**
 * Runs Terraform for one environment through its machine-readable interface: `init` with the
 * profile's backend, `plan -json -out`, `show -json`, `apply -json PLANFILE`, `output -json`.
 * One operation at a time. Errors are thrown as {@link TofuError} (or {@link StateLockError})
 * after the events of the failed run have been delivered.
 */
export class Engine {
  private listeners = new Set<Listener>();
  private current: { operation: Operation; proc: TfProcess } | undefined;
  private initialised = false;
  private plan_: PlanModel | undefined;
  private readonly planFile: string;

  constructor(readonly config: EngineConfig) {
    this.planFile = join(config.dataDir, 'saved.tfplan');
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The operation running now, if any. */
  get busy(): Operation | undefined {
    return this.current?.operation;
  }

  /** The saved plan waiting to be applied (from the last successful plan with changes), if any. */
  get savedPlan(): PlanModel | undefined {
    return this.plan_;
  }

  private emit(e: EngineEvent): void {
    for (const l of this.listeners) l(e);
  }

  private childEnv(): NodeJS.ProcessEnv {
    return {
      ...this.config.env,
      TF_DATA_DIR: join(this.config.dataDir, 'tfdata'),
      TF_CLI_CONFIG_FILE: this.config.cliConfigFile,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
  }

  /**
   * Requests cancellation of the running operation: exactly one SIGINT, then Terraform finishes
   * in-flight work, writes state and releases the lock; the operation's promise settles after that.
   * @returns false when nothing runs or cancel was already requested.
   */
  cancel(): boolean {
    const c = this.current;
    if (!c) return false;
    const sent = c.proc.cancel();
    if (sent) this.emit({ kind: 'cancel-requested', operation: c.operation });
    return sent;
  }

  private async run(operation: Operation, args: string[], json = true, quiet = false): Promise<RunResult & { errors: TfEvent[]; planned: TfEvent[] }> {
    if (this.current) {
      throw new TofuError(`${this.current.operation} is still running`, 'wait for it to finish or cancel it (c)');
    }
    const errors: TfEvent[] = [];
    const planned: TfEvent[] = [];
    const at = Date.now();
    if (!quiet) this.emit({ kind: 'operation-start', operation, at });
    const proc = runTerraform(this.config.binary.path, args, {
      cwd: this.config.terraformDir,
      env: this.childEnv(),
      json,
      onEvent: (event) => {
        if (event.type === 'diagnostic' && event.severity === 'error') errors.push(event);
        else if (event.type === 'planned_change' || event.type === 'change_summary') planned.push(event);
        this.emit({ kind: 'tf', operation, event });
      },
      // Only init's plain text is shown: show -json and output -json carry sensitive values in clear.
      ...(operation === 'init' && !json ? { onText: (line: string) => this.emit({ kind: 'text', operation, line }) } : {}),
      onStderr: (line) => this.emit({ kind: 'stderr', operation, line }),
    });
    this.current = { operation, proc };
    let result: RunResult;
    try {
      result = await proc.done;
    } finally {
      this.current = undefined;
    }
    const ok = result.exitCode === 0 || (result.exitCode === 2 && args.includes('-detailed-exitcode'));
    const stderrText = result.stderr.trim();
    if (json && !ok && !result.cancelled && stderrText) {
      // A provider crash prints its Go stack trace on stderr, not as JSON: keep it as a diagnostic's detail.
      const panic = /^panic: .*$/m.exec(stderrText)?.[0];
      const crash: TfEvent = {
        type: 'diagnostic',
        severity: 'error',
        summary: panic ? `${CRASH_SUMMARY}: ${panic}` : 'Terraform wrote errors that are not JSON',
        detail: stderrText,
        timestamp: Date.now(),
        level: 'error',
        message: panic ? `Error: ${CRASH_SUMMARY}` : 'Error: Terraform wrote errors that are not JSON',
      };
      if (panic) errors.unshift(crash);
      else errors.push(crash);
      this.emit({ kind: 'tf', operation, event: crash });
    }
    if (!json && !ok && !result.cancelled) {
      // Plain-text commands (init) print their errors as text: "Error: SUMMARY", then the detail.
      const text = `${result.stdout}\n${result.stderr}`;
      const at2 = text.indexOf('Error: ');
      if (at2 >= 0) {
        const [summary = '', ...rest] = text.slice(at2 + 'Error: '.length).split('\n');
        const diag: TfEvent = { type: 'diagnostic', severity: 'error', summary: summary.trim(), detail: rest.join('\n').trim(), timestamp: Date.now(), level: 'error', message: `Error: ${summary.trim()}` };
        errors.push(diag);
        this.emit({ kind: 'tf', operation, event: diag });
      }
    }
    if (!quiet) this.emit({ kind: 'operation-end', operation, ok, exitCode: result.exitCode, cancelled: result.cancelled, durationMs: result.durationMs, at: Date.now() });
    return { ...result, errors, planned };
  }

  /** Turns a failed run into the error the operator sees. */
  private failure(operation: Operation, r: RunResult & { errors: TfEvent[]; planned: TfEvent[] }): TofuError {
    if (r.cancelled) {
      return new TofuError(`${operation} was cancelled`, 'Terraform wrote the state and released the lock; plan again to see where things stand');
    }
    const first = r.errors[0];
    if (first && first.type === 'diagnostic') {
      if (/state lock/i.test(first.summary)) {
        const lock = parseLockInfo(first.detail);
        if (lock) {
          this.emit({ kind: 'lock-held', lock });
          return new StateLockError(
            `the state lock is held by ${lock.who} (${lock.operation}, since ${lock.created}, lock ID ${lock.id})`,
            `wait for that run to end; if it is dead, release the lock with: terraform force-unlock ${lock.id}`,
            { ...lock },
          );
        }
      }
      if (/saved plan is stale/i.test(first.summary + first.detail)) {
        return new TofuError('the saved plan is stale: the state changed since it was made', 'plan again (p), then apply');
      }
      if (first.summary.startsWith(CRASH_SUMMARY)) {
        return new TofuError(`${operation} failed: ${first.summary}`, 'this is a bug in the provider: its stack trace is in the diagnostics (e, or the log); the state keeps what was applied before the crash');
      }
      const where = first.range ? ` (${first.range.filename}:${first.range.line})` : '';
      const more = r.errors.length > 1 ? ` (+${r.errors.length - 1} more error${r.errors.length > 2 ? 's' : ''})` : '';
      return new TofuError(`${operation} failed: ${first.summary}${where}${more}`, first.detail.split('\n')[0] ?? '');
    }
    const tail = r.stderr.trim().split('\n').slice(-3).join(' / ');
    return new TofuError(`${operation} failed with exit code ${r.exitCode}${tail ? `: ${tail}` : ''}`, 'see the raw log (l) for details');
  }

  /**
   * `terraform init` with the profile's backend, once per configuration: skipped when the backend
   * arguments and the module tree (*.tf) are unchanged since the last successful init.
   * @throws TofuError with Terraform's first error (missing bucket, denied access, module errors).
   */
  async init(): Promise<void> {
    if (this.initialised) return;
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    // Not -json: Terraform 1.11's `init -json` still prints some lines as plain text.
    const args = ['init', '-input=false', '-no-color', '-reconfigure', ...backendConfigArgs(this.config.backend)];
    const marker = join(this.config.dataDir, 'init.json');
    const key = createHash('sha256').update(JSON.stringify(args)).update(this.config.cliConfigFile).update(await hashModuleTree(this.config.terraformDir)).digest('hex');
    const previous = await readFile(marker, 'utf8').catch(() => '');
    const backendState = join(this.config.dataDir, 'tfdata', 'terraform.tfstate');
    if (previous.trim() === key && existsSync(backendState)) {
      this.initialised = true;
      return;
    }
    const r = await this.run('init', args, false);
    if (r.exitCode !== 0) throw this.failure('init', r);
    await writeFile(marker, key + '\n');
    this.initialised = true;
  }

  /**
   * `plan -json -out=PLANFILE -detailed-exitcode` (with `-destroy` for a destroy plan), then, when
   * it has changes and `structured` is not false, `show -json PLANFILE` for the structured plan
   * (changed attributes, output changes with sensitive values masked); otherwise the model is built
   * from the streamed `planned_change` and `change_summary` messages (no third process: `--ci
   * apply` uses this). A plan with changes is kept for {@link apply}.
   * @throws TofuError (or StateLockError) when planning fails.
   */
  async plan(opts: { destroy?: boolean; structured?: boolean } = {}): Promise<PlanModel> {
    await this.init();
    this.plan_ = undefined;
    await rm(this.planFile, { force: true });
    const operation: Operation = opts.destroy ? 'plan-destroy' : 'plan';
    const args = ['plan', '-json', '-input=false', '-detailed-exitcode', `-var-file=${this.config.varFile}`, `-out=${this.planFile}`];
    for (const [k, v] of Object.entries(this.config.extraVars ?? {})) args.push(`-var=${k}=${v}`);
    if (opts.destroy) args.push('-destroy');
    const r = await this.run(operation, args);
    if (r.exitCode !== 0 && r.exitCode !== 2) throw this.failure(operation, r);
    let plan: PlanModel;
    if (r.exitCode === 2 && opts.structured !== false) {
      const show = await this.run(operation, ['show', '-json', this.planFile], false, true);
      if (show.exitCode !== 0) throw this.failure(operation, show);
      plan = parsePlanJson(show.stdout, opts.destroy === true);
    } else {
      // No changes (nothing to read), or the caller applies at once: the streamed plan is enough.
      plan = planFromStream(r.planned, opts.destroy === true, r.exitCode === 2);
    }
    if (plan.hasChanges) this.plan_ = plan;
    else await rm(this.planFile, { force: true });
    this.emit({ kind: 'plan', plan });
    return plan;
  }

  /**
   * `apply -json PLANFILE`: applies the saved plan, exactly what was shown. The plan is consumed
   * whether the apply succeeds or not.
   * @throws TofuError when there is no saved plan, the plan is stale, or the apply fails or is cancelled.
   */
  async apply(): Promise<ApplyResult> {
    const plan = this.plan_;
    if (!plan) throw new TofuError('there is no saved plan to apply', 'plan first (p); apply runs exactly the plan you saw');
    await this.init();
    let summary = { add: 0, change: 0, remove: 0 };
    const off = this.on((e) => {
      if (e.kind === 'tf' && e.event.type === 'change_summary') summary = { add: e.event.add, change: e.event.change, remove: e.event.remove };
    });
    let r: Awaited<ReturnType<Engine['run']>>;
    try {
      r = await this.run('apply', ['apply', '-json', '-input=false', this.planFile]);
    } finally {
      off();
      this.plan_ = undefined;
      await rm(this.planFile, { force: true });
    }
    if (r.exitCode !== 0 || r.cancelled) throw this.failure('apply', r);
    return { ...summary, durationMs: r.durationMs, destroyMode: plan.destroyMode };
  }

  /**
   * `output -json`, sensitive values masked.
   * @throws TofuError when Terraform fails (e.g. the backend is unreachable).
   */
  async outputs(): Promise<OutputValue[]> {
    await this.init();
    const r = await this.run('output', ['output', '-json'], false);
    if (r.exitCode !== 0) throw this.failure('output', r);
    const outputs = parseOutputsJson(r.stdout);
    this.emit({ kind: 'outputs', outputs });
    return outputs;
  }
}
