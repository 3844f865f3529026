/** The Plan/Apply pane's actions: plan, apply, destroy, cancel, outputs, diagnostics, and the lock and state repairs. */
import { foldSelected } from '../../state/module-tree.js';
import { topOverlay } from '../../state/store.js';
import type { ActionContext, ActionDef } from '../../ui/keys/action.js';
import { ACTION_FILTER_TEXT, ACTION_FILTERS, cycleActionFilter, setActionFilter, type ActionFilter, neighbourChange, planLines, setFolded, toggleTree } from './slice.js';

/** Enter: the selected row's diff (a failed row: its diagnostics). */
function openDiff(c: ActionContext): void {
  const s = c.state;
  const line = planLines(s)[s.selected];
  if (!line) return;
  if (line.kind === 'module') {
    c.store.update((st) => setFolded(st.plan, line.module, line.open));
    return;
  }
  const row = line.row;
  if (row.status === 'errored') {
    const lines = s.plan.diagnostics.slice(0).filter((d) => d.address === row.address || !d.address).flatMap((d) => [`${d.severity === 'error' ? '✗ Error' : '! Warning'}: ${d.summary}${d.where ? `  (${d.where})` : ''}`, ...d.detail.split('\n').map((l) => `    ${l}`)]);
    c.store.open({ kind: 'details', title: `${row.address} failed`, lines: lines.length ? lines : ['no diagnostic names this resource: e shows them all'], scroll: Number.MAX_SAFE_INTEGER });
    return;
  }
  if (!s.plan.model?.changes.some((x) => x.address === row.address) && !s.plan.model?.notes.some((x) => x.address === row.address && x.importingId !== undefined)) {
    c.store.say('info', s.plan.model ? `${row.address} has no planned change to show.` : 'No saved plan to show a diff of: press p to plan (a diff is shown for the plan you are about to apply).');
    return;
  }
  c.store.open({ kind: 'diff', address: row.address, all: false, scroll: Number.MAX_SAFE_INTEGER });
}

/** ← / →: folds or unfolds the module of the selected line; the selection goes to its header. */
function fold(c: ActionContext, folded: boolean): void {
  foldSelected(c.store, planLines, (s) => s.plan, folded);
}

/** n / N in the diff: the next or previous changed resource, the view kept open. */
function stepDiff(c: ActionContext, delta: 1 | -1): void {
  const top = topOverlay(c.state);
  if (top?.kind !== 'diff') return;
  const next = neighbourChange(c.state, top.address, delta);
  if (!next) {
    c.store.say('info', delta === 1 ? 'This is the last changed resource.' : 'This is the first changed resource.');
    return;
  }
  c.store.update((s) => {
    top.address = next;
    top.scroll = Number.MAX_SAFE_INTEGER;
    const i = planLines(s).findIndex((l) => l.kind === 'resource' && l.row.address === next);
    if (i >= 0) s.selected = i;
  });
}

/** Says which rows the table now shows. */
function sayFilter(c: ActionContext): void {
  const f = c.state.plan.actionFilter;
  c.store.say('info', f ? `Showing only ${ACTION_FILTER_TEXT[f]} (${f === 'phantom' ? '=' : FILTER_KEY[f]} again, or f, shows every action).` : 'Showing every action.');
}

/** The key that keeps only one action's rows. */
const FILTER_KEY: Record<ActionFilter, string> = { create: '+', update: '~', delete: '-', replace: '*', phantom: '=' };

/** `+ ~ - * =`: only that action's rows; the same key again shows them all. */
function only(c: ActionContext, f: ActionFilter | undefined): void {
  c.store.update((s) => {
    setActionFilter(s.plan, s.plan.actionFilter === f ? undefined : f);
    s.selected = 0;
  });
  sayFilter(c);
}

/** `:only ACTION`: create, update, delete, replace, phantom or all. */
function onlyCommand(c: ActionContext, arg: string | undefined): void {
  const a = (arg ?? '').trim().toLowerCase();
  if (a === 'all' || a === '') {
    c.store.update((s) => {
      setActionFilter(s.plan, undefined);
      s.selected = 0;
    });
    sayFilter(c);
    return;
  }
  const f = ACTION_FILTERS.find((x) => x === a);
  if (!f) {
    c.store.say('error', `:only ${a.slice(0, 40)}: not an action. Use one of ${ACTION_FILTERS.join(', ')} or all.`);
    return;
  }
  c.store.update((s) => {
    setActionFilter(s.plan, f);
    s.selected = 0;
  });
  sayFilter(c);
}

const onlyAction = (f: ActionFilter, what: string): ActionDef => ({ id: `plan.only-${f}`, keys: [FILTER_KEY[f]], scope: 'plan', label: `only ${FILTER_KEY[f]}`, description: `show only ${what} (${ACTION_FILTER_TEXT[f]}; the same key again shows every action)`, run: (c) => only(c, f) });

/** D: the last plan's drift, each resource with its diff. */
function showDrift(c: ActionContext): void {
  const p = c.state.plan;
  if (p.driftDetail.length) c.store.open({ kind: 'drift', scroll: Number.MAX_SAFE_INTEGER });
  else if (p.drift) c.store.say('info', `Terraform reported ${p.drift} drifted resource${p.drift === 1 ? '' : 's'} but the plan's detail was not read (it is read with each plan): press p to plan again.`);
  else c.store.say('info', p.lastResult || p.model ? 'The last plan found no drift.' : 'No plan yet: press p.');
}

