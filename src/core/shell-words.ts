/**
 * Splits a command line into words the way a POSIX shell does for simple commands: whitespace
 * separates words; single quotes keep everything literally; double quotes keep everything but
 * `\"`, `\\`, `\$` and `` \` `` escapes; a backslash outside quotes keeps the next character. No
 * expansion of variables, globs or `~` (the words are passed to `spawn` as they are).
 * Used for `$VISUAL` / `$EDITOR` (e.g. `code --wait`, `"/opt/My Editor/ed" -n`) and
 * `PLATFORM_MOTO_SERVER`.
 * @returns the words, or undefined when a quote is not closed.
 */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line.charAt(i + 1))) cur += line.charAt(++i);
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line.charAt(++i);
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(cur);
  return words;
}
