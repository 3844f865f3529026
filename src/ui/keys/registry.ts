/**
 * The one registry of key actions: the panes' (in `src/panes/<pane>/actions.ts`), the global ones
 * and the shared overlays'. A key is routed by looking it up here (the top overlay's actions, else
 * the current pane's, then the global ones); the help overlay, the status bar, `:` parsing and
 * completion, the README's key table and `--help` are made from it. Plain TypeScript, no Ink.
 */
import { FLEET_ACTIONS } from '../../panes/fleet/actions.js';
import { PANES } from '../../panes/index.js';
import { closeOverlay, topOverlay, type AppState } from '../../state/store.js';
import type { ActionContext, ActionDef, BaseContext, Scope } from './action.js';
import { GLOBAL_ACTIONS, OVERLAY_ACTIONS, editLine } from './global-actions.js';
import { showKey, type KeyName } from './key-name.js';

/**
 * An action of any screen. The registry routes a key only to the actions of the screen on display
 * ({@link scopesFor}), so each runs with the context its scope gives (see {@link ActionDef}).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAction = ActionDef<any>;

/** The actions of the `:` command line (they read the registry, so they live beside it). */
const COMMAND_LINE_ACTIONS: readonly ActionDef<BaseContext>[] = [
  { id: 'command.run', keys: ['Enter'], scope: 'overlay:command', label: 'run', description: 'run the command', statusBar: true, run: runCommandLine },
  { id: 'command.complete', keys: ['Tab'], scope: 'overlay:command', label: 'complete', description: 'complete the command word (the line lists the words that fit)', statusBar: true, run: completeCommandLine },
  { id: 'command.cancel', keys: ['Esc', 'C-c'], scope: 'overlay:command', label: 'back', description: 'leave the command line', statusBar: true, run: (c) => c.store.update((s) => closeOverlay(s)) },
  { id: 'command.backspace', keys: ['Backspace'], scope: 'overlay:command', label: 'delete', description: 'delete the last character', run: (c) => editLine(c, (t) => t.slice(0, -1)) },
];

/** `:instances`, `:elbs` …: show a pane. */
const PANE_COMMANDS: readonly ActionDef[] = PANES.filter((p) => p.words.length).map((p) => ({
  id: `pane.${p.id}`,
  keys: [],
  command: { words: p.words },
  scope: 'global' as const,
  label: p.title,
  description: `show the ${p.title} pane`,
  run: (c: ActionContext) => c.controller.showPane(p.id),
}));

/** Every action, panes first (in tab order), then the global ones, the Fleet screen's and the shared overlays'. */
export const ACTIONS: readonly AnyAction[] = [...PANES.flatMap((p) => p.actions), ...GLOBAL_ACTIONS, ...PANE_COMMANDS, ...FLEET_ACTIONS, ...OVERLAY_ACTIONS, ...COMMAND_LINE_ACTIONS];

/** The screen an action works on: the Fleet screen's scope, an environment's panes, or both (the shared overlays). */
function screenOf(scope: Scope): 'fleet' | 'console' | 'both' {
  if (scope === 'fleet') return 'fleet';
  return scope.startsWith('overlay:') ? 'both' : 'console';
}

/** Whether an action works on the screen of this state (a `:` command of the other screen does not). */
export function onScreen(a: AnyAction, s: AppState): boolean {
  const where = screenOf(a.scope);
  return where === 'both' || where === s.screen;
}

const byScope = new Map<Scope, AnyAction[]>();
for (const a of ACTIONS) byScope.set(a.scope, [...(byScope.get(a.scope) ?? []), a]);

/** The scopes whose actions take a key in this state, in lookup order. */
export function scopesFor(s: AppState): Scope[] {
  const top = topOverlay(s);
  if (top) return 'scroll' in top ? [`overlay:${top.kind}`, 'overlay:view'] : [`overlay:${top.kind}`];
  return s.screen === 'fleet' ? ['fleet'] : [s.pane, 'global'];
}

/** The action `key` runs in this state, or undefined when the key does nothing here. */
export function lookup(s: AppState, key: KeyName): AnyAction | undefined {
  for (const scope of scopesFor(s)) for (const a of byScope.get(scope) ?? []) if (a.keys.includes(key) && (!a.when || a.when(s))) return a;
  return undefined;
}

