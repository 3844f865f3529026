/**
 * OpenSSH `known_hosts` files: our own reader and (append-only) writer.
 *
 * No maintained Node library reads this format, so this module implements it from OpenSSH's
 * documentation: `man 8 sshd`, section "SSH_KNOWN_HOSTS FILE FORMAT", and `man 1 ssh-keygen`
 * (`-H`, `-F`, `-R`) for hashed host names. One line is
 *
 * ```
 * [@marker] hostnames keytype base64-key [comment]
 * ```
 *
 * - `marker` is optional: `@cert-authority` (a CA key) or `@revoked` (never accept this key);
 *   any other `@…` word makes the line invalid.
 * - `hostnames` is either a comma-separated list of patterns (`*` and `?` wildcards, `!` for
 *   negation, `[host]:port` for a port other than 22), or ONE hashed name
 *   `|1|base64(salt)|base64(HMAC-SHA1(key = salt, data = name))` with a 20-byte salt, where
 *   `name` is `host` or `[host]:port` exactly as {@link hostKeyName} builds it.
 * - `keytype` (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …) must agree with the type
 *   name inside the base64 key blob (SSH wire format: a uint32 length, then the type name).
 * - Lines starting with `#` and blank lines are ignored; invalid lines are skipped (as ssh does).
 *
 * Host names are compared case-insensitively: ssh(1) lowercases the name the user gives before
 * it looks it up, and so does {@link hostKeyName}.
 *
 * Plain TypeScript, no Ink import.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { SshError } from '../../core/errors.js';

/** The result of {@link checkHostKey}. `line` numbers are 1-based physical lines of the file. */
export type HostKeyCheck =
  /** A line for this host has exactly this key (and no `@revoked` line names it). */
  | { status: 'known'; line: number }
  /** No line for this host has a key of this type (or the file does not exist). */
  | { status: 'unknown' }
  /**
   * A line for this host has a key of the SAME type but different bytes, and none has this key:
   * possibly a man-in-the-middle. `knownFingerprint` is that line's key as {@link fingerprintSha256}
   * prints it (`SHA256:…`, like `ssh-keygen -lf`), `knownType` its key type.
   */
  | { status: 'changed'; line: number; knownFingerprint: string; knownType: string }
  /** A `@revoked` line for this host has this very key: it must never be accepted. */
  | { status: 'revoked'; line: number };

/** How a line names its hosts: a list of patterns, or one hashed name. */
export type KnownHostsNames =
  | { kind: 'patterns'; patterns: readonly string[] }
  | { kind: 'hashed'; salt: Buffer; hash: Buffer };

/** One valid key line of a known_hosts file, as {@link parseKnownHosts} returns it. */
export interface KnownHostsEntry {
  /** 1-based physical line number. */
  line: number;
  /** The line's marker, when it has one. */
  marker?: 'cert-authority' | 'revoked';
  /** The hostnames field. */
  names: KnownHostsNames;
  /** The key type field, e.g. `ssh-ed25519` (equal to the type name inside `keyBlob`). */
  keyType: string;
  /** The decoded key (SSH wire format public key blob). */
  keyBlob: Buffer;
  /** The rest of the line after the key, possibly empty. */
  comment: string;
}

/** Options of {@link addHostKey}. */
export interface AddHostKeyOptions {
  /** Write the host name hashed (`|1|salt|hmac`), as OpenSSH's `HashKnownHosts yes`. Default true. */
  hash?: boolean;
}

const HASH_MAGIC = '|1|';
/** OpenSSH requires the salt of a hashed name to be one SHA-1 digest long. */
const SALT_BYTES = 20;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The name ssh looks a host up by: `host` when `port` is 22, else `[host]:port`
 * (e.g. `[127.0.0.1]:2222`), lowercased as ssh(1) does.
 * @throws RangeError when `port` is not an integer in 1..65535 or `host` is empty.
 */
