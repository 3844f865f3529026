import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateLockError, TofuError } from '../../core/errors.js';
import { backendConfigArgs, lockCreatedMs, parseLockInfo, type BackendSettings, type LockInfo } from './backend.js';
import type { TerraformBinary } from './binary.js';
import type { TfEvent } from './events.js';
import { syncModuleDir } from './module-dir.js';
import { isResourceAddress } from '../../core/tf-state.js';
import { parseOutputsJson, parsePlanJson, planFromStream, type OutputValue, type PlanModel } from './plan-model.js';
import { listRuns, newRunId, processAlive, pruneRuns, runStatus, writeRunRecord, type RunRecord } from './run-record.js';
import { followRun, runTerraform, startDurable, type RunResult, type TfProcess } from './runner.js';

/** Summary prefix of the diagnostic made from a provider's crash output (stderr). */
export const CRASH_SUMMARY = 'The provider crashed';
/**
 * What AWS answers, in a diagnostic's detail (the provider quotes the API error), to a create of
 * something that already exists or a removal of something already gone: on the local emulator,
 * the sign of a request moto did whose answer was lost, sent again by the AWS SDK (README, "A
 * create refused as already done"). E.g. a rule made twice, or the default egress rule of a new
 * security group revoked twice.
 */
export const EMULATOR_REDONE =
  /api error (InvalidPermission\.Duplicate|InvalidPermission\.NotFound|InvalidLaunchTemplateName\.AlreadyExistsException|EntityAlreadyExists|DuplicateLoadBalancerName|InvalidGroup\.Duplicate)\b/;

/** The Terraform operations the engine runs. */
export type Operation = 'init' | 'plan' | 'plan-destroy' | 'plan-refresh-only' | 'apply' | 'output' | 'unlock' | 'state-push' | 'state-rm' | 'state-mv' | 'import';

/** A saved plan older than this is removed by the next plan on the same environment (ms). */
export const PLAN_MAX_AGE_MS = 24 * 3600_000;
/** While a plan or apply runs, AWS is probed this often (ms); the first probe comes after PROBE_FIRST_MS. */
export const PROBE_EVERY_MS = 5_000;
export const PROBE_FIRST_MS = 2_000;

/** Events of the engine, in order; the console's store and the `--ci` reporter both read them. */
export type EngineEvent =
  /** `runId`: the durable run (runs/ID.json) of a plan or apply. */
  | { kind: 'operation-start'; operation: Operation; at: number; runId?: string }
  | { kind: 'operation-end'; operation: Operation; ok: boolean; exitCode: number; cancelled: boolean; durationMs: number; at: number }
  | { kind: 'tf'; operation: Operation; event: TfEvent }
  | { kind: 'stderr'; operation: Operation; line: string }
  /** A line of Terraform's plain (non-JSON) stdout, e.g. `init`'s progress. */
  | { kind: 'text'; operation: Operation; line: string }
  | { kind: 'plan'; plan: PlanModel }
  | { kind: 'outputs'; outputs: OutputValue[] }
  | { kind: 'lock-held'; lock: LockInfo }
  | { kind: 'cancel-requested'; operation: Operation }
  /** This engine follows a run another process started (read-only; cancel still sends the one interrupt). */
  | { kind: 'attached'; operation: Operation; record: RunRecord; running: boolean }
  /** The AWS endpoint (the state backend) stopped or started answering while a plan or apply runs. */
  | { kind: 'endpoint'; reachable: boolean; reason?: string }
  /** Terraform could not write the state to the backend and left it in `path` (0600). */
  | { kind: 'state-not-persisted'; path: string };

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
  /** The environment's name and mode, for the commands that hints print (`./run.kube -e ENV [--local] --ci unlock ID`). */
  environment?: string;
  local?: boolean;
  /**
   * Checks that AWS (the state backend) answers: resolves to undefined when it does, else to why
   * not (e.g. "connection refused"). Called every PROBE_EVERY_MS while a plan or apply runs; must
   * settle within a few seconds and never reject.
   */
  probe?: () => Promise<string | undefined>;
}

/** What a plan is asked for besides the configuration (see {@link Engine.plan}). */
export interface PlanOptions {
  /** `-destroy`: plan the deletion of everything. */
  destroy?: boolean;
  /** `-refresh-only`: a drift check. */
  refreshOnly?: boolean;
  /** false: build the model from the stream, no `show -json` (`--ci apply`). */
  structured?: boolean;
  /** false: a plan with no change is not read for its drift alone. */
  driftDetail?: boolean;
  /** `-target=ADDR` each: a plan for these resources (and what they depend on) only. */
  targets?: string[];
  /** `-replace=ADDR` each: force the replacement of these resources. */
  replace?: string[];
  /** Import blocks (`import { to = ADDR, id = "ID" }`) added for this plan only. */
  imports?: { to: string; id: string }[];
}

/** The file of the working directory that holds a plan's import blocks while it plans. */
export const IMPORT_FILE = 'platform-console-import.tf';

/** An HCL string literal for `s` (quotes, backslashes and template sequences escaped). */
export function hclString(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
  return `"${escaped}"`;
}

