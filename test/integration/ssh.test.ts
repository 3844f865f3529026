/**
 * SSH through the bastion against real OpenSSH: two or three `sshd` on 127.0.0.1 (a bastion with
 * TCP forwarding and nodes behind it, test/support/sshd.ts), driven through the CLI (`--ci ssh`,
 * `--ci exec`) and the ssh service (tunnels). Host keys, exit statuses and failures are real.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connectBastion } from '../../src/services/ssh/connection.js';
import { resolveIdentity } from '../../src/services/ssh/identity.js';
import { openTunnel } from '../../src/services/ssh/tunnel.js';
import { SSH_KEYGEN, sshdSkipReason, startSshHosts, type SshHosts } from '../support/sshd.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const run = promisify(execFile);
const skip = await sshdSkipReason();

describe('SSH through the bastion (real sshd)', { skip }, () => {
  let hosts: SshHosts;
  let ws: Workspace;
  const ENV = 'sshtest';

  before(async () => {
    hosts = await startSshHosts({ nodes: 3 });
    ws = await makeWorkspace('slow');
    await ws.profile(ENV);
  });
  after(async () => {
    await hosts?.stop();
    await ws?.dispose();
  });

  const bastion = () => `127.0.0.1:${hosts.bastion.port}`;
  const node = (i: number) => `127.0.0.1:${hosts.nodes[i]!.port}`;
  const sshArgs = (kh: string, extra: string[] = []) => ['-e', ENV, '--bastion', bastion(), '--user', hosts.user, '--identity', hosts.identityFile, '--known-hosts', kh, ...extra];

  it('runs a command on the node through the bastion and carries its exit status', async () => {
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-known'));
    const before = hosts.forwardedTargets().length;
    const r = await ws.cli(['--ci', 'ssh', node(0), ...sshArgs(kh), '--', 'echo hello-from-$(id -un); exit 3'], { timeoutMs: 30_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), `hello-from-${hosts.user}`);
    await hosts.waitForBastionLog(new RegExp(`target 127\\.0\\.0\\.1 port ${hosts.nodes[0]!.port}`));
    const fwd = hosts.forwardedTargets().slice(before);
    assert.ok(fwd.some((t) => t.port === hosts.nodes[0]!.port), `the bastion forwarded to the node: ${JSON.stringify(fwd)}`);
  });

  it('refuses an unknown host key in --ci, accepts it with --accept-new-host-key, then remembers it', async () => {
    const kh = join(hosts.dir, 'kh-empty');
    const refused = await ws.cli(['--ci', 'ssh', node(1), ...sshArgs(kh), '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /host key of bastion .* is not known: ssh-ed25519 SHA256:/);
    assert.ok(refused.stderr.includes(hosts.bastion.hostKeyFingerprint), 'names the bastion key fingerprint');
    assert.match(refused.stderr, /--accept-new-host-key/);

    const accepted = await ws.cli(['--ci', 'ssh', node(1), ...sshArgs(kh, ['--accept-new-host-key']), '--', 'echo ok'], { timeoutMs: 30_000 });
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(accepted.stdout.trim(), 'ok');
    assert.ok(accepted.stderr.includes(hosts.bastion.hostKeyFingerprint) && accepted.stderr.includes(hosts.nodes[1]!.hostKeyFingerprint), accepted.stderr);
    // Both keys were written hashed, in a form OpenSSH itself finds.
    const text = await readFile(kh, 'utf8');
    assert.equal(text.trim().split('\n').length, 2);
    assert.ok(text.split('\n').filter(Boolean).every((l) => l.startsWith('|1|')), text);
    for (const h of [hosts.bastion, hosts.nodes[1]!]) {
      const found = await run(SSH_KEYGEN, ['-F', `[127.0.0.1]:${h.port}`, '-f', kh]);
      assert.match(found.stdout, /ssh-ed25519/);
    }
    const again = await ws.cli(['--ci', 'ssh', node(1), ...sshArgs(kh), '--', 'echo again'], { timeoutMs: 30_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'again');
    assert.doesNotMatch(again.stderr, /permanently added/);
  });

  it('refuses a changed node key with the old and new fingerprints and the line to remove', async () => {
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-changed'));
    const old = hosts.nodes[2]!.hostKeyFingerprint;
    const n = await hosts.replaceNodeHostKey(2);
    assert.notEqual(n.hostKeyFingerprint, old);
    const r = await ws.cli(['--ci', 'ssh', node(2), ...sshArgs(kh, ['--accept-new-host-key']), '--', 'echo should-not-run'], { timeoutMs: 30_000 });
    assert.equal(r.code, 255);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /CHANGED/);
    assert.ok(r.stderr.includes(old) && r.stderr.includes(n.hostKeyFingerprint), r.stderr);
    assert.match(r.stderr, new RegExp(`\\[127\\.0\\.0\\.1\\]:${n.port}`));
    // The known_hosts line of node 2 is line 4 (bastion, node0, node1, node2).
    assert.match(r.stderr, /line 4/);
    assert.match(r.stderr, /ssh-keygen -f .* -R/);
  });

  it('gives 255 and a clear message for a wrong key and for a wrong user', async () => {
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-auth'));
    const wrongKey = await ws.cli(['--ci', 'ssh', node(0), '-e', ENV, '--bastion', bastion(), '--user', hosts.user, '--identity', hosts.wrongIdentityFile, '--known-hosts', kh, '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(wrongKey.code, 255);
    assert.match(wrongKey.stderr, /permission denied for user/);
    assert.match(wrongKey.stderr, /hint: /);
    const wrongUser = await ws.cli(['--ci', 'ssh', node(0), ...sshArgs(kh).map((a) => (a === hosts.user ? 'nobody-here' : a)), '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(wrongUser.code, 255);
    assert.match(wrongUser.stderr, /permission denied for user nobody-here/);
    const missing = await ws.cli(['--ci', 'ssh', node(0), ...sshArgs(kh).map((a) => (a === hosts.identityFile ? join(hosts.dir, 'nope') : a)), '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(missing.code, 255);
    assert.match(missing.stderr, /--identity .*nope: no such file/);
  });

  it('never hangs: a server that never answers ends in 255 within the connect timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-silent'));
      const t0 = Date.now();
      const r = await ws.cli(['--ci', 'ssh', node(0), '-e', ENV, '--bastion', `127.0.0.1:${port}`, '--identity', hosts.identityFile, '--known-hosts', kh, '--connect-timeout', '1.5', '--', 'true'], { timeoutMs: 30_000 });
      const ms = Date.now() - t0;
      assert.equal(r.code, 255);
      assert.match(r.stderr, /timed out/);
      assert.ok(ms < 10_000, `ended after ${ms} ms`);
      const refused = await ws.cli(['--ci', 'ssh', node(0), '-e', ENV, '--bastion', `127.0.0.1:1`, '--identity', hosts.identityFile, '--known-hosts', kh, '--', 'true'], { timeoutMs: 30_000 });
      assert.equal(refused.code, 255);
      assert.match(refused.stderr, /connection refused/);
    } finally {
      silent.close();
    }
  });

  it('runs a command on several nodes, groups the output per node and fails when one fails', async () => {
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-fanout'));
    // Node 1 fails: the command reads the server port from SSH_CONNECTION.
    const cmd = `p=\${SSH_CONNECTION##* }; echo "node on $p"; if [ "$p" = "${hosts.nodes[1]!.port}" ]; then echo broken >&2; exit 7; fi`;
    const r = await ws.cli(['--ci', 'exec', node(0), node(1), node(2), ...sshArgs(kh, ['--accept-new-host-key']), '--', cmd], { timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    for (const [i, n] of hosts.nodes.entries()) {
      const block = r.stdout.split('── ').find((b) => b.startsWith(`127.0.0.1:${n.port}`));
      assert.ok(block, `a block for node ${i}:\n${r.stdout}`);
      assert.match(block, new RegExp(`node on ${n.port}`));
      if (i === 1) {
        assert.match(block, /exit 7/);
        assert.match(block, /! broken/);
      } else assert.match(block, /exit 0/);
    }
    assert.match(r.stderr, /2\/3 nodes succeeded; failed: 127\.0\.0\.1:\d+ \(exit 7\)/);
    const json = await ws.cli(['--ci', 'exec', node(0), node(2), ...sshArgs(kh), '--json', '--', 'echo hi'], { timeoutMs: 30_000 });
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.filter((l) => l.type === 'node_result').map((l) => [l.exit_code, l.stdout]), [[0, 'hi\n'], [0, 'hi\n']]);
    assert.equal(lines.at(-1)?.type, 'summary');
    assert.equal(lines.at(-1)?.failed, 0);
  });

  it('logs in with the SSH agent when no key file is given (a real ssh-agent holding the key)', async () => {
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-agent'));
    const sock = join(hosts.dir, 'agent.sock');
    const agent = await run('/usr/bin/ssh-agent', ['-a', sock, '-s']);
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
    try {
      await run('/usr/bin/ssh-add', [hosts.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const r = await ws.cli(['--ci', 'ssh', node(0), '-e', ENV, '--bastion', bastion(), '--user', hosts.user, '--known-hosts', kh, '--', 'echo via-agent'], { timeoutMs: 30_000, env: { SSH_AUTH_SOCK: sock } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'via-agent');
      const none = await ws.cli(['--ci', 'ssh', node(0), '-e', ENV, '--bastion', bastion(), '--user', hosts.user, '--known-hosts', kh, '--', 'true'], { timeoutMs: 30_000 });
      assert.equal(none.code, 255);
      assert.match(none.stderr, /no SSH identity for sshtest/);
    } finally {
      if (pid) process.kill(pid, 'SIGTERM');
    }
  });

  it('says at once that the local emulator has no hosts', async () => {
    const t0 = Date.now();
    const r = await ws.cli(['--ci', 'ssh', 'kube-x-compute', '-e', ENV, '--local', '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(r.code, 255);
    assert.match(r.stderr, /local emulator's instances have no hosts/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('a tunnel through the bastion carries bytes both ways', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-tunnel'));
    const identity = await resolveIdentity({ identityFile: hosts.identityFile, environment: ENV, agentSocket: '' });
    const b = await connectBastion({ bastion: { host: '127.0.0.1', port: hosts.bastion.port }, user: hosts.user, identity, knownHostsFile: kh, onUnknownHost: async () => false });
    const tunnel = await openTunnel(b, { remoteHost: '127.0.0.1', remotePort: echoPort, label: 'echo' });
    try {
      const payload = Buffer.alloc(2 * 1024 * 1024, 0);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
      const got = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let n = 0;
        const c = net.connect(tunnel.localPort, '127.0.0.1', () => c.write(payload));
        c.on('data', (d: Buffer) => {
          chunks.push(d);
          n += d.length;
          if (n >= payload.length) {
            c.end();
            resolve(Buffer.concat(chunks));
          }
        });
        c.on('error', reject);
      });
      assert.ok(got.equals(payload), 'the echo came back byte for byte');
      await hosts.waitForBastionLog(new RegExp(`target 127\\.0\\.0\\.1 port ${echoPort}`));
      assert.equal(tunnel.stats().total, 1);
      assert.ok(tunnel.stats().bytesIn >= payload.length);
    } finally {
      await tunnel.close();
      echo.close();
    }
    // Closed: the local port no longer accepts.
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = net.connect(tunnel.localPort, '127.0.0.1', () => resolve(c));
        c.on('error', reject);
      }),
    );
  });

  it('the known_hosts written by the console is readable by OpenSSH ssh itself', async () => {
    const kh = join(hosts.dir, 'kh-openssh');
    const r = await ws.cli(['--ci', 'ssh', node(0), ...sshArgs(kh, ['--accept-new-host-key']), '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const cfg = join(hosts.dir, 'ssh_config_kh');
    await writeFile(
      cfg,
      `Host b\n  HostName 127.0.0.1\n  Port ${hosts.bastion.port}\n  User ${hosts.user}\n  IdentityFile ${hosts.identityFile}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${kh}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
    );
    const o = await run('/usr/bin/ssh', ['-F', cfg, 'b', 'echo via-openssh']);
    assert.equal(o.stdout.trim(), 'via-openssh');
  });
});