export function hostKeyName(host: string, port: number): string {
  if (!host) throw new RangeError('host name is empty');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid port: ${port}`);
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/**
 * The key's fingerprint as OpenSSH prints it (`ssh-keygen -lf`, ssh's warnings):
 * `SHA256:` followed by the unpadded base64 of the SHA-256 digest of the raw key blob.
 */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The type name stored at the start of an SSH public key blob (RFC 4253 §6.6: a uint32 length,
 * then that many bytes of ASCII), or undefined when the blob is too short or malformed.
 */
export function keyTypeOfBlob(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  const name = keyBlob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(name) ? name : undefined;
}

/**
 * The host key type for a signature algorithm name: `rsa-sha2-256` and `rsa-sha2-512` are
 * algorithms of `ssh-rsa` keys (known_hosts always says `ssh-rsa`); other names are key types.
 */
function plainKeyType(type: string): string {
  return type === 'rsa-sha2-256' || type === 'rsa-sha2-512' ? 'ssh-rsa' : type;
}

/**
 * A hashed host name field, `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as `ssh-keygen -H`
 * and `HashKnownHosts yes` write it. `name` is used as given (build it with {@link hostKeyName});
 * `salt` defaults to 20 random bytes.
 */
export function hashHostName(name: string, salt: Buffer = randomBytes(SALT_BYTES)): string {
  const mac = createHmac('sha1', salt).update(name, 'utf8').digest();
  return `${HASH_MAGIC}${salt.toString('base64')}|${mac.toString('base64')}`;
}

function parseNames(field: string): KnownHostsNames | undefined {
  if (field.startsWith('|')) {
    if (!field.startsWith(HASH_MAGIC)) return undefined;
    const parts = field.slice(HASH_MAGIC.length).split('|');
    if (parts.length !== 2) return undefined;
    const [s, h] = parts as [string, string];
    if (!BASE64.test(s) || !BASE64.test(h)) return undefined;
    const salt = Buffer.from(s, 'base64');
    const hash = Buffer.from(h, 'base64');
    if (salt.length !== SALT_BYTES || hash.length !== SALT_BYTES) return undefined;
    return { kind: 'hashed', salt, hash };
  }
  const patterns = field.split(',').filter((p) => p !== '');
  return patterns.length > 0 ? { kind: 'patterns', patterns } : undefined;
}

/**
 * Parses the text of a known_hosts file into its valid key lines, in file order. Comments,
 * blank lines and invalid lines (unknown marker, bad hashed name, key that is not base64 or
 * whose inner type differs from the key type field) are skipped, as ssh skips them.
 * Never throws.
 */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@cert-authority') marker = 'cert-authority';
      else if (m === '@revoked') marker = 'revoked';
      else continue;
    }
    const [hostField, keyType, keyB64, ...rest] = fields;
    if (hostField === undefined || keyType === undefined || keyB64 === undefined) continue;
    const names = parseNames(hostField);
    if (!names || !BASE64.test(keyB64)) continue;
    const keyBlob = Buffer.from(keyB64, 'base64');
    if (keyTypeOfBlob(keyBlob) !== keyType) continue;
    out.push({ line: i + 1, ...(marker ? { marker } : {}), names, keyType, keyBlob, comment: rest.join(' ') });
  }
  return out;
}

/**
 * Whether `text` matches a glob `pattern` where `*` is any run of characters (possibly empty)
 * and `?` exactly one character; everything else is literal. Case-insensitive.
 */
