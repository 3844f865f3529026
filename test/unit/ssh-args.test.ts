import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInvocation } from '../../src/cli/args.js';
import { needsInstances } from '../../src/cli/ci-ssh.js';
import { SshError, UsageError } from '../../src/core/errors.js';
import type { InstanceRow } from '../../src/services/aws/instances.js';
import { formatEndpoint, parseEndpoint } from '../../src/services/ssh/endpoint.js';
import { resolveBastion, resolveTarget, targetsOfRole } from '../../src/services/ssh/targets.js';

const row = (o: Partial<InstanceRow>): InstanceRow => ({ id: 'i-0000000000000000a', name: '', role: '', privateIp: '', publicIp: '', state: 'running', az: 'a', type: 't3.small', launchTime: 0, ...o }) as InstanceRow;

describe('--ci ssh / exec / cluster command lines', () => {
  it('keeps everything after -- as the remote command, untouched', () => {
    const inv = parseInvocation(['-e', 'dev', '--ci', 'ssh', 'node-1', '--bastion', '203.0.113.5:2222', '--user', 'admin', '--accept-new-host-key', '--', 'ls', '-la', '--', '/tmp']);
    assert.equal(inv.kind, 'ci');
    assert.deepEqual((inv as { ssh?: unknown }).ssh, { bastion: '203.0.113.5:2222', user: 'admin', acceptNewHostKey: true, targets: ['node-1'], command: ['ls', '-la', '--', '/tmp'] });
  });
  it('parses exec with a role, concurrency and a connect timeout', () => {
    const inv = parseInvocation(['-e', 'dev', '--ci', 'exec', '--role', 'compute', '--concurrency', '3', '--connect-timeout', '2.5', '--', 'uptime']) as { ssh?: { role?: string; concurrency?: number; connectTimeoutMs?: number; command: string[] } };
    assert.equal(inv.ssh?.role, 'compute');
    assert.equal(inv.ssh?.concurrency, 3);
    assert.equal(inv.ssh?.connectTimeoutMs, 2500);
    assert.deepEqual(inv.ssh?.command, ['uptime']);
  });
  it('refuses SSH options elsewhere and bad values', () => {
    for (const bad of [
      ['-e', 'dev', '--ci', 'plan', '--bastion', 'h'],
      ['-e', 'dev', '--ci', 'plan', '--', 'ls'],
      ['-e', 'dev', '--ci', 'ssh', 'n', '--role', 'compute'],
      ['-e', 'dev', '--ci', 'exec', '--concurrency', '0', '--', 'ls'],
      ['-e', 'dev', '--ci', 'exec', '--connect-timeout', 'soon', '--', 'ls'],
      ['-e', 'dev', '--accept-new-host-key'],
      ['-e', 'dev', '--ci', 'plan', '--kubeconfig', 'f'],
    ]) assert.throws(() => parseInvocation(bad), UsageError, JSON.stringify(bad));
  });
  it('gives the console its SSH options and --kubeconfig', () => {
    assert.deepEqual(parseInvocation(['-e', 'dev', '--bastion', 'b:22', '--known-hosts', 'kh', '--kubeconfig', 'k.conf']), { kind: 'console', environment: 'dev', play: false, local: false, ssh: { bastion: 'b:22', knownHosts: 'kh' }, kubeconfig: 'k.conf' });
    assert.equal((parseInvocation(['-e', 'dev', '--ci', 'cluster', '--kubeconfig', 'k']) as { kubeconfig?: string }).kubeconfig, 'k');
  });
});

describe('SSH targets and endpoints', () => {
  it('parses HOST[:PORT] and bracketed IPv6, and refuses junk', () => {
    assert.deepEqual(parseEndpoint('10.0.1.5'), { host: '10.0.1.5', port: 22 });
    assert.deepEqual(parseEndpoint('bastion.example.com:2222'), { host: 'bastion.example.com', port: 2222 });
    assert.deepEqual(parseEndpoint('[2001:db8::1]:2200'), { host: '2001:db8::1', port: 2200 });
    assert.equal(formatEndpoint({ host: '2001:db8::1', port: 22 }), '[2001:db8::1]:22');
    for (const bad of ['', 'a b', 'host:0', 'host:70000', 'host:x', '-host']) assert.throws(() => parseEndpoint(bad), UsageError, bad);
  });
  it('resolves an instance id, a Name tag, or HOST:PORT; refuses ambiguous and stopped names', () => {
    const rows = [
      row({ id: 'i-0000000000000000a', name: 'web', role: 'compute', privateIp: '10.0.2.1' }),
      row({ id: 'i-0000000000000000b', name: 'dup', role: 'compute', privateIp: '10.0.2.2' }),
      row({ id: 'i-0000000000000000c', name: 'dup', role: 'compute', privateIp: '10.0.2.3' }),
      row({ id: 'i-0000000000000000d', name: 'off', role: 'secure', privateIp: '', state: 'stopped' }),
      row({ id: 'i-0000000000000000e', name: 'bastion', role: 'bastion', privateIp: '10.0.0.9', publicIp: '198.51.100.7' }),
    ];
    assert.deepEqual(resolveTarget('i-0000000000000000a', rows), { host: '10.0.2.1', port: 22, label: 'web (i-0000000000000000a)', role: 'compute', instanceId: 'i-0000000000000000a' });
    assert.equal(resolveTarget('web', rows).host, '10.0.2.1');
    assert.throws(() => resolveTarget('dup', rows), (e: unknown) => e instanceof SshError && /2 running instances are named dup/.test(e.message));
    assert.throws(() => resolveTarget('off', rows), /not running/);
    assert.throws(() => resolveTarget('i-0000000000000000f', rows), /no instance i-0000000000000000f/);
    assert.deepEqual(resolveTarget('127.0.0.1:2022', rows), { host: '127.0.0.1', port: 2022, label: '127.0.0.1:2022', role: '' });
    assert.deepEqual(targetsOfRole('compute', rows).map((t) => t.instanceId), ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']);
    assert.equal(resolveBastion(undefined, undefined, rows).host, '198.51.100.7');
    assert.equal(resolveBastion(undefined, '203.0.113.1', rows).host, '203.0.113.1');
    assert.equal(resolveBastion('h:2', '203.0.113.1', rows).port, 2);
    assert.throws(() => resolveBastion(undefined, undefined, []), /no bastion address/);
    assert.equal(needsInstances('i-0123456789abcdef0'), true);
    assert.equal(needsInstances('kube-dev-compute-0'), true);
    assert.equal(needsInstances('10.0.0.1'), false);
    assert.equal(needsInstances('host.example:22'), false);
  });
});
