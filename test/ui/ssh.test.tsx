/**
 * The console's SSH actions against real OpenSSH sshd hosts (test/support/sshd.ts), through the
 * real App (ink-testing-library): an unknown host key asked about with its fingerprint, marking
 * instances with space, `:run` over several nodes with one failing, and a tunnel from `t` listed
 * in the tunnels view and closed on quit. The instance rows are put into the store directly (their
 * listing from EC2 is tested in the AWS pane tests); they point at the loopback sshd hosts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import type { InstanceRow } from '../../src/services/aws/instances.js';
import { backendFor } from '../../src/services/terraform/backend.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { Controller } from '../../src/state/controller.js';
import { SshController } from '../../src/state/ssh-controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { sshdSkipReason, startSshHosts, type SshHosts } from '../support/sshd.js';
import { frameMatching, sleep } from '../support/frames.js';

const skip = await sshdSkipReason();
/** Types a `:` command: the colon first (it opens the command line), then the rest with Enter. */
async function command(ui: ReturnType<typeof render>, text: string): Promise<void> {
  ui.stdin.write(':');
  await sleep(60);
  ui.stdin.write(`${text}\r`);
}

describe('SSH in the console (real sshd, ink-testing-library)', { skip }, () => {
  let hosts: SshHosts;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  let knownHosts: string;
  let echo: net.Server;
  let echoPort: number;

  before(async () => {
    hosts = await startSshHosts({ nodes: 3 });
    knownHosts = join(hosts.dir, 'ui_known_hosts');
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
    const store = new Store({ environment: 'sshui', account: '123456789012', region: 'us-east-1', backend: '-', engine: '-', credentials: '-' });
    const rows: InstanceRow[] = hosts.nodes.map((_n, i) => ({
      id: `i-00000000000000${i}0`,
      name: `kube-sshui-compute-${i}`,
      role: 'compute',
      privateIp: '127.0.0.1',
      publicIp: '',
      state: 'running',
      az: 'us-east-1a',
      type: 't3.small',
      launchTime: Date.now() - 60_000 * (i + 1),
    })) as InstanceRow[];
    store.update((s) => {
      s.instances.rows = rows;
      s.instances.loaded = true;
    });
    const portOf = new Map(rows.map((r, i) => [r.id, hosts.nodes[i]!.port]));
    const ssh = new SshController(store, {
      environment: 'sshui',
      local: false,
      bastion: `127.0.0.1:${hosts.bastion.port}`,
      user: hosts.user,
      identityFile: hosts.identityFile,
      profileUser: '',
      profileIdentityFile: '',
      knownHostsFile: knownHosts,
      home: hosts.dir,
      agentSocket: '',
      nodeEndpoint: (row) => ({ host: '127.0.0.1', port: portOf.get(row.id)! }),
      outputs: async () => [{ name: 'kubeapi_internal_elb', value: '127.0.0.1', sensitive: false, type: 'string' }] as never,
    });
    const backend = backendFor('sshui', { terraform_bucket_name: 'b', kms_master_id: 'alias/k', aws_region: 'us-east-1' } as never, false);
    const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: hosts.dir, dataDir: hosts.dir, cliConfigFile: '', varFile: '', backend, env: {} });
    controller = new Controller(store, { environment: 'sshui', engine, readLock: async () => ({ kind: 'unknown', reason: 'test' }) as never }, undefined, ssh);
    ui = render(<App controller={controller} size={{ columns: 150, rows: 40 }} />);
    ui.stdin.write('2');
    await frameMatching(ui.lastFrame, /kube-sshui-compute-2/);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    echo?.close();
    await hosts?.stop();
  });

  it('asks about an unknown host key with its fingerprint; n refuses, y trusts and remembers', async () => {
    await command(ui, 'run hostname');
    let f = await frameMatching(ui.lastFrame, /host key of bastion .* is not known/i);
    assert.ok(f.includes(hosts.bastion.hostKeyFingerprint), f);
    ui.stdin.write('n');
    f = await frameMatching(ui.lastFrame, /unreachable: the host key of bastion/);
    ui.stdin.write('\x1b');
    await sleep(150);
    await command(ui, 'run echo trusted');
    await frameMatching(ui.lastFrame, /not known\. Trust it/);
    ui.stdin.write('y');
    f = await frameMatching(ui.lastFrame, new RegExp(hosts.nodes[0]!.hostKeyFingerprint.replace(/[+/]/g, '.')));
    ui.stdin.write('y');
    f = await frameMatching(ui.lastFrame, /✓ exit 0/);
    assert.match(f, /trusted/);
    const kh = await readFile(knownHosts, 'utf8');
    assert.equal(kh.trim().split('\n').length, 2, kh);
    ui.stdin.write('\x1b');
    await sleep(150);
  });

  it(':run over nodes with unknown keys asks one question at a time; y to each, all run', async () => {
    // Node 0 is known from the test above; nodes 1 and 2 are not: their questions arrive together.
    ui.stdin.write('g');
    for (let i = 0; i < 3; i++) {
      await sleep(50);
      ui.stdin.write(' ');
    }
    await frameMatching(ui.lastFrame, /3 marked for :run/);
    await command(ui, 'run echo asked-$((40+2))');
    const fps = hosts.nodes.slice(1).map((n) => n.hostKeyFingerprint);
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      // Both questions arrive within moments of each other: the first one shown says another waits.
      const f = await frameMatching(ui.lastFrame, i === 0 ? /\(1 more question after this one\)/ : new RegExp(`not known\\. Trust it[\\s\\S]*(${fps.map((x) => x.replace(/[+/]/g, '.')).join('|')})`));
      const fp = fps.find((x) => f.includes(x) && !seen.includes(x));
      assert.ok(fp, `a question about an unasked node key:\n${f}`);
      seen.push(fp);
      ui.stdin.write('y');
      await sleep(100);
    }
    const f = await frameMatching(ui.lastFrame, /3\/3 nodes exited 0/);
    assert.equal((f.match(/asked-42/g) ?? []).length, 3, f);
    ui.stdin.write('\x1b');
    await sleep(150);
    await command(ui, 'mark none');
    await frameMatching(ui.lastFrame, /0 instances marked/);
  });

  it('space marks instances and :run runs on each, output grouped per node, one failing', async () => {
    // Trust the other nodes' keys up front: this test is about the run.
    const { addHostKey } = await import('../../src/services/ssh/known-hosts.js');
    for (const n of hosts.nodes.slice(1)) await addHostKey(knownHosts, '127.0.0.1', n.port, n.hostKeyType, n.hostKeyBlob);
    ui.stdin.write('g');
    await sleep(50);
    ui.stdin.write(' ');
    await sleep(50);
    ui.stdin.write(' ');
    await sleep(50);
    ui.stdin.write(' ');
    await frameMatching(ui.lastFrame, /3 marked for :run/);
    const failPort = hosts.nodes[1]!.port;
    await command(ui, `run p=\${SSH_CONNECTION##* }; echo "port $p"; [ "$p" != "${failPort}" ] || { echo bad >&2; exit 4; }`);
    const f = await frameMatching(ui.lastFrame, /2\/3 nodes exited 0, 1 failed/);
    for (const [i, n] of hosts.nodes.entries()) {
      assert.match(f, new RegExp(`── kube-sshui-compute-${i} \\(i-00000000000000${i}0\\)  ${i === 1 ? '✗ exit 4' : '✓ exit 0'}`));
      assert.match(f, new RegExp(`port ${n.port}`));
    }
    assert.match(f, / ! bad/);
    ui.stdin.write('\x1b');
    await sleep(150);
    await command(ui, 'mark none');
    await frameMatching(ui.lastFrame, /0 instances marked/);
  });

  it('t opens a tunnel through the bastion that carries bytes, listed in the tunnels view', async () => {
    ui.stdin.write('t');
    await frameMatching(ui.lastFrame, /Forward a local port through the bastion/);
    // The prompt is prefilled with the internal kubeapi load balancer (here 127.0.0.1) and 6443: replace the port.
    for (let i = 0; i < 4; i++) ui.stdin.write('\x7f');
    ui.stdin.write(`${echoPort}\r`);
    const f = await frameMatching(ui.lastFrame, /1  127\.0\.0\.1:(\d+) → 127\.0\.0\.1:\d+/);
    const localPort = Number(/1  127\.0\.0\.1:(\d+) →/.exec(f)![1]);
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect(localPort, '127.0.0.1', () => c.write('ping through the bastion'));
      c.on('data', (d) => {
        resolve(d.toString());
        c.end();
      });
      c.on('error', reject);
    });
    assert.equal(got, 'ping through the bastion');
    await frameMatching(ui.lastFrame, /1 total, 24 B out, 24 B in/);
    ui.stdin.write('1');
    await frameMatching(ui.lastFrame, /no tunnels/);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = net.connect(localPort, '127.0.0.1', () => resolve(c));
        c.on('error', reject);
      }),
    );
    ui.stdin.write('\x1b');
    await sleep(150);
  });

  it(':tunnel opens one from the command line, and quitting the console closes it', async () => {
    await command(ui, `tunnel 127.0.0.1:${echoPort}`);
    const f = await frameMatching(ui.lastFrame, /1  127\.0\.0\.1:(\d+) → 127\.0\.0\.1:\d+/);
    const localPort = Number(/1  127\.0\.0\.1:(\d+) →/.exec(f)![1]);
    const connects = () =>
      new Promise<boolean>((resolve) => {
        const c = net.connect(localPort, '127.0.0.1', () => {
          c.end();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      });
    assert.equal(await connects(), true);
    ui.stdin.write('\x1b');
    await sleep(150);
    // A long :run in flight is cancelled by quitting too (its sessions are ended, nothing hangs).
    await command(ui, 'run sleep 30');
    await frameMatching(ui.lastFrame, /kube-sshui-compute-\d \(i-\d+\)  running…/);
    ui.stdin.write('\x1b');
    await sleep(150);
    const t0 = Date.now();
    ui.stdin.write('q');
    await controller.quitRequested;
    const end = Date.now() + 5_000;
    while ((await connects()) && Date.now() < end) await sleep(50);
    assert.equal(await connects(), false, 'the tunnel is closed once the console quits');
    while (!controller.store.state.instances.run?.done && Date.now() < end) await sleep(50);
    assert.equal(controller.store.state.instances.run?.done, true, 'the :run ended');
    assert.equal(controller.store.state.instances.run?.nodes[0]?.code, 255);
    assert.ok(Date.now() - t0 < 5_000, `quit ended the run in ${Date.now() - t0} ms`);
  });
});
