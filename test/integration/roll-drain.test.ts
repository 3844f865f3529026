/**
 * The Kubernetes side of a roll (issue 18): the cluster gate, the node of an instance, and drain
 * (cordon, the Eviction API, a PodDisruptionBudget's 429) with the real `@kubernetes/client-node`
 * against THE KUBERNETES API STAND-IN of test/support/kube-standin.ts (no kube-apiserver can be had
 * here): it answers the node PATCH, the pod eviction subresource (201, or 429 for a pod the test
 * makes refuse) and pod DELETE as the API server does.
 * Needs the openssl CLI (certificates): fails without it when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { KubeConfig } from '@kubernetes/client-node';

import { loadKubeconfig } from '../../src/services/kube/kubeconfig.js';
import { clusterGate, deleteNode, drain, instanceOfProviderId, nodeOfInstance, RollError } from '../../src/services/roll/kube.js';
import { kubeStandinSkipReason, makeNamespace, makeNode, makePod, startKubeStandin, type KubeStandin } from '../support/kube-standin.js';

const skip = await kubeStandinSkipReason();

describe('roll: gate, node and drain against the Kubernetes API stand-in (real client-node)', { skip }, () => {
  let api: KubeStandin;
  let kc: KubeConfig;

  before(async () => {
    api = await startKubeStandin();
    kc = loadKubeconfig(api.kubeconfig());
  });
  after(async () => {
    await api?.stop();
  });

  /** A fresh cluster: two nodes, and on w-1 an app pod, a DaemonSet pod, a static pod and a finished job's pod. */
  beforeEach(() => {
    // The stand-in has no reset: the objects are removed one by one, and the request log emptied.
    api.requests.splice(0);
    for (const [name, ns] of [['web-7d9f8', 'default'], ['kube-proxy-abcde', 'kube-system'], ['kube-apiserver-w-1', 'kube-system'], ['job-x1y2z', 'default'], ['other-12345', 'default']] as const) {
      try {
        api.remove('pods', name, ns);
      } catch {
        /* not there yet */
      }
    }
    for (const n of ['cp-1', 'w-1']) {
      try {
        api.remove('nodes', n);
      } catch {
        /* not there yet */
      }
    }
    for (const ns of ['default', 'kube-system']) {
      try {
        api.remove('namespaces', ns);
      } catch {
        /* not there yet */
      }
    }
    api.add('namespaces', makeNamespace('default'));
    api.add('namespaces', makeNamespace('kube-system'));
    api.add('nodes', makeNode('cp-1', { roles: ['control-plane'], providerID: 'aws:///us-east-1a/i-0cafe0001' }));
    api.add('nodes', makeNode('w-1', { providerID: 'aws:///us-east-1b/i-0beef0002' }));
    api.add('pods', makePod('default', 'web-7d9f8', { node: 'w-1', owner: { kind: 'ReplicaSet', name: 'web-7d9f' } }));
    api.add('pods', makePod('kube-system', 'kube-proxy-abcde', { node: 'w-1', owner: { kind: 'DaemonSet', name: 'kube-proxy' } }));
    api.add('pods', makePod('kube-system', 'kube-apiserver-w-1', { node: 'w-1', mirror: true }));
    api.add('pods', makePod('default', 'job-x1y2z', { node: 'w-1', phase: 'Succeeded' }));
    api.add('pods', makePod('default', 'other-12345', { node: 'cp-1' }));
  });

  it('the node of an instance is found by its providerID', async () => {
    assert.equal(instanceOfProviderId('aws:///us-east-1b/i-0beef0002'), 'i-0beef0002');
    assert.equal(instanceOfProviderId('kind://docker/x'), '');
    assert.deepEqual(await nodeOfInstance(kc, { instanceId: 'i-0beef0002', privateIps: [] }), { name: 'w-1', ready: true, unschedulable: false, instanceId: 'i-0beef0002' });
    assert.equal(await nodeOfInstance(kc, { instanceId: 'i-0nothere', privateIps: [] }), undefined);
  });

  it('with no providerID (kubeadm, no cloud controller): by an address of the instance, on a node created after its launch', async () => {
    const launch = Date.parse('2026-11-29T10:00:00Z');
    api.add('nodes', makeNode('ip-10-0-2-44-old', { providerID: '', ip: '10.0.2.44', createdAt: launch - 3_600_000 }));
    try {
      const ref = { instanceId: 'i-0new', privateIps: ['10.0.2.7', '10.0.2.44'], launchTime: new Date(launch).toISOString() };
      assert.equal(await nodeOfInstance(kc, ref), undefined, 'an older instance\'s node at the same slot address is not this one');
      api.add('nodes', makeNode('ip-10-0-2-44', { providerID: '', ip: '10.0.2.44', createdAt: launch + 90_000 }));
      assert.equal((await nodeOfInstance(kc, ref))?.name, 'ip-10-0-2-44');
      await deleteNode(kc, 'ip-10-0-2-44');
      await deleteNode(kc, 'ip-10-0-2-44'); // gone already: fine
      assert.equal(await nodeOfInstance(kc, ref), undefined);
    } finally {
      api.remove('nodes', 'ip-10-0-2-44-old');
    }
  });

  it('the cluster gate passes when all is well and names what is not', async () => {
    assert.deepEqual(await clusterGate(kc), { ok: true, detail: '2 of 2 nodes Ready, no kube-system pod unhealthy' });
    api.modify('nodes', 'w-1', (n) => {
      const c = (n.status as { conditions: { type: string; status: string }[] }).conditions.find((x) => x.type === 'Ready')!;
      c.status = 'False';
    });
    api.add('pods', makePod('kube-system', 'coredns-5d78c', { node: 'cp-1', waiting: 'CrashLoopBackOff', restarts: 7 }));
    const g = await clusterGate(kc);
    assert.equal(g.ok, false);
    assert.equal(g.detail, '1 of 2 nodes Ready; not Ready: w-1 (False); kube-system pods unhealthy: coredns-5d78c (CrashLoopBackOff)');
    api.remove('pods', 'coredns-5d78c', 'kube-system');
  });

  it('drain cordons, evicts only what kubectl drain evicts, and waits for it to be gone', async () => {
    const lines: string[] = [];
    const r = await drain(kc, 'w-1', { timeoutMs: 5_000, retryMs: 100, onProgress: (t) => lines.push(t) });
    assert.deepEqual(r.evicted, ['default/web-7d9f8']);
    assert.deepEqual(r.skipped.sort((a, b) => a.pod.localeCompare(b.pod)), [
      { pod: 'default/job-x1y2z', why: 'ended (Succeeded)' },
      { pod: 'kube-system/kube-apiserver-w-1', why: 'a static pod (mirror)' },
      { pod: 'kube-system/kube-proxy-abcde', why: 'managed by a DaemonSet' },
    ]);
    assert.deepEqual(lines, ['cordoned w-1', 'evicted default/web-7d9f8']);
    const node = await nodeOfInstance(kc, { instanceId: 'i-0beef0002', privateIps: [] });
    assert.equal(node?.unschedulable, true, 'cordoned');
    const evictions = api.requests.filter((q) => q.verb === 'evict');
    assert.deepEqual(evictions.map((q) => q.path), ['/api/v1/namespaces/default/pods/web-7d9f8/eviction']);
    assert.equal(api.requests.filter((q) => q.verb === 'delete').length, 0, 'no pod deleted');
    const list = api.requests.find((q) => q.verb === 'list' && q.kind === 'pods');
    assert.equal(list?.query.fieldSelector, 'spec.nodeName=w-1');
    assert.equal(api.requests.find((q) => q.verb === 'patch')?.path, '/api/v1/nodes/w-1');
  });

  it('an eviction a PodDisruptionBudget refuses past the drain timeout stops the drain, naming the pod; nothing is deleted', async () => {
    api.refuseEviction('default', 'web-7d9f8');
    const lines: string[] = [];
    await assert.rejects(drain(kc, 'w-1', { timeoutMs: 1_000, retryMs: 200, onProgress: (t) => lines.push(t) }), (err: unknown) => {
      assert.ok(err instanceof RollError);
      assert.match(err.message, /^the eviction of pod default\/web-7d9f8 from w-1 is refused by a PodDisruptionBudget \(HTTP 429, \d+ attempts in 1 s\): the roll stops; w-1 stays cordoned and was not terminated$/);
      assert.match(err.hint ?? '', /--disable-eviction/);
      return true;
    });
    assert.ok(lines.some((l) => l.startsWith('waiting: a PodDisruptionBudget refuses the eviction of default/web-7d9f8 (attempt 1)')), lines.join('\n'));
    assert.ok(api.requests.filter((q) => q.verb === 'evict' && q.status === 429).length >= 2);
    assert.equal(api.requests.filter((q) => q.verb === 'delete').length, 0, 'never a forced delete');
    assert.equal((await nodeOfInstance(kc, { instanceId: 'i-0beef0002', privateIps: [] }))?.unschedulable, true);
    api.refuseEviction('default', 'web-7d9f8', 0);
  });

  it('a budget that allows the eviction on a later try lets the drain finish', async () => {
    api.refuseEviction('default', 'web-7d9f8', 2);
    const r = await drain(kc, 'w-1', { timeoutMs: 5_000, retryMs: 100 });
    assert.deepEqual(r.evicted, ['default/web-7d9f8']);
    assert.deepEqual(api.requests.filter((q) => q.verb === 'evict').map((q) => q.status), [429, 429, 201]);
  });

  it('--disable-eviction deletes instead of evicting', async () => {
    api.refuseEviction('default', 'web-7d9f8');
    const r = await drain(kc, 'w-1', { timeoutMs: 5_000, retryMs: 100, disableEviction: true });
    assert.deepEqual(r.evicted, ['default/web-7d9f8']);
    assert.equal(api.requests.filter((q) => q.verb === 'evict').length, 0);
    assert.deepEqual(api.requests.filter((q) => q.verb === 'delete').map((q) => q.path), ['/api/v1/namespaces/default/pods/web-7d9f8']);
    api.refuseEviction('default', 'web-7d9f8', 0);
  });
});
