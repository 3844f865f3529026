/**
 * known_hosts reader/writer against real OpenSSH: keys made by `ssh-keygen`, files hashed by
 * `ssh-keygen -H`, fingerprints compared with `ssh-keygen -lf`, and lines we write looked up
 * with `ssh-keygen -F` (which proves the hashed format).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { SshError } from '../../src/core/errors.js';
import {
  addHostKey,
  checkHostKey,
  fingerprintSha256,
  hashHostName,
  hostKeyName,
  keyTypeOfBlob,
  matchPattern,
  namesMatch,
  parseKnownHosts,
  removeHint,
} from '../../src/services/ssh/known-hosts.js';
import { generateKey, parsePubLine, SSH_KEYGEN, sshdSkipReason } from '../support/sshd.js';

const run = promisify(execFile);
const skip = await sshdSkipReason();

interface Key {
  path: string;
  pub: string;
  type: string;
  blob: Buffer;
  b64: string;
}

/** `ssh-keygen -lf FILE` → its `SHA256:…` field. */
async function keygenFingerprint(path: string): Promise<string> {
  const { stdout } = await run(SSH_KEYGEN, ['-lf', path]);
  const fp = stdout.split(/\s+/)[1];
  assert.ok(fp?.startsWith('SHA256:'), stdout);
  return fp as string;
}

