/**
 * Edits of a profile's text that keep the operator's file as it is: after the prerequisites
 * bootstrap, the console writes the bucket and key it made into `profiles/ENV.tfvars` and
 * changes nothing else, not a comment, not a blank line, not the line endings.
 */
import { readFile, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { reasonOf, writeFileAtomic } from './atomic-write.js';

import { ProfileError } from './errors.js';

/** The profile fields the console may rewrite. */
export type EditableProfileField = 'terraform_bucket_name' | 'kms_master_id';

const EDITABLE: ReadonlySet<string> = new Set<EditableProfileField>(['terraform_bucket_name', 'kms_master_id']);

/** `value` as an HCL quoted string: `"`, `\` and control characters escaped, `${` and `%{` made literal. */
export function hclString(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `"${out.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{')}"`;
}

/** Lexical state carried from one line to the next. */
interface ScanState {
  /** Open brackets ([ { () outside strings and comments. */
  depth: number;
  inBlockComment: boolean;
  /** The terminator of the heredoc being read, if any. */
  heredoc?: string;
}

/** Advances `state` over one line (without its line ending). */
function scanLine(line: string, state: ScanState): void {
  if (state.heredoc !== undefined) {
    if (line.trim() === state.heredoc) delete state.heredoc;
    return;
  }
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    const next = line[i + 1];
    if (state.inBlockComment) {
      if (ch === '*' && next === '/') {
        state.inBlockComment = false;
        i++;
      }
      continue;
    }
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '#' || (ch === '/' && next === '/')) return;
    else if (ch === '/' && next === '*') {
      state.inBlockComment = true;
      i++;
    } else if (ch === '<' && next === '<') {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$/.exec(line.slice(i));
      if (m) {
        state.heredoc = m[1] as string;
        return;
      }
      i++;
    } else if (ch === '[' || ch === '{' || ch === '(') state.depth++;
    else if (ch === ']' || ch === '}' || ch === ')') state.depth = Math.max(0, state.depth - 1);
  }
}

/**
 * The end (exclusive) of the quoted string starting at `s[0] === '"'`, or -1 when it is not closed
 * on this line.
 */
function endOfString(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i + 1;
  }
  return -1;
}

/** Where a trailing comment starts in `s` (outside strings), or `s.length`. */
function commentStart(s: string): number {
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '#' || (ch === '/' && (s[i + 1] === '/' || s[i + 1] === '*'))) return i;
  }
  return s.length;
}

/**
 * The tfvars text with each given field set to its value: every top-level `NAME = …` line of those
 * fields gets the new quoted value, keeping its indentation, spacing and trailing comment; a field
 * with no such line gets one appended (`NAME = "VALUE"`) at the end. Every other byte is kept:
 * comments (a commented-out `# NAME = …` is not a field), blank lines, other fields, CRLF line
 * endings, text inside heredocs, block comments and multi-line lists or maps. Fields whose value
 * is undefined are left alone. Pure.
 * @throws ProfileError when a field's current value spans several lines (it cannot be rewritten
 *   in place), or a field name is not one of {@link EditableProfileField}.
 */
export function setProfileFields(text: string, fields: Partial<Record<EditableProfileField, string>>): string {
  const wanted = new Map<string, string>();
  for (const [name, value] of Object.entries(fields)) {
    if (!EDITABLE.has(name)) throw new ProfileError(`the console cannot edit the profile field "${name}"`, `edit it by hand`);
    if (value !== undefined) wanted.set(name, value);
  }
  if (wanted.size === 0) return text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split('\n');
  const seen = new Set<string>();
  const state: ScanState = { depth: 0, inBlockComment: false };
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n] as string;
    const cr = raw.endsWith('\r') ? '\r' : '';
    const line = cr ? raw.slice(0, -1) : raw;
    const topLevel = state.depth === 0 && !state.inBlockComment && state.heredoc === undefined;
    const m = topLevel ? /^(\s*)([A-Za-z_][A-Za-z0-9_-]*)(\s*=\s*)(.*)$/.exec(line) : null;
    const name = m?.[2];
    if (m && name !== undefined && wanted.has(name)) {
      const rest = m[4] as string;
      let after: string;
      if (rest.startsWith('"')) {
        const end = endOfString(rest);
        if (end < 0) throw new ProfileError(`line ${n + 1}: the value of ${name} is not closed on its line`, 'close the quoted string, then try again');
        after = rest.slice(end);
      } else {
        const c = commentStart(rest);
        const value = rest.slice(0, c).trimEnd();
        if (/[[{(]|<</.test(value) || value === '') {
          throw new ProfileError(`line ${n + 1}: the value of ${name} spans several lines: the console can only rewrite a one-line value`, `set ${name} = "…" on one line, then try again`);
        }
        after = rest.slice(value.length);
      }
      const updated = `${m[1]}${name}${m[3]}${hclString(wanted.get(name) as string)}${after}`;
      lines[n] = updated + cr;
      seen.add(name);
      scanLine(updated, state);
      continue;
    }
    scanLine(line, state);
  }
  let out = lines.join('\n');
  const missing = [...wanted.keys()].filter((name) => !seen.has(name));
  if (missing.length > 0) {
    if (out.length > 0 && !out.endsWith('\n')) out += eol;
    for (const name of missing) out += `${name} = ${hclString(wanted.get(name) as string)}${eol}`;
  }
  return out;
}

/**
 * Rewrites the given fields of the profile `file` (see {@link setProfileFields}) atomically
 * ({@link writeFileAtomic} with `keepMode`): the new text goes to a temp file in the same
 * directory, created with the file's mode (and owner, where permitted), fsynced, then renamed
 * over the file. A symlinked profile is written through to its target; the link stays. Nothing
 * is written when the text would not change.
 * @returns whether the file changed.
 * @throws ProfileError when the file does not exist or cannot be read or written, or as
 *   {@link setProfileFields}.
 */
export async function writeProfileFields(file: string, fields: Partial<Record<EditableProfileField, string>>): Promise<boolean> {
  let target: string;
  let text: string;
  try {
    target = await realpath(file);
    text = await readFile(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ProfileError(`no profile ${file}`, 'create it from profiles/default.tfvars', { cause: err });
    throw new ProfileError(`cannot read ${file}: ${(err as Error).message}`, 'check its permissions', { cause: err });
  }
  const next = setProfileFields(text, fields);
  if (next === text) return false;
  try {
    await writeFileAtomic(target, next, { keepMode: true });
  } catch (err) {
    throw new ProfileError(`cannot write ${file}: ${reasonOf(err)}`, `check the permissions of ${dirname(target)}`, { cause: err });
  }
  return true;
}
