import { existsSync } from 'node:fs';
import { ConsoleError, messageOf, StateLockError } from '../core/errors.js';
import { realDrift } from '../core/plan-drift.js';
import type { LockState } from '../services/aws/state-lock.js';
import type { Engine, PlanOptions } from '../services/terraform/engine.js';
import { importsOf } from '../services/terraform/plan-model.js';
import { IMPORT_NO_CONFIG } from '../core/tf-state.js';
import type { HistoryRecorder } from '../services/history/recorder.js';
import type { StateOps } from '../services/state/types.js';
import { clusterRows } from '../panes/cluster/slice.js';
import { PANE_LIST } from '../panes/ids.js';
import { setErroredState, setEta } from '../panes/plan/slice.js';
import { learnEta, type PastApply } from '../core/eta.js';
import type { AwsController } from './aws-controller.js';
import type { ClusterController } from '../panes/cluster/controller.js';
import type { RollController } from '../panes/roll/controller.js';
import type { HistoryController } from '../panes/history/controller.js';
import { StateController } from '../panes/state/controller.js';
import { stateFailed } from '../panes/state/slice.js';
import type { SshController } from './ssh-controller.js';
import { showPane, type PaneId, type Store } from './store.js';

/** What the controller needs of an open environment (a Session satisfies it; tests may pass their own). */
export interface ControllerTarget {
  environment: string;
  engine: Engine;
  readLock(): Promise<LockState>;
  notices?: string[];
  /** Makes the recorder of applies and destroys into the environment's history (a Session has it); absent in tests without a bucket. */
  historyRecorder?(sinks: { onWarning: (text: string) => void; onNotice: (text: string) => void }): HistoryRecorder;
  /** The environment's history (a Session has it): an apply's ETA is learned from its newest records. */
  history?: { list(limit: number): Promise<{ record: PastApply }[]> };
  /** The environment's state (read, remove, move, push, unlock): the State pane's service; a Session has it. */
  state?: StateOps;
}

/** How many of the newest history records an apply's ETA reads (it learns from the successful applies among them). */
const ETA_RECORDS = 40;

const LOCK_POLL_MS = 5_000;


/**
 * The console's controller: runs the engine (plan, apply, destroy, cancel, outputs, unlock, state
 * push), follows other runs, polls the lock, switches panes and quits; the AWS, SSH and Cluster
 * controllers do their panes' work. The registry's actions call it; results go into the store.
 * Plain TypeScript: no Ink, so tests drive it directly.
 */
export class Controller {
  private off: (() => void) | undefined;
  private recorder: HistoryRecorder | undefined;
  /** `--drift-every`'s timer and period (ms). */
  private driftTimer: NodeJS.Timeout | undefined;
  private driftEveryMs = 0;
  private offHistory: (() => void) | undefined;
  /** While the history is reconciled on start: its notices and warnings, said with what the start said (not over it). */
  private startNotes: { level: 'info' | 'warn'; text: string }[] | undefined;
  /** The history's warnings since the current apply started (shown with its outcome, which would hide them). */
  private historyWarnings: string[] = [];
  private lockTimer: NodeJS.Timeout | undefined;
  /** Resolves when the operator's quit is accepted (the UI exits then). */
  readonly quitRequested: Promise<void>;
  private resolveQuit!: () => void;
  /** Resolves when the operator's `0` (the Fleet screen) is accepted and this console's work has stopped. */
  readonly fleetRequested: Promise<void>;
  private resolveFleet!: () => void;
  /** The State pane; made from {@link ControllerTarget.state}, absent when the target has none. */
  readonly statePane: StateController | undefined;

  constructor(
    readonly store: Store,
    readonly target: ControllerTarget,
    /** The AWS panes (Instances, Load balancers, Secrets); absent in tests of the Plan/Apply pane alone. */
    readonly aws?: AwsController,
    /** SSH through the bastion (shell, :run, tunnels); absent where the console has no SSH. */
    readonly ssh?: SshController,
    /** The Cluster pane; absent where the console has none. */
    readonly kube?: ClusterController,
    /** The History pane; absent where the console has no history store. */
    readonly history?: HistoryController,
    /** The Roll pane; absent where the console cannot roll (no cluster or no history). */
    readonly roll?: RollController,
  ) {
    this.quitRequested = new Promise((r) => (this.resolveQuit = r));
    this.fleetRequested = new Promise((r) => (this.resolveFleet = r));
    this.statePane = target.state ? new StateController(this) : undefined;
  }

