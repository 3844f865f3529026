/**
 * The actions that work in every pane, and those of the overlays every pane shares: scrollable
 * views, questions, prompts, the `:` command line and the `/` filter line.
 */
import { closeOverlay, openOverlay, select, setFilter, topOverlay, type Prompt, type Question } from '../../state/store.js';
import type { ActionContext, ActionDef, BaseContext, Scope } from './action.js';

function scroll(ctx: BaseContext, to: (n: number) => number): void {
  ctx.store.update((s) => {
    const top = topOverlay(s);
    const clamp = (n: number) => Math.max(0, Math.min(n, ctx.maxScroll));
    if (top && 'scroll' in top) top.scroll = clamp(to(clamp(top.scroll)));
  });
}

function closeTop(ctx: BaseContext): void {
  ctx.store.update((s) => closeOverlay(s));
}

/** The question on top, if the top overlay is one. */
function question(ctx: BaseContext): Question | undefined {
  const top = topOverlay(ctx.state);
  return top?.kind === 'confirm' ? top : undefined;
}

/** Answers the question on top with yes: a typed one only when the text is exactly what it asks for. */
export function answerYes(ctx: BaseContext): void {
  const q = question(ctx);
  if (!q) return;
  if (q.typed && q.input !== q.expect) {
    const said = q.mismatch?.(q.input) ?? { text: `"${q.input}" is not "${q.expect ?? ''}": nothing applied.`, hint: 'type the environment name exactly, or Esc to back out' };
    ctx.store.update((s) => {
      s.message = { level: 'error', ...said };
      q.input = '';
    });
    return;
  }
  ctx.store.update((s) => closeOverlay(s, q));
  q.onYes();
}

/** Answers the question on top with no (n, Esc, Ctrl-C, Enter on a y/N question). */
export function answerNo(ctx: BaseContext): void {
  const q = question(ctx);
  if (!q) return;
  ctx.store.update((s) => closeOverlay(s, q));
  if (q.onNo) q.onNo();
  else ctx.store.say('info', 'Nothing done.');
}

/** Edits the text of the line overlay on top (a typed question, a prompt, the command or filter line). */
export function editLine(ctx: BaseContext, edit: (text: string) => string): void {
  const top = topOverlay(ctx.state);
  if (!top) return;
  ctx.store.update((s) => {
    if (top.kind === 'confirm') {
      if (top.typed) top.input = edit(top.input).slice(0, Math.max(64, (top.expect?.length ?? 0) + 16));
    } else if (top.kind === 'prompt') top.input = edit(top.input).slice(0, 4096);
    else if (top.kind === 'command') top.input = edit(top.input).slice(0, 4096);
    else if (top.kind === 'filter') {
      top.input = edit(top.input).slice(0, 256);
      setFilter(s, top.input);
    }
  });
}

function submitPrompt(ctx: BaseContext): void {
  const top = topOverlay(ctx.state);
  if (top?.kind !== 'prompt') return;
  const p: Prompt = top;
  ctx.store.update((s) => closeOverlay(s, p));
  const input = p.input.trim();
  if (input) p.onSubmit(input);
}

/**
 * The selection's movement in a table (↑↓ j k, PgUp PgDn, g G), for a scope: the panes' (`global`)
 * and the Fleet screen's. `upNote` is added to the up key's description.
 */
export function moveActions<C extends BaseContext>(scope: Scope, prefix: string, upNote = ''): ActionDef<C>[] {
  return [
    { id: `${prefix}.up`, keys: ['Up', 'k'], scope, label: 'move', description: `move the selection up${upNote}`, run: (c) => c.store.update((s) => select(s, s.selected - 1, c.rowCount)) },
    { id: `${prefix}.down`, keys: ['Down', 'j'], scope, label: 'move', description: 'move the selection down', run: (c) => c.store.update((s) => select(s, s.selected + 1, c.rowCount)) },
    { id: `${prefix}.page-up`, keys: ['PgUp'], scope, label: 'page', description: 'move a page up', run: (c) => c.store.update((s) => select(s, s.selected - c.page, c.rowCount)) },
    { id: `${prefix}.page-down`, keys: ['PgDn'], scope, label: 'page', description: 'move a page down', run: (c) => c.store.update((s) => select(s, s.selected + c.page, c.rowCount)) },
    { id: `${prefix}.top`, keys: ['g'], scope, label: 'top', description: 'go to the first row', run: (c) => c.store.update((s) => select(s, 0, c.rowCount)) },
    { id: `${prefix}.bottom`, keys: ['G'], scope, label: 'bottom', description: 'go to the last row', run: (c) => c.store.update((s) => select(s, c.rowCount - 1, c.rowCount)) },
  ];
}

