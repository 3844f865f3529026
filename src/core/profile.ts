import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './atomic-write.js';
import { BoundedReadError, readBoundedFile } from './read-bounded.js';
import { ProfileError } from './errors.js';
import { cut, fieldLines, PROFILE_LIMITS, tooLarge } from './profile-limits.js';
import type { Profile } from './profile-schema.js';

export { PROFILE_LIMITS } from './profile-limits.js';
export type { Profile } from './profile-schema.js';

/** Options of {@link parseProfile}. */
export interface ProfileParseOptions {
  /**
   * A directory (created 0700) for the results of parsing, one file (0600) per profile text, named
   * by {@link profileCacheKey} and holding the text itself (an entry is used only for exactly that
   * text): the HCL parser's result (Go compiled to WebAssembly, ~0.3–0.5 s and
   * ~80 MB per process), and the validated profile with the build that validated it. So the parser
   * runs only after an edit, and the schema (zod) only after an edit or a new build. Only a valid
   * profile's parse is kept.
   */
  cacheDir?: string;
}

/** One cache file: the text it is for, the parser's result, and the validated profile of build `build`. */
interface ParseCache {
  v: 3;
  text: string;
  raw: unknown;
  build: string;
  profile: Profile;
}

/**
 * This build's identity, for the validated profiles in the cache: the mtime and size of this module's
 * own file (rewritten by every `tsc` run and every bundle), so that a new build, whose schema may
 * differ, validates again. '' (nothing is trusted) when the file cannot be read. Read once a process.
 */
let identity: Promise<string> | undefined;
function buildIdentity(): Promise<string> {
  identity ??= stat(fileURLToPath(import.meta.url)).then(
    (st) => `${st.mtimeMs}:${st.size}`,
    () => '',
  );
  return identity;
}

/** Bytes of one cache entry at most (a profile is at most 64 KiB; its parse and its validated form are about twice that). */
const CACHE_ENTRY_BYTES = 1024 * 1024;

/**
 * The cache entry for `text` (see {@link ProfileParseOptions.cacheDir}); undefined when none or
 * unreadable. Read without blocking or without bound (a FIFO or a huge file there is a miss).
 */
async function readParseCache(dir: string, text: string): Promise<{ raw: unknown; profile?: Profile } | undefined> {
  try {
    const [o, build] = await Promise.all([readBoundedFile(join(dir, `${profileCacheKey(text)}.json`), CACHE_ENTRY_BYTES).then((t) => JSON.parse(t) as Partial<ParseCache>), buildIdentity()]);
    // Another text with the same key (or an older entry) is a miss: parsed again, and replaced.
    if (o.v !== 3 || o.text !== text || o.raw === undefined) return undefined;
    const trusted = build !== '' && o.build === build && o.profile !== null && typeof o.profile === 'object';
    return trusted ? { raw: o.raw, profile: o.profile! } : { raw: o.raw };
  } catch {
    return undefined;
  }
}

/** Keeps the parse and validation of `text`; a cache that cannot be written is no error (the next start parses again). */
async function writeParseCache(dir: string, text: string, raw: unknown, profile: Profile): Promise<void> {
  try {
    const build = await buildIdentity();
    if (build === '') return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const entry: ParseCache = { v: 3, text, raw, build, profile };
    await writeFileAtomic(join(dir, `${profileCacheKey(text)}.json`), JSON.stringify(entry), { mode: 0o600 });
  } catch {
    /* parsed again next time */
  }
}

/**
 * The name of `text`'s cache entry: its length (UTF-16 code units) and its 32-bit FNV-1a hash, in
 * hex (`1234-89abcdef`). Not a cryptographic hash, and it need not be one: the entry holds the text
 * and is used only when that text equals the profile's exactly. Computed without node:crypto,
 * whose loading (~10 ms) would be most of every start's profile read.
 */