  /** Connects the engine to the store, shows notices and starts the lock poll. */
  start(): void {
    this.recorder = this.target.historyRecorder?.({
      onWarning: (t) => {
        this.historyWarnings.push(t);
        if (this.startNotes) this.startNotes.push({ level: 'warn', text: t });
        else this.store.say('warn', t);
      },
      onNotice: (t) => {
        if (this.startNotes) this.startNotes.push({ level: 'info', text: t });
        else this.store.say('info', t);
      },
    });
    this.offHistory = this.recorder?.attach();
    this.off = this.target.engine.on((e) => {
      this.store.onEngineEvent(e);
      if (e.kind === 'endpoint') {
        if (!e.reachable) this.store.say('error', `AWS does not answer (${e.reason ?? 'no answer'}): Terraform is retrying.`, 'c cancels (one interrupt: Terraform writes what it can and releases the lock), or wait for the endpoint to come back');
        else this.store.say('info', 'AWS answers again; Terraform goes on.');
      }
      if (e.kind === 'operation-end') {
        void this.refreshLock();
        this.statePane?.onOperationEnd(e.operation);
      }
      // Terraform takes the lock a moment after it starts: look again then.
      if (e.kind === 'operation-start') setTimeout(() => void this.refreshLock(), 1_500).unref();
      if (e.kind === 'operation-start' && e.operation === 'apply') void this.learnEta();
    });
    const notices = this.target.notices ?? [];
    if (notices.length) this.store.say(notices.some((n) => /restarted/.test(n)) ? 'warn' : 'info', notices.join(' · '));
    if (!this.target.notices?.length) this.store.say('info', 'Ready. Press p to plan, ? for all keys.');
    void this.refreshLock();
    void this.followOtherRuns();
    void this.aws?.prerequisites.checkPrerequisites();
    this.lockTimer = setInterval(() => void this.refreshLock(), LOCK_POLL_MS);
    this.lockTimer.unref();
  }

  /**
   * At an apply's start: learns the expected durations from the history (the pane shows the time
   * left and each applying resource's expected duration). Without history, or when it cannot be
   * read, there is no ETA and nothing is said.
   */
  private async learnEta(): Promise<void> {
    const history = this.target.history;
    if (!history) return;
    try {
      const records = await history.list(ETA_RECORDS);
      const eta = learnEta(records.map((r) => r.record));
      this.store.update((s) => setEta(s.plan, eta.applies ? eta : undefined));
    } catch {
      // The history's own warnings are said by its recorder; an apply without an ETA is still an apply.
    }
  }

  /** Stops listening and polling. */
  stop(): void {
    if (this.driftTimer) clearInterval(this.driftTimer);
    this.driftTimer = undefined;
    this.aws?.stop();
    this.history?.stop();
    void this.ssh?.stop();
    void this.kube?.stop();
    void this.roll?.stop();
    this.off?.();
    this.offHistory?.();
    if (this.lockTimer) clearInterval(this.lockTimer);
  }

  private async refreshLock(): Promise<void> {
    const lock = await this.target.readLock();
    // Every 5 s: a frame only when something changed (the console at rest stays idle).
    if (JSON.stringify(lock) === JSON.stringify(this.store.state.lock)) return;
    this.store.update((s) => {
      s.lock = lock;
    });
  }

  /** Shows pane `pane` and starts its data the first time (`1`-`5`, Tab, `:instances` …). */
  showPane(pane: PaneId): void {
    this.store.update((st) => showPane(st, pane));
    this.aws?.activate(pane);
    if (pane === 'history') this.history?.activate();
    if (pane === 'state') {
      if (this.statePane) this.statePane.activate();
      else this.store.update((st) => stateFailed(st.tfstate, { level: 'error', text: 'The state is not available in this console (it was opened without the state service).' }));
    }
    if (pane === 'cluster') {
      this.kube?.activate();
      // Nodes are matched to instances by private IP: the instance list is needed here too.
      this.aws?.activate('instances');
    }
  }

  /** `1`-`7`: the pane of that number (1-based, tab order); nothing for another number. */
  showPaneNumber(n: number): void {
    const p = PANE_LIST[n - 1];
    if (p) this.showPane(p.id);
  }

