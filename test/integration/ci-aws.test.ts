import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { motoSkipReason } from '../support/moto.js';
import { makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

describe('the AWS --ci commands on the emulator (instances, elbs, secrets, bootstrap)', { skip }, () => {
  let ws: Workspace;
  const ci = (...args: string[]) => ws.cli(['-e', 'mini', '--local', '--ci', ...args]);
  before(async () => {
    ws = await makeWorkspace('aws-mini');
    await ws.profile('mini');
    const r = await ci('apply', '--auto-approve');
    assert.equal(r.code, 0, r.stderr + r.stdout);
  });
  after(() => ws.dispose());

  it('instances lists the environment\'s instances, human and NDJSON', async () => {
    const h = await ci('instances');
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^NAME\s+ROLE\s+PRIVATE IP/m);
    assert.match(h.stdout, /mini-compute-1\s+compute\s+\d+\.\d+\.\d+\.\d+/);
    const j = await ci('instances', '--json');
    const rows = ndjson(j.stdout);
    const inst = rows.filter((r) => r.type === 'instance');
    assert.equal(inst.length, 1);
    assert.equal(inst[0]!.role, 'compute');
    assert.equal(rows.at(-1)!.type, 'summary');
    assert.equal(rows.at(-1)!.count, 1);
  });

  it('elbs lists the classic ELB with its listener and targets', async () => {
    const h = await ci('elbs');
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /mini-mini-api\s+classic/);
    assert.match(h.stdout, /TCP:443→TCP:6443/);
    const rows = ndjson((await ci('elbs', '--json')).stdout);
    const lb = rows.find((r) => r.type === 'load_balancer') as { targets: unknown[]; kind: string } | undefined;
    assert.equal(lb?.kind, 'classic');
    assert.equal(lb?.targets.length, 1);
  });

  it('secrets put, ls, get round trip; ls and NDJSON never carry the value', async () => {
    const file = join(ws.dir, 'token.txt');
    await writeFile(file, 'top-secret-value-42\n');
    const put = await ci('secrets', 'put', 'secure/token', file);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /uploaded .* \(20 bytes, SSE-KMS\)/);
    const ls = await ci('secrets', 'ls', '--json');
    assert.equal(ls.code, 0, ls.stderr);
    assert.ok(ndjson(ls.stdout).some((r) => r.type === 'secret' && r.key === 'secure/token' && r.size === 20));
    assert.ok(!ls.stdout.includes('top-secret-value-42'), 'ls leaked the value');
    const get = await ci('secrets', 'get', 'secure/token');
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 'top-secret-value-42\n');
  });

  it('secrets fetch writes 0600 files; upload sends local changes', async () => {
    const dir = join(ws.dir, 'fetched');
    const f = await ci('secrets', 'fetch', dir);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /\+ secure\/token/);
    const st = await stat(join(dir, 'secure', 'token'));
    assert.equal(st.mode & 0o777, 0o600);
    await mkdir(join(dir, 'certs'), { recursive: true });
    await writeFile(join(dir, 'certs', 'ca.pem'), 'PEM\n');
    const u = await ci('secrets', 'upload', dir);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /\+ certs\/ca\.pem/);
    assert.match(u.stdout, /uploaded 1 file/);
  });

  it('secrets fetch / upload keep a differing file unless --overwrite, and say so; the closing line counts', async () => {
    const dir = join(ws.dir, 'fetched2');
    assert.equal((await ci('secrets', 'fetch', dir)).code, 0);
    await writeFile(join(dir, 'secure', 'token'), 'a local edit\n');
    const kept = await ci('secrets', 'fetch', dir);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^= secure\/token kept \(differs; --overwrite replaces it\)$/m);
    assert.match(kept.stdout, /^fetched 0 files: 0 new, 0 replaced, 1 kept \(differs\), 0 refused \(\d+ unchanged\)$/m);
    assert.equal(await readFile(join(dir, 'secure', 'token'), 'utf8'), 'a local edit\n', 'the local file was replaced without --overwrite');
    const up = await ci('secrets', 'upload', dir);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /^= secure\/token kept/m);
    assert.equal((await ci('secrets', 'get', 'secure/token')).stdout, 'top-secret-value-42\n', 'the bucket object was replaced without --overwrite');
    const over = await ci('secrets', 'fetch', dir, '--overwrite', '--json');
    assert.equal(over.code, 0, over.stderr);
    assert.ok(ndjson(over.stdout).some((e) => e.type === 'file' && e.key === 'secure/token' && e.result === 'replaced'));
    const summary = ndjson(over.stdout).at(-1)!;
    assert.equal(summary.replaced, 1);
    assert.equal(summary.kept, 0);
    assert.equal(await readFile(join(dir, 'secure', 'token'), 'utf8'), 'top-secret-value-42\n');
    assert.equal((await stat(join(dir, 'secure', 'token'))).mode & 0o777, 0o600);
    await writeFile(join(dir, 'secure', 'token'), 'rotated\n');
    const upOver = await ci('secrets', 'upload', dir, '--overwrite');
    assert.equal(upOver.code, 0, upOver.stderr);
    assert.match(upOver.stdout, /^~ secure\/token$/m);
    assert.match(upOver.stdout, /^uploaded 1 file: 0 new, 1 replaced, 0 kept \(differs\), 0 refused/m);
    assert.equal((await ci('secrets', 'get', 'secure/token')).stdout, 'rotated\n');
  });

  it('an unknown key exits 1 with a clear message', async () => {
    const r = await ci('secrets', 'get', 'no/such/key');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: no secret no\/such\/key in s3:\/\/mini-mini-secrets/m);
    assert.match(r.stderr, /^hint: list the keys with --ci secrets ls/m);
    assert.doesNotMatch(r.stderr, /\(r\)/, 'a console key in a headless hint');
  });

  it('bootstrap is idempotent and writes the profile only with --write-profile', async () => {
    const before = await readFile(join(ws.profiles, 'mini.tfvars'), 'utf8');
    const r1 = await ci('bootstrap', '--json');
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(ndjson(r1.stdout).at(-1)!.changed, false, 'the emulator bootstrap had created both already');
    assert.equal(await readFile(join(ws.profiles, 'mini.tfvars'), 'utf8'), before);
    const r2 = await ci('bootstrap', '--write-profile');
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, /state bucket platform-console-local-state: exists/);
    const after = await readFile(join(ws.profiles, 'mini.tfvars'), 'utf8');
    assert.match(after, /^terraform_bucket_name\s*=\s*"platform-console-local-state"/m);
    assert.match(after, /^kms_master_id\s*=\s*"alias\/platform-console-local"/m);
  });
});