/** The `:` command words of each screen: a word is bound once per screen (`:quit` is the console's and the Fleet screen's). */
const commandsOf = { console: new Map<string, AnyAction>(), fleet: new Map<string, AnyAction>() };
for (const a of ACTIONS) {
  const where = screenOf(a.scope);
  for (const w of a.command?.words ?? []) {
    for (const screen of where === 'both' ? (['console', 'fleet'] as const) : [where]) {
      const m = commandsOf[screen];
      if (m.has(w)) throw new Error(`the : command word "${w}" is bound twice (${m.get(w)!.id}, ${a.id})`);
      m.set(w, a);
    }
  }
}

/** The command words of the screen of `s` (an environment's console when no state is given). */
function commandsFor(s?: AppState): Map<string, AnyAction> {
  return s?.screen === 'fleet' ? commandsOf.fleet : commandsOf.console;
}

/** Every `:` command word of the screen of `s` (an environment's console when none is given), sorted. */
export function commandWords(s?: AppState): string[] {
  return [...commandsFor(s).keys()].sort();
}

/**
 * Parses a `:` command line (leading colon optional, the word case-insensitive, surrounding spaces
 * ignored). @returns the action and its argument, or undefined for an unknown word, a missing
 * required argument, or an argument given to a command that takes none.
 */
export function parseCommand(text: string, s?: AppState): { action: AnyAction; arg?: string } | undefined {
  const line = text.trim().replace(/^:/, '').trim();
  const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m) return undefined;
  const action = commandsFor(s).get(m[1]!.toLowerCase());
  if (!action) return undefined;
  const arg = m[2]?.trim() || undefined;
  const spec = action.command!;
  if (arg !== undefined && !spec.arg) return undefined;
  if (arg === undefined && spec.arg === 'required') return undefined;
  return arg !== undefined ? { action, arg } : { action };
}

/** The command words of the screen of `s` that start with the typed word (all when it is empty). */
export function completions(text: string, s?: AppState): string[] {
  const word = text.trimStart().toLowerCase();
  if (/\s/.test(word)) return [];
  return commandWords(s).filter((w) => w.startsWith(word));
}

/**
 * Tab on the command line: the longest completion all candidates share (with a space after a
 * single candidate that takes an argument); the text unchanged when nothing fits.
 */
export function complete(text: string, s?: AppState): string {
  const c = completions(text, s);
  if (c.length === 0) return text;
  if (c.length === 1) return commandsFor(s).get(c[0]!)!.command!.arg ? `${c[0]} ` : c[0]!;
  let prefix = c[0]!;
  for (const w of c) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.length > text.trim().length ? prefix : text;
}

function runCommandLine(ctx: BaseContext): void {
  const top = topOverlay(ctx.state);
  if (top?.kind !== 'command') return;
  ctx.store.update((s) => closeOverlay(s, top));
  const text = top.input.trim();
  if (!text) return;
  const parsed = parseCommand(text, ctx.state);
  if (!parsed) {
    const word = text.split(/\s+/)[0]!.toLowerCase();
    const known = commandsFor(ctx.state).get(word);
    const elsewhere = (ctx.state.screen === 'fleet' ? commandsOf.console : commandsOf.fleet).get(word);
    if (known?.command?.arg === 'required') ctx.store.say('error', `:${word} needs ${known.command.argName ?? 'an argument'}`, `e.g. :${word} ${known.command.argName ?? ''}`.trim());
    else if (known) ctx.store.say('error', `:${word} takes no argument`, `type :${word} alone`);
    else if (elsewhere && ctx.state.screen === 'fleet') ctx.store.say('error', `:${word} works in an environment's console, not on the Fleet screen`, 'Enter opens the selected environment');
    else if (elsewhere) ctx.store.say('error', `:${word} works on the Fleet screen`, '0 shows it');
    else ctx.store.say('error', `unknown command :${text.length > 60 ? `${text.slice(0, 59)}…` : text}`, `try one of: ${commandWords(ctx.state).join(', ')}`);
    return;
  }
  (parsed.action.run as (c: BaseContext, arg?: string) => void)(ctx, parsed.arg);
}

