/**
 * The Roll pane's controller: `:roll secure|compute` plans a roll and shows it with the gates; `a`
 * asks (the typed environment name for the control plane, y/N for workers) and rolls; `c` pauses
 * after the current node, `g` resumes, `X` aborts (after the current node). The same services as
 * `--ci roll` (services/roll: preview, execute). Plain TypeScript, no Ink.
 */
import type { KubeConfig } from '@kubernetes/client-node';

import type { RollTarget } from '../../services/roll/execute.js';
import type { GroupInstance, Layer } from '../../services/roll/group.js';
import type { RollPreview } from '../../services/roll/preview.js';
import { RollControl as RollControlLocal } from '../../services/roll/control.js';
import { replacedText } from '../../core/roll-text.js';
import type { RollControl, RollSettings } from '../../services/roll/runner.js';
import type { SshSettings } from '../../services/ssh/connection.js';
import type { SshTarget } from '../../services/ssh/targets.js';
import { messageOf } from '../../core/errors.js';
import type { Store } from '../../state/store.js';
import { rollEnded, rollError, rollEvent, rollPlanned, rollPlanning, rollStarted } from './slice.js';

/** What the Roll pane needs of the open environment. */
export interface RollPaneOptions {
  target: RollTarget;
  /** The cluster's kubeconfig as the Cluster pane uses it (its tunnel included). */
  kubeConfig(): Promise<KubeConfig>;
  /** The console's SSH settings (bastion, user, key, known_hosts). */
  sshSettings(): Promise<SshSettings>;
  /** Where an instance is reached by SSH: the tests' harness only (default: its private address). */
  targetOf?: (i: GroupInstance) => SshTarget | Promise<SshTarget>;
  /** Waits (the tests make them short). */
  settings?: Partial<RollSettings>;
}

