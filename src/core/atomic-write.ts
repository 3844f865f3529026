/**
 * Writing a file whole or not at all: the one atomic write of the project (DESIGN: "atomic write
 * with mode"). Readers see the old file or the new one, never a half-written one, and a failure
 * (a full disk, a read-only file system) leaves no temp file behind and says which path and what to do.
 */
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConsoleError } from './errors.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Permission bits of the file, set exactly (the umask does not narrow them), from the moment the
   * temp file exists (it is created with them, so a 0600 file is never readable by others).
   * Default: 0o666 narrowed by the umask, as `fs.writeFile`.
   */
  mode?: number;
  /**
   * Give the new file the permission bits (set exactly) and, where this user may, the owner and
   * group of the file it replaces, as an editor saving in place would. When `path` does not exist
   * yet, `mode` (or its default) applies. `path` itself is replaced: to write through a symlink,
   * pass the link's target (`realpath`).
   */
  keepMode?: boolean;
  /**
   * Create only: fail if `path` exists, even when it appears while the data is being written. The
   * temp file is put in place with link(2) instead of rename(2), so an existing file is never
   * replaced; the error's `cause` then has the code `EEXIST` (see {@link errnoOf}).
   */
  exclusive?: boolean;
}

/** The temp files of {@link writeFileAtomic}: `.NAME.PID.RANDOM.tmp`, where RANDOM is 8 hex digits. */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Whether a directory entry's name is one of {@link writeFileAtomic}'s temp files (one being
 * written right now, or left by a process that died while writing): tree walks skip them.
 */
export function isAtomicTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * The errno code (`ENOENT`, `EEXIST` …) of a failed fs call, or of the fs error behind an error
 * of this module (its `cause`); undefined for anything else.
 */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const inner = (cause as NodeJS.ErrnoException | undefined)?.code;
  return typeof inner === 'string' ? inner : undefined;
}

/** What to do about a failed write, by errno code; `dir` is the file's directory. */
function hintFor(code: string | undefined, dir: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `free space on the disk holding ${dir}, then try again`;
    case 'EACCES':
    case 'EPERM':
      return `check the permissions of ${dir}: this user must be able to create and rename files in it`;
    case 'EROFS':
      return `${dir} is on a read-only file system: point the console at a writable directory, or remount it read-write`;
    case 'ENOENT':
    case 'ENOTDIR':
      return `create the directory ${dir} (or fix the path), then try again`;
    case 'EFBIG':
      return 'the file is larger than this process may write (ulimit -f): raise the limit, then try again';
    default:
      return '';
  }
}

/**
 * Why a file system call failed, as the operator reads it: the errno text without its syscall
 * and path, and the code: `no space left on device (ENOSPC)`. For an error of this module
 * (a {@link ConsoleError} whose `cause` is the fs error) it is the reason of that fs error; for
 * anything else, its message.
 */
export function reasonOf(err: unknown): string {
  if (err instanceof ConsoleError && err.cause instanceof Error && typeof (err.cause as NodeJS.ErrnoException).code === 'string') return reasonOf(err.cause);
  const e = err as NodeJS.ErrnoException;
  const msg = e instanceof Error ? e.message : String(err);
  const m = /^([A-Z0-9]+): (.*?), [a-z]+\b/.exec(msg);
  const text = m ? m[2]! : msg;
  return e.code && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

/**
 * The ConsoleError for a failed file system write: "cannot VERB PATH: REASON (CODE)" and the hint
 * for its errno code about `dir` (see {@link writeFileAtomic}); the fs error is the `cause`.
 */
export function fsWriteError(verb: string, path: string, dir: string, err: unknown): ConsoleError {
  return new ConsoleError(`cannot ${verb} ${path}: ${reasonOf(err)}`, hintFor((err as NodeJS.ErrnoException).code, dir), { cause: err });
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory (`.NAME.PID.RANDOM.tmp`,
 * created exclusively and with the final mode from the start), written, fsynced, then renamed
 * over `path` (or, `exclusive`, hard-linked to it), and the directory fsynced (best effort: some
 * file systems refuse it) so that the new name survives a crash. The directory must exist.
 * @param path the file to write; its directory must exist and be writable. A symlink at `path` is
 *   replaced by the file, not written through (pass its `realpath` for that).
 * @param data the whole content (a string is written as UTF-8).
 * @param opts see {@link AtomicWriteOptions}: `mode`, `keepMode`, `exclusive`.
 * @throws ConsoleError "cannot write PATH: REASON (CODE)" with what to do next (ENOSPC/EDQUOT: free
 *   space on the disk holding the directory; EACCES/EPERM: permissions; EROFS: read-only file
 *   system; ENOENT/ENOTDIR: the directory; EFBIG: the file size limit; others, EEXIST of an
 *   `exclusive` write among them: the errno text alone). The temp file is removed on every
 *   failure; `path` is then unchanged. The fs error is the `cause` ({@link errnoOf} reads its code).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  // node:crypto loaded at the call, not imported (kept off the console's start before its splash).
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`);
  let fh: FileHandle | undefined;
  let created = false;
  try {
    let mode = opts.mode;
    let owner: { uid: number; gid: number } | undefined;
    if (opts.keepMode) {
      const old = await stat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (old) {
        mode = old.mode & 0o7777;
        owner = { uid: old.uid, gid: old.gid };
      }
    }
    fh = await open(tmp, 'wx', mode ?? 0o666);
    created = true;
    if (mode !== undefined) await fh.chmod(mode);
    if (owner) await fh.chown(owner.uid, owner.gid).catch(() => undefined);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (opts.exclusive) {
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
    created = false;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    if (created) await unlink(tmp).catch(() => undefined);
    throw fsWriteError('write', path, dir, err);
  }
  await syncDir(dir);
}

/** fsyncs directory `dir` so that a rename or link in it is durable; best effort (errors ignored). */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory: the write itself succeeded.
  }
}
