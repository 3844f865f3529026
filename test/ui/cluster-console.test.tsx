/**
 * The Cluster pane inside the console (App + Controller + ClusterController) against the stand-in
 * Kubernetes API (test/support/kube-standin.ts: a loopback HTTPS server of the test suite that
 * speaks the API's JSON, since no kube-apiserver can run here), with the real
 * @kubernetes/client-node: rows appear, a watch event changes a row live, a node is matched to its
 * instance, and `k` merges the cluster into a kubeconfig file only after consent. Also `--ci
 * cluster` through the CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import type { InstanceRow } from '../../src/services/aws/instances.js';
import { backendFor } from '../../src/services/terraform/backend.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { Controller } from '../../src/state/controller.js';
import { ClusterController } from '../../src/panes/cluster/controller.js';
import { SshController } from '../../src/state/ssh-controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { kubeStandinSkipReason, makeNamespace, makeNode, makePod, startKubeStandin, type KubeStandin } from '../support/kube-standin.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';
import { frameMatching, sleep } from '../support/frames.js';

const skip = await kubeStandinSkipReason();

describe('Cluster pane in the console (stand-in Kubernetes API, real client-node)', { skip }, () => {
  let api: KubeStandin;
  let dir: string;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  let kubeconfigFile: string;
  let target: string;

  before(async () => {
    api = await startKubeStandin();
    api.add('nodes', makeNode('ip-10-0-1-10', { roles: ['control-plane'], ip: '10.0.1.10', version: 'v1.32.1' }));
    api.add('nodes', makeNode('ip-10-0-2-20', { ip: '10.0.2.20', version: 'v1.32.1' }));
    for (const ns of ['default', 'kube-system']) api.add('namespaces', makeNamespace(ns));
    api.add('pods', makePod('kube-system', 'coredns-abc', { node: 'ip-10-0-1-10' }));
    api.add('pods', makePod('default', 'web-1', { node: 'ip-10-0-2-20', waiting: 'CrashLoopBackOff', restarts: 4 }));
    dir = await mkdtemp(join(tmpdir(), 'pc-cluster-ui-'));
    kubeconfigFile = join(dir, 'admin.conf');
    await writeFile(kubeconfigFile, api.kubeconfig({ name: 'kube-clui' }));
    target = join(dir, 'home', '.kube', 'config');
    const store = new Store({ environment: 'clui', account: '123456789012', region: 'us-east-1', backend: '-', engine: '-', credentials: '-' });
    store.update((s) => {
      s.instances.rows = [{ id: 'i-0aaaaaaaaaaaaaaa1', name: 'kube-clui-secure-a', role: 'secure', privateIp: '10.0.1.10', publicIp: '', state: 'running', az: 'us-east-1a', type: 't3.small', launchTime: 0 } as InstanceRow];
    });
    const kube = new ClusterController(store, { environment: 'clui', local: false, ctx: {} as never, outputs: async () => [], kubeconfigFile, kubeapiAccessList: ['0.0.0.0/0'], kubeconfigTarget: target });
    const backend = backendFor('clui', { terraform_bucket_name: 'b', kms_master_id: 'alias/k', aws_region: 'us-east-1' } as never, false);
    const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: dir, dataDir: dir, cliConfigFile: '', varFile: '', backend, env: {} });
    // SSH with a bastion nobody listens on: `s` on a node must aim at its instance (and fail fast, saying where).
    const identityFile = join(dir, 'id_ed25519');
    await promisify(execFile)('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identityFile]);
    const ssh = new SshController(store, { environment: 'clui', local: false, bastion: '127.0.0.1:1', user: 'ops', identityFile, profileUser: '', profileIdentityFile: '', knownHostsFile: join(dir, 'known_hosts'), home: dir, agentSocket: '', outputs: async () => [] });
    controller = new Controller(store, { environment: 'clui', engine, readLock: async () => ({ kind: 'unknown', reason: 'test' }) as never }, undefined, ssh, kube);
    ui = render(<App controller={controller} size={{ columns: 150, rows: 40 }} />);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    await controller?.kube?.stop();
    await api?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows nodes (matched to instances), unhealthy pods and namespaces, live', async () => {
    ui.stdin.write('5');
    let f = await frameMatching(ui.lastFrame, /2\/2 nodes ready · 2 pods/);
    assert.match(f, /2\/2 nodes ready · 2 pods · 1 unhealthy · 2 namespaces/);
    assert.match(f, /ip-10-0-1-10\s+Ready\s+control-plane\s+v1\.32\.1/);
    assert.match(f, /10\.0\.1\.10\s+i-0aaaaaaaaaaaaaaa1/, 'the node is matched to its instance by private IP');
    assert.match(f, /default\s+web-1\s+0\/1\s+CrashLoopBackOff\s+4/);
    assert.match(f, /Namespaces 2: default kube-system/);
    assert.match(f, /● live/);
    const lists = api.listCount();
    // A watch event, not a poll, turns the worker NotReady.
    api.modify('nodes', 'ip-10-0-2-20', (n) => {
      (n as unknown as { status: { conditions: { type: string; status: string }[] } }).status.conditions = [{ type: 'Ready', status: 'False' }];
    });
    f = await frameMatching(ui.lastFrame, /1\/2 nodes ready/);
    assert.match(f, /ip-10-0-2-20\s+NotReady/);
    assert.equal(api.listCount(), lists, 'no list request: the change came by watch');
  });

  it('Enter shows a node with its instance; u moves to the pods table', async () => {
    ui.stdin.write('g');
    await sleep(50);
    ui.stdin.write('\r');
    let f = await frameMatching(ui.lastFrame, /Node ip-10-0-1-10/);
    assert.match(f, /instance i-0aaaaaaaaaaaaaaa1/);
    ui.stdin.write('\x1b');
    await sleep(150);
    ui.stdin.write('u');
    await sleep(50);
    ui.stdin.write('\r');
    f = await frameMatching(ui.lastFrame, /Pod default\/web-1/);
    assert.match(f, /restarts 4/);
    ui.stdin.write('\x1b');
    await sleep(150);
  });

  it('s on a node opens SSH to its instance; a node without one says so', async () => {
    ui.stdin.write('n');
    await sleep(50);
    ui.stdin.write('g');
    await sleep(50);
    ui.stdin.write('s');
    let f = await frameMatching(ui.lastFrame, /connection refused/);
    assert.match(f, /bastion 127\.0\.0\.1:1/);
    ui.stdin.write('j');
    await sleep(50);
    ui.stdin.write('s');
    f = await frameMatching(ui.lastFrame, /No instance of this environment has ip-10-0-2-20's address 10\.0\.2\.20/);
  });

  it('k asks first; n writes nothing; y merges into the kubeconfig with mode 0600 and keeps other entries', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'home', '.kube'), { recursive: true });
    const existing = 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://other.example:6443\nusers:\n- name: other-admin\n  user:\n    token: abc\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other-admin\ncurrent-context: other\n';
    await writeFile(target, existing, { mode: 0o644 });
    ui.stdin.write('k');
    await frameMatching(ui.lastFrame, /Write the cluster of clui into .* as context "clui"/);
    ui.stdin.write('n');
    await frameMatching(ui.lastFrame, /Nothing done/);
    assert.equal(await readFile(target, 'utf8'), existing, 'n writes nothing');
    ui.stdin.write('k');
    await frameMatching(ui.lastFrame, /\(y\/N\)/);
    ui.stdin.write('y');
    const f = await frameMatching(ui.lastFrame, /kubectl now uses context clui/);
    assert.match(f, /backup/);
    const text = await readFile(target, 'utf8');
    assert.match(text, /current-context: clui/);
    assert.match(text, /name: other\b/, 'the other context is kept');
    assert.ok(text.includes(api.url), 'the stand-in server is the clui cluster');
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    ui.stdin.write('\x1b');
    await sleep(150);
  });
});

describe('--ci cluster through the CLI (stand-in Kubernetes API)', { skip }, () => {
  let api: KubeStandin;
  let ws: Workspace;
  before(async () => {
    api = await startKubeStandin();
    api.add('nodes', makeNode('n1', { ip: '10.0.0.1' }));
    api.add('namespaces', makeNamespace('kube-system'));
    api.add('pods', makePod('kube-system', 'etcd-n1', { node: 'n1' }));
    ws = await makeWorkspace('slow');
    await ws.profile('clci');
  });
  after(async () => {
    await api?.stop();
    await ws?.dispose();
  });

  it('exits 0 for a healthy cluster, 2 with an unhealthy pod, 1 on a wrong token, and refuses a local environment without --kubeconfig', async () => {
    const good = join(ws.dir, 'good.conf');
    await writeFile(good, api.kubeconfig());
    let r = await ws.cli(['-e', 'clci', '--ci', 'cluster', '--kubeconfig', good], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1\/1 nodes ready/);
    api.add('pods', makePod('kube-system', 'kube-proxy-bad', { node: 'n1', waiting: 'ImagePullBackOff' }));
    r = await ws.cli(['-e', 'clci', '--ci', 'cluster', '--kubeconfig', good, '--json'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    const j = JSON.parse(r.stdout.trim()) as { unhealthy_pods: { name: string; reason: string }[] };
    assert.deepEqual(j.unhealthy_pods.map((p) => [p.name, p.reason]), [['kube-proxy-bad', 'ImagePullBackOff']]);
    const bad = join(ws.dir, 'bad.conf');
    await writeFile(bad, api.kubeconfig({ token: 'wrong' }));
    r = await ws.cli(['-e', 'clci', '--ci', 'cluster', '--kubeconfig', bad], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: .*(refused|401|Unauthorized|credentials)/i);
    r = await ws.cli(['-e', 'clci', '--local', '--ci', 'cluster'], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /local emulator runs no Kubernetes/);
  });
});
