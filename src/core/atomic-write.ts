/**
 * Writing a file whole or not at all: the one atomic write of the project (DESIGN: "atomic write
 * with mode"). Readers see the old file or the new one, never a half-written one, and a failure
 * (a full disk, a read-only file system) leaves no temp file behind and says which path and what to do.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
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

/** The errno text of a Node fs error without its code and syscall: `no space left on device (ENOSPC)`. */
function reasonOf(err: unknown): string {
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
 * created exclusively), written, fsynced, then renamed over `path`. The directory must exist.
 * @param path the file to write; its directory must exist and be writable.
 * @param data the whole content (a string is written as UTF-8).
 * @throws ConsoleError "cannot write PATH: REASON (CODE)" with what to do next (ENOSPC/EDQUOT: free
 *   space on the disk holding the directory; EACCES/EPERM: permissions; EROFS: read-only file
 *   system; ENOENT/ENOTDIR: the directory; EFBIG: the file size limit; others: the errno text alone).
 *   The temp file is removed on every failure; `path` is then unchanged. The fs error is the `cause`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh: FileHandle | undefined;
  let created = false;
  try {
    fh = await open(tmp, 'wx', opts.mode ?? 0o666);
    created = true;
    if (opts.mode !== undefined) await fh.chmod(opts.mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    if (created) await unlink(tmp).catch(() => undefined);
    throw fsWriteError('write', path, dir, err);
  }
}