/** The import blocks of {@link PlanOptions.imports} as HCL. */
export function importBlocks(imports: readonly { to: string; id: string }[]): string {
  return `# Written by platform-console for one plan; removed when the plan ends.\n${imports.map((i) => `import {\n  to = ${i.to}\n  id = ${hclString(i.id)}\n}\n`).join('\n')}`;
}

/** The plan an engine holds for apply: the model that was shown, its file, and the file's sha256. */
export interface SavedPlan {
  model: PlanModel;
  /** The plan file, `WORK/ENV/plans/ID.tfplan` (0600), written by this engine's plan only. */
  file: string;
  /** sha256 (hex) of the file's bytes when the plan was shown. */
  hash: string;
}

/** What an apply did, from its final `change_summary`. */
export interface ApplyResult {
  add: number;
  change: number;
  remove: number;
  durationMs: number;
  destroyMode: boolean;
  /** The applied plan was a drift check's (`-refresh-only`): only the state changed. */
  refreshOnly: boolean;
}

/** The outcome of a run this engine followed but did not start (see {@link Engine.follow}). */
export interface FollowedOutcome {
  record: RunRecord;
  operation: Operation;
  ok: boolean;
  /** The run's exit status; -1 when its process vanished without one (killed). */
  exitCode: number;
  /** From the run's last `change_summary`, when it printed one. */
  summary?: { add: number; change: number; remove: number; operation: string };
  /** The failure in the operator's words, when it failed. */
  error?: TofuError;
  durationMs: number;
  /** This engine let go of it ({@link Engine.detach}) before it ended: it goes on, and is not marked reported. */
  stopped?: true;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
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

/** Options of {@link Engine.run}. */
interface RunOpts {
  /** Parse stdout as the `-json` stream (default true). */
  json?: boolean;
  /** No operation-start/end events (show -json, state pull). */
  quiet?: boolean;
  /** Run through a durable run (output to files, outlives this process): plan and apply. */
  durable?: { planFile?: string; planHash?: string };
}

type RunOutcome = RunResult & { errors: TfEvent[]; planned: TfEvent[]; summary?: { add: number; change: number; remove: number; operation: string } };

/**
 * Runs Terraform for one environment through its machine-readable interface: `init` with the
 * profile's backend, `plan -json -out`, `show -json`, `apply -json PLANFILE`, `output -json`.
 * One operation at a time. Errors are thrown as {@link TofuError} (or {@link StateLockError})
 * after the events of the failed run have been delivered.
 *
 * The environment's work dir (`dataDir`, 0700) holds: `module/` (Terraform's working directory: a
 * directory of links to the root module's files, so `errored.tfstate` and the dependency lock file
 * land here and never in `terraform/`), `tfdata/` (TF_DATA_DIR), `plans/` (one 0600 file per plan,
 * read only by the engine that wrote it) and `runs/` (run records and the output of plans and
 * applies, which outlive the console: see {@link startDurable}).
 */
export class Engine {
  private listeners = new Set<Listener>();
  private current: { operation: Operation; proc: TfProcess; attached: boolean } | undefined;
  private initialised = false;
  private initing: Promise<void> | undefined;
  private saved: SavedPlan | undefined;
  readonly moduleDir: string;
  readonly runsDir: string;
  readonly plansDir: string;