export function profileCacheKey(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}-${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * Parses and validates the text of a profile.
 * The text is HCL (a Terraform `.tfvars` file), parsed by HashiCorp's own HCL parser compiled to
 * WebAssembly (`@cdktn/hcl2json`). Text over {@link PROFILE_LIMITS}.fileBytes (64 KiB, counted
 * in UTF-8 bytes) is refused before it is parsed. Messages are bounded: one line, at most
 * {@link PROFILE_LIMITS}.shownProblems problems and `(+N more)`, the parser's message cut to
 * {@link PROFILE_LIMITS}.parserMessageChars characters.
 * @param file the file's path, used in messages only.
 * @param expectedEnvironment when given, the `environment` field must equal it.
 * @throws ProfileError naming the file (and line when known), the field and what is allowed: "FILE is
 *   larger than 64 KiB", "not valid HCL", "unknown field", a field "is missing", a list field "has N
 *   entries; at most M are allowed", a string field "is N characters long; at most M are allowed",
 *   a value that breaks its rule, an `environment` that is not the file's.
 */
export async function parseProfile(file: string, text: string, expectedEnvironment?: string, opts: ProfileParseOptions = {}): Promise<Profile> {
  if (text.length > PROFILE_LIMITS.fileBytes || Buffer.byteLength(text, 'utf8') > PROFILE_LIMITS.fileBytes) {
    throw tooLarge(file, Buffer.byteLength(text, 'utf8'));
  }
  let raw: unknown;
  let fresh = false;
  let cached: { raw: unknown; profile?: Profile } | undefined;
  try {
    cached = opts.cacheDir ? await readParseCache(opts.cacheDir, text) : undefined;
    if (cached !== undefined) raw = cached.raw;
    else {
      const { parse } = await import('@cdktn/hcl2json');
      raw = await parse(file, text);
      fresh = true;
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const detail = msg.slice(0, PROFILE_LIMITS.parserMessageChars + 100).replace(/^parse config: \[?/, '').replace(/\]$/, '').replace(/\s+/g, ' ');
    throw new ProfileError(`${file}: not valid HCL: ${cut(detail, PROFILE_LIMITS.parserMessageChars)}`, 'fix the syntax: each line is `field = value`, strings in double quotes');
  }
  // The schema (zod, ~0.5 MB of code) loads only when there is something to validate.
  const validated = cached?.profile === undefined;
  const profile = validated ? (await import('./profile-schema.js')).validateProfile(file, text, raw) : cached!.profile!;
  if (expectedEnvironment !== undefined && profile.environment !== expectedEnvironment) {
    const line = fieldLines(text).get('environment');
    throw new ProfileError(
      `${file}${line ? `:${line}` : ''}: field "environment" is "${profile.environment}" but the file is for "${expectedEnvironment}"`,
      `set environment = "${expectedEnvironment}" in ${file}`,
    );
  }
  // Only a valid profile's parse is kept: bad input writes nothing.
  if ((fresh || validated) && opts.cacheDir) await writeParseCache(opts.cacheDir, text, raw, profile);
  return profile;
}


function notRegular(file: string, kind: string, expectedEnvironment: string | undefined): ProfileError {
  return new ProfileError(`${file} is not a regular file (it is ${kind})`, `a profile is a text file: replace it with one (cp profiles/default.tfvars ${file}) and set environment = "${expectedEnvironment ?? 'ENV'}"`);
}

/**
 * Reads `file` as a profile's text without ever blocking or reading without bound: it must be a
 * regular file (checked with stat before opening, then with fstat on the descriptor, which is
 * opened O_NONBLOCK so that a FIFO or device swapped in meanwhile cannot block the open) of at
 * most {@link PROFILE_LIMITS}.fileBytes bytes; at most that many bytes plus one are ever read.
 * @throws ProfileError "no profile FILE" (with how to create it), "FILE is not a regular file (it
 *   is a FIFO)", "FILE is larger than 64 KiB (SIZE)", or "cannot read FILE: REASON".
 */
async function readProfileText(file: string, expectedEnvironment: string | undefined): Promise<string> {
  try {
    return await readBoundedFile(file, PROFILE_LIMITS.fileBytes);
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    if (err.kind === 'not-regular') throw notRegular(file, err.detail.what ?? 'not a file', expectedEnvironment);
    if (err.kind === 'too-large') throw tooLarge(file, err.detail.size);
    if (err.kind === 'missing') {
      throw new ProfileError(`no profile ${file}`, `create it from profiles/default.tfvars (cp profiles/default.tfvars ${file}) and set environment = "${expectedEnvironment ?? 'ENV'}"`);
    }
    throw new ProfileError(`cannot read ${file}: ${cut(err.detail.message ?? '', 300)}`, 'check that the file and its directory can be read');
  }
}

/**
 * Reads and validates `file` (the `--ci` commands and the console both load profiles here).
 * @throws ProfileError when the file does not exist (with the hint to create it), is not a regular
 *   file, is larger than {@link PROFILE_LIMITS}.fileBytes or cannot be read, or when it is invalid
 *   (see {@link parseProfile}).
 */
export async function loadProfile(file: string, expectedEnvironment?: string, opts: ProfileParseOptions = {}): Promise<Profile> {
  const text = await readProfileText(file, expectedEnvironment);
  return parseProfile(file, text, expectedEnvironment, opts);
}

/**
 * The text of a new profile made from the template: the template's text with its `environment`
 * line set to `environment`. Comments and layout are kept.
 * @throws ProfileError when the template has no `environment = …` line.
 */
export function profileFromTemplate(templateText: string, environment: string): string {
  const re = /^(\s*environment\s*=\s*)"[^"]*"/m;
  if (!re.test(templateText)) {
    throw new ProfileError('profiles/default.tfvars has no `environment = "…"` line', 'restore it from git');
  }
  return templateText.replace(re, `$1"${environment}"`);
}
