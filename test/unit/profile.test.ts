import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkEnvironmentName, playgroundName } from '../../src/core/environment-name.js';
import { ProfileError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/core/paths.js';
import { loadProfile, parseProfile, profileCacheKey, profileFromTemplate } from '../../src/core/profile.js';
import { PROFILE_FIELDS } from '../../src/core/profile-schema.js';

const root = projectRoot();
const defaultText = () => readFile(join(root, 'profiles', 'default.tfvars'), 'utf8');

async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<ProfileError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected ProfileError, got ${String(err)}`);
    assert.match(err.message, re);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('environment names', () => {
  for (const bad of ['', '../etc', 'dev env', 'Dev', 'dev/x', '-dev', '1dev', 'a'.repeat(40)]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => checkEnvironmentName(bad), ProfileError);
    });
  }
  it('accepts dev, play-alice, prod-2', () => {
    for (const ok of ['dev', 'play-alice', 'prod-2']) assert.equal(checkEnvironmentName(ok), ok);
  });
  it('names the playground from $USER, cleaned', () => {
    assert.equal(playgroundName('Jane.Doe'), 'play-jane-doe');
    assert.equal(playgroundName('root'), 'play-root');
    assert.throws(() => playgroundName('...'), ProfileError);
  });
});

describe('profiles', () => {
  it('the shipped default and local profiles are valid', async () => {
    const d = await parseProfile('default.tfvars', await defaultText());
    assert.ok(d.az_count >= 1 && d.az_count <= 3);
    const l = await parseProfile('local.tfvars', await readFile(join(root, 'profiles', 'local.tfvars'), 'utf8'), 'local');
    assert.equal(l.environment, 'local');
  });

  it('every shipped field is known and every schema field is in default.tfvars', async () => {
    const text = await defaultText();
    for (const f of PROFILE_FIELDS) assert.match(text, new RegExp(`^${f}\\s*=`, 'm'), `default.tfvars lacks ${f}`);
  });

  it('names file, line and field for a malformed CIDR', async () => {
    const text = (await defaultText()).replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.0.0/16"');
    const line = text.split('\n').findIndex((l) => l.startsWith('vpc_cidr')) + 1;
    const err = await rejectsWith(parseProfile('profiles/x.tfvars', text), new RegExp(`^profiles/x\\.tfvars:${line}: field "vpc_cidr" must be an IPv4 CIDR`));
    assert.ok(err.hint.length > 0);
  });

  it('names an unknown field and lists the allowed ones', async () => {
    const text = (await defaultText()) + '\nvpc_cdir = "10.0.0.0/16"\n';
    const err = await rejectsWith(parseProfile('p.tfvars', text), /unknown field "vpc_cdir"/);
    assert.match(err.hint, /vpc_cidr/);
  });

  it('rejects az_count 0 and 4 with what is allowed', async () => {
    for (const n of [0, 4]) {
      const text = (await defaultText()).replace(/^az_count\s*=.*$/m, `az_count = ${n}`);
      await rejectsWith(parseProfile('p.tfvars', text), /field "az_count" must be 1, 2 or 3/);
    }
  });

  it('reports a missing field', async () => {
    const text = (await defaultText()).replace(/^kms_master_id\s*=.*$/m, '');
    await rejectsWith(parseProfile('p.tfvars', text), /field "kms_master_id" is missing/);
  });

  it('reports HCL syntax errors with the parser position', async () => {
    await rejectsWith(parseProfile('p.tfvars', 'environment = \n'), /p\.tfvars: not valid HCL: .*p\.tfvars:\d+/);
  });

  it('checks the environment matches the file', async () => {
    const text = profileFromTemplate(await defaultText(), 'dev');
    await parseProfile('dev.tfvars', text, 'dev');
    await rejectsWith(parseProfile('prod.tfvars', text, 'prod'), /"environment" is "dev" but the file is for "prod"/);
  });

  it('the template copy keeps comments and sets only the environment', async () => {
    const text = await defaultText();
    const copy = profileFromTemplate(text, 'play-bob');
    assert.match(copy, /^environment\s*=\s*"play-bob"/m);
    assert.equal(copy.split('\n').length, text.split('\n').length);
    assert.equal((copy.match(/^#/gm) ?? []).length, (text.match(/^#/gm) ?? []).length);
  });
});

describe('bounded profiles (issue 11)', () => {
  const KiB = 1024;
  const set = (text: string, field: string, value: string) => text.replace(new RegExp(`^${field}\\s*=.*$`, 'm'), `${field} = ${value}`);
  const cidrs = (n: number) => `[${Array.from({ length: n }, (_, i) => `"10.0.${i >> 8}.${i & 255}/32"`).join(', ')}]`;
  /** A message the operator can read: one line, bounded. */
  const short = (err: ProfileError) => {
    assert.ok(!err.message.includes('\n'), `message has several lines: ${err.message.slice(0, 500)}`);
    assert.ok(err.message.length < 1000, `message is ${err.message.length} characters`);
    assert.ok(err.hint.length < 800, `hint is ${err.hint.length} characters`);
  };

  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-profile-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a profile text over 64 KiB is refused before it is parsed, naming the file and the limit', async () => {
    const text = (await defaultText()) + '#'.repeat(64 * KiB);
    const err = await rejectsWith(parseProfile('profiles/x.tfvars', text), /^profiles\/x\.tfvars is larger than 64 KiB \(\d+ KiB\); a profile is at most 64 KiB$/);
    short(err);
  });

  it('a profile file of exactly 64 KiB is read; one byte more is refused', async () => {
    const base = profileFromTemplate(await defaultText(), 'big');
    const exact = base + '\n' + '#'.repeat(64 * KiB - Buffer.byteLength(base) - 2) + '\n';
    assert.equal(Buffer.byteLength(exact), 64 * KiB);
    await writeFile(join(dir, 'big.tfvars'), exact);
    assert.equal((await loadProfile(join(dir, 'big.tfvars'), 'big')).environment, 'big');
    await writeFile(join(dir, 'big.tfvars'), exact + '\n');
    short(await rejectsWith(loadProfile(join(dir, 'big.tfvars'), 'big'), /big\.tfvars is larger than 64 KiB/));
  });

  it('a FIFO, a character device and a directory are refused without blocking', { timeout: 10_000 }, async () => {
    execFileSync('mkfifo', [join(dir, 'fifo.tfvars')]);
    await symlink('/dev/zero', join(dir, 'zero.tfvars'));
    await mkdir(join(dir, 'dir.tfvars'));
    short(await rejectsWith(loadProfile(join(dir, 'fifo.tfvars'), 'fifo'), /fifo\.tfvars is not a regular file \(it is a FIFO\)$/));
    short(await rejectsWith(loadProfile(join(dir, 'zero.tfvars'), 'zero'), /zero\.tfvars is not a regular file \(it is a character device\)$/));
    short(await rejectsWith(loadProfile(join(dir, 'dir.tfvars'), 'dir'), /dir\.tfvars is not a regular file \(it is a directory\)$/));
  });

  it('access lists hold at most 50 entries (a security group holds 60 inbound rules)', async () => {
    const text = await defaultText();
    for (const field of ['ssh_access_list', 'kubeapi_access_list']) {
      const ok = await parseProfile('p.tfvars', set(text, field, cidrs(50)));
      assert.equal((ok as unknown as Record<string, unknown[]>)[field]!.length, 50);
      const err = await rejectsWith(
        parseProfile('profiles/x.tfvars', set(text, field, cidrs(3000))),
        new RegExp(`^profiles/x\\.tfvars:\\d+: field "${field}" has 3000 entries; at most 50 are allowed \\(a security group holds 60 inbound rules\\)$`),
      );
      short(err);
    }
  });

  it('ssh_public_key is at most 16 KiB and paths at most 4096 characters', async () => {
    const text = await defaultText();
    const key = `"ssh-ed25519 ${'A'.repeat(20 * KiB)} me"`;
    short(await rejectsWith(parseProfile('p.tfvars', set(text, 'ssh_public_key', key)), /^p\.tfvars:\d+: field "ssh_public_key" is 20495 characters long; at most 16384 are allowed$/));
    const rsa = `"ssh-rsa ${'A'.repeat(16 * KiB - 20)} me"`;
    await parseProfile('p.tfvars', set(text, 'ssh_public_key', rsa));
    short(await rejectsWith(parseProfile('p.tfvars', set(text, 'ssh_identity_file', `"${'/a'.repeat(2100)}"`)), /field "ssh_identity_file" is 4200 characters long; at most 4096 are allowed$/));
    short(await rejectsWith(parseProfile('p.tfvars', set(text, 'kms_master_id', `"alias/${'k'.repeat(3000)}"`)), /field "kms_master_id" is 3006 characters long; at most 2048 are allowed$/));
  });

  it('many invalid fields: the first three on one line, then (+N more)', async () => {
    let text = await defaultText();
    text = set(text, 'vpc_cidr', '"10.0.0/16"');
    text = set(text, 'az_count', '9');
    text = set(text, 'secure_count', '99');
    text = set(text, 'compute_count', '-1');
    text = set(text, 'kubernetes_version', '"one"');
    const err = await rejectsWith(parseProfile('p.tfvars', text), /^p\.tfvars:\d+: field "vpc_cidr" must be an IPv4 CIDR[^;]*; line \d+: field "az_count" must be 1, 2 or 3; line \d+: field "secure_count" must be between 1 and 9 \(\+2 more\)$/);
    short(err);
    assert.match(err.hint, /^edit p\.tfvars/);
  });

  it('600 invalid CIDRs make one short message', async () => {
    const list = `[${Array.from({ length: 600 }, () => '"x"').join(', ')}]`;
    short(await rejectsWith(parseProfile('p.tfvars', set(await defaultText(), 'ssh_access_list', list)), /field "ssh_access_list" has 600 entries; at most 50 are allowed/));
    const bad = `[${Array.from({ length: 40 }, () => '"x"').join(', ')}]`;
    short(await rejectsWith(parseProfile('p.tfvars', set(await defaultText(), 'ssh_access_list', bad)), /field "ssh_access_list\[0\]" must be an IPv4 CIDR.*\(\+\d+ more\)$/));
  });

  it('unknown fields: long names are cut and the rest counted', async () => {
    const extra = Array.from({ length: 30 }, (_, i) => `bogus_${i}${'x'.repeat(i === 0 ? 5000 : 0)} = 1`).join('\n');
    const err = await rejectsWith(parseProfile('p.tfvars', (await defaultText()) + '\n' + extra + '\n'), /unknown field "bogus_0x+…"; line \d+: unknown field "bogus_1"; line \d+: unknown field "bogus_2" \(\+27 more\)$/);
    short(err);
  });

  it('an HCL syntax error of a large junk text is cut to a bounded length', async () => {
    const junk = Array.from({ length: 60 * KiB }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join('');
    const err = await rejectsWith(parseProfile('p.tfvars', junk), /^p\.tfvars: not valid HCL: /);
    short(err);
  });
});

describe('the parsed-profile cache (the HCL parser runs only after an edit, the schema only after an edit or a new build)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-profile-cache-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const text = async () => readFile(join(projectRoot(), 'profiles', 'local.tfvars'), 'utf8');

  it('keeps a valid profile\'s parse (0600, in a 0700 dir) and reads it back instead of parsing', async () => {
    const t = await text();
    const cacheDir = join(dir, 'valid');
    const first = await parseProfile('local.tfvars', t, 'local', { cacheDir });
    const file = join(cacheDir, `${profileCacheKey(t)}.json`);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    // The cache is what is read: change the validated profile it holds for this build, and the
    // result follows it (the schema did not run).
    const kept = JSON.parse(await readFile(file, 'utf8')) as { v: number; text: string; raw: Record<string, unknown>; build: string; profile: Record<string, unknown> };
    assert.equal(kept.v, 3);
    assert.equal(kept.text, t);
    assert.match(kept.build, /^\d+(\.\d+)?:\d+$/);
    assert.deepEqual(kept.profile, first);
    await writeFile(file, JSON.stringify({ ...kept, profile: { ...kept.profile, az_count: 3 } }));
    const second = await parseProfile('local.tfvars', t, 'local', { cacheDir });
    assert.equal(second.az_count, 3);
    assert.notEqual(first.az_count, 3, 'the fixture must differ for this to prove anything');
    // A validated profile of another build is not trusted: the schema validates the parse again…
    await writeFile(file, JSON.stringify({ ...kept, build: 'another build', profile: { ...kept.profile, az_count: 3 }, raw: { ...kept.raw, az_count: 9 } }));
    await assert.rejects(parseProfile('local.tfvars', t, 'local', { cacheDir }), /field "az_count" must be 1, 2 or 3/);
    // …and keeps the result for this build.
    await writeFile(file, JSON.stringify({ ...kept, build: 'another build', raw: { ...kept.raw, az_count: 2 } }));
    assert.equal((await parseProfile('local.tfvars', t, 'local', { cacheDir })).az_count, 2);
    const rewritten = JSON.parse(await readFile(file, 'utf8')) as { build: string; profile: { az_count: number } };
    assert.equal(rewritten.build, kept.build);
    assert.equal(rewritten.profile.az_count, 2);
    // The environment check still runs on a cached profile.
    await assert.rejects(parseProfile('local.tfvars', t, 'other', { cacheDir }), /field "environment" is "local" but the file is for "other"/);
    // A cache file that is not one is ignored: the text is parsed again.
    await writeFile(file, 'not json');
    assert.deepEqual(await parseProfile('local.tfvars', t, 'local', { cacheDir }), first);
  });

  it('an entry is used only for exactly its text: another text under the same name (a key collision) is a miss, parsed again and replaced', async () => {
    const t = await text();
    const cacheDir = join(dir, 'collision');
    const first = await parseProfile('local.tfvars', t, 'local', { cacheDir });
    const file = join(cacheDir, `${profileCacheKey(t)}.json`);
    const kept = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { profile: Record<string, unknown> };
    // As if another profile text had the same key: its entry (text and results) is there.
    const other = t.replace(/^az_count\s*=.*$/m, 'az_count = 3');
    assert.notEqual(other, t, 'the fixture must have an az_count line');
    await writeFile(file, JSON.stringify({ ...kept, text: other, profile: { ...kept.profile, az_count: 3 } }));
    const again = await parseProfile('local.tfvars', t, 'local', { cacheDir });
    assert.deepEqual(again, first);
    assert.notEqual(first.az_count, 3);
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as { text: string }).text, t, 'the entry was replaced by this text\'s');
    // The key itself: length and FNV-1a, so different texts of one length differ too.
    assert.match(profileCacheKey(t), new RegExp(`^${t.length}-[0-9a-f]{8}$`));
    assert.notEqual(profileCacheKey('az_count = 2'), profileCacheKey('az_count = 3'));
    assert.equal(profileCacheKey(''), '0-811c9dc5');
  });

  it('a FIFO or a huge file where a cache entry would be is a miss: parsed again, never a hang', async () => {
    const t = await text();
    const cacheDir = join(dir, 'absurd');
    const first = await parseProfile('local.tfvars', t, 'local', { cacheDir });
    const file = join(cacheDir, `${profileCacheKey(t)}.json`);
    await rm(file);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [file]);
    assert.deepEqual(await parseProfile('local.tfvars', t, 'local', { cacheDir }), first);
    // The FIFO was replaced by the entry written after the parse.
    const { statSync } = await import('node:fs');
    assert.ok(statSync(file).isFile());
    await writeFile(file, 'x'.repeat(2 * 1024 * 1024));
    assert.deepEqual(await parseProfile('local.tfvars', t, 'local', { cacheDir }), first);
    assert.ok(statSync(file).size < 64 * 1024, 'the oversized entry was rewritten');
  });

  it('keeps nothing for an invalid profile (bad input writes no file)', async () => {
    const t = (await text()).replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "nope"');
    const cacheDir = join(dir, 'invalid');
    await assert.rejects(parseProfile('bad.tfvars', t, 'local', { cacheDir }), /vpc_cidr/);
    const { existsSync } = await import('node:fs');
    assert.ok(!existsSync(cacheDir), 'a cache was written for an invalid profile');
  });
});