describe('known_hosts (with real ssh-keygen)', { skip }, () => {
  let dir: string;
  const keys: Record<string, Key> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-known-hosts-'));
    const make = async (name: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Promise<void> => {
      const path = join(dir, name);
      const pub = await generateKey(path, name, type);
      const p = parsePubLine(pub);
      keys[name] = { path, pub, type: p.type, blob: p.blob, b64: p.blob.toString('base64') };
    };
    await Promise.all([make('a'), make('b'), make('c'), make('d'), make('e'), make('ec', 'ecdsa'), make('rsa', 'rsa')]);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const k = (n: string): Key => keys[n] as Key;
  const line = (hosts: string, n: string, marker = ''): string => `${marker ? `${marker} ` : ''}${hosts} ${k(n).type} ${k(n).b64}`;

  it('hostKeyName: bare host on port 22, [host]:port otherwise, lowercased', () => {
    assert.equal(hostKeyName('10.0.0.5', 22), '10.0.0.5');
    assert.equal(hostKeyName('127.0.0.1', 2222), '[127.0.0.1]:2222');
    assert.equal(hostKeyName('Bastion.Example.COM', 22), 'bastion.example.com');
    assert.throws(() => hostKeyName('h', 0), RangeError);
    assert.throws(() => hostKeyName('', 22), RangeError);
  });

  it('fingerprintSha256 equals ssh-keygen -lf for ed25519, ecdsa and rsa', async () => {
    for (const n of ['a', 'ec', 'rsa']) {
      assert.equal(fingerprintSha256(k(n).blob), await keygenFingerprint(`${k(n).path}.pub`), n);
    }
    assert.equal(keyTypeOfBlob(k('ec').blob), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOfBlob(Buffer.from([0, 0])), undefined);
  });

  it('glob patterns and negation', () => {
    assert.ok(matchPattern('node1.example.com', '*.example.com'));
    assert.ok(matchPattern('10.0.0.7', '10.0.0.?'));
    assert.ok(!matchPattern('10.0.0.17', '10.0.0.?'));
    assert.ok(matchPattern('[10.0.0.7]:2222', '[10.0.0.*]:2222'));
    assert.ok(matchPattern('abc', '*'));
    assert.ok(matchPattern('aXbXc', 'a*b*c'));
    assert.ok(!matchPattern('aXbXd', 'a*b*c'));
    assert.ok(matchPattern('HOST', 'host'));
    const names = { kind: 'patterns', patterns: ['*.example.com', '!bad.example.com'] } as const;
    assert.ok(namesMatch(names, 'good.example.com'));
    assert.ok(!namesMatch(names, 'bad.example.com'));
    assert.ok(!namesMatch({ kind: 'patterns', patterns: ['!bad'] }, 'good'), 'a negation alone matches nothing');
  });

  it('known, unknown, changed, revoked in a file with ssh-keygen -H hashed and plain entries', async () => {
    const file = join(dir, 'kh-mixed');
    // First the lines ssh-keygen -H will hash, then plain ones appended after hashing.
    await writeFile(file, `${line('[127.0.0.1]:2222', 'a')}\n${line('10.9.9.9', 'b')}\n`);
    await run(SSH_KEYGEN, ['-H', '-f', file]);
    const hashed = await readFile(file, 'utf8');
    assert.match(hashed, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /m, 'ssh-keygen -H wrote hashed names');
    assert.ok(!hashed.includes('127.0.0.1'));
    const hashedLines = hashed.split('\n').filter((l) => l.startsWith('|1|')).length;
    assert.equal(hashedLines, 2);
    await appendFile(
      file,
      [
        '',
        '# plain entries below',
        line('host.example.com,10.0.0.5', 'c'),
        line('[127.0.0.1]:3333', 'd'),
        line('*.corp.example,!evil.corp.example', 'e'),
        line('*', 'd', '@revoked'),
        line('*.example.com', 'a', '@cert-authority'),
        line('[127.0.0.1]:2222', 'ec'),
        'garbage line',
        '@weird-marker host ssh-ed25519 AAAA',
        '',
      ].join('\n'),
    );
    const parsed = parseKnownHosts(await readFile(file, 'utf8'));
    assert.equal(parsed.length, 8, 'invalid lines and comments skipped');
    assert.equal(parsed.filter((e) => e.names.kind === 'hashed').length, 2);
    // Line numbers: 1-2 hashed, 3 blank, 4 comment, 5.. plain.
    assert.deepEqual(
      parsed.map((e) => e.line),
      [1, 2, 5, 6, 7, 8, 9, 10],
    );

    // known: the hashed [127.0.0.1]:2222 line, the hashed port-22 line, plain lists, wildcard.
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 2222, 'ssh-ed25519', k('a').blob), { status: 'known', line: 1 });
    assert.deepEqual(await checkHostKey(file, '10.9.9.9', 22, 'ssh-ed25519', k('b').blob), { status: 'known', line: 2 });
    assert.deepEqual(await checkHostKey(file, '10.0.0.5', 22, 'ssh-ed25519', k('c').blob), { status: 'known', line: 5 });
    assert.deepEqual(await checkHostKey(file, 'HOST.example.com', 22, 'ssh-ed25519', k('c').blob), { status: 'known', line: 5 });
    assert.deepEqual(await checkHostKey(file, 'db.corp.example', 22, 'ssh-ed25519', k('e').blob), { status: 'known', line: 7 });
    // The ecdsa key of the same host on another line is known too (several key types per host).
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 2222, 'ecdsa-sha2-nistp256', k('ec').blob), { status: 'known', line: 10 });

    // unknown: other port, negated host, no entry, only another key type known.
    assert.deepEqual(await checkHostKey(file, '10.0.0.5', 2222, 'ssh-ed25519', k('c').blob), { status: 'unknown' });
    assert.deepEqual(await checkHostKey(file, '10.9.9.9', 2222, 'ssh-ed25519', k('b').blob), { status: 'unknown' });
    assert.deepEqual(await checkHostKey(file, 'evil.corp.example', 22, 'ssh-ed25519', k('e').blob), { status: 'unknown' });
    assert.deepEqual(await checkHostKey(file, 'nowhere', 22, 'ssh-ed25519', k('a').blob), { status: 'unknown' });
    assert.deepEqual(await checkHostKey(file, '10.0.0.5', 22, 'ssh-rsa', k('rsa').blob), { status: 'unknown' }, 'only an ed25519 key is known: unknown, not changed');
    assert.deepEqual(await checkHostKey(file, '10.0.0.5', 22, 'rsa-sha2-512', k('rsa').blob), { status: 'unknown' });
    // The @cert-authority line does not make key a known plain key of *.example.com hosts.
    assert.deepEqual(await checkHostKey(file, 'www.example.com', 22, 'ssh-ed25519', k('a').blob), { status: 'unknown' });

    // changed: same type, other key; the old fingerprint is the one ssh-keygen -lf prints.
    const changed = await checkHostKey(file, '127.0.0.1', 2222, 'ssh-ed25519', k('c').blob);
    assert.deepEqual(changed, { status: 'changed', line: 1, knownFingerprint: await keygenFingerprint(`${k('a').path}.pub`), knownType: 'ssh-ed25519' });
    const changedPlain = await checkHostKey(file, 'host.example.com', 22, 'ssh-ed25519', k('b').blob);
    assert.deepEqual(changedPlain, { status: 'changed', line: 5, knownFingerprint: await keygenFingerprint(`${k('c').path}.pub`), knownType: 'ssh-ed25519' });

    // revoked: @revoked * matches every host; it wins even over a plain line with the same key.
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 3333, 'ssh-ed25519', k('d').blob), { status: 'revoked', line: 8 });
    assert.deepEqual(await checkHostKey(file, 'anything', 22, 'ssh-ed25519', k('d').blob), { status: 'revoked', line: 8 });
  });

  it('ssh-keygen -F agrees with us on the hashed file it wrote', async () => {
    const file = join(dir, 'kh-agree');
    await writeFile(file, `${line('[127.0.0.1]:2222', 'a')}\n`);
    await run(SSH_KEYGEN, ['-H', '-f', file]);
    const { stdout } = await run(SSH_KEYGEN, ['-F', '[127.0.0.1]:2222', '-f', file]);
    assert.match(stdout, /found: line 1/);
  });

  it('a missing file is unknown; an unreadable path is an SshError', async () => {
    assert.deepEqual(await checkHostKey(join(dir, 'no', 'such', 'file'), 'h', 22, 'ssh-ed25519', k('a').blob), { status: 'unknown' });
    await assert.rejects(checkHostKey(dir, 'h', 22, 'ssh-ed25519', k('a').blob), SshError, 'a directory is not a known_hosts file');
    await assert.rejects(checkHostKey(join(dir, 'x'), 'h', 22, 'ssh-rsa', k('a').blob), SshError, 'key type contradicting the blob');
  });

  it('addHostKey writes a hashed line ssh-keygen -F finds, creating a 0700 dir and 0600 file', async () => {
    const sub = join(dir, 'new-home', '.ssh');
    const file = join(sub, 'known_hosts');
    const n1 = await addHostKey(file, '127.0.0.1', 40022, 'ssh-ed25519', k('a').blob);
    assert.equal(n1, 1);
    assert.equal((await stat(sub)).mode & 0o777, 0o700);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    assert.ok(!text.includes('127.0.0.1'), 'the host name is hashed');

    const n2 = await addHostKey(file, '127.0.0.1', 22, 'ecdsa-sha2-nistp256', k('ec').blob);
    const n3 = await addHostKey(file, 'Node.Example', 40023, 'rsa-sha2-256', k('rsa').blob, { hash: false });
    assert.deepEqual([n2, n3], [2, 3]);
    assert.ok((await readFile(file, 'utf8')).endsWith(`[node.example]:40023 ssh-rsa ${k('rsa').b64}\n`));

    const found = async (name: string): Promise<string> => (await run(SSH_KEYGEN, ['-F', name, '-f', file])).stdout;
    assert.match(await found('[127.0.0.1]:40022'), /found: line 1\b/);
    assert.match(await found('127.0.0.1'), /found: line 2\b/);
    assert.match(await found('[node.example]:40023'), /found: line 3\b/);
    await assert.rejects(found('[127.0.0.1]:40099'), 'ssh-keygen -F exits 1 when nothing is found');

    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 40022, 'ssh-ed25519', k('a').blob), { status: 'known', line: 1 });
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 22, 'ecdsa-sha2-nistp256', k('ec').blob), { status: 'known', line: 2 });
    assert.deepEqual(await checkHostKey(file, 'node.example', 40023, 'ssh-rsa', k('rsa').blob), { status: 'known', line: 3 });
  });

  it('addHostKey appends after a last line without newline, keeping it intact', async () => {
    const file = join(dir, 'kh-nonl');
    const first = line('[127.0.0.1]:5555', 'b');
    await writeFile(file, `# mine\n${first}`);
    const n = await addHostKey(file, '127.0.0.1', 5556, 'ssh-ed25519', k('c').blob);
    assert.equal(n, 3);
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal(lines[1], first);
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 5555, 'ssh-ed25519', k('b').blob), { status: 'known', line: 2 });
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 5556, 'ssh-ed25519', k('c').blob), { status: 'known', line: 3 });
  });

  it('hashHostName: |1|base64(salt)|base64(hmac) that matches only the name it hashed', () => {
    const salt = Buffer.alloc(20, 7);
    const h = hashHostName('[127.0.0.1]:2222', salt);
    assert.match(h, /^\|1\|BwcHBwcHBwcHBwcHBwcHBwcHBwc=\|[A-Za-z0-9+/]{27}=$/);
    const [entry] = parseKnownHosts(`${h} ${k('a').type} ${k('a').b64}`);
    assert.ok(entry && namesMatch(entry.names, '[127.0.0.1]:2222'));
    assert.ok(entry && !namesMatch(entry.names, '127.0.0.1'));
  });

  it('removeHint names both ways out, and its ssh-keygen -R command works', async () => {
    const file = join(dir, 'kh remove');
    await writeFile(file, `${line('[127.0.0.1]:7777', 'a')}\n${line('other', 'b')}\n`);
    await run(SSH_KEYGEN, ['-H', '-f', file]);
    const hint = removeHint(file, 1, '127.0.0.1', 7777);
    assert.ok(hint.includes(`sed -i '1d' '${file}'`), hint);
    assert.ok(hint.includes(`ssh-keygen -f '${file}' -R '[127.0.0.1]:7777'`), hint);
    assert.equal(removeHint('/root/.ssh/known_hosts', 12), "remove the old key (line 12 of /root/.ssh/known_hosts): sed -i '12d' /root/.ssh/known_hosts");
    const cmd = hint.slice(hint.indexOf('or: ') + 4);
    await run('/bin/sh', ['-c', cmd]);
    assert.deepEqual(await checkHostKey(file, '127.0.0.1', 7777, 'ssh-ed25519', k('c').blob), { status: 'unknown' });
    assert.deepEqual(await checkHostKey(file, 'other', 22, 'ssh-ed25519', k('b').blob), { status: 'known', line: 1 });
  });
});
