// The cross-process file lock, with real processes: a holder in a child process, holders that
// die (killed, or left a zombie under a parent that never reaps), a holder past its deadline,
// and several processes counting under the lock.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { acquireFileLock, FileLockBusyError, parseLockHolder } from '../../src/core/file-lock.js';
import { ConsoleError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/core/paths.js';
import { processAlive } from '../../src/core/process.js';

const lockModule = pathToFileURL(join(projectRoot(), 'dist', 'src', 'core', 'file-lock.js')).href;

/**
 * A child process that takes the lock at `path` for `holdMs`, prints `{"held":PID}`, then on the
 * line `release` on its stdin releases it and prints `{"released":PID}`; it exits when stdin ends.
 */
const HOLDER = `
import { createInterface } from 'node:readline';
const { acquireFileLock } = await import(process.env.LOCK_MODULE);
const lock = await acquireFileLock(process.env.LOCK_PATH, { holdMs: Number(process.env.HOLD_MS), waitMs: 30_000 });
console.log(JSON.stringify({ held: process.pid }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'release') {
    await lock.release();
    console.log(JSON.stringify({ released: process.pid }));
  }
}
`;

/** A child process that adds 1 to the number in `COUNTER` `ROUNDS` times, each under the lock, slowly (read, pause, write). */
const COUNTER = `
const { acquireFileLock } = await import(process.env.LOCK_MODULE);
const { readFile, writeFile } = await import('node:fs/promises');
for (let i = 0; i < Number(process.env.ROUNDS); i++) {
  const lock = await acquireFileLock(process.env.LOCK_PATH, { holdMs: 30_000, waitMs: 30_000, pollMs: 5 });
  try {
    const n = Number(await readFile(process.env.COUNTER, 'utf8'));
    await new Promise((r) => setTimeout(r, 3));
    await writeFile(process.env.COUNTER, String(n + 1));
  } finally {
    await lock.release();
  }
}
`;

interface Holder {
  child: ChildProcess;
  /** The pid of the process holding the lock (the node process, also under a wrapping shell). */
  pid: number;
  /** Resolves with the next JSON line the holder prints. */
  next(): Promise<Record<string, number>>;
}

/** Starts a holder of lock `path` (see HOLDER) and waits until it holds it. `zombie`: under a parent that never reaps. */
async function startHolder(path: string, holdMs: number, zombie = false): Promise<Holder> {
  const env = { ...process.env, LOCK_MODULE: lockModule, LOCK_PATH: path, HOLD_MS: String(holdMs) };
  const node = [process.execPath, '--input-type=module', '-e', HOLDER];
  // `exec sleep` makes the shell's process, the node process's parent, one that never calls wait().
  const child = zombie ? spawn('sh', ['-c', '"$@" & exec sleep 120', 'sh', ...node], { env, stdio: ['pipe', 'pipe', 'inherit'] }) : spawn(node[0]!, node.slice(1), { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const r = await lines.next();
    assert.ok(!r.done, 'the holder exited early');
    return JSON.parse(r.value) as Record<string, number>;
  };
  const first = await next();
  assert.equal(typeof first['held'], 'number');
  return { child, pid: first['held']!, next };
}

async function holderOf(path: string) {
  return parseLockHolder(await readFile(path, 'utf8'));
}

describe('acquireFileLock (real processes)', () => {
  let root: string;
  // Each test has a directory of its own (`dir`, with the lock `lockPath`), so one that fails leaves no lock to the next.
  let dir: string;
  let lockPath: string;
  const children: ChildProcess[] = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-lock-'));
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(root, 't-'));
    lockPath = join(dir, 'test.lock');
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('a second holder waits while the first lives and gets the lock once it is released', async () => {
    const h = await startHolder(lockPath, 60_000);
    children.push(h.child);
    assert.equal((await holderOf(lockPath))?.pid, h.pid);

    const t0 = Date.now();
    await assert.rejects(acquireFileLock(lockPath, { holdMs: 1_000, waitMs: 300 }), (e: unknown) => {
      assert.ok(e instanceof FileLockBusyError, String(e));
      assert.equal(e.holder?.pid, h.pid);
      assert.equal(e.path, lockPath);
      return true;
    });
    assert.ok(Date.now() - t0 >= 300, 'gave up before waitMs');

    let acquired = false;
    const waiting = acquireFileLock(lockPath, { holdMs: 5_000, waitMs: 10_000 });
    void waiting.then(() => (acquired = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(acquired, false, 'acquired while the other process held the lock');
    h.child.stdin!.write('release\n');
    assert.equal((await h.next())['released'], h.pid);
    const lock = await waiting;
    assert.equal(lock.holder.pid, process.pid);
    assert.deepEqual(await holderOf(lockPath), lock.holder);
    await lock.release();
    assert.deepEqual(await readdir(dir), []);
    h.child.stdin!.end();
    await once(h.child, 'exit');
  });

  it('several processes counting under the lock lose no update', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const env = { ...process.env, LOCK_MODULE: lockModule, LOCK_PATH: lockPath, COUNTER: counter, ROUNDS: '15' };
    const procs = Array.from({ length: 3 }, () => spawn(process.execPath, ['--input-type=module', '-e', COUNTER], { env, stdio: ['ignore', 'inherit', 'inherit'] }));
    children.push(...procs);
    const codes = await Promise.all(procs.map(async (p) => (await once(p, 'exit'))[0] as number));
    assert.deepEqual(codes, [0, 0, 0]);
    assert.equal(await readFile(counter, 'utf8'), '45');
    assert.deepEqual(await readdir(dir), ['counter'], 'the lock (or a temp file) was left behind');
  });

  it('the lock of a holder that was killed is taken over at once', async () => {
    const h = await startHolder(lockPath, 600_000);
    children.push(h.child);
    h.child.kill('SIGKILL');
    await once(h.child, 'exit');
    const t0 = Date.now();
    const lock = await acquireFileLock(lockPath, { holdMs: 5_000, waitMs: 0 });
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal((await holderOf(lockPath))?.token, lock.holder.token);
    await lock.release();
    assert.deepEqual(await readdir(dir), [], 'the stale lock moved aside was left behind');
  });

  it('the lock of a holder that died under a parent that never reaps (a zombie) is taken over', async () => {
    const h = await startHolder(lockPath, 600_000, true);
    children.push(h.child);
    process.kill(h.pid, 'SIGKILL');
    for (let i = 0; i < 100 && processAlive(h.pid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(processAlive(h.pid), false);
    const lock = await acquireFileLock(lockPath, { holdMs: 5_000, waitMs: 0 });
    assert.equal((await holderOf(lockPath))?.token, lock.holder.token);
    await lock.release();
    h.child.kill('SIGKILL');
    await once(h.child, 'exit');
  });

  it('a live holder past its deadline loses the lock, and its late release leaves the new holder alone', async () => {
    const h = await startHolder(lockPath, 300);
    children.push(h.child);
    const t0 = Date.now();
    const lock = await acquireFileLock(lockPath, { holdMs: 5_000, waitMs: 10_000 });
    assert.ok(Date.now() - t0 >= 150, 'taken over long before the deadline');
    assert.ok(processAlive(h.pid), 'the first holder still lives');
    h.child.stdin!.write('release\n');
    assert.equal((await h.next())['released'], h.pid);
    assert.equal((await holderOf(lockPath))?.token, lock.holder.token, 'the late release removed the new holder\'s lock');
    await lock.release();
    h.child.stdin!.end();
    await once(h.child, 'exit');
  });

  it('a lock file that stays unreadable is taken over after unreadableMs, not before', async () => {
    await writeFile(lockPath, 'not a lock');
    await assert.rejects(acquireFileLock(lockPath, { holdMs: 1_000, waitMs: 100, unreadableMs: 5_000 }), (e: unknown) => e instanceof FileLockBusyError && e.holder === undefined);
    const t0 = Date.now();
    const lock = await acquireFileLock(lockPath, { holdMs: 1_000, waitMs: 5_000, unreadableMs: 200 });
    assert.ok(Date.now() - t0 >= 200);
    await lock.release();
    assert.deepEqual(await readdir(dir), []);
  });

  it('a lock in a missing directory fails with the path, not as busy', async () => {
    const path = join(dir, 'nope', 'x.lock');
    await assert.rejects(acquireFileLock(path, { holdMs: 1_000, waitMs: 1_000 }), (e: unknown) => e instanceof ConsoleError && !(e instanceof FileLockBusyError) && e.message === `cannot write ${path}: no such file or directory (ENOENT)`);
  });
});