  /** Tab / Shift-Tab: the next or previous pane. */
  stepPane(delta: 1 | -1): void {
    const i = PANE_LIST.findIndex((p) => p.id === this.store.state.pane);
    this.showPane(PANE_LIST[(i + delta + PANE_LIST.length) % PANE_LIST.length]!.id);
  }

  /** `c`: one interrupt to the running plan or apply. */
  cancel(): void {
    if (this.target.engine.cancel()) this.store.say('warn', 'Cancelling: one interrupt sent; Terraform is finishing in-flight changes, writing state and releasing the lock…');
    else this.store.say('info', this.target.engine.busy ? 'Cancel already requested; waiting for Terraform.' : 'Nothing is running.');
  }

  /** `x`, `:run`: the last `:run`'s view. */
  showRun(): void {
    if (this.store.state.instances.run) this.store.open({ kind: 'run', scroll: 0 });
    else this.store.say('info', 'Nothing has run yet: :run COMMAND runs on the marked instances (space marks).');
  }

  /** `s`: a shell on the selected instance, or in the Cluster pane on the selected node's instance (matched by private IP). */
  sshShell(): void {
    const s = this.store.state;
    if (!this.ssh) {
      this.store.say('warn', 'SSH is not available in this console.');
      return;
    }
    if (s.pane !== 'cluster') {
      void this.ssh.shell();
      return;
    }
    const node = s.cluster.section === 'nodes' ? clusterRows(s).nodes[s.selected] : undefined;
    const row = node?.instanceId ? s.instances.rows.find((r) => r.id === node.instanceId) : undefined;
    if (row) void this.ssh.shell(row);
    else this.store.say('warn', node ? `No instance of this environment has ${node.name}'s address ${node.internalIp || '(none)'}: nothing to SSH into.` : 'Select a node first (n, then ↑↓).');
  }

  /** `k` in the Cluster pane, `:kubeconfig`: asks to merge the cluster into ~/.kube/config. */
  mergeKubeconfig(): void {
    if (this.kube) this.kube.askMerge();
    else this.store.say('warn', 'The Cluster pane is not available in this console.');
  }

  /**
   * `p` (destroy false) and `d` (true): plans and saves the plan; a destroy plan asks for the typed
   * environment name. `focus` (the State pane): a plan for one resource (`-target`), a forced
   * replacement (`-replace`) or an import block; the Plan/Apply pane shows it for review.
   * @returns whether a plan with changes is saved for apply.
   */
  async plan(destroy: boolean, focus: Pick<PlanOptions, 'targets' | 'replace' | 'imports'> = {}): Promise<boolean> {
    const engine = this.target.engine;
    if (engine.busy) {
      this.store.say('warn', `${engine.busy} is running: wait for it, or cancel it (c).`);
      return false;
    }
    const what = focus.imports?.length
      ? ` the import of ${focus.imports.map((i) => `${i.id} into ${i.to}`).join(', ')}`
      : focus.replace?.length
        ? ` the replacement of ${focus.replace.join(', ')}`
        : focus.targets?.length
          ? ` for ${focus.targets.join(', ')} only (-target)`
          : '';
    this.store.say('info', destroy ? 'Planning the destroy of the whole environment…' : `Planning${what}…`);
    try {
      const plan = await engine.plan({ destroy, ...focus });
      const { add, change, destroy: del } = plan.summary;
      const imports = importsOf(plan).length;
      if (!plan.hasChanges) {
        this.store.say('info', destroy ? 'Nothing to destroy: the environment is empty.' : `No changes${what ? ` in the plan${what}` : ''}: the infrastructure matches the configuration.`);
        return false;
      }
      if (destroy) {
        this.openConfirm('destroy', true, `Destroy ${this.target.environment}: ${del} resource${del === 1 ? '' : 's'} will be deleted. Type the environment name to confirm:`);
        return true;
      }
      const targeted = plan.targets?.length ? ' It is a targeted plan (-target): Terraform warns that it may be incomplete (e shows the warning).' : '';
      this.store.say('info', `Plan${what}: ${imports ? `${imports} to import, ` : ''}${add} to add, ${change} to change, ${del} to destroy. Press a to apply it.${targeted}`);
      return true;
    } catch (err) {
      const { text, hint } = messageOf(err);
      // An object an import block cannot plan may still be imported the old way.
      const i = focus.imports?.[0];
      const fallback = i && !(err instanceof StateLockError) && !IMPORT_NO_CONFIG.test(text) ? `if an import block cannot plan this object, :import-direct ${i.to} ${i.id} runs terraform import (no plan to review)` : undefined;
      this.store.say('error', text, [hint, fallback].filter(Boolean).join(' · ') || undefined);
      return false;
    }
  }

