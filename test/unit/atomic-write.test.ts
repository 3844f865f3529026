// Atomic writes on a full or read-only disk, for real: a 64 KiB tmpfs mounted for the test (needs
// root; skipped with the reason otherwise), and a file size limit (ulimit -f) in a child process.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { errnoOf, isAtomicTempName, reasonOf, writeFileAtomic } from '../../src/core/atomic-write.js';
import { ConsoleError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/core/paths.js';
import { writeCliConfig } from '../../src/services/terraform/cliconfig.js';

/** Mounts a tmpfs of `size` at a new temp dir; returns it, or the reason it could not. */
async function tinyFs(size: string, ro = false): Promise<{ dir: string } | { reason: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-tinyfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${ro ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    return { reason: `cannot mount a tmpfs (needs root): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}` };
  }
}

async function unmount(dir: string): Promise<void> {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fills the file system holding `dir` until it reports ENOSPC. */
async function fill(dir: string): Promise<void> {
  try {
    await writeFile(join(dir, 'filler'), Buffer.alloc(1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
    throw err;
  }
  throw new Error(`${dir} did not fill up`);
}

const full = await tinyFs('64k');
const fullSkip = 'reason' in full ? full.reason : false;
if (fullSkip) console.error(`SKIP (loud): ${fullSkip}`);

describe('the CLI config on a full disk (ENOSPC)', { skip: fullSkip }, () => {
  const dir = 'dir' in full ? full.dir : '';
  before(() => fill(dir));
  after(() => unmount(dir));

  it('writeCliConfig fails with the path and a hint, and leaves no temp file', async () => {
    const before = (await readdir(dir)).sort();
    await assert.rejects(writeCliConfig(dir, { kind: 'mirror', path: '/opt/tf-plugins' }), (e: unknown) => {
      assert.ok(e instanceof ConsoleError, `expected a ConsoleError, got ${String(e)}`);
      assert.match(e.message, new RegExp(`^cannot write ${join(dir, 'terraform.rc').replace(/[.]/g, '\\.')}: no space left on device \\(ENOSPC\\)$`));
      assert.equal(e.hint, `free space on the disk holding ${dir}, then try again`);
      return true;
    });
    assert.deepEqual((await readdir(dir)).sort(), before, 'a temp file was left behind');
  });
});

describe('writeFileAtomic on a full disk (ENOSPC)', { skip: fullSkip }, () => {
  let dir = '';
  before(async () => {
    const fs = await tinyFs('64k');
    assert.ok('dir' in fs, 'reason' in fs ? fs.reason : '');
    dir = fs.dir;
    await writeFile(join(dir, 'state.json'), 'old\n');
    await fill(dir);
  });
  after(() => unmount(dir));

  it('fails naming the path, hints at the disk, keeps the old file and leaves no temp file', async () => {
    const before = (await readdir(dir)).sort();
    const path = join(dir, 'state.json');
    await assert.rejects(writeFileAtomic(path, Buffer.alloc(32 * 1024, 1), { mode: 0o600 }), (e: unknown) => {
      assert.ok(e instanceof ConsoleError);
      assert.equal(e.message, `cannot write ${path}: no space left on device (ENOSPC)`);
      assert.equal(e.hint, `free space on the disk holding ${dir}, then try again`);
      assert.equal((e.cause as NodeJS.ErrnoException).code, 'ENOSPC');
      return true;
    });
    assert.deepEqual((await readdir(dir)).sort(), before, 'a temp file was left behind');
    assert.equal(await readFile(path, 'utf8'), 'old\n');
  });
});

const ro = await tinyFs('64k', true);
describe('writeFileAtomic on a read-only file system (EROFS)', { skip: 'reason' in ro ? ro.reason : false }, () => {
  const dir = 'dir' in ro ? ro.dir : '';
  after(() => unmount(dir));
  it('says the directory is read-only and leaves nothing', async () => {
    await assert.rejects(writeFileAtomic(join(dir, 'f'), 'x'), (e: unknown) => {
      assert.ok(e instanceof ConsoleError);
      assert.equal(e.message, `cannot write ${join(dir, 'f')}: read-only file system (EROFS)`);
      assert.match(e.hint, new RegExp(`^${dir.replace(/[.]/g, '\\.')} is on a read-only file system`));
      return true;
    });
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-atomic-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes, replaces, and sets the mode exactly whatever the umask', async () => {
    const path = join(dir, 'a.txt');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, Buffer.from('two'), { mode: 0o600 });
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(path, 'three', { mode: 0o644 });
    } finally {
      process.umask(old);
    }
    assert.equal((await stat(path)).mode & 0o777, 0o644);
    assert.deepEqual(await readdir(dir), ['a.txt']);
  });

  it('keepMode takes the mode of the file it replaces, whatever the umask; a new file gets `mode`', async () => {
    const path = join(dir, 'kept.txt');
    await writeFile(path, 'old');
    await chmod(path, 0o640);
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(path, 'new', { keepMode: true, mode: 0o600 });
    } finally {
      process.umask(old);
    }
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    const fresh = join(dir, 'fresh.txt');
    await writeFileAtomic(fresh, 'x', { keepMode: true, mode: 0o604 });
    assert.equal((await stat(fresh)).mode & 0o777, 0o604);
    await rm(fresh);
    await rm(path);
  });

  it('replaces a symlink at the path itself (callers pass the realpath to write through)', async () => {
    const target = join(dir, 'target.txt');
    const link = join(dir, 'link.txt');
    await writeFile(target, 'target');
    await symlink('target.txt', link);
    await writeFileAtomic(link, 'replaced');
    assert.ok((await lstat(link)).isFile());
    assert.equal(await readFile(link, 'utf8'), 'replaced');
    assert.equal(await readFile(target, 'utf8'), 'target');
    await Promise.all([link, target].map((p) => rm(p)));
  });

  it('exclusive creates a new file and refuses an existing one (EEXIST), leaving it and no temp file', async () => {
    const path = join(dir, 'once.txt');
    await writeFileAtomic(path, 'first', { exclusive: true, mode: 0o600 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await assert.rejects(writeFileAtomic(path, 'second', { exclusive: true }), (e: unknown) => {
      assert.ok(e instanceof ConsoleError);
      assert.equal(errnoOf(e), 'EEXIST');
      assert.equal(e.message, `cannot write ${path}: file already exists (EEXIST)`);
      assert.equal(reasonOf(e), 'file already exists (EEXIST)');
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), 'first');
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes('once.txt')), ['once.txt']);
    await rm(path);
  });

  it('isAtomicTempName knows its temp files and nothing else', () => {
    assert.equal(isAtomicTempName(`.a.txt.${process.pid}.0badf00d.tmp`), true);
    for (const name of ['a.txt', 'a.tmp', '.a.tmp', `.a.txt.${process.pid}.tmp`, `a.txt.${process.pid}.0badf00d.tmp`, '.a.txt.1.0BADF00D.tmp']) assert.equal(isAtomicTempName(name), false, name);
  });

  it('a missing directory is named in the message and the hint', async () => {
    const path = join(dir, 'nope', 'a.txt');
    await assert.rejects(writeFileAtomic(path, 'x'), (e: unknown) => e instanceof ConsoleError && e.message === `cannot write ${path}: no such file or directory (ENOENT)` && e.hint.includes(join(dir, 'nope')));
  });

  it('over the file size limit (ulimit -f, a real EFBIG in a child process) it fails and leaves no temp file', async () => {
    const mod = pathToFileURL(join(projectRoot(), 'dist', 'src', 'core', 'atomic-write.js')).href;
    const path = join(dir, 'big.bin');
    const script = `import(${JSON.stringify(mod)}).then((m) => m.writeFileAtomic(${JSON.stringify(path)}, Buffer.alloc(1 << 20))).then(() => console.log('written'), (e) => console.log(JSON.stringify({ message: e.message, hint: e.hint })));`;
    const r = spawnSync('sh', ['-c', 'ulimit -f 8 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { message: string; hint: string };
    assert.equal(out.message, `cannot write ${path}: file too large (EFBIG)`);
    assert.match(out.hint, /ulimit -f/);
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes('big.bin')), []);
  });
});