/** Actions that work in every pane (no overlay open). */
export const GLOBAL_ACTIONS: readonly ActionDef[] = [
  { id: 'global.log', keys: ['l'], command: { words: ['log'] }, scope: 'global', label: 'log', description: 'show the raw log of Terraform messages (↑↓ PgUp PgDn g G to scroll)', statusBar: true, run: (c) => c.store.open({ kind: 'log', scroll: 0 }) },
  { id: 'global.filter', keys: ['/'], scope: 'global', label: 'filter', description: 'filter the current table (substring over all columns; Enter keeps it, Esc clears it)', run: (c) => c.store.update((s) => openOverlay(s, { kind: 'filter', input: s.filter })) },
  ...moveActions<ActionContext>('global', 'global', ' (in the Cluster pane k writes the kubeconfig: use ↑)'),
  { id: 'global.pane', keys: ['1', '2', '3', '4', '5', '6', '7', '8'], keyLabel: '1-8', scope: 'global', label: 'panes', description: 'switch pane: 1 Plan/Apply, 2 Instances, 3 Load balancers, 4 Secrets, 5 Cluster, 6 History, 7 State, 8 Roll', run: (c, arg) => c.controller.showPaneNumber(Number(arg)) },
  { id: 'global.fleet', keys: ['0'], command: { words: ['fleet'] }, scope: 'global', label: 'fleet', description: 'the Fleet screen: every environment, what needs attention first (this environment is closed; refused while its apply runs)', run: (c) => c.controller.requestFleet() },
  { id: 'global.next-pane', keys: ['Tab'], scope: 'global', label: 'next pane', description: 'next pane', run: (c) => c.controller.stepPane(1) },
  { id: 'global.prev-pane', keys: ['S-Tab'], scope: 'global', label: 'previous pane', description: 'previous pane', run: (c) => c.controller.stepPane(-1) },
  { id: 'global.command', keys: [':'], scope: 'global', label: 'command', description: 'the command line: type a command (Tab completes it; every command is listed in this help), Enter runs it', run: (c) => c.store.open({ kind: 'command', input: '' }) },
  { id: 'global.bootstrap', keys: [], command: { words: ['bootstrap'] }, scope: 'global', label: 'bootstrap', description: 'create the state bucket and KMS key the profile names (old kmsctl bucket create / kms create)', dangerous: true, run: (c) => c.controller.aws?.prerequisites.askBootstrap() },
  { id: 'global.help', keys: ['?'], command: { words: ['help'] }, scope: 'global', label: 'help', description: 'this help', statusBar: true, run: (c) => c.store.open({ kind: 'help', scroll: Number.MAX_SAFE_INTEGER }) },
  { id: 'global.quit', keys: ['q', 'C-c'], command: { words: ['quit', 'q'] }, scope: 'global', label: 'quit', description: 'quit (refused while an apply runs: wait for it or cancel it; Ctrl-C does the same)', statusBar: true, run: (c) => c.controller.quit() },
];