  /**
   * `:drift`: a drift check (`terraform plan -refresh-only`); the drift view opens with each drifted
   * resource's diff, and `a` then offers to write the real values into the state.
   */
  async driftCheck(periodic = false): Promise<void> {
    const engine = this.target.engine;
    if (engine.busy) {
      if (!periodic) this.store.say('warn', `${engine.busy} is running: wait for it, or cancel it (c).`);
      return;
    }
    if (!periodic) this.store.say('info', 'Checking drift (terraform plan -refresh-only)…');
    const every = this.driftTimer ? { every: this.driftEveryMs } : {};
    try {
      const plan = await engine.plan({ refreshOnly: true });
      const real = realDrift(plan);
      this.store.update((s) => (s.header.drift = { at: Date.now(), count: real.length, ...every }));
      const other = plan.drift.length - real.length;
      const also = other ? ` (${other} more reported by Terraform are not drift: equal once normalised, or set by other resources of this configuration)` : '';
      if (!real.length) {
        if (!periodic) this.store.say('info', `No drift: the real infrastructure matches the state${also}.`);
        return;
      }
      if (!periodic) this.store.open({ kind: 'drift', scroll: Number.MAX_SAFE_INTEGER });
      this.store.say('warn', `${periodic ? 'Periodic drift check: ' : 'Drift: '}${real.length} resource${real.length === 1 ? '' : 's'} changed outside Terraform${also}. ${periodic ? 'D shows them; ' : ''}a writes the real values into the state; p plans to change them back.`);
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.update((s) => (s.header.drift = { at: Date.now(), error: text, ...every }));
      this.store.say('error', periodic ? `Periodic drift check failed: ${text}` : text, hint);
    }
  }

  /**
   * `--drift-every`: a drift check every `ms` while the console is open; a turn is skipped while
   * an operation runs, the state lock is held (by anyone) or a saved plan awaits apply (a drift
   * check would replace it). The result and its age are in the header.
   */
  startDriftEvery(ms: number): void {
    this.driftEveryMs = ms;
    if (this.driftTimer) clearInterval(this.driftTimer);
    this.driftTimer = setInterval(() => void this.periodicDrift(), ms);
    this.driftTimer.unref();
  }

  private async periodicDrift(): Promise<void> {
    const engine = this.target.engine;
    if (engine.busy || engine.savedPlan || this.store.state.lock.kind !== 'free') return;
    await this.driftCheck(true);
  }

  private openConfirm(action: 'apply' | 'destroy', typed: boolean, prompt: string, detail?: string[]): void {
    // The confirmation is bound to the plan file whose summary it shows: apply refuses any other.
    const planHash = this.target.engine.savedPlanHash;
    this.store.ask({
      action,
      typed,
      ...(typed ? { expect: this.target.environment } : {}),
      prompt,
      ...(detail ? { detail } : {}),
      ...(planHash ? { planHash } : {}),
      onYes: () => void this.apply(planHash),
      onNo: () => this.store.say('info', 'Not applied.'),
    });
  }