/** The Roll pane's controller. */
export class RollController {
  private preview: RollPreview | undefined;
  private control: RollControl | undefined;
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: RollPaneOptions,
  ) {}

  /** Whether a roll runs (quitting is refused then). */
  get busy(): boolean {
    return this.running !== undefined;
  }

  private async ports(layer: Layer) {
    const { rollPorts } = await import('../../services/roll/ports.js');
    const ssh = layer === 'secure' ? await this.o.sshSettings() : undefined;
    return rollPorts({ aws: this.o.target.aws, layer, kube: () => this.o.kubeConfig(), ...(ssh ? { ssh } : {}), ...(this.o.targetOf ? { targetOf: this.o.targetOf } : {}) });
  }

  /** `:roll secure|compute` (or `r` again): the plan and the gates, nothing changed. */
  async plan(arg?: string): Promise<void> {
    const layer = (arg ?? this.store.state.roll.layer ?? '').trim();
    if (layer !== 'secure' && layer !== 'compute') {
      this.store.say('error', `:roll takes the node group: secure or compute${arg ? ` (not "${arg.slice(0, 40)}")` : ''}.`, 'e.g. :roll compute');
      return;
    }
    if (this.running) {
      this.store.say('warn', 'A roll is running: it is not planned again meanwhile.', 'c pauses it after the current node, X aborts it');
      return;
    }
    this.store.update((s) => {
      rollPlanning(s.roll, layer);
      s.selected = 0;
    });
    this.store.say('info', `Planning the roll of ${layer}: reading the group, the history and the gates…`);
    try {
      const { previewRoll } = await import('../../services/roll/preview.js');
      const p = await previewRoll(layer, await this.ports(layer), this.o.target.history);
      this.preview = p;
      this.store.update((s) =>
        rollPlanned(s.roll, {
          group: p.plan.group,
          version: p.plan.version,
          rows: p.plan.batches.flat().map((t) => ({ instanceId: t.instance.instanceId, availabilityZone: t.instance.availabilityZone, reason: t.reason })),
          ...(p.resume ? { resume: p.resume.instanceId } : {}),
          gates: p.gates,
          blockers: p.plan.blockers,
        }),
      );
      const n = p.plan.batches.flat().length;
      const failed = p.gates.filter((g) => !g.ok);
      if (!n && !p.resume) this.store.say('info', `Nothing to roll: the ${p.group.instances.length} instances of ${p.plan.group} run version ${p.plan.version}.`);
      else if (failed.length || (p.plan.blockers.length && !p.resume)) this.store.say('warn', `The roll cannot start now: ${failed.map((g) => `the ${g.name} gate (${g.detail})`).join('; ') || p.plan.blockers.join('; ')}.`, 'r plans and checks again');
      else this.store.say('info', `${n} instance${n === 1 ? '' : 's'} of ${p.plan.group} to roll to version ${p.plan.version}${p.resume ? `, after finishing ${p.resume.instanceId}` : ''}.`, 'a rolls (asks first); nothing has changed yet');
    } catch (err) {
      const { text, hint } = messageOf(err);
      this.store.update((s) => rollError(s.roll, text, hint));
      this.store.say('error', text, hint);
    }
  }

  /** `a`: asks, then rolls exactly the plan shown. */
  askStart(): void {
    const p = this.preview;
    const s = this.store.state.roll;
    if (this.running) return this.store.say('warn', 'A roll is running already.', 'c pauses it, X aborts it');
    if (!p || s.phase !== 'planned') return this.store.say('warn', 'Nothing planned to roll.', ':roll secure or :roll compute plans one');
    const n = p.plan.batches.flat().length;
    if (!n && !p.resume) return this.store.say('info', 'Nothing to roll.');
    const failed = p.gates.filter((g) => !g.ok);
    if (failed.length || (p.plan.blockers.length && !p.resume)) return this.store.say('warn', `The roll cannot start: ${failed.map((g) => `the ${g.name} gate`).join(', ') || 'the group is not whole'}.`, 'r plans and checks again');
    const env = this.o.target.environment;
    const secure = p.plan.layer === 'secure';
    const detail = [
      ...(p.resume ? [`First ${p.resume.instanceId}, which an earlier roll left half-done.`] : []),
      ...p.plan.batches.map((b, i) => `${i + 1}. ${b.map((t) => `${t.instance.instanceId} (${t.instance.availabilityZone}, ${t.reason})`).join(', ')}`),
      `Each: the gates (${secure ? 'capacity, cluster, etcd' : 'capacity, cluster'}), then cordon and drain (evictions, PodDisruptionBudgets respected)${secure ? ', its etcd member removed' : ''}, the instance terminated (the group keeps its capacity and launches a replacement), the replacement waited for${secure ? ' (its etcd volume and interface, Ready, an etcd member)' : ' (Ready)'}, then ${Math.round((this.o.settings?.settleMs ?? 60_000) / 1000)} s to settle.`,
      'Any failed gate or step stops the roll and leaves the group as it is. The state lock is held while it runs; every step is recorded in the history.',
    ];
    const prompt = `Roll ${n} instance${n === 1 ? '' : 's'} of ${p.plan.group} to version ${p.plan.version}${secure ? ', one at a time' : ''}?`;
    this.store.ask({
      action: 'roll',
      typed: secure,
      ...(secure ? { expect: env, mismatch: (input: string) => ({ text: `"${input}" is not "${env}": nothing rolled.`, hint: `type ${env} to roll the control plane, or Esc to back out` }) } : {}),
      prompt: secure ? `${prompt} Type ${env} to roll the control plane:` : `${prompt} (y/N)`,
      detail,
      onYes: () => this.start(),
      onNo: () => this.store.say('info', 'Nothing rolled.'),
    });
  }

  /** Starts the roll at once (the state set before any await, so a second `a` or a `q` sees it). */
  private start(): void {
    const p = this.preview!;
    const control = new RollControlLocal();
    const abort = new AbortController();
    this.control = control;
    this.abort = abort;
    this.store.update((s) => rollStarted(s.roll));
    this.store.say('info', `Rolling ${p.plan.group}…`, 'c pauses after the current node, X aborts');
    const run = async () => {
      try {
        const [{ executeRoll }, { ROLL_DEFAULTS }] = await Promise.all([import('../../services/roll/execute.js'), import('../../services/roll/runner.js')]);
        const { outcome, recordId } = await executeRoll(
          this.o.target,
          p.plan,
          { force: false, batch: p.plan.batches[0]?.length ?? 1, ports: await this.ports(p.plan.layer), settings: { ...ROLL_DEFAULTS, ...this.o.settings }, control, signal: abort.signal, ...(p.resume ? { resume: p.resume } : {}), ...(p.earlier ? { earlier: p.earlier } : {}) },
          (e) => {
            if (e.kind === 'record') return;
            if (e.kind === 'locked') return this.store.say('info', `Rolling ${p.plan.group}: took the state lock ${e.id}${e.tookOver ? ` (from a roll that died: ${e.tookOver})` : ''}.`, 'c pauses after the current node, X aborts');
            if (e.kind === 'warning') return this.store.say('warn', e.text);
            this.store.update((s) => rollEvent(s.roll, e));
          },
        );
        const n = outcome.replaced.length;
        const text =
          outcome.outcome === 'succeeded'
            ? `Rolled ${p.plan.group}: ${n} instance${n === 1 ? '' : 's'} replaced, all on version ${p.plan.version}. Recorded as ${recordId}.`
            : `The roll of ${p.plan.group} stopped (${outcome.outcome}): ${outcome.reason ?? ''}; ${replacedText(outcome.replaced, { pairs: false })}; the rest left as they are. Recorded as ${recordId}.`;
        this.store.update((s) => rollEnded(s.roll, outcome.outcome, text));
        this.store.say(outcome.outcome === 'succeeded' ? 'info' : 'error', text, outcome.outcome === 'succeeded' ? '' : 'r plans again (a roll resumes where it stopped)');
      } catch (err) {
        const { text, hint } = messageOf(err);
        this.store.update((s) => {
          s.roll.phase = 'planned';
          rollError(s.roll, text, hint);
        });
        this.store.say('error', text, hint);
      } finally {
        // Only this run's: a later one is never cleared by this one's end.
        if (this.control === control) {
          this.running = undefined;
          this.control = undefined;
          this.abort = undefined;
        }
      }
    };
    this.running = run();
  }

  /** `c`: pauses after the current node. */
  pause(): void {
    if (!this.control) return this.store.say('info', 'No roll is running.');
    this.control.pause();
    this.store.update((s) => (s.roll.phase = 'pausing'));
    this.store.say('info', 'The roll pauses after the current node.', 'g resumes, X aborts');
  }

  /** `g`: resumes a paused roll. */
  resume(): void {
    if (!this.control) return this.store.say('info', 'No roll is running.');
    this.control.resume();
    this.store.update((s) => (s.roll.phase = 'running'));
    this.store.say('info', 'The roll goes on.');
  }

  /** `X`: asks, then aborts after the current node (a paused roll stops at once). */
  askAbort(): void {
    if (!this.control) return this.store.say('info', 'No roll is running.');
    this.store.ask({
      action: 'roll-abort',
      typed: false,
      prompt: 'Abort the roll after the current node? (y/N)',
      detail: ['The node being replaced now is finished first (its replacement awaited); no further node is touched.'],
      onYes: () => {
        if (!this.control) return this.store.say('info', 'The roll had already ended.');
        this.control.abort();
        this.store.say('info', 'The roll stops after the current node.');
      },
      onNo: () => this.store.say('info', 'The roll goes on.'),
    });
  }

  /** On quit or `0`: interrupts a running roll (it stops at its next wait; resume with :roll). */
  async stop(): Promise<void> {
    this.control?.abort();
    this.abort?.abort();
    await this.running;
  }
}
