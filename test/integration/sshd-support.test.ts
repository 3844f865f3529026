/**
 * The test support's real OpenSSH hosts (test/support/sshd.ts) work as the SSH tests need:
 * `/usr/bin/ssh -F CONFIG node0` jumps through the bastion (ProxyJump), the node's exit code and
 * output come back, the bastion logs the forwarded channel, an unrelated key is refused, and a
 * node restarted with a new host key is refused by ssh with the old known_hosts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { checkHostKey } from '../../src/services/ssh/known-hosts.js';
import { FORWARD_LOG, SSH, sshConfigFor, sshdSkipReason, startSshHosts, type SshHosts } from '../support/sshd.js';

const skip = await sshdSkipReason();

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs /usr/bin/ssh with `args`; resolves its exit code and output (never rejects on exit codes). */
function ssh(args: string[], timeoutMs = 10_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(SSH, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('real sshd hosts for the SSH tests', { skip }, () => {
  let hosts: SshHosts;
  let config: string;

  before(async () => {
    hosts = await startSshHosts({ nodes: 2 });
    config = await sshConfigFor(hosts);
  });
  after(async () => {
    await hosts?.stop();
  });

  it('ssh -F CONFIG node0 jumps through the bastion: output and exit code come back, the bastion logs the channel', async () => {
    const r = await ssh(['-F', config, 'node0', 'echo hi; exit 3']);
    assert.equal(r.stdout, 'hi\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
    const node = hosts.nodes[0];
    assert.ok(node);
    const log = await hosts.waitForBastionLog(new RegExp(`server_request_direct_tcpip: .* target 127\\.0\\.0\\.1 port ${node.port}\\b`));
    assert.match(log, new RegExp(FORWARD_LOG.source));
    assert.deepEqual(
      hosts.forwardedTargets().filter((t) => t.port === node.port),
      [{ host: '127.0.0.1', port: node.port }],
    );
    assert.match(hosts.nodeLog(0), /Accepted publickey for /);
  });

  it('the bastion itself and the second node answer too', async () => {
    const [b, n1] = await Promise.all([ssh(['-F', config, 'bastion', 'echo bastion']), ssh(['-F', config, 'node1', 'echo one'])]);
    assert.deepEqual([b.code, b.stdout], [0, 'bastion\n'], b.stderr);
    assert.deepEqual([n1.code, n1.stdout], [0, 'one\n'], n1.stderr);
  });

  it('the unrelated client key is refused (ssh exits 255)', async () => {
    const wrong = await sshConfigFor(hosts, { path: `${hosts.dir}/ssh_config_wrong`, identityFile: hosts.wrongIdentityFile });
    const r = await ssh(['-F', wrong, 'bastion', 'echo should-not-run']);
    assert.equal(r.code, 255);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Permission denied \(publickey\)/);
  });

  it('replaceNodeHostKey: same port, new key; ssh refuses the node, our check says changed', async () => {
    const node = hosts.nodes[1];
    assert.ok(node);
    const known = await hosts.knownHostsFile(`${hosts.dir}/known_hosts_before`);
    const { port, hostKeyFingerprint: oldFp } = node;
    await hosts.replaceNodeHostKey(1);
    assert.equal(node.port, port);
    assert.notEqual(node.hostKeyFingerprint, oldFp);
    const cfg = await sshConfigFor(hosts, { path: `${hosts.dir}/ssh_config_before`, knownHostsFile: known });
    const r = await ssh(['-F', cfg, 'node1', 'echo should-not-run']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const check = await checkHostKey(known, node.host, node.port, node.hostKeyType, node.hostKeyBlob);
    assert.deepEqual(check, { status: 'changed', line: 3, knownFingerprint: oldFp, knownType: 'ssh-ed25519' });
  });
});