export const PLAN_ACTIONS: readonly ActionDef[] = [
  { id: 'plan.plan', keys: ['p'], command: { words: ['plan'] }, scope: 'plan', label: 'plan', description: 'plan: refresh and compute the changes (terraform plan -out); the plan is saved for apply', statusBar: true, run: (c) => void c.controller.plan(false) },
  { id: 'plan.apply', keys: ['a'], command: { words: ['apply'] }, scope: 'plan', label: 'apply', description: 'apply the saved plan exactly as shown (y/N; the typed environment name when it destroys anything)', dangerous: true, statusBar: true, run: (c) => c.controller.requestApply() },
  { id: 'plan.destroy', keys: ['d'], command: { words: ['destroy'] }, scope: 'plan', label: 'destroy', description: 'plan a destroy of the whole environment, then apply it once you type the environment name', dangerous: true, statusBar: true, run: (c) => void c.controller.plan(true) },
  { id: 'plan.cancel', keys: ['c'], command: { words: ['cancel'] }, scope: 'plan', label: 'cancel', description: 'cancel the running plan/apply: one interrupt, then Terraform writes state and releases the lock (never killed)', statusBar: true, run: (c) => c.controller.cancel() },
  { id: 'plan.outputs', keys: ['o'], command: { words: ['outputs', 'output'] }, scope: 'plan', label: 'outputs', description: 'show the outputs (terraform output; sensitive values masked)', statusBar: true, run: (c) => void c.controller.outputs() },
  { id: 'plan.errors', keys: ['e'], command: { words: ['errors'] }, scope: 'plan', label: 'errors', description: 'show all diagnostics (errors and warnings) in full, with file:line', run: (c) => c.store.open({ kind: 'diagnostics', scroll: Number.MAX_SAFE_INTEGER }) },
  { id: 'plan.diff', keys: ['Enter'], scope: 'plan', label: 'diff', description: "the selected resource's planned change in Terraform's notation (a failed row: its error)", statusBar: true, run: openDiff },
  { id: 'plan.fold', keys: ['Left'], scope: 'plan', label: 'fold', description: 'fold the module of the selected row (the tree shows each module with its counts, module.x  +12 ~1 -0)', run: (c) => fold(c, true) },
  { id: 'plan.unfold', keys: ['Right'], scope: 'plan', label: 'unfold', description: 'unfold the module', run: (c) => fold(c, false) },
  { id: 'plan.tree', keys: ['t'], scope: 'plan', label: 'tree/flat', description: 'the module tree or the flat list of resources', run: (c) => c.store.update((s) => { toggleTree(s.plan); s.selected = 0; }) },
  {
    id: 'plan.action-filter',
    keys: ['f'],
    scope: 'plan',
    label: 'only',
    description: 'show only one action, in turn: + create, ~ update, - delete, -/+ replace, ≈ phantom, then all (shown in the title)',
    statusBar: true,
    run: (c) => {
      c.store.update((s) => {
        cycleActionFilter(s.plan);
        s.selected = 0;
      });
      sayFilter(c);
    },
  },
  onlyAction('create', 'the creates'),
  onlyAction('update', 'the in-place updates'),
  onlyAction('delete', 'the deletes'),
  onlyAction('replace', 'the replacements'),
  onlyAction('phantom', 'the phantom updates (equal once normalised)'),
  { id: 'plan.only', keys: [], command: { words: ['only'], arg: 'optional', argName: 'create|update|delete|replace|phantom|all' }, scope: 'plan', label: 'only', description: 'show only one action\'s rows (all: every action); the title says which', run: onlyCommand },
  { id: 'plan.drift', keys: ['D'], scope: 'plan', label: 'drift', description: 'the changes made outside Terraform that the last plan or drift check found, each with its diff', run: showDrift },
  { id: 'plan.drift-check', keys: [], command: { words: ['drift'] }, scope: 'plan', label: 'drift check', description: 'check for drift (terraform plan -refresh-only) and show each drifted resource; a then writes the real values into the state', run: (c) => void c.controller.driftCheck() },
  { id: 'diff.all', keys: ['u'], scope: 'overlay:diff', label: 'unchanged', description: 'show or hide the unchanged attributes (the diff)', statusBar: true, run: (c) => c.store.update(() => { const t = topOverlay(c.state); if (t?.kind === 'diff') t.all = !t.all; }) },
  { id: 'diff.next', keys: ['n'], scope: 'overlay:diff', label: 'next', description: 'the next changed resource (the diff stays open)', statusBar: true, run: (c) => stepDiff(c, 1) },
  { id: 'diff.prev', keys: ['N'], scope: 'overlay:diff', label: 'previous', description: 'the previous changed resource', statusBar: true, run: (c) => stepDiff(c, -1) },
  { id: 'plan.unlock', keys: [], command: { words: ['unlock'] }, scope: 'plan', label: 'unlock', description: 'release a stale state lock: shows who holds it, since when and for what; type its lock ID to release it (refused while a run of this machine or this console\'s Terraform is alive)', dangerous: true, run: (c) => void c.controller.askUnlock() },
  { id: 'plan.state-push-errored', keys: [], command: { words: ['state-push-errored'] }, scope: 'plan', label: 'push errored state', description: 'push the state Terraform could not write to the backend (errored.tfstate; refused when the backend holds a newer state or another lineage)', run: (c) => void c.controller.pushErroredState() },
];