/** Actions of the overlays every pane shares. */
export const OVERLAY_ACTIONS: readonly ActionDef<BaseContext>[] = [
  // Scrollable views (help, log, details, outputs, diagnostics, the run and tunnels views, the secret viewer).
  { id: 'view.close', keys: ['Esc', 'q'], scope: 'overlay:view', label: 'close', description: 'close the view (the one below, or the pane, comes back)', statusBar: true, run: closeTop },
  { id: 'view.up', keys: ['Up', 'k'], scope: 'overlay:view', label: 'scroll', description: 'scroll up', run: (c) => scroll(c, (n) => n + 1) },
  { id: 'view.down', keys: ['Down', 'j'], scope: 'overlay:view', label: 'scroll', description: 'scroll down', run: (c) => scroll(c, (n) => n - 1) },
  { id: 'view.page-up', keys: ['PgUp'], scope: 'overlay:view', label: 'page', description: 'scroll a page up', run: (c) => scroll(c, (n) => n + c.page) },
  { id: 'view.page-down', keys: ['PgDn'], scope: 'overlay:view', label: 'page', description: 'scroll a page down', run: (c) => scroll(c, (n) => n - c.page) },
  { id: 'view.top', keys: ['g'], scope: 'overlay:view', label: 'top', description: 'scroll to the top', run: (c) => scroll(c, () => Number.MAX_SAFE_INTEGER) },
  { id: 'view.bottom', keys: ['G'], scope: 'overlay:view', label: 'end', description: 'scroll to the end', run: (c) => scroll(c, () => 0) },
  { id: 'help.close', keys: ['?'], scope: 'overlay:help', label: 'close', description: 'close the help', run: closeTop },
  { id: 'log.close', keys: ['l'], scope: 'overlay:log', label: 'close', description: 'close the log', run: closeTop },
  // Questions: y/N, or a typed environment name.
  { id: 'confirm.yes', keys: ['y', 'Y'], scope: 'overlay:confirm', label: 'yes', description: 'answer yes to a y/N question', statusBar: true, when: (s) => topOverlay(s)?.kind === 'confirm' && !(topOverlay(s) as Question).typed, run: answerYes },
  { id: 'confirm.no', keys: ['n', 'N'], scope: 'overlay:confirm', label: 'no', description: 'answer no to a y/N question: nothing is done', statusBar: true, when: (s) => topOverlay(s)?.kind === 'confirm' && !(topOverlay(s) as Question).typed, run: answerNo },
  { id: 'confirm.cancel', keys: ['Esc', 'C-c'], scope: 'overlay:confirm', label: 'back', description: 'back out of a question (no): nothing is done', statusBar: true, run: answerNo },
  { id: 'confirm.enter', keys: ['Enter'], scope: 'overlay:confirm', label: 'answer', description: 'a typed question: confirm what was typed; a y/N question: no', run: (c) => ((question(c)?.typed ?? false) ? answerYes(c) : answerNo(c)) },
  { id: 'confirm.backspace', keys: ['Backspace'], scope: 'overlay:confirm', label: 'delete', description: 'delete the last character typed', run: (c) => editLine(c, (t) => t.slice(0, -1)) },
  // Prompts (a file to upload, a tunnel destination, a command to run).
  { id: 'prompt.submit', keys: ['Enter'], scope: 'overlay:prompt', label: 'enter', description: 'go on with what was typed', run: submitPrompt },
  { id: 'prompt.cancel', keys: ['Esc', 'C-c'], scope: 'overlay:prompt', label: 'back', description: 'back out: nothing is done', run: closeTop },
  { id: 'prompt.backspace', keys: ['Backspace'], scope: 'overlay:prompt', label: 'delete', description: 'delete the last character', run: (c) => editLine(c, (t) => t.slice(0, -1)) },
  // The / filter line.
  { id: 'filter.keep', keys: ['Enter'], scope: 'overlay:filter', label: 'keep', description: 'keep the filter and go back to the table', run: closeTop },
  { id: 'filter.clear', keys: ['Esc', 'C-c'], scope: 'overlay:filter', label: 'clear', description: 'clear the filter', run: (c) => c.store.update((s) => { setFilter(s, ''); closeOverlay(s); }) },
  { id: 'filter.backspace', keys: ['Backspace'], scope: 'overlay:filter', label: 'delete', description: 'delete the last character', run: (c) => editLine(c, (t) => t.slice(0, -1)) },
];