function completeCommandLine(ctx: BaseContext): void {
  const top = topOverlay(ctx.state);
  if (top?.kind === 'command') editLine(ctx, (t) => complete(t, ctx.state));
}

/** How a scope is named in the help and the README. */
export function scopeName(scope: Scope): string {
  if (scope === 'global') return 'every pane';
  if (scope === 'fleet') return 'Fleet screen';
  if (scope === 'overlay:view') return 'views';
  if (scope.startsWith('overlay:')) {
    const k = scope.slice('overlay:'.length);
    return ({ confirm: 'questions', prompt: 'prompts', command: 'command line', filter: 'filter line', secret: 'secret viewer', tunnels: 'tunnels view', help: 'help', log: 'log', 'state-resource': 'state resource view' } as Record<string, string>)[k] ?? k;
  }
  return PANES.find((p) => p.id === scope)?.title ?? scope;
}

/** The keys of an action as shown: its keyLabel, else its keys joined; `:word ARG` for a command-only action. */
export function keysOf(a: AnyAction): string {
  if (a.keyLabel) return a.keyLabel;
  if (a.keys.length) return a.keys.map(showKey).join(' ');
  return '';
}

/** The `:` command of an action as shown (`:run COMMAND`), or ''. */
export function commandOf(a: AnyAction): string {
  if (!a.command) return '';
  const [w, ...aliases] = a.command.words;
  const arg = a.command.argName ? (a.command.arg === 'optional' ? ` [${a.command.argName}]` : ` ${a.command.argName}`) : '';
  return `:${w}${arg}${aliases.length ? ` (${aliases.map((x) => `:${x}`).join(', ')})` : ''}`;
}

/**
 * The help overlay's lines: every action, grouped by where it works; those of what is on display
 * first: the Fleet screen's on the Fleet screen, else those of `pane` (the pane shown), then the rest
 * in the registry's order.
 */
export function helpLines(screen: AppState['screen'] = 'console', pane?: AppState['pane']): string[] {
  const out: string[] = [];
  let last = '';
  const first: Scope | undefined = screen === 'fleet' ? 'fleet' : pane;
  const order = first ? [...ACTIONS.filter((a) => a.scope === first), ...ACTIONS.filter((a) => a.scope !== first)] : ACTIONS;
  for (const a of order) {
    const where = scopeName(a.scope);
    if (where !== last) {
      if (out.length) out.push('');
      out.push(`── ${where}`);
      last = where;
    }
    const k = keysOf(a);
    const cmd = commandOf(a);
    out.push(`${(k || cmd).padEnd(14)}${k && cmd ? `${cmd}  ` : ''}${a.description}${a.dangerous ? ' — asks first' : ''}`);
  }
  return out;
}

/** The actions the status bar shows in this state: the top overlay's, else the pane's and the global ones. */
export function statusBarActions(s: AppState): AnyAction[] {
  return scopesFor(s).flatMap((sc) => (byScope.get(sc) ?? []).filter((a) => a.statusBar && a.keys.length > 0 && (!a.when || a.when(s))));
}

/** The README's key table: `| key | command | where | what it does |` rows in Markdown, from the registry. */
export function keyTableMarkdown(): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const rows = ACTIONS.map((a) => {
    const k = keysOf(a);
    const cmd = commandOf(a);
    return `| ${k ? `\`${esc(k)}\`` : ''} | ${cmd ? `\`${esc(cmd)}\`` : ''} | ${scopeName(a.scope)} | ${esc(a.description)}${a.dangerous ? ' — asks first' : ''} |`;
  });
  return ['| key | command | where | what it does |', '|---|---|---|---|', ...rows].join('\n');
}

/** The console's keys and `:` commands for `--help`, from the registry. */
export function consoleUsage(): string {
  const lines = ['console keys (? in the console shows them; : commands run from any pane):'];
  for (const a of ACTIONS) {
    const k = keysOf(a);
    const cmd = commandOf(a);
    lines.push(`  ${(k || '').padEnd(10)}${cmd.padEnd(28)}${scopeName(a.scope).padEnd(15)}${a.description}${a.dangerous ? ' — asks first' : ''}`);
  }
  return lines.join('\n');
}