  constructor(readonly config: EngineConfig) {
    this.moduleDir = join(config.dataDir, 'module');
    this.runsDir = join(config.dataDir, 'runs');
    this.plansDir = join(config.dataDir, 'plans');
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The operation running now (started by this engine, or followed with {@link follow}), if any. */
  get busy(): Operation | undefined {
    return this.current?.operation;
  }

  /** True while the running operation is one this engine follows but did not start. */
  get attached(): boolean {
    return this.current?.attached === true;
  }

  /** The saved plan waiting to be applied (from this engine's last successful plan with changes), if any. */
  get savedPlan(): PlanModel | undefined {
    return this.saved?.model;
  }

  /** The saved plan's file (`plans/ID.tfplan`), if any. */
  get savedPlanFile(): string | undefined {
    return this.saved?.file;
  }

  /** sha256 of the saved plan's file as it was shown: a confirmation passes it back to {@link apply}. */
  get savedPlanHash(): string | undefined {
    return this.saved?.hash;
  }

  /** Where Terraform leaves the state it could not write to the backend. */
  get erroredStatePath(): string {
    return join(this.moduleDir, 'errored.tfstate');
  }

  /** The command an operator runs to release a stale lock (the console's own data dir, CLI config and endpoint). */
  unlockCommand(lockId: string): string {
    return this.ciCommand(`state unlock ${lockId} --auto-approve`);
  }

  /** `./run.kube -e ENV [--local] --ci REST`: the headless command for this environment, for hints. */
  private ciCommand(rest: string): string {
    const env = this.config.environment ?? this.config.backend.key.replace(/\/terraform\.tfstate$/, '');
    return `./run.kube -e ${env}${this.config.local ? ' --local' : ''} --ci ${rest}`;
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
   * Works on a followed run too (the interrupt goes to its process group).
   * @returns false when nothing runs or cancel was already requested.
   */
  cancel(): boolean {
    const c = this.current;
    if (!c) return false;
    const sent = c.proc.cancel();
    if (sent) this.emit({ kind: 'cancel-requested', operation: c.operation });
    return sent;
  }

  /**
   * Lets go of a run this engine follows ({@link follow}), and of one it was about to follow: its
   * files are no longer read and its poller stops (it no longer keeps the process alive); the run
   * goes on, and the console that opens the environment next reports its end. For a session that
   * is closing: this engine follows no run afterwards. A run this engine started is never let go
   * (it is interrupted with {@link cancel}).
   */
  detach(): void {
    this.letGo = true;
    const c = this.current;
    if (c?.attached) (c.proc as { stop?: () => void }).stop?.();
  }

  /** Set by {@link detach}: a follow that has not started reading yet lets go too (the session is closing). */
  private letGo = false;

  /** Probes AWS while a durable run goes on; emits `endpoint` on each change. Returns the stop function. */
  private watchEndpoint(): () => void {
    const probe = this.config.probe;
    if (!probe) return () => {};
    let stopped = false;
    let down = false;
    let timer: NodeJS.Timeout | undefined;
    const round = async () => {
      const reason = await probe().catch((e: unknown) => String(e));
      if (stopped) return;
      if (reason !== undefined && !down) {
        down = true;
        this.emit({ kind: 'endpoint', reachable: false, reason });
      } else if (reason === undefined && down) {
        down = false;
        this.emit({ kind: 'endpoint', reachable: true });
      }
      timer = setTimeout(() => void round(), PROBE_EVERY_MS);
      timer.unref();
    };
    timer = setTimeout(() => void round(), PROBE_FIRST_MS);
    timer.unref();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }

  private collector(operation: Operation): { errors: TfEvent[]; planned: TfEvent[]; summary: { v?: RunOutcome['summary'] }; onEvent: (event: TfEvent) => void } {
    const errors: TfEvent[] = [];
    const planned: TfEvent[] = [];
    const summary: { v?: RunOutcome['summary'] } = {};
    return {
      errors,
      planned,
      summary,
      onEvent: (event) => {
        if (event.type === 'diagnostic' && event.severity === 'error') errors.push(event);
        else if (event.type === 'planned_change' || event.type === 'change_summary' || event.type === 'resource_drift') planned.push(event);
        if (event.type === 'change_summary') summary.v = { add: event.add, change: event.change, remove: event.remove, operation: event.operation };
        this.emit({ kind: 'tf', operation, event });
      },
    };
  }

  private async run(operation: Operation, args: string[], o: RunOpts = {}): Promise<RunOutcome> {
    if (this.current) {
      throw new TofuError(`${this.current.operation} is still running`, 'wait for it to finish or cancel it (c)');
    }
    const json = o.json ?? true;
    const c = this.collector(operation);
    const at = Date.now();
    const runOpts = {
      cwd: this.moduleDir,
      env: this.childEnv(),
      json,
      onEvent: c.onEvent,
      // Only init's plain text is shown: show -json and output -json carry sensitive values in clear.
      ...(operation === 'init' && !json ? { onText: (line: string) => this.emit({ kind: 'text', operation, line }) } : {}),
      onStderr: (line: string) => this.emit({ kind: 'stderr', operation, line }),
    };
    // Mark busy before the first await, so a second call in the same tick is refused.
    const placeholder: TfProcess = { pid: undefined, args, cancel: () => false, done: new Promise(() => {}) };
    this.current = { operation, proc: placeholder, attached: false };
    let proc: TfProcess;
    try {
      proc = o.durable
        ? await startDurable(this.config.binary.path, args, { ...runOpts, runsDir: this.runsDir, operation, ...o.durable })
        : runTerraform(this.config.binary.path, args, runOpts);
    } catch (err) {
      this.current = undefined;
      throw err;
    }
    if (!o.quiet) this.emit({ kind: 'operation-start', operation, at, ...('record' in proc ? { runId: (proc as { record: RunRecord }).record.id } : {}) });
    const out = await this.settle(operation, proc, false, o.durable !== undefined, c, json, at, o.quiet === true);
    if (o.durable && 'record' in proc) await this.markReported((proc as { record: RunRecord }).record);
    return out;
  }

  /** Waits for a started or followed run (busy meanwhile, AWS probed when `probe`), then {@link finishRun}. */
  private async settle(operation: Operation, proc: TfProcess, attached: boolean, probe: boolean, c: ReturnType<Engine['collector']>, json: boolean, at: number, quiet: boolean): Promise<RunOutcome> {
    this.current = { operation, proc, attached };
    const stopProbe = probe ? this.watchEndpoint() : () => {};
    let result: RunResult;
    try {
      result = await proc.done;
    } finally {
      stopProbe();
      this.current = undefined;
    }
    // Let go of (detach): nothing is known of its end, so nothing is said of it.
    if (result.stopped) return { ...result, errors: c.errors, planned: c.planned };
    return this.finishRun(operation, { ...result, errors: c.errors, planned: c.planned, ...(c.summary.v ? { summary: c.summary.v } : {}) }, json, at, quiet);
  }

  /** Common end of a run (started or followed): crash and plain-text diagnostics, the unpersisted state, operation-end. */
  private async finishRun(operation: Operation, r: RunOutcome, json: boolean, startedAt: number, quiet: boolean): Promise<RunOutcome> {
    const ok = r.exitCode === 0 || (r.exitCode === 2 && operation.startsWith('plan'));
    const stderrText = r.stderr.trim();
    if (json && !ok && !r.cancelled && stderrText) {
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
      if (panic) r.errors.unshift(crash);
      else r.errors.push(crash);
      this.emit({ kind: 'tf', operation, event: crash });
    }
    if (!json && !ok && !r.cancelled) {
      // Plain-text commands (init) print their errors as text: "Error: SUMMARY", then the detail.
      const text = `${r.stdout}\n${r.stderr}`;
      const at2 = text.indexOf('Error: ');
      if (at2 >= 0) {
        const [summary = '', ...rest] = text.slice(at2 + 'Error: '.length).split('\n');
        const diag: TfEvent = { type: 'diagnostic', severity: 'error', summary: summary.trim(), detail: rest.join('\n').trim(), timestamp: Date.now(), level: 'error', message: `Error: ${summary.trim()}` };
        r.errors.push(diag);
        this.emit({ kind: 'tf', operation, event: diag });
      }
    }
    if (operation === 'apply' || operation.startsWith('plan')) {
      // Terraform writes errored.tfstate into its working directory when the backend refused the state.
      const st = await stat(this.erroredStatePath).catch(() => undefined);
      if (st && st.mtimeMs >= startedAt - 1_000) {
        await chmod(this.erroredStatePath, 0o600).catch(() => undefined);
        this.emit({ kind: 'state-not-persisted', path: this.erroredStatePath });
      }
    }
    if (!quiet) this.emit({ kind: 'operation-end', operation, ok, exitCode: r.exitCode, cancelled: r.cancelled, durationMs: r.durationMs, at: Date.now() });
    return r;
  }

  private async markReported(rec: RunRecord): Promise<void> {
    await writeRunRecord(this.runsDir, { ...rec, reported: true }).catch(() => undefined);
  }

  /** Turns a failed run into the error the operator sees. */
  private failure(operation: Operation, r: RunOutcome): TofuError {
    const notPersisted = r.errors.find((e) => e.type === 'diagnostic' && /Failed to (persist|save) state/i.test(e.summary));
    if (notPersisted || (existsSync(this.erroredStatePath) && r.errors.some((e) => e.type === 'diagnostic' && /errored\.tfstate/.test(e.detail)))) {
      return new TofuError(
        `${operation} could not write the state to the backend (s3://${this.config.backend.bucket}/${this.config.backend.key}): Terraform kept it in ${this.erroredStatePath} (mode 0600)`,
        `once the backend answers again, push it with :state-push-errored in the console, or ${this.ciCommand('state-push-errored')}`,
      );
    }
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
            `wait for that run to end; if it is dead, release the lock with: ${this.unlockCommand(lock.id)} (or :unlock in the console)`,
            { ...lock },
          );
        }
      }
      if (/saved plan is stale/i.test(first.summary + first.detail)) {
        return new TofuError('the saved plan is stale: the state changed since it was made; nothing was applied', 'plan again (p), then apply');
      }
      if (first.summary.startsWith(CRASH_SUMMARY)) {
        return new TofuError(`${operation} failed: ${first.summary}`, 'this is a bug in the provider: its stack trace is in the diagnostics (e, or the log); the state keeps what was applied before the crash');
      }
      const where = first.range ? ` (${first.range.filename}:${first.range.line})` : '';
      const more = r.errors.length > 1 ? ` (+${r.errors.length - 1} more error${r.errors.length > 2 ? 's' : ''})` : '';
      // In local mode, a request the emulator did twice gets the way out first (the status bar cuts
      // a long hint; the API's error stays in the diagnostics).
      const hint =
        this.config.local && EMULATOR_REDONE.test(first.detail)
          ? './run.kube --local stop starts over: the emulator may have done this already and lost its answer, which the provider sent again (no apply or destroy repairs that); if a fresh start fails the same way, the configuration is the cause'
          : (first.detail.split('\n')[0] ?? '');
      return new TofuError(`${operation} failed: ${first.summary}${where}${more}`, hint);
    }
    if (r.exitCode === -1 && r.signal === null && r.stderr.trim() === '' && r.errors.length === 0) {
      return new TofuError(`${operation} ended without an exit status: its process was killed`, 'look at the lock (header) and plan again; if the lock is held by a dead run, :unlock');
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
    // One init at a time: a state read beside a plan waits for the same init.
    this.initing ??= this.initOnce().finally(() => (this.initing = undefined));
    return this.initing;
  }

