/**
 * Routes what the terminal sends to the registry: one key to its action, typed text to the line
 * overlay on top (a typed question, a prompt, the command or filter line). Plain TypeScript.
 */
import type { Key } from 'ink';
import { topOverlay, type AppState } from '../../state/store.js';
import type { BaseContext } from './action.js';
import { editLine } from './global-actions.js';
import { charName, keyName, type KeyName } from './key-name.js';
import { lookup } from './registry.js';

/** Whether the top overlay takes typed text. */
function takesText(s: AppState): boolean {
  const top = topOverlay(s);
  return top !== undefined && (top.kind === 'prompt' || top.kind === 'command' || top.kind === 'filter' || (top.kind === 'confirm' && top.typed));
}

/**
 * Presses one key: runs its action in this state (the key, e.g. `3`, is passed as the argument
 * of key-family actions such as `1-5`), or types it into the line overlay on top.
 * @returns the id of the action run, `text` when typed, or undefined when the key does nothing here.
 */
export function press(ctx: () => BaseContext, key: KeyName): string | undefined {
  const c = ctx();
  const a = lookup(c.state, key);
  if (a) {
    // The screen's context carries what its scopes' actions need (see AnyAction).
    (a.run as (c: BaseContext, arg?: string) => void)(c, a.keys.length > 1 && /^[0-9]$/.test(key) ? key : undefined);
    return a.id;
  }
  if (takesText(c.state)) {
    const ch = key === 'Space' ? ' ' : key;
    if ([...ch].length === 1) {
      editLine(c, (t) => t + ch);
      return 'text';
    }
  }
  return undefined;
}

/**
 * Handles one `useInput` call. A chunk of several characters (paste, fast typing, `tmux
 * send-keys`) is taken character by character, each seeing the state the previous one left, so
 * `:plan⏎` typed in one chunk opens the command line, types `plan` and runs it.
 * `ctx` gives a fresh context for each key.
 */
export function handleInput(input: string, key: Key, ctx: () => BaseContext): void {
  const name = keyName(input, key);
  if (input.length <= 1 || key.return || key.escape || key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.tab || key.ctrl || key.meta) {
    if (name !== undefined) press(ctx, name);
    return;
  }
  for (const ch of input) {
    const n = charName(ch);
    if (n !== undefined) press(ctx, n);
  }
}
