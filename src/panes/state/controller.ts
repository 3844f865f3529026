/**
 * The State pane's controller: reads the state (`terraform state pull`, parsed) when the pane is
 * first shown, on `r`, after every change made from the pane and after every apply; Enter shows a
 * resource; plans for one resource (`-target`), forced replacements (`-replace`) and import blocks
 * go through the ordinary plan and its review in the Plan/Apply pane; remove, move and the legacy
 * import change the state through {@link StateOps} after a confirmation (the typed address for a
 * removal). Every failure becomes the message line; nothing here throws.
 */
import { messageOf } from '../../core/errors.js';
import { foldSelected } from '../../state/module-tree.js';
import { isResourceAddress, type StateResource } from '../../core/tf-state.js';
import type { InstanceRow } from '../../core/instance-rows.js';
import type { StateChange, StateOps } from '../../services/state/types.js';
import type { Operation } from '../../services/terraform/engine.js';
import type { PlanOptions } from '../../services/terraform/engine.js';
import type { PlanModel } from '../../services/terraform/plan-model.js';
import { setFilter, topOverlay, type PaneId, type Store } from '../../state/store.js';
import { liveFilter, liveObject, selectedResource, setStateFolded, stateFailed, stateLines, stateLoaded, stateReading, stateResource, toggleStateTree } from './slice.js';

/** What the State pane needs of the console's controller (the Controller is one). */
export interface StateHost {
  readonly store: Store;
  readonly target: {
    readonly environment: string;
    readonly engine: { readonly busy: Operation | undefined; readonly savedPlan: PlanModel | undefined };
    readonly state?: StateOps;
  };
  /** SSH through the bastion (absent where the console has none). */
  readonly ssh?: { shell(row: InstanceRow): Promise<void> } | undefined;
  /** The AWS panes: their lists are read when a live object is looked for. */
  readonly aws?: { activate(pane: PaneId): void } | undefined;
  /** The ordinary plan (`-target`, `-replace`, import blocks): @returns whether a plan with changes was saved. */
  plan(destroy: boolean, focus?: Pick<PlanOptions, 'targets' | 'replace' | 'imports'>): Promise<boolean>;
  showPane(pane: PaneId): void;
}

/** Engine operations after which the state may have changed (the pane reads it again). */
const WRITES_STATE: ReadonlySet<Operation> = new Set(['apply', 'state-push']);

/** Splits `ADDR ID` (the id is the last word; a for_each key may hold spaces). */
function addressAndId(arg: string | undefined): { address: string; id: string } | undefined {
  const m = /^(.+?)\s+(\S+)$/.exec((arg ?? '').trim());
  return m ? { address: m[1]!.trim(), id: m[2]! } : undefined;
}

/** The State pane's controller. */
export class StateController {
  private activated = false;
  /** The read in flight; `again` asks for one more after it (something changed meanwhile). */
  private reading: Promise<void> | undefined;
  private again = false;
  /** A state change of this pane in flight (a second one is refused). */
  private changing: string | undefined;

  constructor(private readonly host: StateHost) {}

  private get store(): Store {
    return this.host.store;
  }

  private get ops(): StateOps | undefined {
    return this.host.target.state;
  }

  private say(level: 'info' | 'warn' | 'error', text: string, hint?: string): void {
    this.store.say(level, text, hint);
  }

  private fail(err: unknown): void {
    const { text, hint } = messageOf(err);
    this.say('error', text, hint);
  }

  /** The pane was shown: the first time, the state is read. */
  activate(): void {
    if (this.activated) return;
    this.activated = true;
    void this.refresh();
  }

  /** An engine operation ended: after an apply (or a state push) the state is read again, if the pane was ever shown. */
  onOperationEnd(operation: Operation): void {
    if (this.activated && WRITES_STATE.has(operation)) void this.refresh();
  }