  /** `a`: asks to apply the saved plan (y/N, or the typed environment name when it destroys anything). */
  requestApply(): void {
    const engine = this.target.engine;
    if (engine.busy) {
      this.store.say('warn', `${engine.busy} is running: wait for it, or cancel it (c).`);
      return;
    }
    const plan = engine.savedPlan;
    if (!plan) {
      this.store.say('warn', 'There is no saved plan to apply.', 'press p to plan first; apply runs exactly the plan you saw');
      return;
    }
    const { add, change, destroy } = plan.summary;
    if (plan.refreshOnly) {
      const n = plan.drift.length;
      const real = realDrift(plan);
      const listed = [...real, ...plan.drift.filter((d) => !real.includes(d))];
      this.openConfirm('apply', false, `Apply the drift check to ${this.target.environment}: the state takes the real values of ${n} resource${n === 1 ? '' : 's'} (${real.length} changed outside Terraform); nothing in AWS changes. (y/N)`, listed.slice(0, 5).map((d) => `  ${d.address}`).concat(n > 5 ? [`  … and ${n - 5} more`] : []));
      return;
    }
    const risk = plan.risk;
    const top = plan.changes.filter((c) => c.risk === risk && risk !== 'low');
    const riskLines = [`risk ${risk}${top.length ? `: ${top[0]!.riskWhy}` : ''}`, ...top.slice(0, 4).map((c) => `  ${c.action} ${c.address}`), ...(top.length > 4 ? [`  … and ${top.length - 4} more at this risk`] : [])];
    if (plan.destroys || risk === 'critical') {
      this.openConfirm(
        plan.destroyMode ? 'destroy' : 'apply',
        true,
        plan.destroys
          ? `This plan DESTROYS ${destroy} resource${destroy === 1 ? '' : 's'} in ${this.target.environment} (+${add} ~${change} -${destroy}). Type the environment name to apply it:`
          : `This plan changes a critical resource in ${this.target.environment} (+${add} ~${change} -${destroy}). Type the environment name to apply it:`,
        riskLines,
      );
    } else {
      const imports = importsOf(plan).length;
      const focus = plan.targets?.length ? ` (a targeted plan: -target ${plan.targets.join(' ')})` : '';
      this.openConfirm('apply', false, `Apply the saved plan to ${this.target.environment}: +${add} ~${change} -${destroy}${imports ? `, ${imports} to import` : ''}${focus}? (y/N)`, riskLines);
    }
  }

  private async apply(planHash: string | undefined): Promise<void> {
    this.store.say('info', 'Applying…');
    this.historyWarnings = [];
    try {
      const r = await this.target.engine.apply(planHash !== undefined ? { expectHash: planHash } : {});
      const text = r.refreshOnly
        ? `State updated from the real infrastructure in ${(r.durationMs / 1000).toFixed(1)} s: nothing in AWS was changed.`
        : `${r.destroyMode ? 'Destroy' : 'Apply'} complete: ${r.add} added, ${r.change} changed, ${r.remove} destroyed in ${(r.durationMs / 1000).toFixed(1)} s.`;
      this.store.say('info', text);
      await this.afterApplyHistory('warn', text);
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
      await this.afterApplyHistory('error', text, hint);
    }
  }

  /**
   * After an apply's outcome was said: once the history's last write has settled (it may take a
   * while when the bucket does not answer), a warning of the history (the record could not be
   * written) is said again with the outcome, as its hint, since the outcome hid it; the History
   * pane reads the records again.
   */
  private async afterApplyHistory(level: 'warn' | 'error', text: string, hint?: string): Promise<void> {
    await this.recorder?.flush();
    this.history?.refresh();
    const warning = this.historyWarnings.at(-1);
    if (warning) this.store.say(level, text, hint ? `${hint} · ${warning}` : warning);
  }

