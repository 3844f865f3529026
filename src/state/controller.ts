import { existsSync } from 'node:fs';
import { ConsoleError, messageOf } from '../core/errors.js';
import type { LockState } from '../services/aws/state-lock.js';
import type { Engine } from '../services/terraform/engine.js';
import type { AwsPanes } from './aws-controller.js';
import type { SshPanes } from './ssh-controller.js';
import type { KubePanes } from './kube-controller.js';
import { PANES, type PaneId, type Store } from './store.js';
import { clusterRows } from './selectors.js';

/** What the controller needs of an open environment (a Session satisfies it; tests may pass their own). */
export interface ControllerTarget {
  environment: string;
  engine: Engine;
  readLock(): Promise<LockState>;
  notices?: string[];
}

/** Actions the UI dispatches. Components never call services: they dispatch these. */
export type Action =
  | { type: 'plan' }
  | { type: 'apply' }
  | { type: 'destroy' }
  | { type: 'cancel' }
  | { type: 'outputs' }
  | { type: 'quit' }
  | { type: 'show'; overlay: 'help' | 'log' | 'diagnostics' | 'outputs' }
  | { type: 'close-overlay' }
  | { type: 'confirm-input'; text: string }
  | { type: 'confirm-backspace' }
  | { type: 'confirm-submit' }
  | { type: 'pane'; pane: PaneId }
  | { type: 'pane-step'; delta: 1 | -1 }
  | { type: 'select'; index: number }
  | { type: 'filter'; text: string }
  | { type: 'refresh-lock' }
  | { type: 'command'; text: string }
  | { type: 'refresh' }
  | { type: 'enter' }
  | { type: 'sort'; change: 1 | -1 | 'reverse' }
  | { type: 'reveal' }
  | { type: 'edit' }
  | { type: 'fetch' }
  | { type: 'upload' }
  | { type: 'tree'; direction: 'fetch' | 'upload' }
  | { type: 'prompt-input'; text: string }
  | { type: 'prompt-backspace' }
  | { type: 'prompt-submit' }
  | { type: 'bootstrap' }
  | { type: 'ssh-shell' }
  | { type: 'mark' }
  | { type: 'mark-role'; role: string }
  | { type: 'run'; command: string }
  | { type: 'tunnel'; spec?: string }
  | { type: 'show-tunnels' }
  | { type: 'close-tunnel'; n: number }
  | { type: 'show-run' }
  | { type: 'cluster-section'; section: 'nodes' | 'pods' }
  | { type: 'merge-kubeconfig' }
  | { type: 'unlock' }
  | { type: 'state-push-errored' };

/** The `:` command line's words and the actions they stand for (k9s-style). */
export const COMMANDS: Readonly<Record<string, Action>> = {
  plan: { type: 'plan' },
  apply: { type: 'apply' },
  destroy: { type: 'destroy' },
  cancel: { type: 'cancel' },
  outputs: { type: 'outputs' },
  output: { type: 'outputs' },
  log: { type: 'show', overlay: 'log' },
  errors: { type: 'show', overlay: 'diagnostics' },
  help: { type: 'show', overlay: 'help' },
  q: { type: 'quit' },
  quit: { type: 'quit' },
  instances: { type: 'pane', pane: 'instances' },
  elbs: { type: 'pane', pane: 'elbs' },
  lb: { type: 'pane', pane: 'elbs' },
  secrets: { type: 'pane', pane: 'secrets' },
  cluster: { type: 'pane', pane: 'cluster' },
  pa: { type: 'pane', pane: 'plan' },
  bootstrap: { type: 'bootstrap' },
  tunnels: { type: 'show-tunnels' },
  tunnel: { type: 'tunnel' },
  run: { type: 'show-run' },
  ssh: { type: 'ssh-shell' },
  kubeconfig: { type: 'merge-kubeconfig' },
  unlock: { type: 'unlock' },
  'state-push-errored': { type: 'state-push-errored' },
};

