/**
 * Reading a file the operator names without ever blocking or reading without bound: shared by the
 * profiles and `--ci state push FILE`.
 */
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** Why a bounded read failed: `missing`, `not-regular` (with what it is), `too-large` (with the size when known), `io` (the errno message). */
export class BoundedReadError extends Error {
  constructor(
    readonly kind: 'missing' | 'not-regular' | 'too-large' | 'io',
    readonly detail: { what?: string; size?: number; message?: string } = {},
  ) {
    super(kind);
  }
}

/** What a non-regular file is, for "FILE is not a regular file (it is …)". */
export function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Reads `file` as UTF-8 text: it must be a regular file (checked with stat before opening, then
 * with fstat on the descriptor, which is opened O_NONBLOCK so that a FIFO or device swapped in
 * meanwhile cannot block the open) of at most `limitBytes`; at most that many bytes plus one are
 * ever read.
 * @throws BoundedReadError saying why.
 */
export async function readBoundedFile(file: string, limitBytes: number): Promise<string> {
  let fh: FileHandle | undefined;
  try {
    const before = await stat(file);
    if (!before.isFile()) throw new BoundedReadError('not-regular', { what: kindOf(before) });
    if (before.size > limitBytes) throw new BoundedReadError('too-large', { size: before.size });
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = await fh.stat();
    if (!st.isFile()) throw new BoundedReadError('not-regular', { what: kindOf(st) });
    if (st.size > limitBytes) throw new BoundedReadError('too-large', { size: st.size });
    const buf = Buffer.alloc(limitBytes + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > limitBytes) throw new BoundedReadError('too-large');
    }
    return buf.toString('utf8', 0, n);
  } catch (err) {
    if (err instanceof BoundedReadError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new BoundedReadError(code === 'ENOENT' ? 'missing' : 'io', { message: (err as Error).message });
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
