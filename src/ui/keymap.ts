/**
 * Every key of the console, in one place: the help overlay (`?`), the status bar and the README's
 * key table are all made from this list. Plain data, no Ink import.
 */

/** Where a key works: everywhere, or in one pane. */
export type KeyScope = 'global' | 'plan' | 'overlay';

/** Actions a key dispatches (handled by the controller). */
export type KeyAction =
  | 'plan'
  | 'apply'
  | 'destroy'
  | 'cancel'
  | 'outputs'
  | 'log'
  | 'diagnostics'
  | 'help'
  | 'quit'
  | 'next-pane'
  | 'prev-pane'
  | 'pane'
  | 'filter'
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'close'
  | 'command';

/** One key binding. */
export interface KeyBinding {
  /** What the operator presses, as shown (e.g. `p`, `Tab`, `1-5`). */
  key: string;
  action: KeyAction;
  scope: KeyScope;
  /** Short label for the status bar. */
  label: string;
  /** One line for the help overlay and the README. */
  description: string;
  /** Asks for confirmation (typed environment name when anything is destroyed). */
  dangerous?: boolean;
  /** Shown in the status bar (others only in help). */
  statusBar?: boolean;
}

export const KEYMAP: readonly KeyBinding[] = [
  { key: 'p', action: 'plan', scope: 'plan', label: 'plan', description: 'plan: refresh and compute the changes (terraform plan -out); the plan is saved for apply', statusBar: true },
  { key: 'a', action: 'apply', scope: 'plan', label: 'apply', description: 'apply the saved plan exactly as shown; asks to confirm, and for the typed environment name when it destroys anything', dangerous: true, statusBar: true },
  { key: 'd', action: 'destroy', scope: 'plan', label: 'destroy', description: 'plan a destroy of the whole environment, then apply it after you type the environment name', dangerous: true, statusBar: true },
  { key: 'c', action: 'cancel', scope: 'plan', label: 'cancel', description: 'cancel the running plan/apply: one interrupt, then Terraform writes state and releases the lock (never killed)', statusBar: true },
  { key: 'o', action: 'outputs', scope: 'plan', label: 'outputs', description: 'show the outputs (terraform output; sensitive values masked)', statusBar: true },
  { key: 'e', action: 'diagnostics', scope: 'plan', label: 'errors', description: 'show all diagnostics (errors and warnings) in full, with file:line' },
  { key: 'l', action: 'log', scope: 'global', label: 'log', description: 'show the raw log of Terraform messages (↑↓ PgUp PgDn g G to scroll)', statusBar: true },
  { key: '/', action: 'filter', scope: 'global', label: 'filter', description: 'filter the current table (substring over all columns; Enter keeps it, Esc clears it)' },
  { key: '↑ ↓ k j', action: 'up', scope: 'global', label: 'move', description: 'move the selection' },
  { key: 'PgUp PgDn', action: 'page-up', scope: 'global', label: 'page', description: 'move a page' },
  { key: 'g G', action: 'top', scope: 'global', label: 'top/bottom', description: 'go to the first / last row' },
  { key: '1-5', action: 'pane', scope: 'global', label: 'panes', description: 'switch pane: 1 Plan/Apply, 2 Instances, 3 Load balancers, 4 Secrets, 5 Cluster' },
  { key: 'Tab', action: 'next-pane', scope: 'global', label: 'next pane', description: 'next pane (Shift-Tab: previous)' },
  { key: ':', action: 'command', scope: 'global', label: 'command', description: 'command line: plan, apply, destroy, cancel, outputs, log, errors, help, quit, or a pane (instances, elbs, secrets, cluster); Enter runs it' },
  { key: '?', action: 'help', scope: 'global', label: 'help', description: 'this help', statusBar: true },
  { key: 'Esc', action: 'close', scope: 'overlay', label: 'close', description: 'close the overlay, or answer no to a question' },
  { key: 'q', action: 'quit', scope: 'global', label: 'quit', description: 'quit (refused while an apply runs: wait for it or cancel it; Ctrl-C does the same)', statusBar: true },
];

/** The bindings shown in the status bar for a scope (global ones included). */
export function statusBarKeys(scope: KeyScope): KeyBinding[] {
  return KEYMAP.filter((k) => k.statusBar && (k.scope === scope || k.scope === 'global'));
}

/** The README/help table: `| key | where | what it does |` rows in Markdown. */
export function keymapMarkdown(): string {
  const rows = KEYMAP.map((k) => `| \`${k.key}\` | ${k.scope === 'global' ? 'everywhere' : k.scope === 'plan' ? 'Plan/Apply' : 'overlays'} | ${k.description} |`);
  return ['| key | where | what it does |', '|---|---|---|', ...rows].join('\n');
}