  private async initOnce(): Promise<void> {
    if (this.initialised) return;
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    await chmod(this.config.dataDir, 0o700).catch(() => undefined);
    await syncModuleDir(this.config.terraformDir, this.moduleDir);
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
    const r = await this.run('init', args, { json: false });
    if (r.exitCode !== 0) throw this.failure('init', r);
    await writeFile(marker, key + '\n');
    this.initialised = true;
  }

  /** Removes this engine's saved plan file (superseded or applied). Never another run's. */
  private async dropSaved(): Promise<void> {
    const s = this.saved;
    this.saved = undefined;
    if (s) await rm(s.file, { force: true }).catch(() => undefined);
  }

  /** Removes plan files older than a day that no running run reads. Never throws. */
  private async prunePlans(): Promise<void> {
    const now = Date.now();
    const inUse = new Set<string>();
    for (const rec of await listRuns(this.runsDir)) {
      if (rec.planFile && (await runStatus(rec)).kind === 'running') inUse.add(rec.planFile);
    }
    for (const n of await readdir(this.plansDir).catch(() => [] as string[])) {
      const p = join(this.plansDir, n);
      if (inUse.has(p) || p === this.saved?.file) continue;
      const st = await stat(p).catch(() => undefined);
      if (st && now - st.mtimeMs > PLAN_MAX_AGE_MS) await rm(p, { force: true }).catch(() => undefined);
    }
    await pruneRuns(this.runsDir, 7 * PLAN_MAX_AGE_MS, now);
  }