  /**
   * `r`: reads the state again (`terraform state pull`). A read asked for while one runs is done
   * once more after it. The selected resource stays selected when it is still there.
   * @returns when the state on screen is at least as new as when it was asked for.
   */
  refresh(): Promise<void> {
    const ops = this.ops;
    if (!ops) {
      this.store.update((s) => stateFailed(s.tfstate, { level: 'error', text: 'The state is not available in this console (it was opened without the state service).' }));
      return Promise.resolve();
    }
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        this.store.update((s) => stateReading(s.tfstate));
        try {
          const read = await ops.read();
          this.store.update((s) => {
            const keep = s.pane === 'state' ? selectedResource(s)?.address : undefined;
            stateLoaded(s.tfstate, read);
            if (keep === undefined) return;
            const i = stateLines(s).findIndex((l) => l.kind === 'resource' && l.res.address === keep);
            if (i >= 0) s.selected = i;
          });
        } catch (err) {
          const { text, hint } = messageOf(err);
          this.store.update((s) => stateFailed(s.tfstate, { level: 'error', text: `The state could not be read: ${text}`, ...(hint ? { hint } : {}) }));
        }
      } while (this.again);
      this.reading = undefined;
    })();
    return this.reading;
  }

  /** The resource the keys act on: the one of the resource view on top, else the selected line's. */
  private current(): StateResource | undefined {
    const s = this.store.state;
    const top = topOverlay(s);
    if (top?.kind === 'state-resource') return stateResource(s.tfstate, top.address);
    return s.pane === 'state' ? selectedResource(s) : undefined;
  }

  /** The current resource, or undefined after saying why there is none. */
  private need(): StateResource | undefined {
    const r = this.current();
    const s = this.store.state;
    if (!r) this.say('info', s.pane !== 'state' ? 'Select a resource in the State pane first (7 shows it).' : s.tfstate.read ? 'Select a resource first (↑↓; a module header is not one).' : 'The state has not been read yet (r reads it).');
    return r;
  }

  /** True (after saying so) when the state cannot be changed now: no state service, this console's Terraform runs, or a change is under way. */
  private refused(): boolean {
    if (!this.ops) {
      this.say('warn', 'State changes are not available in this console (it was opened without the state service).');
      return true;
    }
    const busy = this.host.target.engine.busy;
    if (busy) {
      this.say('warn', `Refused: this console's ${busy} is running; the state is changed only when no Terraform of this console runs.`, 'wait for it to end, or cancel it (c in the Plan/Apply pane)');
      return true;
    }
    if (this.changing) {
      this.say('warn', `Refused: ${this.changing} is still under way.`, 'wait for it to end');
      return true;
    }
    return false;
  }

  /** Enter: a module header folds or unfolds; a resource opens its view. */
  enter(): void {
    const s = this.store.state;
    const line = stateLines(s)[s.selected];
    if (!line) return;
    if (line.kind === 'module') {
      this.store.update((st) => setStateFolded(st.tfstate, line.module, line.open));
      return;
    }
    const live = liveObject(s, line.res);
    if (live) this.host.aws?.activate(live.pane);
    this.store.open({ kind: 'state-resource', address: line.res.address, scroll: Number.MAX_SAFE_INTEGER });
  }

  /** ← / →: folds or unfolds the module of the selected line; the selection goes to its header. */
  fold(folded: boolean): void {
    foldSelected(this.store, stateLines, (s) => s.tfstate, folded);
  }

  /** `T`: the module tree or the flat list. */
  toggleTree(): void {
    this.store.update((s) => {
      toggleStateTree(s.tfstate);
      s.selected = 0;
    });
  }

  /** Starts a focused plan and shows the Plan/Apply pane, where it is reviewed and applied like any plan. */
  private focusedPlan(focus: Pick<PlanOptions, 'targets' | 'replace' | 'imports'>): void {
    const busy = this.host.target.engine.busy;
    if (busy) {
      this.say('warn', `${busy} is running: wait for it, or cancel it (c in the Plan/Apply pane).`);
      return;
    }
    const what = focus.imports?.length ? 'the import' : focus.replace?.length ? 'the replacement' : 'the targeted plan';
    const ops = this.host.target.state;
    void (async () => {
      // Refused at once, naming the holder, while the lock is held (as --ci state does).
      try {
        await ops?.assertFree(what);
      } catch (err) {
        const { text, hint } = messageOf(err);
        this.say('error', text, hint);
        return;
      }
      this.host.showPane('plan');
      await this.host.plan(false, focus);
    })();
  }

  /** `t`: a plan for the selected resource only (`-target`), reviewed in the Plan/Apply pane. */
  planTarget(): void {
    const r = this.need();
    if (r) this.focusedPlan({ targets: [r.address] });
  }

  /** `R`: a plan that replaces the selected resource (`-replace`), reviewed in the Plan/Apply pane. */
  planReplace(): void {
    const r = this.need();
    if (!r) return;
    if (r.mode === 'data') {
      this.say('warn', `${r.address} is a data source: Terraform reads it on every plan; there is nothing to replace.`);
      return;
    }
    this.focusedPlan({ replace: [r.address] });
  }

  /** Where a change's backup is, as the lines of its view. */
  private backupLines(c: StateChange): string[] {
    const b = c.backup;
    if (!b) return ['No backup was reported by the state service.'];
    return [`Backup: the state before (serial ${b.serial}) is kept in ${b.path}`, b.key ? `        and in the state bucket as ${b.key}` : '        (it could not be copied to the state bucket)'];
  }

  /** Where a change's backup is, for the message line's hint. */
  private backupHint(c: StateChange): string {
    const b = c.backup;
    return b ? `backup of serial ${b.serial}: ${b.path}${b.key ? ` (and ${b.key} in the state bucket)` : ''}` : 'no backup was reported';
  }

  private serialText(c: StateChange): string {
    return `serial ${c.serialBefore ?? '?'} → ${c.serialAfter ?? '(not read again)'}`;
  }

  /** Runs a state change (refusals and errors said), then reads the state again. @returns the change, or undefined when it failed. */
  private async change(what: string, run: (ops: StateOps) => Promise<StateChange>): Promise<StateChange | undefined> {
    if (this.refused()) return undefined;
    this.changing = what;
    this.say('info', `${what}…`);
    try {
      return await run(this.ops!);
    } catch (err) {
      this.fail(err);
      return undefined;
    } finally {
      this.changing = undefined;
      void this.refresh();
    }
  }

  /** `x`: removes the selected resource from the state (`terraform state rm`) once its address is typed. */
  askRemove(): void {
    const r = this.need();
    if (!r || this.refused()) return;
    const address = r.address;
    this.store.ask({
      action: 'state-rm',
      typed: true,
      expect: address,
      prompt: `Remove ${address} from the state of ${this.host.target.environment}? Type its address to remove it:`,
      detail: [
        `${r.type}${r.id ? `  id ${r.id}` : ''}`,
        'Its object in AWS is NOT destroyed: Terraform forgets it, and the next plan wants to create it again if the configuration still declares it.',
        'The state is backed up first; the next plan runs right after.',
      ],
      mismatch: (input) => ({ text: `"${input}" is not the address ${address}: nothing removed.`, hint: 'type the address exactly, or Esc to back out' }),
      onYes: () => void this.remove(address),
      onNo: () => this.say('info', 'Nothing removed.'),
    });
  }

  private async remove(address: string): Promise<void> {
    const c = await this.change(`Removing ${address} from the state`, (ops) => ops.rm([address], (step) => this.say('info', step)));
    if (!c) return;
    const done = `Removed ${address} from the state (${this.serialText(c)}).`;
    this.store.open({
      kind: 'details',
      title: `state rm ${address}`,
      lines: [done, ...this.backupLines(c), '', 'The object in AWS was not touched. The next plan runs now; the Plan/Apply pane (1) shows it.', ...(c.historyId ? [`Recorded in the history as ${c.historyId}.`] : [])],
      scroll: Number.MAX_SAFE_INTEGER,
    });
    this.say('info', `${done} Planning…`, this.backupHint(c));
    const saved = await this.host.plan(false);
    if (this.store.state.message?.level === 'error') return; // the plan's error stays; the view holds what was removed
    const ch = saved ? this.host.target.engine.savedPlan?.changes.find((x) => x.address === address) : undefined;
    const next = ch
      ? `The next plan wants to ${ch.action} it: review it in the Plan/Apply pane (1) before applying.`
      : saved
        ? `The next plan has changes, none to ${address}: review them in the Plan/Apply pane (1).`
        : 'The next plan has no changes: the configuration no longer declares it.';
    this.say('info', `${done} ${next}`, this.backupHint(c));
  }

  /** `m`: moves the selected resource to a new address (`terraform state mv`), then shows the `moved` block to commit. */
  askMove(): void {
    const r = this.need();
    if (!r || this.refused()) return;
    if (r.mode === 'data') {
      this.say('warn', `${r.address} is a data source: Terraform reads it again on every plan; move the data block in the configuration instead.`);
      return;
    }
    const from = r.address;
    this.store.open({
      kind: 'prompt',
      label: `Move ${from} to the address:`,
      hint: 'Enter goes on (a y/N question follows), Esc backs out',
      input: from,
      onSubmit: (to) => {
        if (!isResourceAddress(to)) return this.say('error', `"${to}" is not a resource address: nothing moved.`, 'e.g. module.network.aws_subnet.private[0]');
        if (to === from) return this.say('info', 'The same address: nothing moved.');
        if (stateResource(this.store.state.tfstate, to)) return this.say('error', `${to} is already in the state: nothing moved.`, 'remove it first (x), or pick another address');
        this.store.ask({
          action: 'state-mv',
          typed: false,
          prompt: `Move ${from} to ${to} in the state of ${this.host.target.environment}? Nothing in AWS changes; the state is backed up first. (y/N)`,
          onYes: () => void this.move(from, to),
          onNo: () => this.say('info', 'Nothing moved.'),
        });
      },
    });
  }

  private async move(from: string, to: string): Promise<void> {
    const c = await this.change(`Moving ${from} to ${to}`, (ops) => ops.mv(from, to, (step) => this.say('info', step)));
    if (!c) return;
    const done = `Moved ${from} to ${to} (${this.serialText(c)}).`;
    this.store.open({
      kind: 'details',
      title: `state mv ${from} → ${to}`,
      lines: [
        done,
        ...this.backupLines(c),
        '',
        ...(c.movedBlock
          ? ['Commit this block to the configuration (beside the resource) so every copy of it knows of the move:', '', ...c.movedBlock.split('\n')]
          : ['No moved block was given: write one by hand so the configuration knows of the move.']),
        ...(c.historyId ? ['', `Recorded in the history as ${c.historyId}.`] : []),
      ],
      scroll: Number.MAX_SAFE_INTEGER,
    });
    this.say('info', `${done} Commit the moved block shown.`, this.backupHint(c));
  }

  /**
   * `i`, `:import [ADDR ID]`: an import block planned for review (`to = ADDR`, `id = ID`); without
   * an argument it asks for the address (the selection's, to edit) and the id.
   */
  askImport(arg?: string): void {
    if (arg !== undefined) {
      const a = addressAndId(arg);
      if (!a) return this.say('error', `:import needs ADDR ID, e.g. :import aws_instance.web i-0abc123 (got "${arg.slice(0, 60)}")`);
      return this.planImport(a.address, a.id);
    }
    const r = this.current();
    this.store.open({
      kind: 'prompt',
      label: 'Import into the resource address:',
      hint: 'Enter goes on to the id, Esc backs out',
      input: r?.address ?? '',
      onSubmit: (address) =>
        this.store.open({
          kind: 'prompt',
          label: `The id of the object to import into ${address}:`,
          hint: 'Enter plans the import (reviewed in the Plan/Apply pane), Esc backs out',
          input: r?.address === address ? (r.id ?? '') : '',
          onSubmit: (id) => this.planImport(address, id),
        }),
    });
  }

  private planImport(address: string, id: string): void {
    if (!isResourceAddress(address) || address.startsWith('data.') || address.includes('.data.')) {
      this.say('error', `"${address}" is not the address of a managed resource: nothing imported.`, 'e.g. aws_instance.web or module.app.aws_instance.web[0]');
      return;
    }
    this.focusedPlan({ imports: [{ to: address, id }] });
  }

  /** `:import-direct ADDR ID`: `terraform import` straight into the state (the fallback when an import block cannot plan it), after a y/N. */
  askImportDirect(arg: string | undefined): void {
    const a = addressAndId(arg);
    if (!a) return this.say('error', ':import-direct needs ADDR ID, e.g. :import-direct aws_instance.web i-0abc123');
    if (!isResourceAddress(a.address)) return this.say('error', `"${a.address}" is not a resource address: nothing imported.`);
    if (this.refused()) return;
    this.store.ask({
      action: 'state-import',
      typed: false,
      prompt: `Import ${a.id} into ${a.address} directly (terraform import): the state is written now, with no plan to review. Use it only when an import block (i) cannot plan it. (y/N)`,
      onYes: () => void this.importDirect(a.address, a.id),
      onNo: () => this.say('info', 'Nothing imported.'),
    });
  }

  private async importDirect(address: string, id: string): Promise<void> {
    const c = await this.change(`Importing ${id} into ${address}`, (ops) => ops.importDirect(address, id, (step) => this.say('info', step)));
    if (c) this.say('info', `Imported ${id} into ${address} (${this.serialText(c)}): plan (p in the Plan/Apply pane) to see whether the configuration matches it.`, this.backupHint(c));
  }

  /** `s`: a shell on the selected `aws_instance`'s instance, through the bastion (as the Instances pane's `s`). */
  ssh(): void {
    const r = this.need();
    if (!r) return;
    if (r.type !== 'aws_instance' || !r.id) return this.say('info', `${r.address} is not an aws_instance: there is nothing to SSH into.`);
    if (!this.host.ssh) return this.say('warn', 'SSH is not available in this console.');
    const live = liveObject(this.store.state, r);
    if (live?.pane !== 'instances') return;
    if (!live.row) {
      this.host.aws?.activate('instances');
      return live.listed
        ? this.say('warn', `${r.id} is not among this environment's instances in AWS: nothing to SSH into.`, 'the state is behind: a plan shows what Terraform makes of it')
        : this.say('info', `Reading the environment's instances to find ${r.id}: press s again in a moment.`);
    }
    void this.host.ssh.shell(live.row);
  }

  /** `I` / `L`: shows the selected resource's live object in the Instances or Load balancers pane (filtered to it). */
  showLive(pane: 'instances' | 'elbs'): void {
    const r = this.need();
    if (!r) return;
    const live = liveObject(this.store.state, r);
    if (live?.pane !== pane) {
      this.say('info', pane === 'instances' ? `${r.address} is not an aws_instance: the Instances pane does not list it.` : `${r.address} is not a load balancer (aws_elb, aws_lb, aws_alb): the Load balancers pane does not list it.`);
      return;
    }
    const filter = liveFilter(live, r);
    this.host.showPane(pane);
    this.store.update((s) => setFilter(s, filter));
    this.say('info', `Filtered to ${filter}, ${r.address} in the state.`, '/ then Esc clears the filter');
  }

  /** `r` in the resource view: says why nothing is revealed (the state's secrets are never kept). */
  noReveal(): void {
    this.say('info', 'State secrets are not revealed: the console masks them as it reads the state and never keeps their values.', 'terraform state pull prints them, if you must');
  }
}
