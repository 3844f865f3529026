/**
 * The Cluster service with the real `@kubernetes/client-node`, against a STAND-IN for
 * kube-apiserver (test/support/kube-standin.ts: a loopback HTTPS server of the suite's own that
 * speaks the Kubernetes API's JSON for nodes, namespaces and pods; no kube-apiserver can be
 * installed on these machines). Covers: the pane's rows, watch events updating them, 410 Gone
 * making the watcher list again (in both forms the API uses), no polling, coalesced snapshots,
 * a clean stop; a wrong token, a wrong CA, a certificate name fixed by tls-server-name, a refused
 * port and a hung server; `--ci cluster` exit codes and JSON.
 * Needs the openssl CLI (certificates): fails without it when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { runCiCluster } from '../../src/cli/ci-kube.js';
import { KubeError } from '../../src/core/errors.js';
import { ClusterWatcher, fetchClusterSummary, type ClusterSnapshot } from '../../src/services/kube/cluster.js';
import { loadKubeconfig, rewriteServer } from '../../src/services/kube/kubeconfig.js';
import { freePort } from '../../src/services/local/emulator.js';
import { kubeStandinSkipReason, makeNamespace, makeNode, makePod, startKubeStandin, startSilentServer, type KubeStandin } from '../support/kube-standin.js';

const skip = await kubeStandinSkipReason();

/** A small platform: a control-plane node and two workers, system pods, two unhealthy ones. */
function seed(s: KubeStandin): void {
  s.add('nodes', makeNode('ip-10-0-1-10', { roles: ['control-plane'], ip: '10.0.1.10', version: 'v1.31.4', createdAt: Date.parse('2025-01-02T03:04:05Z') }));
  s.add('nodes', makeNode('ip-10-0-2-20', { ip: '10.0.2.20' }));
  s.add('nodes', makeNode('ip-10-0-2-21', { ip: '10.0.2.21' }));
  for (const ns of ['default', 'kube-system', 'apps']) s.add('namespaces', makeNamespace(ns));
  s.add('pods', makePod('kube-system', 'coredns-7db6d-abcde', { node: 'ip-10-0-1-10' }));
  s.add('pods', makePod('kube-system', 'kube-proxy-x1y2z', { node: 'ip-10-0-2-20' }));
  s.add('pods', makePod('apps', 'web-5d8f-qwert', { node: 'ip-10-0-2-20', waiting: 'CrashLoopBackOff', restarts: 7 }));
  s.add('pods', makePod('kube-system', 'metrics-server-abcde', { phase: 'Pending' }));
  s.add('pods', makePod('apps', 'job-done-zzzzz', { phase: 'Succeeded', node: 'ip-10-0-2-21' }));
}

/** Follows a watcher's snapshots; `until` waits for one that satisfies `pred`. */
function follow(w: ClusterWatcher): { all: ClusterSnapshot[]; latest(): ClusterSnapshot | undefined; until(pred: (s: ClusterSnapshot) => boolean, ms?: number): Promise<ClusterSnapshot> } {
  const all: ClusterSnapshot[] = [];
  w.onSnapshot((s) => all.push(s));
  return {
    all,
    latest: () => all.at(-1),
    async until(pred, ms = 5_000) {
      const end = Date.now() + ms;
      for (;;) {
        const s = all.at(-1);
        if (s && pred(s)) return s;
        if (Date.now() > end) throw new Error(`no snapshot matched in ${ms} ms; last: ${JSON.stringify(s && { nodes: s.nodes, unhealthy: s.unhealthyPods.map((p) => p.name), error: s.error?.message })}`);
        await sleep(10);
      }
    },
  };
}