  /** `o`: reads the outputs and shows them (sensitive values masked). */
  async outputs(): Promise<void> {
    if (this.target.engine.busy) {
      this.store.say('warn', `${this.target.engine.busy} is running: outputs after it ends.`);
      return;
    }
    try {
      await this.target.engine.outputs();
      this.store.open({ kind: 'outputs', scroll: Number.MAX_SAFE_INTEGER });
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
  }

  /**
   * On start: follows a plan or apply another console or pipeline started on this environment and
   * that still runs (live, read-only; c still interrupts it), or shows the outcome of one that ended
   * while nobody watched (its console died). Tells where an unpersisted state waits.
   */
  private async followOtherRuns(): Promise<void> {
    const engine = this.target.engine;
    try {
      const active = await engine.activeRun();
      const ended = active ? [] : await engine.unreportedRuns();
      const rec = active ?? ended.at(-1);
      if (rec && !engine.busy) {
        const what = rec.operation === 'apply' ? 'An apply' : rec.operation === 'plan-destroy' ? 'A destroy plan' : rec.operation === 'plan-refresh-only' ? 'A drift check' : 'A plan';
        const who = `${rec.owner.user}@${rec.owner.host}`;
        if (active) this.store.say('warn', `${what} started at ${rec.startedAt} by ${who} (pid ${rec.pid}) is running on ${this.target.environment}: following it live, read-only.`, 'c sends it the one interrupt; q leaves it running');
        const out = await engine.follow(rec);
        // Let go of when this environment closed (quit, 0): nothing more to say or do here.
        if (out.stopped) return;
        const verb = `${what} started at ${rec.startedAt} by ${who}${active ? '' : ' (its console is gone)'}`;
        if (out.ok) {
          const s = out.summary;
          this.store.say('info', s && out.operation === 'apply' ? `${verb} ended: ${s.operation === 'destroy' ? 'Destroy' : 'Apply'} complete: ${s.add} added, ${s.change} changed, ${s.remove} destroyed.` : `${verb} ended without error (exit ${out.exitCode}).`, out.operation === 'apply' ? '' : 'its plan belongs to the run that made it: press p to plan here');
        } else {
          this.store.say('error', `${verb} ${out.exitCode === -1 ? 'was killed' : 'failed'}: ${out.error?.message ?? `exit ${out.exitCode}`}`, out.error?.hint ?? '');
        }
      }
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
    // Once any other run was followed: upload records kept locally, mark the ones a dead process left
    // "running". What it says is added to the message line as a hint, so the outcome of a followed
    // run (or the start's notices) stays readable.
    if (this.recorder) {
      const before = this.store.state.message;
      this.startNotes = [];
      try {
        await this.recorder.reconcile(await this.target.readLock());
      } finally {
        const notes = this.startNotes;
        this.startNotes = undefined;
        if (notes.length) {
          const words = notes.map((n) => n.text).join(' · ');
          const level = notes.some((n) => n.level === 'warn') ? 'warn' : 'info';
          if (before && this.store.state.message === before) this.store.say(before.level === 'error' ? 'error' : level === 'warn' || before.level === 'warn' ? 'warn' : 'info', before.text, before.hint ? `${before.hint} · ${words}` : words);
          else this.store.say(level, words);
        }
      }
    }
    if (existsSync(engine.erroredStatePath)) {
      this.store.update((st) => setErroredState(st.plan, engine.erroredStatePath));
      this.store.say('error', `A state Terraform could not write to the backend is waiting in ${engine.erroredStatePath}.`, 'once the backend answers, push it with :state-push-errored');
    }
  }

  /**
   * `:unlock`, `:force-unlock`, `U` in the State pane: shows who holds the state lock, since when
   * and for what, and releases it once its lock ID is typed. Refused while this console's own
   * Terraform runs or a run of this machine is alive (it holds the lock; releasing it under a live
   * run lets two writers at the state).
   */
  async askUnlock(): Promise<void> {
    const busy = this.target.engine.busy;
    if (busy) {
      this.store.say('warn', `Not released: this console's ${busy} is running; a lock is released only when no run is alive.`, 'wait for it to end, or cancel it (c in the Plan/Apply pane)');
      return;
    }
    const lock = await this.target.readLock();
    this.store.update((st) => {
      st.lock = lock;
    });
    if (lock.kind === 'free') {
      this.store.say('info', 'The state lock is free: nothing to release.');
      return;
    }
    if (lock.kind === 'unknown') {
      this.store.say('error', `The state lock cannot be read (${lock.reason}).`, 'check the connection to AWS, then :unlock again');
      return;
    }
    const active = await this.target.engine.activeRun();
    if (active) {
      this.store.say('error', `Not released: a ${active.operation} started at ${active.startedAt} (pid ${active.pid}) is alive on this machine and holds the lock.`, 'wait for it to end, or cancel it (c)');
      return;
    }
    const l = lock.lock;
    this.store.ask({
      action: 'unlock',
      typed: true,
      expect: l.id,
      prompt: `Release the state lock ${l.id} held by ${l.who} (${l.operation}, since ${l.created})? Only if that run is dead. Type the lock ID to release it:`,
      detail: [`ID         ${l.id}`, `who        ${l.who}`, `operation  ${l.operation}`, `since      ${l.created}`, ...(l.path ? [`path       ${l.path}`] : []), ...(l.version ? [`version    ${l.version}`] : [])],
      mismatch: (input) => ({ text: `"${input}" is not the lock ID ${l.id}: nothing released.`, hint: 'type the lock ID exactly (shown above), or Esc to back out' }),
      onYes: () => void this.unlock(l.id),
    });
  }

  private async unlock(lockId: string): Promise<void> {
    if (this.target.engine.busy) {
      this.store.say('warn', `Not released: this console's ${this.target.engine.busy} started meanwhile.`, 'wait for it to end, then :unlock again');
      return;
    }
    const lock = await this.target.readLock();
    if (lock.kind !== 'held' || lock.lock.id !== lockId) {
      this.store.say('warn', lock.kind === 'free' ? 'The lock was released meanwhile: nothing done.' : `The lock changed since it was shown: nothing released.`, 'look at the header, then :unlock again');
      void this.refreshLock();
      return;
    }
    this.store.say('info', `Releasing the state lock ${lockId}…`);
    try {
      const state = this.target.state;
      if (state) {
        const r = await state.unlock(lockId, (step) => this.store.say('info', step));
        this.store.say('info', `Released the state lock ${lockId} (held by ${r.lock.who}).${r.change.historyId ? ` Recorded in the history as ${r.change.historyId}.` : ''}`);
      } else {
        await this.target.engine.unlock(lockId);
        this.store.say('info', `Released the state lock ${lockId} (held by ${lock.lock.who}).`);
      }
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
    void this.refreshLock();
  }

  /** `:state-push-errored`: pushes the state Terraform could not write to the backend. */
  async pushErroredState(): Promise<void> {
    if (this.target.engine.busy) {
      this.store.say('warn', `${this.target.engine.busy} is running: push the state after it ends.`);
      return;
    }
    this.store.say('info', 'Pushing the unpersisted state to the backend…');
    try {
      const lock = await this.target.readLock();
      if (lock.kind === 'unknown') throw new ConsoleError(`the state lock cannot be read (${lock.reason}): nothing was pushed`, 'check that the backend answers, then :state-push-errored again');
      const r = await this.target.engine.pushErroredState(lock.kind === 'held' ? lock.lock : undefined);
      this.store.update((st) => setErroredState(st.plan, undefined));
      this.store.say('info', `Pushed the unpersisted state${r.serial !== undefined ? ` (serial ${r.serial})` : ''} to the backend${r.releasedLock ? `, after releasing the lock ${r.releasedLock} the failed run had left` : ''}; the file is kept as ${r.movedTo}.`, 'plan again (p) to see where things stand');
      void this.refreshLock();
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
  }

  /** `q`, Ctrl-C: quits, unless an apply of this console runs (a plan is interrupted first). */
  quit(): void {
    this.leave('quitting', () => this.resolveQuit());
  }

  /**
   * `0`, `:fleet`: closes this environment for the Fleet screen, on the same terms as quitting
   * (refused while an apply of this console runs; a plan is interrupted first; a followed run goes
   * on without it). Resolves {@link fleetRequested} once this console's work has stopped.
   */
  requestFleet(): void {
    this.leave('leaving', () => this.resolveFleet());
  }

  private leave(what: 'quitting' | 'leaving', done: () => void): void {
    const busy = this.target.engine.busy;
    if (busy && this.target.engine.attached) {
      // A followed run is not this console's: it goes on without it.
      this.finishLeave(done);
      return;
    }
    if (this.roll?.busy) {
      this.store.say('warn', `A roll is running: ${what} now would stop it between its steps.`, `abort it after the current node (X in the Roll pane, 8) and ${what === 'quitting' ? 'quit' : 'leave'} once it has stopped; a roll stopped by a crash resumes with :roll`);
      return;
    }
    if (busy === 'apply') {
      this.store.say('warn', `An apply is running: ${what} now could leave the state locked or half-written.`, `wait for it to end, or cancel it (c) and ${what === 'quitting' ? 'quit' : 'leave'} once it has stopped`);
      return;
    }
    if (busy) {
      // A plan or init holds the lock too: interrupt it once and go when it has released the lock.
      this.target.engine.cancel();
      this.store.say('warn', `Stopping the ${busy} before ${what}…`);
      const off = this.target.engine.on((e) => {
        if (e.kind === 'operation-end') {
          off();
          this.finishLeave(done);
        }
      });
      return;
    }
    this.finishLeave(done);
  }

  private finishLeave(done: () => void): void {
    this.store.update((st) => {
      st.quitting = true;
    });
    this.stop();
    // The history's last write (an apply's end) goes out before the console exits.
    void (this.recorder?.flush() ?? Promise.resolve()).finally(done);
  }
}