  /**
   * `plan -json -out=PLANFILE -detailed-exitcode` (with `-destroy` for a destroy plan, `-refresh-only`
   * for a drift check: always read with `show -json`, and kept for apply when anything drifted;
   * `driftDetail` false: a plan with no change is not read for its drift alone), then, when
   * it has changes (or Terraform reported drift) and `structured` is not false, `show -json PLANFILE` for the structured plan
   * (changed attributes, output changes with sensitive values masked); otherwise the model is built
   * from the streamed `planned_change` and `change_summary` messages (no third process: `--ci
   * apply` uses this). Each plan writes its own file (`plans/ID.tfplan`, 0600); a plan with changes
   * is kept for {@link apply} with its sha256, and replaces (deletes) this engine's previous one.
   * A failed plan leaves no file.
   * @throws TofuError (or StateLockError) when planning fails.
   */
  async plan(opts: PlanOptions = {}): Promise<PlanModel> {
    if (opts.destroy && opts.refreshOnly) throw new TofuError('a plan is either -destroy or -refresh-only, not both');
    for (const a of [...(opts.targets ?? []), ...(opts.replace ?? []), ...(opts.imports ?? []).map((i) => i.to)]) {
      if (!isResourceAddress(a)) throw new TofuError(`"${a.slice(0, 120)}" is not a resource address`, 'e.g. module.bastion.aws_instance.bastion or aws_subnet.private[0] (see the State pane or --ci state list)');
    }
    for (const i of opts.imports ?? []) {
      if (!i.id || i.id.length > 1024 || /[\x00-\x1f]/.test(i.id)) throw new TofuError(`"${i.id.slice(0, 80)}" is not an import ID`, "the ID is the object's id in AWS, e.g. i-0abc123 for an instance");
      if (i.to.startsWith('data.') || i.to.includes('.data.')) throw new TofuError(`${i.to} is a data source: only managed resources are imported`);
    }
    if (this.current) throw new TofuError(`${this.current.operation} is still running`, 'wait for it to finish or cancel it (c)');
    await this.init();
    // Files added to (or removed from) the root module since init are linked (or unlinked) now.
    await syncModuleDir(this.config.terraformDir, this.moduleDir);
    await this.dropSaved();
    await mkdir(this.plansDir, { recursive: true, mode: 0o700 });
    void this.prunePlans();
    const planFile = join(this.plansDir, `${newRunId()}.tfplan`);
    const operation: Operation = opts.destroy ? 'plan-destroy' : opts.refreshOnly ? 'plan-refresh-only' : 'plan';
    const args = ['plan', '-json', '-input=false', '-detailed-exitcode', `-var-file=${this.config.varFile}`, `-out=${planFile}`];
    for (const [k, v] of Object.entries(this.config.extraVars ?? {})) args.push(`-var=${k}=${v}`);
    if (opts.destroy) args.push('-destroy');
    if (opts.refreshOnly) args.push('-refresh-only');
    for (const t of opts.targets ?? []) args.push(`-target=${t}`);
    for (const t of opts.replace ?? []) args.push(`-replace=${t}`);
    // Import blocks live in a file of the working directory for this plan only: the plan file
    // keeps a snapshot of the configuration, so apply needs no file (and no later plan sees it).
    const importFile = join(this.moduleDir, IMPORT_FILE);
    await rm(importFile, { force: true });
    if (opts.imports?.length) await writeFile(importFile, importBlocks(opts.imports), { mode: 0o600 });
    try {
      let r: RunOutcome;
      try {
        r = await this.run(operation, args, { durable: { planFile } });
      } finally {
        if (opts.imports?.length) await rm(importFile, { force: true }).catch(() => undefined);
      }
      if (r.exitCode !== 0 && r.exitCode !== 2) throw this.failure(operation, r);
      let plan: PlanModel;
      // Drift with no change (exit 0) is read too: the drift view shows each drifted resource's diff.
      const drifted = r.planned.some((e) => e.type === 'resource_drift');
      if ((r.exitCode === 2 || (drifted && opts.driftDetail !== false)) && (opts.structured !== false || opts.refreshOnly)) {
        const show = await this.run(operation, ['show', '-json', '-no-color', planFile], { json: false, quiet: true });
        if (show.exitCode !== 0) throw this.failure(operation, show);
        plan = parsePlanJson(show.stdout, opts.destroy === true, opts.refreshOnly === true);
      } else {
        // No changes (nothing to read), or the caller applies at once: the streamed plan is enough.
        plan = planFromStream(r.planned, opts.destroy === true, r.exitCode === 2);
      }
      if (opts.targets?.length) plan.targets = [...opts.targets];
      if (opts.replace?.length) plan.replaceRequested = [...opts.replace];
      if (opts.imports?.length) plan.imports = opts.imports.map((i) => ({ ...i }));
      if (plan.hasChanges) {
        await chmod(planFile, 0o600);
        this.saved = { model: plan, file: planFile, hash: await sha256File(planFile) };
      } else await rm(planFile, { force: true });
      this.emit({ kind: 'plan', plan });
      return plan;
    } catch (err) {
      if (this.saved?.file !== planFile) await rm(planFile, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * `apply -json PLANFILE`: applies this engine's saved plan, exactly what was shown. With
   * `expectHash` (what a confirmation saw), refuses unless the saved plan is still that one; in any
   * case refuses when the file's bytes no longer have the hash they had when the plan was shown, or
   * the file is gone. The plan is consumed whether the apply succeeds or not.
   * @throws TofuError when there is no saved plan, it changed or is gone, is stale, or the apply
   *   fails or is cancelled.
   */
  async apply(opts: { expectHash?: string } = {}): Promise<ApplyResult> {
    const saved = this.saved;
    if (!saved) throw new TofuError('there is no saved plan to apply', 'plan first (p); apply runs exactly the plan you saw');
    if (this.current) throw new TofuError(`${this.current.operation} is still running`, 'wait for it to finish or cancel it (c)');
    if (opts.expectHash !== undefined && opts.expectHash !== saved.hash) {
      throw new TofuError('the plan changed since it was shown: nothing was applied', 'review the plan now on screen, then apply (a) again');
    }
    let actual: string;
    try {
      actual = await sha256File(saved.file);
    } catch {
      this.saved = undefined;
      throw new TofuError(`the saved plan file ${saved.file} is gone: nothing was applied`, 'plan again (p), then apply');
    }
    if (actual !== saved.hash) {
      await this.dropSaved();
      throw new TofuError('the saved plan file was changed after it was shown: nothing was applied', 'plan again (p), then apply');
    }
    await this.init();
    let r: RunOutcome;
    try {
      r = await this.run('apply', ['apply', '-json', '-input=false', saved.file], { durable: { planFile: saved.file, planHash: saved.hash } });
    } finally {
      await this.dropSaved();
    }
    if (r.exitCode !== 0 || r.cancelled) throw this.failure('apply', r);
    const s = r.summary ?? { add: 0, change: 0, remove: 0 };
    return { add: s.add, change: s.change, remove: s.remove, durationMs: r.durationMs, destroyMode: saved.model.destroyMode, refreshOnly: saved.model.refreshOnly };
  }

  /**
   * `output -json`, sensitive values masked.
   * @throws TofuError when Terraform fails (e.g. the backend is unreachable).
   */
  async outputs(): Promise<OutputValue[]> {
    await this.init();
    const r = await this.run('output', ['output', '-json', '-no-color'], { json: false });
    if (r.exitCode !== 0) throw this.failure('output', r);
    const outputs = parseOutputsJson(r.stdout);
    this.emit({ kind: 'outputs', outputs });
    return outputs;
  }

  /** The newest plan or apply on this environment (this machine's work dir) that is still running, if any. */
  async activeRun(): Promise<RunRecord | undefined> {
    const runs = await listRuns(this.runsDir);
    for (const rec of runs.reverse()) if ((await runStatus(rec)).kind === 'running') return rec;
    return undefined;
  }

  /** Runs that ended while nobody watched (their owner died before reporting), oldest first. */
  async unreportedRuns(): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const rec of await listRuns(this.runsDir)) {
      if (rec.reported) continue;
      const st = await runStatus(rec);
      if (st.kind === 'running') continue;
      const ownerAlive = rec.owner.pid !== process.pid && processAlive(rec.owner.pid);
      if (!ownerAlive) out.push(rec);
    }
    return out;
  }

  /**
   * Follows a plan or apply that another process started (see {@link activeRun}): its events from
   * the start, then live, through the same events as a run of this engine (preceded by `attached`),
   * until it ends; `busy` and {@link cancel} apply to it meanwhile. Marks it reported.
   * @returns its outcome (`stopped` when {@link detach} let go of it: not marked reported); never
   *   throws for the run's own failure (see `error`).
   * @throws TofuError when this engine is busy.
   */
  async follow(rec: RunRecord): Promise<FollowedOutcome> {
    const operation = (['plan', 'plan-destroy', 'plan-refresh-only', 'apply'].includes(rec.operation) ? rec.operation : 'apply') as Operation;
    const stopped = (): FollowedOutcome => ({ record: rec, operation, ok: false, exitCode: -1, durationMs: 0, stopped: true });
    if (this.letGo) return stopped();
    if (this.current) throw new TofuError(`${this.current.operation} is still running`, 'wait for it to finish or cancel it (c)');
    const running = (await runStatus(rec)).kind === 'running';
    if (this.letGo) return stopped(); // detached while its status was read
    this.emit({ kind: 'attached', operation, record: rec, running });
    const c = this.collector(operation);
    const at = Date.parse(rec.startedAt) || Date.now();
    const proc = followRun(rec, { cwd: this.moduleDir, env: {}, json: true, onEvent: c.onEvent, onStderr: (line) => this.emit({ kind: 'stderr', operation, line }) });
    this.emit({ kind: 'operation-start', operation, at, runId: rec.id });
    const r = await this.settle(operation, proc, true, running, c, true, at, false);
    if (r.stopped) return { ...stopped(), durationMs: r.durationMs };
    await this.markReported(rec);
    const ok = r.exitCode === 0 || (r.exitCode === 2 && operation.startsWith('plan'));
    return {
      record: rec,
      operation,
      ok: ok && !r.cancelled,
      exitCode: r.exitCode,
      ...(r.summary ? { summary: r.summary } : {}),
      ...(ok && !r.cancelled ? {} : { error: this.failure(operation, r) }),
      durationMs: r.durationMs,
    };
  }

  /** Whether a plan or apply of this environment runs on this machine now (a live run record). */
  private async refuseWhileRunning(what: string): Promise<void> {
    const rec = await this.activeRun();
    if (rec) {
      throw new TofuError(
        `${what} refused: ${rec.operation === 'apply' ? 'an apply' : `a ${rec.operation}`} started at ${rec.startedAt} by ${rec.owner.user}@${rec.owner.host} (pid ${rec.pid}) is still running on this machine and holds the lock`,
        'wait for it to end (open the console to follow it), or cancel it there (c)',
      );
    }
  }

  /**
   * `terraform force-unlock -force LOCK_ID` with this console's data dir, CLI config and endpoint.
   * Refused while a run of this environment on this machine is alive (it is the holder).
   * The caller checks beforehand that LOCK_ID is the lock's ID (see readStateLock).
   * @throws TofuError when refused or when Terraform fails (e.g. the ID does not match).
   */
  async unlock(lockId: string): Promise<void> {
    if (!/^[A-Za-z0-9-]{1,128}$/.test(lockId)) throw new TofuError(`"${lockId.slice(0, 80)}" is not a lock ID`, 'the lock ID is the UUID shown with the lock (header, or the error that named the holder)');
    await this.refuseWhileRunning('unlock');
    await this.init();
    const r = await this.run('unlock', ['force-unlock', '-force', '-no-color', lockId], { json: false });
    if (r.exitCode !== 0) throw this.failure('unlock', r);
  }

  /**
   * Refuses (throws) while this engine runs an operation or a plan or apply of this environment
   * runs on this machine (a live run record): a state change must never race a run.
   * @throws TofuError naming the running operation.
   */
  async assertIdle(what: string): Promise<void> {
    if (this.current) throw new TofuError(`${what} refused: ${this.current.operation} is running in this console`, 'wait for it to end, or cancel it (c)');
    await this.refuseWhileRunning(what);
  }

  /**
   * `terraform state pull`: the state's text as the backend holds it ('' when there is none).
   * Read-only and lock-free, so it runs beside a plan or apply (it does not take the engine's
   * one-operation slot); no events.
   * @throws TofuError when Terraform fails (the backend does not answer, …).
   */
  async statePull(): Promise<string> {
    await this.init();
    const args = ['state', 'pull'];
    const r = await runTerraform(this.config.binary.path, args, { cwd: this.moduleDir, env: this.childEnv(), json: false }).done;
    if (r.exitCode !== 0) {
      const text = `${r.stdout}\n${r.stderr}`;
      const at = text.indexOf('Error: ');
      const [summary = '', ...rest] = at >= 0 ? text.slice(at + 7).split('\n') : [`exit code ${r.exitCode}`];
      throw new TofuError(`state pull failed: ${summary.trim()}`, rest.map((l) => l.trim()).find((l) => l) ?? 'check that the backend answers');
    }
    return r.stdout;
  }

  /** Runs a state-changing command (Terraform takes the state lock itself and fails at once when it is held). */
  private async stateCommand(operation: Operation, args: string[]): Promise<void> {
    await this.init();
    const r = await this.run(operation, args, { json: false });
    if (r.exitCode !== 0) throw this.failure(operation, r);
    // The saved plan was made against the state before: Terraform would refuse it as stale.
    await this.dropSaved();
  }

  /**
   * `terraform state rm ADDR…`: Terraform forgets the objects (they stay in AWS).
   * @throws TofuError (StateLockError when the lock is held) when Terraform fails.
   */
  async stateRm(addresses: readonly string[]): Promise<void> {
    await this.stateCommand('state-rm', ['state', 'rm', '-no-color', '-lock=true', ...addresses]);
  }

  /** `terraform state mv FROM TO`. @throws TofuError (StateLockError when the lock is held). */
  async stateMv(from: string, to: string): Promise<void> {
    await this.stateCommand('state-mv', ['state', 'mv', '-no-color', '-lock=true', from, to]);
  }

  /**
   * `terraform state push FILE` (never `-force`: Terraform refuses another lineage or an older serial).
   * @throws TofuError (StateLockError when the lock is held).
   */
  async statePush(file: string): Promise<void> {
    await this.stateCommand('state-push', ['state', 'push', '-no-color', file]);
  }

  /**
   * `terraform import ADDR ID` with the profile's variables: the fallback for objects an import
   * block cannot plan. @throws TofuError (StateLockError when the lock is held).
   */
  async importDirect(address: string, id: string): Promise<void> {
    const args = ['import', '-input=false', '-no-color', `-var-file=${this.config.varFile}`];
    for (const [k, v] of Object.entries(this.config.extraVars ?? {})) args.push(`-var=${k}=${v}`);
    await this.stateCommand('import', [...args, address, id]);
  }

  /**
   * Pushes `errored.tfstate` (what Terraform kept when the backend refused the state) to the backend
   * with `terraform state push`, once the backend answers again: only when the file's lineage
   * matches the backend's state (or the backend has none), refused while a run on this machine is
   * alive; Terraform itself takes the lock (refused while another operation holds it) and refuses an
   * older serial. The file is then renamed `errored.tfstate.pushed-TIME` (0600).
   *
   * `heldLock` is the state lock as the caller read it, if held. A run that could not write the
   * state usually could not release its lock either: when the lock is that run's (taken by this
   * machine's user and host while a run recorded here ran, and that run has ended), it is released
   * first (`releasedLock` says so); a lock of any other operation refuses the push.
   * @returns where the pushed file was moved.
   * @throws TofuError when there is no such file, the lineage differs, another operation holds the
   *   lock, or Terraform fails.
   */
  async pushErroredState(heldLock?: LockInfo): Promise<{ movedTo: string; serial?: number; releasedLock?: string }> {
    const file = this.erroredStatePath;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new TofuError(`there is no unpersisted state (${file} does not exist)`, 'nothing to push: no run of this environment on this machine left a state it could not write');
    }
    let mine: { lineage?: string; serial?: number };
    try {
      mine = JSON.parse(text) as { lineage?: string; serial?: number };
    } catch {
      throw new TofuError(`${file} is not a Terraform state file (not JSON)`, 'keep the file; look at it before doing anything else');
    }
    await this.refuseWhileRunning('state-push-errored');
    await this.init();
    let releasedLock: string | undefined;
    if (heldLock) {
      const created = lockCreatedMs(heldLock.created);
      const fileTime = (await stat(file)).mtimeMs;
      const runs = await listRuns(this.runsDir);
      const owner = runs.find((rec) => {
        const start = Date.parse(rec.startedAt);
        return `${rec.owner.user}@${rec.owner.host}` === heldLock.who && created >= start - 1_000 && created <= fileTime + 1_000;
      });
      if (!owner || (await runStatus(owner)).kind === 'running') {
        throw new TofuError(
          `the state lock is held by ${heldLock.who} (${heldLock.operation}, since ${heldLock.created}, lock ID ${heldLock.id}), not by the run that left ${file}: nothing was pushed`,
          `wait for that operation to end and push again; if it is dead, release the lock first: ${this.unlockCommand(heldLock.id)}`,
        );
      }
      const u = await this.run('unlock', ['force-unlock', '-force', '-no-color', heldLock.id], { json: false });
      if (u.exitCode !== 0) throw this.failure('unlock', u);
      releasedLock = heldLock.id;
    }
    const pull = await this.run('state-push', ['state', 'pull'], { json: false, quiet: true });
    if (pull.exitCode !== 0) throw this.failure('state-push', pull);
    const remote = pull.stdout.trim() ? (JSON.parse(pull.stdout) as { lineage?: string; serial?: number }) : undefined;
    if (remote?.lineage && mine.lineage && remote.lineage !== mine.lineage) {
      throw new TofuError(
        `the unpersisted state's lineage ${mine.lineage} is not the backend's ${remote.lineage}: it belongs to another state, nothing was pushed`,
        `keep ${file} and compare it with the backend's state (terraform state pull) before doing anything`,
      );
    }
    const r = await this.run('state-push', ['state', 'push', '-no-color', file], { json: false });
    if (r.exitCode !== 0) throw this.failure('state-push', r);
    const movedTo = `${file}.pushed-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(file, movedTo);
    return { movedTo, ...(typeof mine.serial === 'number' ? { serial: mine.serial } : {}), ...(releasedLock ? { releasedLock } : {}) };
  }
}