describe('the Cluster service against a stand-in for kube-apiserver (real client-node)', { skip }, () => {
  let s: KubeStandin;
  let w: ClusterWatcher;
  let snaps: ReturnType<typeof follow>;

  before(async () => {
    s = await startKubeStandin();
    seed(s);
    w = new ClusterWatcher(loadKubeconfig(s.kubeconfig()));
    snaps = follow(w);
    w.start();
  });
  after(async () => {
    await w?.stop();
    await s?.stop();
  });

  it('lists nodes, namespaces and unhealthy pods into the pane\'s rows', async () => {
    const snap = await snaps.until((x) => x.synced);
    assert.equal(snap.connected, true);
    assert.equal(snap.error, undefined);
    assert.equal(snap.server, s.url);
    assert.deepEqual(
      snap.nodes.map((n) => [n.name, n.ready, n.roles.join(','), n.internalIp]),
      [
        ['ip-10-0-1-10', 'True', 'control-plane', '10.0.1.10'],
        ['ip-10-0-2-20', 'True', '', '10.0.2.20'],
        ['ip-10-0-2-21', 'True', '', '10.0.2.21'],
      ],
    );
    assert.equal(snap.nodes[0]!.kubeletVersion, 'v1.31.4');
    assert.equal(snap.nodes[0]!.createdAt, Date.parse('2025-01-02T03:04:05Z'));
    assert.deepEqual(snap.namespaces.map((n) => n.name), ['apps', 'default', 'kube-system']);
    assert.equal(snap.podCount, 5);
    // kube-system first; the completed job and the running pods are healthy.
    assert.deepEqual(
      snap.unhealthyPods.map((p) => [p.namespace, p.name, p.phase, p.reason, p.restarts]),
      [
        ['kube-system', 'metrics-server-abcde', 'Pending', 'Pending', 0],
        ['apps', 'web-5d8f-qwert', 'Running', 'CrashLoopBackOff', 7],
      ],
    );
    assert.deepEqual(w.stats().lists, { nodes: 1, namespaces: 1, pods: 1 });
    assert.ok(snap.lastEventAt > 0);
  });

  it('applies watch events: a node turns NotReady, an unhealthy pod appears, a deleted one goes; no polling', async () => {
    await snaps.until((x) => x.synced);
    await waitFor(() => s.openWatches() === 3, 'three open watches');
    const lists = s.listCount();
    s.modify('nodes', 'ip-10-0-2-20', (o) => {
      const conds = (o.status as { conditions: { type: string; status: string }[] }).conditions;
      conds.find((c) => c.type === 'Ready')!.status = 'False';
    });
    let snap = await snaps.until((x) => x.nodes.find((n) => n.name === 'ip-10-0-2-20')?.ready === 'False');
    assert.equal(snap.nodes.filter((n) => n.ready === 'True').length, 2);

    s.add('pods', makePod('kube-system', 'aws-node-pull1', { node: 'ip-10-0-2-21', waiting: 'ImagePullBackOff' }));
    snap = await snaps.until((x) => x.unhealthyPods.some((p) => p.name === 'aws-node-pull1'));
    assert.equal(snap.unhealthyPods[0]!.namespace, 'kube-system');
    assert.equal(snap.unhealthyPods.find((p) => p.name === 'aws-node-pull1')!.reason, 'ImagePullBackOff');

    s.remove('pods', 'web-5d8f-qwert', 'apps');
    snap = await snaps.until((x) => !x.unhealthyPods.some((p) => p.name === 'web-5d8f-qwert'));
    assert.equal(snap.podCount, 5);

    // Seen through the open watches: not one more LIST (no polling), no new WATCH.
    await sleep(300);
    assert.equal(s.listCount(), lists, 'the watcher listed again although its watches were open');
    assert.equal(s.watchCount(), 3);
  });

  it('410 Gone in a watch ERROR event (the API\'s way): the watcher lists again and sees what it missed', async () => {
    await snaps.until((x) => x.synced);
    const before = { nodes: s.listCount('nodes'), pods: s.listCount('pods'), relists: w.stats().relists };
    s.expire(() => {
      s.add('pods', makePod('kube-system', 'ebs-csi-oom01', { node: 'ip-10-0-1-10', waiting: 'CrashLoopBackOff', restarts: 2 }));
      s.modify('nodes', 'ip-10-0-2-20', (o) => {
        (o.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')!.status = 'True';
      });
    });
    const snap = await snaps.until((x) => x.unhealthyPods.some((p) => p.name === 'ebs-csi-oom01') && x.nodes.every((n) => n.ready === 'True'));
    assert.ok(s.requests.some((r) => r.verb === 'watch' && r.status === 410), 'the stand-in never answered 410');
    assert.equal(s.listCount('nodes'), before.nodes + 1);
    assert.equal(s.listCount('pods'), before.pods + 1);
    assert.ok(w.stats().relists >= before.relists + 2, `relists ${w.stats().relists}`);
    assert.equal(snap.connected, true);
  });

  it('410 Gone as an HTTP answer: the same relist', async () => {
    s.goneAs = 'http';
    try {
      const lists = s.listCount('namespaces');
      s.expire(() => s.add('namespaces', makeNamespace('monitoring')));
      await snaps.until((x) => x.namespaces.some((n) => n.name === 'monitoring'));
      assert.equal(s.listCount('namespaces'), lists + 1);
    } finally {
      s.goneAs = 'event';
    }
  });

  it('coalesces: 600 pod events in one burst make a handful of snapshots, not 600', async () => {
    await snaps.until((x) => x.synced);
    await waitFor(() => s.openWatches() === 3, 'three open watches');
    const n0 = snaps.all.length;
    const t0 = Date.now();
    for (let i = 0; i < 600; i++) s.add('pods', makePod('apps', `burst-${String(i).padStart(3, '0')}`, { phase: i % 2 ? 'Running' : 'Pending', node: 'ip-10-0-2-21' }));
    const snap = await snaps.until((x) => x.podCount >= 606 && x.unhealthyPods.filter((p) => p.name.startsWith('burst-')).length === 300);
    const took = Date.now() - t0;
    const made = snaps.all.length - n0;
    assert.ok(made >= 1 && made <= Math.ceil(took / 50) + 2, `${made} snapshots in ${took} ms`);
    assert.equal(snap.unhealthyPods[0]!.namespace, 'kube-system');
  });

  it('stop() ends every watch: the stand-in sees no open stream', async () => {
    const w2 = new ClusterWatcher(loadKubeconfig(s.kubeconfig()));
    const f = follow(w2);
    const open0 = s.openWatches();
    w2.start();
    await f.until((x) => x.synced);
    await waitFor(() => s.openWatches() === open0 + 3, 'the second watcher\'s three watches');
    await w2.stop();
    await waitFor(() => s.openWatches() === open0, 'the watches to close');
  });
});

async function waitFor(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('Kubernetes API failures, with the stand-in and plain sockets', { skip }, () => {
  let s: KubeStandin;
  before(async () => {
    s = await startKubeStandin();
    seed(s);
  });
  after(() => s?.stop());

  it('a wrong token: an auth KubeError that says the credentials were refused', async () => {
    await assert.rejects(fetchClusterSummary(loadKubeconfig(s.kubeconfig({ token: 'not-the-token' }))), (err: unknown) => {
      assert.ok(err instanceof KubeError, String(err));
      assert.equal(err.reason, 'auth');
      assert.match(err.message, /refused the credentials \(HTTP 401 Unauthorized\)/);
      assert.match(err.hint, /kubeconfig/);
      return true;
    });
    // The watcher reports it in the snapshot and keeps going.
    const w = new ClusterWatcher(loadKubeconfig(s.kubeconfig({ token: 'nope' })), { retryBaseMs: 100 });
    const f = follow(w);
    w.start();
    try {
      const snap = await f.until((x) => x.error !== undefined);
      assert.equal(snap.error!.reason, 'auth');
      assert.equal(snap.connected, false);
      assert.equal(snap.synced, false);
    } finally {
      await w.stop();
    }
  });

  it('a wrong CA: a TLS KubeError that names the CA', async () => {
    await assert.rejects(fetchClusterSummary(loadKubeconfig(s.kubeconfig({ ca: 'other' }))), (err: unknown) => {
      assert.ok(err instanceof KubeError, String(err));
      assert.equal(err.reason, 'tls');
      assert.match(err.message, /does not verify against the kubeconfig's CA/);
      return true;
    });
  });

  it('a certificate made for the API\'s DNS name: fails on 127.0.0.1, works once rewriteServer sets tls-server-name', async () => {
    const named = await startKubeStandin({ sans: ['DNS:kubeapi.platform.internal'] });
    try {
      seed(named);
      const direct = named.kubeconfig();
      await assert.rejects(fetchClusterSummary(loadKubeconfig(direct)), (err: unknown) => err instanceof KubeError && err.reason === 'tls' && /not valid for this address/.test(err.message));
      // The kubeconfig as the platform writes it names the API by DNS; the tunnel listens on 127.0.0.1.
      const original = named.kubeconfig({ server: `https://kubeapi.platform.internal:${named.port}` });
      const tunneled = rewriteServer(original, named.url);
      assert.match(tunneled, /tls-server-name: kubeapi\.platform\.internal/);
      const { summary } = await fetchClusterSummary(loadKubeconfig(tunneled));
      assert.deepEqual(summary, { nodesReady: 3, nodesTotal: 3, unhealthyPods: 2, namespaces: 3 });
    } finally {
      await named.stop();
    }
  });

  it('a refused port: unreachable, at once', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(fetchClusterSummary(loadKubeconfig(s.kubeconfig({ server: `https://127.0.0.1:${port}` }))), (err: unknown) => {
      assert.ok(err instanceof KubeError, String(err));
      assert.equal(err.reason, 'unreachable');
      assert.match(err.message, new RegExp(`the Kubernetes API at https://127\\.0\\.0\\.1:${port} is unreachable: it refused the connection`));
      return true;
    });
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  });

  it('a server that accepts and never answers: unreachable within the deadline', async () => {
    const silent = await startSilentServer();
    try {
      const t0 = Date.now();
      await assert.rejects(fetchClusterSummary(loadKubeconfig(s.kubeconfig({ server: silent.url })), { timeoutMs: 1_500 }), (err: unknown) => {
        assert.ok(err instanceof KubeError, String(err));
        assert.equal(err.reason, 'unreachable');
        assert.match(err.message, /is unreachable: it did not answer within 1\.5 s/);
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took >= 1_400 && took < 4_000, `took ${took} ms`);
    } finally {
      await silent.stop();
    }
  });
});

describe('--ci cluster (runCiCluster) against the stand-in', { skip }, () => {
  let sick: KubeStandin;
  let well: KubeStandin;
  before(async () => {
    [sick, well] = await Promise.all([startKubeStandin(), startKubeStandin()]);
    seed(sick);
    well.add('nodes', makeNode('ip-10-0-1-10', { roles: ['control-plane'] }));
    well.add('namespaces', makeNamespace('kube-system'));
    well.add('pods', makePod('kube-system', 'coredns-aaaaa', { node: 'ip-10-0-1-10' }));
  });
  after(async () => {
    await sick?.stop();
    await well?.stop();
  });

  const capture = () => {
    const o = { out: [] as string[], err: [] as string[] };
    return { o, io: { stdout: (l: string) => o.out.push(l), stderr: (l: string) => o.err.push(l) } };
  };

  it('exit 0 and a one-line summary when all is well', async () => {
    const { o, io } = capture();
    assert.equal(await runCiCluster({ kubeconfigText: well.kubeconfig(), json: false }, io), 0);
    assert.deepEqual(o.out, [`cluster ${well.url}: 1/1 nodes ready, 1 namespaces, 1 pods, 0 unhealthy`]);
    assert.deepEqual(o.err, []);
  });

  it('exit 2 with each unhealthy pod on its line; the same as one JSON object', async () => {
    const { o, io } = capture();
    assert.equal(await runCiCluster({ kubeconfigText: sick.kubeconfig(), json: false }, io), 2);
    assert.equal(o.out[0], `cluster ${sick.url}: 3/3 nodes ready, 3 namespaces, 5 pods, 2 unhealthy`);
    assert.deepEqual(o.out.slice(1), ['unhealthy: kube-system/metrics-server-abcde Pending restarts=0 node=-', 'unhealthy: apps/web-5d8f-qwert CrashLoopBackOff restarts=7 node=ip-10-0-2-20']);

    const j = capture();
    assert.equal(await runCiCluster({ kubeconfigText: sick.kubeconfig(), json: true }, j.io), 2);
    assert.equal(j.o.out.length, 1);
    const obj = JSON.parse(j.o.out[0]!) as Record<string, unknown>;
    assert.equal(obj.type, 'cluster');
    assert.equal(obj.ok, false);
    assert.equal(obj.exit_code, 2);
    assert.equal(obj.nodes_ready, 3);
    assert.equal(obj.nodes_total, 3);
    assert.deepEqual((obj.unhealthy_pods as { name: string }[]).map((p) => p.name), ['metrics-server-abcde', 'web-5d8f-qwert']);
  });

  it('exit 1 with the reason: refused token, unreachable API (in JSON too)', async () => {
    const a = capture();
    assert.equal(await runCiCluster({ kubeconfigText: sick.kubeconfig({ token: 'bad' }), json: false }, a.io), 1);
    assert.match(a.o.err.join('\n'), /^error: the Kubernetes API at .* refused the credentials/m);
    assert.deepEqual(a.o.out, []);

    const port = await freePort();
    const b = capture();
    const t0 = Date.now();
    assert.equal(await runCiCluster({ kubeconfigText: sick.kubeconfig({ server: `https://127.0.0.1:${port}` }), json: true }, b.io), 1);
    assert.ok(Date.now() - t0 < 5_000);
    const obj = JSON.parse(b.o.out[0]!) as Record<string, unknown>;
    assert.equal(obj.ok, false);
    assert.equal(obj.exit_code, 1);
    assert.equal(obj.reason, 'unreachable');
    assert.match(String(obj.error), /is unreachable/);
    assert.match(b.o.err.join('\n'), /^hint: /m);
  });

  it('exit 1 on a kubeconfig that is not one', async () => {
    const { o, io } = capture();
    assert.equal(await runCiCluster({ kubeconfigText: 'clusters: [', json: false, source: 'bad.yaml' }, io), 1);
    assert.match(o.err.join('\n'), /the kubeconfig bad\.yaml is not valid YAML/);
  });
});