export function matchPattern(text: string, pattern: string): boolean {
  const s = text.toLowerCase();
  const p = pattern.toLowerCase();
  // Iterative glob with backtracking to the last `*`: linear-ish, no regex, no recursion.
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      si++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/**
 * Whether a line's names match `name` (built by {@link hostKeyName}). Patterns: some positive
 * pattern matches and no `!`-negated one does (OpenSSH's `match_hostname`). Hashed: the HMAC-SHA1
 * of `name` keyed by the line's salt equals the line's hash.
 */
export function namesMatch(names: KnownHostsNames, name: string): boolean {
  if (names.kind === 'hashed') {
    const mac = createHmac('sha1', names.salt).update(name, 'utf8').digest();
    return mac.equals(names.hash);
  }
  let positive = false;
  for (const pat of names.patterns) {
    if (pat.startsWith('!')) {
      if (matchPattern(name, pat.slice(1))) return false;
    } else if (matchPattern(name, pat)) {
      positive = true;
    }
  }
  return positive;
}

/**
 * Checks the key a server presented against the known_hosts `file`.
 *
 * Only lines whose names match {@link hostKeyName}(host, port) count. In order of precedence:
 * a `@revoked` line with this very key → `revoked`; a plain line with this key → `known`;
 * a plain line with a key of the same type but other bytes → `changed` (the first such line);
 * otherwise `unknown`. `@cert-authority` lines are ignored: only plain host keys are checked.
 *
 * Choice, following OpenSSH: a key is "changed" only when a key of the SAME type is known for
 * the host. When only keys of other types are known (say the file has the host's ssh-rsa key and
 * the server now shows ssh-ed25519), the result is `unknown`, so the operator is asked to trust
 * the new key rather than warned of an attack; ssh does the same (it adds "but keys of different
 * type are already known for this host").
 *
 * `keyType` is the key's type, or the signature algorithm (`rsa-sha2-256/512` count as `ssh-rsa`);
 * it must agree with the type inside `keyBlob` when that can be read.
 * A missing file (or directory) is `unknown`.
 * @throws SshError when the file exists but cannot be read, or `keyType` contradicts `keyBlob`.
 */
export async function checkHostKey(file: string, host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyCheck> {
  const type = checkedKeyType(keyType, keyBlob);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'unknown' };
    throw new SshError(`cannot read known hosts file ${file}: ${(err as Error).message}`, `check the permissions of ${file}`, { cause: err });
  }
  const name = hostKeyName(host, port);
  let known: number | undefined;
  let changed: KnownHostsEntry | undefined;
  for (const e of parseKnownHosts(text)) {
    if (e.marker === 'cert-authority') continue;
    if (!namesMatch(e.names, name)) continue;
    const same = e.keyBlob.equals(keyBlob);
    if (e.marker === 'revoked') {
      if (same) return { status: 'revoked', line: e.line };
      continue;
    }
    if (same) known ??= e.line;
    else if (e.keyType === type) changed ??= e;
  }
  if (known !== undefined) return { status: 'known', line: known };
  if (changed) return { status: 'changed', line: changed.line, knownFingerprint: fingerprintSha256(changed.keyBlob), knownType: changed.keyType };
  return { status: 'unknown' };
}

function checkedKeyType(keyType: string, keyBlob: Buffer): string {
  const given = plainKeyType(keyType);
  const inner = keyTypeOfBlob(keyBlob);
  if (inner !== undefined && inner !== given) {
    throw new SshError(`host key type ${keyType} does not match the key itself (${inner})`, 'this is a bug in the caller: pass the key type of the presented key');
  }
  return inner ?? given;
}

/**
 * Appends one line for this host's key to `file` and resolves the 1-based number of that line.
 * The line is `NAMES TYPE BASE64` where NAMES is {@link hashHostName}(hostKeyName(host, port))
 * (default, as `HashKnownHosts yes`) or the plain {@link hostKeyName} with `{ hash: false }`.
 * Creates the directory (mode 0700) and the file (mode 0600) when missing; an existing file's
 * mode is left alone. Append-only: nothing already in the file is rewritten (a missing final
 * newline is added first, so the previous last line stays intact).
 * @throws SshError when the file or its directory cannot be created or written, or `keyType`
 * contradicts `keyBlob`.
 */
export async function addHostKey(
  file: string,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  opts: AddHostKeyOptions = {},
): Promise<number> {
  const type = checkedKeyType(keyType, keyBlob);
  const name = hostKeyName(host, port);
  const names = opts.hash === false ? name : hashHostName(name);
  const entry = `${names} ${type} ${keyBlob.toString('base64')}\n`;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const fh = await open(file, 'a+', 0o600);
    try {
      const existing = await fh.readFile({ encoding: 'utf8' });
      const prefix = existing !== '' && !existing.endsWith('\n') ? '\n' : '';
      const before = (existing.match(/\n/g)?.length ?? 0) + (prefix ? 1 : 0);
      await fh.appendFile(prefix + entry, 'utf8');
      await fh.sync();
      return before + 1;
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new SshError(`cannot add the host key of ${name} to ${file}: ${(err as Error).message}`, `check that ${dirname(file)} is writable`, { cause: err });
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The operator's way out of a `changed` warning, one line: delete the offending line with
 * `sed -i 'Nd' FILE`, or (when `host` is given) let ssh-keygen remove every key of that host:
 * `ssh-keygen -f FILE -R NAME` with NAME = {@link hostKeyName}(host, port ?? 22).
 * Arguments are shell-quoted when needed. Do this only once the new key is known to be genuine.
 */
export function removeHint(file: string, line: number, host?: string, port?: number): string {
  const f = shellQuote(file);
  const sed = `sed -i '${line}d' ${f}`;
  if (host === undefined) return `remove the old key (line ${line} of ${file}): ${sed}`;
  return `remove the old key (line ${line} of ${file}): ${sed}   or: ssh-keygen -f ${f} -R ${shellQuote(hostKeyName(host, port ?? 22))}`;
}