/** `:` commands that take the rest of the line: `run COMMAND`, `mark ROLE`, `tunnel HOST:PORT [LOCAL_PORT]`. */
const ARG_COMMANDS: Readonly<Record<string, (rest: string) => Action>> = {
  run: (rest) => ({ type: 'run', command: rest }),
  mark: (rest) => ({ type: 'mark-role', role: rest.toLowerCase() }),
  tunnel: (rest) => ({ type: 'tunnel', spec: rest }),
};

/**
 * Parses a `:` command line (leading colon optional, case-insensitive, surrounding spaces ignored).
 * @returns the action, or `undefined` for an unknown command.
 */
export function parseCommand(text: string): Action | undefined {
  const line = text.trim().replace(/^:/, '').trim();
  const m = /^(\S+)\s+(.+)$/.exec(line);
  if (m && Object.hasOwn(ARG_COMMANDS, m[1]!.toLowerCase())) return ARG_COMMANDS[m[1]!.toLowerCase()]!(m[2]!.trim());
  const word = line.toLowerCase();
  return Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
}

const LOCK_POLL_MS = 5_000;


/**
 * Turns UI actions into service calls and service results into store updates. Plain TypeScript:
 * no Ink, so tests drive it directly.
 */
export class Controller {
  private off: (() => void) | undefined;
  private lockTimer: NodeJS.Timeout | undefined;
  /** Resolves when the operator's quit is accepted (the UI exits then). */
  readonly quitRequested: Promise<void>;
  private resolveQuit!: () => void;

  constructor(
    readonly store: Store,
    readonly target: ControllerTarget,
    /** The AWS panes (Instances, Load balancers, Secrets); absent in tests of the Plan/Apply pane alone. */
    readonly aws?: AwsPanes,
    /** SSH through the bastion (shell, :run, tunnels); absent where the console has no SSH. */
    readonly ssh?: SshPanes,
    /** The Cluster pane; absent where the console has none. */
    readonly kube?: KubePanes,
  ) {
    this.quitRequested = new Promise((r) => (this.resolveQuit = r));
  }

  /** Connects the engine to the store, shows notices and starts the lock poll. */
  start(): void {
    this.off = this.target.engine.on((e) => {
      this.store.onEngineEvent(e);
      if (e.kind === 'endpoint') {
        if (!e.reachable) this.store.say('error', `AWS does not answer (${e.reason ?? 'no answer'}): Terraform is retrying.`, 'c cancels (one interrupt: Terraform writes what it can and releases the lock), or wait for the endpoint to come back');
        else this.store.say('info', 'AWS answers again; Terraform goes on.');
      }
      if (e.kind === 'operation-end') void this.refreshLock();
      // Terraform takes the lock a moment after it starts: look again then.
      if (e.kind === 'operation-start') setTimeout(() => void this.refreshLock(), 1_500).unref();
    });
    const notices = this.target.notices ?? [];
    if (notices.length) this.store.say(notices.some((n) => /restarted/.test(n)) ? 'warn' : 'info', notices.join(' · '));
    if (!this.target.notices?.length) this.store.say('info', 'Ready. Press p to plan, ? for all keys.');
    void this.refreshLock();
    void this.followOtherRuns();
    void this.aws?.checkPrerequisites();
    this.lockTimer = setInterval(() => void this.refreshLock(), LOCK_POLL_MS);
    this.lockTimer.unref();
  }

  /** Stops listening and polling. */
  stop(): void {
    this.aws?.stop();
    void this.ssh?.stop();
    void this.kube?.stop();
    this.off?.();
    if (this.lockTimer) clearInterval(this.lockTimer);
  }

  private async refreshLock(): Promise<void> {
    const lock = await this.target.readLock();
    this.store.update((s) => {
      s.lock = lock;
    });
  }

