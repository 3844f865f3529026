import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import type { InstanceRow } from '../../src/services/aws/instances.js';
import { KubeError } from '../../src/core/errors.js';
import type { ClusterSnapshot, NodeRow, PodRow } from '../../src/services/kube/cluster.js';
import { clusterPaneRows, type ClusterSlice } from '../../src/panes/cluster/slice.js';
import { ClusterPane, formatAge } from '../../src/panes/cluster/view.js';
import { strip } from '../support/frames.js';

const DAY = 86_400_000;
const now = Date.now();

function node(name: string, ip: string, o: Partial<NodeRow> = {}): NodeRow {
  return { name, ready: 'True', roles: [], kubeletVersion: 'v1.31.4', createdAt: now - 3 * DAY, internalIp: ip, unschedulable: false, ...o };
}
function pod(namespace: string, name: string, reason: string, o: Partial<PodRow> = {}): PodRow {
  return { namespace, name, phase: 'Running', restarts: 0, reason, node: 'ip-10-0-2-20', readyContainers: 0, containers: 1, createdAt: now - DAY, unhealthy: true, ...o };
}
function inst(id: string, privateIp: string): InstanceRow {
  return { id, name: '', role: 'compute', privateIp, publicIp: '', state: 'running', az: 'us-east-1a', launchTime: 0, type: 't3.medium' };
}

const snapshot: ClusterSnapshot = {
  server: 'https://127.0.0.1:16443',
  nodes: [node('ip-10-0-1-10', '10.0.1.10', { roles: ['control-plane'] }), node('ip-10-0-2-20', '10.0.2.20', { ready: 'False' }), node('ip-10-0-2-21', '10.0.2.21')],
  namespaces: [
    { name: 'apps', phase: 'Active', createdAt: 0 },
    { name: 'default', phase: 'Active', createdAt: 0 },
    { name: 'kube-system', phase: 'Active', createdAt: 0 },
  ],
  unhealthyPods: [pod('kube-system', 'coredns-7db6d-abcde', 'CrashLoopBackOff', { restarts: 12 }), pod('apps', 'web-5d8f-qwert', 'ImagePullBackOff')],
  podCount: 40,
  synced: true,
  connected: true,
  lastEventAt: now,
};
const instances = [inst('i-0aaa1111bbbb2222c', '10.0.1.10'), inst('i-0ddd3333eeee4444f', '10.0.2.20')];

describe('ClusterPane', () => {
  it('renders the nodes with their instance, the unhealthy pods kube-system first, and the namespaces', () => {
    const state: ClusterSlice = { snapshot, loading: false, section: 'nodes', source: 's3://kube-prod-secrets/secure/kubeconfig_admin → tunnel' };
    const ui = render(<ClusterPane state={state} instances={instances} filter="" selected={0} width={140} height={16} />);
    const f = strip(ui.lastFrame());
    const lines = f.split('\n');
    assert.match(lines[0]!, /Cluster\s+2\/3 nodes ready · 40 pods · 2 unhealthy · 3 namespaces\s+● live\s+s3:\/\/kube-prod-secrets/);
    assert.match(f, /NAME\s+READY\s+ROLES\s+VERSION\s+AGE INTERNAL IP\s+INSTANCE/);
    assert.match(f, /ip-10-0-1-10\s+Ready\s+control-plane\s+v1\.31\.4\s+3d 10\.0\.1\.10\s+i-0aaa1111bbbb2222c/);
    assert.match(f, /ip-10-0-2-20\s+NotReady\s+<none>\s+v1\.31\.4\s+3d 10\.0\.2\.20\s+i-0ddd3333eeee4444f/);
    assert.match(f, /ip-10-0-2-21\s+Ready\s+<none>.*10\.0\.2\.21\s+-/);
    assert.match(f, /Unhealthy pods\s+2 \(of 40 pods, kube-system first\)/);
    const kubeSystem = lines.findIndex((l) => /kube-system\s+coredns-7db6d-abcde\s+0\/1\s+CrashLoopBackOff\s+12/.test(l));
    const apps = lines.findIndex((l) => /apps\s+web-5d8f-qwert\s+0\/1\s+ImagePullBackOff\s+0/.test(l));
    assert.ok(kubeSystem > 0 && apps > kubeSystem, f);
    assert.match(f, /Namespaces 3: apps default kube-system/);
    ui.unmount();
  });

  it('filters nodes and pods with the same text; the rows helper says what the selection ranges over', () => {
    const state: ClusterSlice = { snapshot, loading: false, section: 'pods' };
    const rows = clusterPaneRows(state, instances, 'i-0ddd');
    assert.deepEqual(rows.nodes.map((n) => n.name), ['ip-10-0-2-20']);
    assert.deepEqual(clusterPaneRows(state, instances, 'imagepull').pods.map((p) => p.name), ['web-5d8f-qwert']);
    const ui = render(<ClusterPane state={state} instances={instances} filter="coredns" selected={0} width={140} height={16} />);
    const f = strip(ui.lastFrame());
    assert.match(f, /filter: coredns/);
    assert.match(f, /no node matches "coredns"/);
    assert.match(f, /Unhealthy pods\s+1 of 2/);
    assert.ok(!f.includes('web-5d8f-qwert'));
    ui.unmount();
  });

  it('shows a window of 200 nodes, a failure with its hint, and the state before any snapshot', () => {
    const many = Array.from({ length: 200 }, (_, i) => node(`node-${String(i).padStart(3, '0')}`, `10.1.${i >> 8}.${i & 255}`));
    const err = new KubeError('the Kubernetes API at https://127.0.0.1:16443 is unreachable: it refused the connection (watch pods)', 'open the tunnel through the bastion', 'unreachable');
    const state: ClusterSlice = { snapshot: { ...snapshot, nodes: many, connected: false, error: err }, loading: false, section: 'nodes' };
    const ui = render(<ClusterPane state={state} instances={[]} filter="" selected={150} width={140} height={20} />);
    const f = strip(ui.lastFrame());
    assert.match(f, /○ reconnecting/);
    assert.match(f, /✗ the Kubernetes API at https:\/\/127\.0\.0\.1:16443 is unreachable.*→ open the tunnel/);
    assert.match(f, /node-150/);
    assert.ok(!f.includes('node-000'), 'rows off the window were rendered');
    assert.match(f, /of 200/);
    assert.ok(f.split('\n').length <= 20, `${f.split('\n').length} lines for a 20-line pane`);
    ui.unmount();

    const loading = render(<ClusterPane state={{ loading: true, section: 'nodes' }} instances={[]} filter="" selected={0} width={100} height={10} />);
    assert.match(strip(loading.lastFrame()), /connecting to the Kubernetes API/);
    loading.unmount();
    const failed = render(<ClusterPane state={{ loading: false, section: 'nodes', error: { text: 'no kubeconfig in s3://b/secure/kubeconfig_admin', hint: 'apply the platform first' } }} instances={[]} filter="" selected={0} width={120} height={10} />);
    assert.match(strip(failed.lastFrame()), /✗ no kubeconfig in s3:\/\/b\/secure\/kubeconfig_admin\s+→ apply the platform first/);
    failed.unmount();
  });

  it('formats ages as kubectl does', () => {
    const t = Date.parse('2025-06-01T00:00:00Z');
    assert.deepEqual([45_000, 30 * 60_000, 5 * 3_600_000, 3 * DAY, 800 * DAY].map((d) => formatAge(t - d, t)), ['45s', '30m', '5h', '3d', '2y']);
    assert.equal(formatAge(0, t), '');
  });
});
