/**
 * Key names: the one spelling of a key press that the action registry binds and the help shows.
 * Plain TypeScript (Ink's `Key` is imported as a type only), so `--help` and the README generator
 * load no Ink.
 */
import type { Key } from 'ink';

/**
 * A key as the registry names it: a printable character as itself (`a`, `A`, `?`, `<`), `Space`,
 * `Enter`, `Esc`, `Tab`, `S-Tab`, `Up`, `Down`, `Left`, `Right`, `PgUp`, `PgDn`, `Backspace`, and
 * `C-x` for Ctrl with a letter.
 */
export type KeyName = string;

/** The names of special keys, as bound and shown. */
export const SPECIAL_KEYS = ['Space', 'Enter', 'Esc', 'Tab', 'S-Tab', 'Up', 'Down', 'Left', 'Right', 'PgUp', 'PgDn', 'Backspace'] as const;

/** How the help shows a key name (arrows as arrows). */
export function showKey(k: KeyName): string {
  switch (k) {
    case 'Up':
      return '↑';
    case 'Down':
      return '↓';
    case 'Left':
      return '←';
    case 'Right':
      return '→';
    case 'S-Tab':
      return 'Shift-Tab';
    default:
      return k.startsWith('C-') ? `Ctrl-${k.slice(2).toUpperCase()}` : k;
  }
}

/**
 * The name of one key press from Ink's `useInput` (`input`, `key`), or undefined for a press the
 * registry never binds (e.g. a bare modifier). `input` is one character here: the caller splits
 * longer chunks (paste, fast typing) first.
 */
export function keyName(input: string, key: Key): KeyName | undefined {
  if (key.upArrow) return 'Up';
  if (key.downArrow) return 'Down';
  if (key.leftArrow) return 'Left';
  if (key.rightArrow) return 'Right';
  if (key.pageUp) return 'PgUp';
  if (key.pageDown) return 'PgDn';
  if (key.return) return 'Enter';
  if (key.escape) return 'Esc';
  if (key.tab) return key.shift ? 'S-Tab' : 'Tab';
  if (key.backspace || key.delete) return 'Backspace';
  if (key.ctrl && /^[a-z]$/i.test(input)) return `C-${input.toLowerCase()}`;
  if (key.meta || key.ctrl) return undefined;
  if (input === ' ') return 'Space';
  if (input.length === 1 && input >= ' ') return input;
  return undefined;
}

/** The name of a character inside a chunk of typed text (`\r` and `\n` are Enter). */
export function charName(ch: string): KeyName | undefined {
  if (ch === '\r' || ch === '\n') return 'Enter';
  if (ch === '\t') return 'Tab';
  if (ch === '\x7f' || ch === '\b') return 'Backspace';
  if (ch === '\x1b') return 'Esc';
  if (ch === ' ') return 'Space';
  if (ch.length === 1 && ch >= ' ') return ch;
  return undefined;
}