  /** Handles one action. Never throws: failures become the status-bar message. */
  dispatch(a: Action): void {
    const s = this.store.state;
    switch (a.type) {
      case 'plan':
        void this.plan(false);
        break;
      case 'destroy':
        void this.plan(true);
        break;
      case 'apply':
        this.requestApply();
        break;
      case 'cancel':
        if (this.target.engine.cancel()) this.store.say('warn', 'Cancelling: one interrupt sent; Terraform is finishing in-flight changes, writing state and releasing the lock…');
        else this.store.say('info', this.target.engine.busy ? 'Cancel already requested; waiting for Terraform.' : 'Nothing is running.');
        break;
      case 'outputs':
        void this.outputs();
        break;
      case 'quit':
        this.quit();
        break;
      case 'show':
        this.store.update((st) => {
          st.overlay = { kind: a.overlay };
        });
        break;
      case 'close-overlay':
        if (s.overlay.kind === 'secret') this.aws?.closeView();
        if (s.overlay.kind === 'confirm' && s.overlay.action === 'host-key') {
          // answerHostKey puts back the overlay the question covered (the run view).
          this.ssh?.answerHostKey(false);
          this.store.say('warn', 'Host key not trusted: not connected.');
          break;
        }
        this.store.update((st) => {
          if (st.overlay.kind === 'confirm') st.message = { level: 'info', text: st.overlay.action === 'apply' || st.overlay.action === 'destroy' ? 'Not applied.' : 'Nothing done.' };
          st.overlay = { kind: 'none' };
        });
        break;
      case 'refresh':
        if (s.pane === 'cluster') void this.kube?.reconnect();
        else this.aws?.refresh(s.pane);
        break;
      case 'bootstrap':
        this.aws?.askBootstrap();
        break;
      case 'enter':
        if (s.pane === 'cluster') this.kube?.enter();
        else void this.aws?.enter(s.pane);
        break;
      case 'cluster-section':
        this.kube?.section(a.section);
        break;
      case 'merge-kubeconfig':
        if (this.kube) this.kube.askMerge();
        else this.store.say('warn', 'The Cluster pane is not available in this console.');
        break;
      case 'sort':
        if (s.pane === 'instances' || s.pane === 'elbs') this.aws?.sort(s.pane, a.change);
        break;
      case 'reveal':
        this.aws?.reveal();
        break;
      case 'edit':
        void this.aws?.edit();
        break;
      case 'fetch':
        void this.aws?.fetch();
        break;
      case 'upload':
        this.aws?.askUpload();
        break;
      case 'tree':
        void this.aws?.askTree(a.direction);
        break;
      case 'prompt-input':
        if (s.overlay.kind === 'prompt') {
          const o = s.overlay;
          this.store.update(() => {
            o.input = (o.input + a.text).slice(0, 4096);
          });
        }
        break;
      case 'prompt-backspace':
        if (s.overlay.kind === 'prompt') {
          const o = s.overlay;
          this.store.update(() => {
            o.input = o.input.slice(0, -1);
          });
        }
        break;
      case 'prompt-submit':
        if (s.overlay.kind === 'prompt') {
          const input = s.overlay.input.trim();
          const purpose = s.overlay.purpose;
          this.store.update((st) => {
            st.overlay = { kind: 'none' };
          });
          if (!input) break;
          if (purpose === 'tunnel') void this.ssh?.openTunnel(input);
          else if (purpose === 'run') void this.ssh?.run(input);
          else void this.aws?.upload(input.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
        }
        break;
      case 'confirm-input':
        if (s.overlay.kind === 'confirm') {
          const o = s.overlay;
          if (!o.typed) {
            if (/^[yY]$/.test(a.text)) this.dispatch({ type: 'confirm-submit' });
            else if (/^[nN]$/.test(a.text)) this.dispatch({ type: 'close-overlay' });
            return;
          }
          this.store.update(() => {
            o.input = (o.input + a.text).slice(0, 64);
          });
        }
        break;
      case 'confirm-backspace':
        if (s.overlay.kind === 'confirm') {
          const o = s.overlay;
          this.store.update(() => {
            o.input = o.input.slice(0, -1);
          });
        }
        break;
      case 'confirm-submit':
        this.submitConfirm();
        break;
      case 'pane':
        this.store.update((st) => {
          st.pane = a.pane;
          st.filter = '';
          st.selected = 0;
        });
        this.aws?.activate(a.pane);
        if (a.pane === 'cluster') {
          this.kube?.activate();
          // Nodes are matched to instances by private IP: the instance list is needed here too.
          this.aws?.activate('instances');
        }
        break;
      case 'pane-step': {
        const i = PANES.findIndex((p) => p.id === s.pane);
        const next = PANES[(i + a.delta + PANES.length) % PANES.length]!;
        this.dispatch({ type: 'pane', pane: next.id });
        break;
      }
      case 'select':
        this.store.update((st) => {
          st.selected = Math.max(0, a.index);
        });
        break;
      case 'filter':
        this.store.update((st) => {
          st.filter = a.text;
          st.selected = 0;
        });
        break;
      case 'ssh-shell': {
        if (!this.ssh) {
          this.store.say('warn', 'SSH is not available in this console.');
          break;
        }
        if (s.pane !== 'cluster') {
          void this.ssh.shell();
          break;
        }
        // In the Cluster pane: the node's EC2 instance (matched by private IP).
        const node = s.cluster.section === 'nodes' ? clusterRows(s).nodes[s.selected] : undefined;
        const row = node?.instanceId ? s.instances.rows.find((r) => r.id === node.instanceId) : undefined;
        if (row) void this.ssh.shell(row);
        else this.store.say('warn', node ? `No instance of this environment has ${node.name}'s address ${node.internalIp || '(none)'}: nothing to SSH into.` : 'Select a node first (n, then ↑↓).');
        break;
      }
      case 'mark':
        this.ssh?.toggleMark();
        break;
      case 'mark-role':
        this.ssh?.markRole(a.role);
        break;
      case 'run':
        void this.ssh?.run(a.command);
        break;
      case 'show-run':
        if (s.run)
          this.store.update((st) => {
            st.overlay = { kind: 'run' };
          });
        else this.store.say('info', 'Nothing has run yet: :run COMMAND runs on the marked instances (space marks).');
        break;
      case 'tunnel':
        if (a.spec) void this.ssh?.openTunnel(a.spec);
        else void this.ssh?.askTunnel();
        break;
      case 'show-tunnels':
        this.store.update((st) => {
          st.overlay = { kind: 'tunnels' };
        });
        break;
      case 'close-tunnel':
        void this.ssh?.closeTunnel(a.n);
        break;
      case 'refresh-lock':
        void this.refreshLock();
        break;
      case 'unlock':
        void this.askUnlock();
        break;
      case 'state-push-errored':
        void this.pushErroredState();
        break;
      case 'command': {
        if (!a.text.trim()) break;
        const action = parseCommand(a.text);
        if (action) this.dispatch(action);
        else this.store.say('error', `unknown command :${a.text.trim()}`, `try one of: ${Object.keys(COMMANDS).join(', ')}`);
        break;
      }
    }
  }

  private async plan(destroy: boolean): Promise<void> {
    const engine = this.target.engine;
    if (engine.busy) {
      this.store.say('warn', `${engine.busy} is running: wait for it, or cancel it (c).`);
      return;
    }
    this.store.say('info', destroy ? 'Planning the destroy of the whole environment…' : 'Planning…');
    try {
      const plan = await engine.plan({ destroy });
      const { add, change, destroy: del } = plan.summary;
      if (!plan.hasChanges) {
        this.store.say('info', destroy ? 'Nothing to destroy: the environment is empty.' : 'No changes: the infrastructure matches the configuration.');
        return;
      }
      if (destroy) {
        this.openConfirm('destroy', true, `Destroy ${this.target.environment}: ${del} resource${del === 1 ? '' : 's'} will be deleted. Type the environment name to confirm:`);
        return;
      }
      this.store.say('info', `Plan: ${add} to add, ${change} to change, ${del} to destroy. Press a to apply it.`);
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
  }

  private openConfirm(action: 'apply' | 'destroy', typed: boolean, prompt: string): void {
    // The confirmation is bound to the plan file whose summary it shows: apply refuses any other.
    const planHash = this.target.engine.savedPlanHash;
    this.store.update((st) => {
      st.message = undefined;
      st.overlay = { kind: 'confirm', action, typed, input: '', prompt, ...(planHash ? { planHash } : {}) };
    });
  }

  private requestApply(): void {
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
    if (plan.destroys) {
      this.openConfirm(
        plan.destroyMode ? 'destroy' : 'apply',
        true,
        `This plan DESTROYS ${destroy} resource${destroy === 1 ? '' : 's'} in ${this.target.environment} (+${add} ~${change} -${destroy}). Type the environment name to apply it:`,
      );
    } else {
      this.openConfirm('apply', false, `Apply the saved plan to ${this.target.environment}: +${add} ~${change} -${destroy}? (y/N)`);
    }
  }

  private submitConfirm(): void {
    const o = this.store.state.overlay;
    if (o.kind !== 'confirm') return;
    if (o.action === 'merge-kubeconfig') {
      this.store.update((st) => {
        st.overlay = { kind: 'none' };
      });
      void this.kube?.merge();
      return;
    }
    if (o.action === 'host-key') {
      this.ssh?.answerHostKey(true);
      return;
    }
    if (o.action === 'unlock') {
      this.store.update((st) => {
        st.overlay = { kind: 'none' };
      });
      void this.unlock(o.lockId ?? '');
      return;
    }
    if (o.action === 'bootstrap' || o.action === 'write-profile') {
      this.store.update((st) => {
        st.overlay = { kind: 'none' };
      });
      void (o.action === 'bootstrap' ? this.aws?.runBootstrap() : this.aws?.writeProfile());
      return;
    }
    if (o.action === 'fetch-tree' || o.action === 'upload-tree') {
      this.store.update((st) => {
        st.overlay = { kind: 'none' };
      });
      void this.aws?.runTree(o.action === 'fetch-tree' ? 'fetch' : 'upload');
      return;
    }
    if (o.typed && o.input !== this.target.environment) {
      this.store.update((st) => {
        st.message = { level: 'error', text: `"${o.input}" is not "${this.target.environment}": nothing applied.`, hint: 'type the environment name exactly, or Esc to back out' };
        o.input = '';
      });
      return;
    }
    this.store.update((st) => {
      st.overlay = { kind: 'none' };
    });
    void this.apply(o.planHash);
  }

  private async apply(planHash: string | undefined): Promise<void> {
    this.store.say('info', 'Applying…');
    try {
      const r = await this.target.engine.apply(planHash !== undefined ? { expectHash: planHash } : {});
      this.store.say('info', `${r.destroyMode ? 'Destroy' : 'Apply'} complete: ${r.add} added, ${r.change} changed, ${r.remove} destroyed in ${(r.durationMs / 1000).toFixed(1)} s.`);
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
  }

  private async outputs(): Promise<void> {
    if (this.target.engine.busy) {
      this.store.say('warn', `${this.target.engine.busy} is running: outputs after it ends.`);
      return;
    }
    try {
      await this.target.engine.outputs();
      this.store.update((st) => {
        st.overlay = { kind: 'outputs' };
      });
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
        const what = rec.operation === 'apply' ? 'An apply' : rec.operation === 'plan-destroy' ? 'A destroy plan' : 'A plan';
        const who = `${rec.owner.user}@${rec.owner.host}`;
        if (active) this.store.say('warn', `${what} started at ${rec.startedAt} by ${who} (pid ${rec.pid}) is running on ${this.target.environment}: following it live, read-only.`, 'c sends it the one interrupt; q leaves it running');
        const out = await engine.follow(rec);
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
    if (existsSync(engine.erroredStatePath)) {
      this.store.update((st) => {
        st.erroredState = engine.erroredStatePath;
      });
      this.store.say('error', `A state Terraform could not write to the backend is waiting in ${engine.erroredStatePath}.`, 'once the backend answers, push it with :state-push-errored');
    }
  }

  /** `:unlock`: shows who holds the lock and since when, and asks before releasing it. */
  private async askUnlock(): Promise<void> {
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
    this.store.update((st) => {
      st.message = undefined;
      st.overlay = {
        kind: 'confirm',
        action: 'unlock',
        typed: false,
        input: '',
        lockId: l.id,
        prompt: `Release the state lock ${l.id} held by ${l.who} (${l.operation}, since ${l.created})? Only if that run is dead. (y/N)`,
      };
    });
  }

  private async unlock(lockId: string): Promise<void> {
    const lock = await this.target.readLock();
    if (lock.kind !== 'held' || lock.lock.id !== lockId) {
      this.store.say('warn', lock.kind === 'free' ? 'The lock was released meanwhile: nothing done.' : `The lock changed since it was shown: nothing released.`, 'look at the header, then :unlock again');
      void this.refreshLock();
      return;
    }
    this.store.say('info', `Releasing the state lock ${lockId}…`);
    try {
      await this.target.engine.unlock(lockId);
      this.store.say('info', `Released the state lock ${lockId} (held by ${lock.lock.who}).`);
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
    void this.refreshLock();
  }

  /** `:state-push-errored`: pushes the state Terraform could not write to the backend. */
  private async pushErroredState(): Promise<void> {
    if (this.target.engine.busy) {
      this.store.say('warn', `${this.target.engine.busy} is running: push the state after it ends.`);
      return;
    }
    this.store.say('info', 'Pushing the unpersisted state to the backend…');
    try {
      const lock = await this.target.readLock();
      if (lock.kind === 'unknown') throw new ConsoleError(`the state lock cannot be read (${lock.reason}): nothing was pushed`, 'check that the backend answers, then :state-push-errored again');
      const r = await this.target.engine.pushErroredState(lock.kind === 'held' ? lock.lock : undefined);
      this.store.update((st) => {
        st.erroredState = undefined;
      });
      this.store.say('info', `Pushed the unpersisted state${r.serial !== undefined ? ` (serial ${r.serial})` : ''} to the backend${r.releasedLock ? `, after releasing the lock ${r.releasedLock} the failed run had left` : ''}; the file is kept as ${r.movedTo}.`, 'plan again (p) to see where things stand');
      void this.refreshLock();
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.say('error', text, hint);
    }
  }

  private quit(): void {
    const busy = this.target.engine.busy;
    if (busy && this.target.engine.attached) {
      // A followed run is not this console's: it goes on without it.
      this.finishQuit();
      return;
    }
    if (busy === 'apply') {
      this.store.say('warn', 'An apply is running: quitting now could leave the state locked or half-written.', 'wait for it to end, or cancel it (c) and quit once it has stopped');
      return;
    }
    if (busy) {
      // A plan or init holds the lock too: interrupt it once and quit when it has released the lock.
      this.target.engine.cancel();
      this.store.say('warn', `Stopping the ${busy} before quitting…`);
      const off = this.target.engine.on((e) => {
        if (e.kind === 'operation-end') {
          off();
          this.finishQuit();
        }
      });
      return;
    }
    this.finishQuit();
  }

  private finishQuit(): void {
    this.store.update((st) => {
      st.quitting = true;
    });
    this.stop();
    this.resolveQuit();
  }
}
