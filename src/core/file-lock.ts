/**
 * A lock between processes of one machine: a file that exists while someone holds it. It is put
 * in place whole and exclusively ({@link writeFileAtomic} with `exclusive`: never over an existing
 * lock, never seen half-written) and holds who took it and until when:
 * `{ pid, token, createdAt, expiresAt }` (JSON; times in ms since the Unix epoch).
 *
 * A lock is stale, and taken over, when its holder's process is gone (or a zombie), when its
 * `expiresAt` has passed even though the holder lives, or when it stays unreadable (garbage)
 * for `unreadableMs`. A stale lock is first renamed aside, so that two waiters that both found
 * it stale cannot both remove it, nor remove a fresh lock that replaced it in between.
 *
 * Used by the local emulator (`emulator.lock`): one caller at a time starts or stops it.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { errnoOf, writeFileAtomic } from './atomic-write.js';
import { ConsoleError } from './errors.js';
import { processAlive } from './process.js';

/** What a lock file says about its holder. */
export interface LockHolder {
  /** The holder's process id. */
  pid: number;
  /** Random, unique per acquisition: a holder removes the lock only while it still holds this token. */
  token: string;
  /** When the lock was taken, ms since the Unix epoch (0 when an old lock file did not say). */
  createdAt: number;
  /** After this (ms since the Unix epoch) the lock counts as stale even while its holder lives. */
  expiresAt: number;
}

/** Options of {@link acquireFileLock}. */
export interface FileLockOptions {
  /**
   * How long (ms) this holder may keep the lock: from `createdAt + holdMs` on, others take it
   * over even though this process lives. Choose it longer than the longest critical section.
   */
  holdMs: number;
  /** How long (ms) to wait for a live holder before giving up with {@link FileLockBusyError}. */
  waitMs: number;
  /** How long (ms) a lock file that cannot be parsed is given before it counts as stale. Default 2,000. */
  unreadableMs?: number;
  /** Pause (ms) between two tries while a live holder has the lock. Default 40. */
  pollMs?: number;
}

/** A held lock. */
export interface FileLock {
  /** The lock file. */
  path: string;
  /** What this holder wrote into it. */
  holder: LockHolder;
  /**
   * Removes the lock file if it is still this holder's (same token); does nothing when it was
   * taken over or removed meanwhile. Never throws.
   */
  release(): Promise<void>;
}

/**
 * A live holder kept the lock for all of `waitMs`. `holder` is what its lock file said at the last
 * look (undefined when it could not be parsed then).
 */
export class FileLockBusyError extends ConsoleError {
  constructor(
    readonly path: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(`the lock ${path} is held by process ${holder?.pid ?? '?'}`, `wait for it to finish; if nothing is running, remove ${path}`);
  }
}

/** The holder written in lock file text `text`, or undefined when it is not a lock's JSON. */
export function parseLockHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.token === 'string' && typeof v.expiresAt === 'number') {
      return { pid: v.pid, token: v.token, createdAt: typeof v.createdAt === 'number' ? v.createdAt : 0, expiresAt: v.expiresAt };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * Takes the lock `path` exclusively, waiting (polling every `pollMs`) while a live holder has it,
 * and taking over a stale one (see the module's comment). The lock's directory must exist.
 * @param path the lock file, e.g. `STATE_DIR/emulator.lock`.
 * @param opts `holdMs` (this holder's deadline), `waitMs` (how long to wait), `unreadableMs`, `pollMs`; all in ms.
 * @returns the held lock; call its `release` when done (in a `finally`).
 * @throws FileLockBusyError when a live holder kept the lock for over `waitMs`; ConsoleError
 *   "cannot write PATH: REASON (CODE)" with a hint ({@link writeFileAtomic}) when the lock file
 *   cannot be created for another reason than its existence (the directory is missing, not
 *   writable, on a full or read-only disk).
 */
export async function acquireFileLock(path: string, opts: FileLockOptions): Promise<FileLock> {
  const token = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + opts.waitMs;
  const unreadableMs = opts.unreadableMs ?? 2_000;
  const pollMs = opts.pollMs ?? 40;
  let unreadableSince: number | undefined;
  for (;;) {
    const now = Date.now();
    const holder: LockHolder = { pid: process.pid, token, createdAt: now, expiresAt: now + opts.holdMs };
    try {
      await writeFileAtomic(path, JSON.stringify(holder), { mode: 0o600, exclusive: true });
      return { path, holder, release: () => releaseLock(path, token) };
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    // Held: stale?
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue; // released meanwhile: try again at once
    }
    const current = parseLockHolder(text);
    let stale: boolean;
    if (!current) {
      // Garbage (a lock file of no holder of ours): give it a moment in case it is being replaced.
      unreadableSince ??= Date.now();
      stale = Date.now() - unreadableSince > unreadableMs;
    } else {
      unreadableSince = undefined;
      stale = !processAlive(current.pid) || Date.now() > current.expiresAt;
    }
    if (stale) {
      await takeOverStale(path, text);
      continue;
    }
    if (Date.now() > deadline) throw new FileLockBusyError(path, current);
    await sleep(pollMs);
  }
}

/** Removes the lock at `path` if it still holds `token`. */
async function releaseLock(path: string, token: string): Promise<void> {
  try {
    if (parseLockHolder(await readFile(path, 'utf8'))?.token === token) await rm(path, { force: true });
  } catch {
    // gone already
  }
}

/**
 * Moves the stale lock `path` (whose text was `staleText`) aside and removes it. When what was
 * moved is not that text, a fresh lock replaced the stale one in between: it is put back (by
 * link, so a lock newer still is never overwritten).
 */
async function takeOverStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved or released it
  }
  let movedText = '';
  try {
    movedText = await readFile(aside, 'utf8');
  } catch {
    // ignore
  }
  if (movedText !== staleText) {
    try {
      await link(aside, path);
    } catch {
      // a newer lock exists; the one moved is lost to its holder, whose release is then a no-op
    }
  }
  await rm(aside, { force: true });
}
