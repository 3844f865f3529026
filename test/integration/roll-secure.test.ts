/**
 * A roll of the control plane (issue 18), run by the roll's own runner and services against
 * test/support/secure-platform.ts: REAL moto (the auto-scaling group, instances, volumes, network
 * interfaces), REAL sshd hosts reached through an sshd bastion with ssh2, the platform's REAL
 * `attach_free` (bash, AWS CLI) playing each replacement's boot, THE etcdctl STAND-IN (a script
 * whose member list the harness controls) and THE KUBERNETES API STAND-IN.
 * Needs moto, sshd, the AWS CLI and openssl: fails without them when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { readGroup } from '../../src/services/roll/group.js';
import { planRoll } from '../../src/services/roll/plan.js';
import { rollPorts } from '../../src/services/roll/ports.js';
import { rollRecordOf, runRoll, type RollEvent, type RollSettings } from '../../src/services/roll/runner.js';
import { kubeStandinSkipReason } from '../support/kube-standin.js';
import { motoSkipReason } from '../support/moto.js';
import { attachmentsOf, startSecurePlatform, type SecurePlatform } from '../support/secure-platform.js';
import { sshdSkipReason } from '../support/sshd.js';

const cliMissing = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status !== 0;
const skip = (await motoSkipReason()) ?? (await sshdSkipReason()) ?? (await kubeStandinSkipReason()) ?? (cliMissing && process.env['CI'] !== 'true' ? 'SKIPPED: the AWS CLI is missing' : undefined);

const FAST: RollSettings = { drainTimeoutMs: 2_000, disableEviction: false, settleMs: 200, replaceTimeoutMs: 90_000, pollMs: 300 };

describe('roll the control plane: gates, etcd membership, drain, replacement (moto, sshd, attach_free, stand-ins)', { skip, concurrency: 1 }, () => {
  let p: SecurePlatform;
  let version: string;

  before(async () => {
    if (cliMissing) throw new Error('the AWS CLI (`aws`) is missing and CI=true: install it in the CI image');
    p = await startSecurePlatform('rolly');
    version = await p.newVersion();
  });
  after(async () => {
    await p?.stop();
  });

  const ports = () => rollPorts({ aws: p.ctx, layer: 'secure', kube: p.kc, ssh: p.sshSettings, targetOf: (i) => p.targetOf(i) });
  const run = async (settings = FAST) => {
    const plan = planRoll(await readGroup(p.ctx, 'secure'));
    const record = rollRecordOf(plan, { force: false, batch: 1 });
    const events: RollEvent[] = [];
    const outcome = await runRoll(plan, ports(), settings, record, (e) => events.push(e));
    return { plan, record, events, outcome };
  };

  it('the plan names the three instances on version 1', async () => {
    const plan = planRoll(await readGroup(p.ctx, 'secure'));
    assert.equal(plan.version, version);
    assert.equal(plan.batches.length, 3);
    assert.deepEqual(plan.blockers, []);
  });

  it('an unhealthy etcd (2 of 3 members healthy) stops the roll before it starts', async () => {
    const ip = p.slots[1]!.eniIp;
    await p.setUnhealthy(ip, true);
    try {
      const before = (await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort();
      const { outcome, record, events } = await run();
      assert.equal(outcome.outcome, 'failed');
      assert.equal(outcome.reason, `the etcd gate: 2 of 3 members healthy: https://${ip}:2379 unhealthy (context deadline exceeded)`);
      assert.deepEqual(record.stopped, { step: 'gates', reason: outcome.reason });
      assert.deepEqual(events.filter((e) => e.kind === 'gate').map((e) => (e.kind === 'gate' ? `${e.name} ${e.ok}` : '')), ['capacity true', 'cluster true', 'etcd false']);
      assert.equal(events.filter((e) => e.kind === 'step').length, 0, 'no step ran');
      assert.equal(p.kube.requests.filter((r) => r.verb === 'patch' || r.verb === 'evict').length, 0, 'nothing cordoned or evicted');
      assert.deepEqual((await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort(), before, 'nothing terminated');
      assert.equal((await p.members()).length, 3);
    } finally {
      await p.setUnhealthy(ip, false);
    }
  });

  it('an eviction refused by a PodDisruptionBudget stops the roll before any termination, naming the pod', async () => {
    const group = await readGroup(p.ctx, 'secure');
    const first = planRoll(group).batches[0]![0]!.instance;
    const node = (await ports().nodeOf(first))!;
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const pods = await p.kc.makeApiClient(CoreV1Api).listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node.name}` });
    const dns = pods.items.find((x) => x.metadata?.name?.startsWith('coredns-'))!;
    p.kube.refuseEviction('kube-system', dns.metadata!.name!);
    try {
      const { outcome, record } = await run();
      assert.equal(outcome.outcome, 'failed');
      assert.match(outcome.reason ?? '', new RegExp(`^the eviction of pod kube-system/${dns.metadata!.name} from ${node.name} is refused by a PodDisruptionBudget \\(HTTP 429, \\d+ attempts in 2 s\\): the roll stops; ${node.name} stays cordoned and was not terminated$`));
      assert.equal(record.stopped?.step, 'drain');
      assert.equal(record.stopped?.instanceId, first.instanceId);
      assert.deepEqual(record.nodes[0]!.steps.map((s) => `${s.step} ${s.result}`), ['drain failed']);
      assert.deepEqual((await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort(), group.instances.map((i) => i.instanceId).sort(), 'nothing terminated');
      assert.equal((await p.members()).length, 3, 'no member removed');
      assert.ok(!(await p.etcdLog()).some((l) => l.includes('member remove')));
    } finally {
      p.kube.refuseEviction('kube-system', dns.metadata!.name!, 0);
      p.kube.modify('nodes', node.name, (n) => {
        (n.spec as { unschedulable?: boolean }).unschedulable = false;
      });
    }
  });

  it('a 3-node roll completes one node at a time, each member removed (from a peer) before its instance goes; volumes and interfaces end one per zone', async (t) => {
    // The sshd host standing for each old instance (its slot's), to tell that a peer removed its member.
    const hostOf = new Map([...p.slotOf].map(([id, slot]) => [id, `node${p.slots[slot]!.host}`]));
    const t0 = Date.now();
    const { outcome, record, events, plan } = await run();
    t.diagnostic(`roll of 3 nodes: ${Date.now() - t0} ms`);
    assert.equal(outcome.outcome, 'succeeded', outcome.reason);
    assert.equal(outcome.replaced.length, 3);
    assert.equal(record.stopped, undefined);
    // Each node's steps, in order, and each node finished before the next one started.
    const order = plan.batches.map((b) => b[0]!.instance.instanceId);
    assert.deepEqual(record.nodes.map((n) => n.instanceId), order);
    for (const n of record.nodes) {
      assert.deepEqual(
        n.steps.map((s) => `${s.step} ${s.result}`),
        ['drain succeeded', 'etcd-remove succeeded', 'terminate succeeded', 'replaced succeeded', 'attached succeeded', 'ready succeeded', 'etcd-member succeeded', ...(n === record.nodes[2] ? [] : ['settle succeeded'])],
      );
    }
    const stepsInOrder = events.flatMap((e) => (e.kind === 'step' && e.state === 'succeeded' ? [`${e.instanceId} ${e.step}`] : []));
    const lastOf = (id: string) => stepsInOrder.lastIndexOf(`${id} ${id === order[2] ? 'etcd-member' : 'settle'}`);
    const firstOf = (id: string) => stepsInOrder.indexOf(`${id} drain`);
    assert.ok(lastOf(order[0]!) < firstOf(order[1]!) && lastOf(order[1]!) < firstOf(order[2]!), 'one node at a time');
    // The membership: removed before the termination, from a peer, and three members at the end.
    const log = await p.etcdLog();
    const removes = log.filter((l) => / member remove /.test(l));
    assert.equal(removes.length, 3);
    for (const [k, n] of record.nodes.entries()) {
      const removeAt = Date.parse(n.steps.find((s) => s.step === 'etcd-remove')!.at);
      const terminateAt = Date.parse(n.steps.find((s) => s.step === 'terminate')!.at);
      assert.ok(removeAt <= terminateAt, `member of ${n.instanceId} removed before its termination`);
      const ranOn = removes[k]!.split(' ')[0];
      assert.ok(ranOn?.startsWith('node') && ranOn !== hostOf.get(n.instanceId), `the member of ${n.instanceId} (on ${hostOf.get(n.instanceId)}) was removed from a peer: ${removes[k]}`);
      assert.match(removes[k]!, new RegExp(` member remove ${n.steps.find((s) => s.step === 'etcd-remove')!.detail!.split(' ')[1]}$`));
    }
    const members = await p.members();
    assert.equal(members.length, 3);
    assert.deepEqual(new Set(members.map((m) => m.split(', ')[3])), new Set(p.slots.map((s) => `https://${s.eniIp}:2380`)), 'a member per slot address again');
    // The group: three instances, all on the new version, and each slot's volume and interface
    // attached to exactly one of them, a different one per zone.
    const g = await readGroup(p.ctx, 'secure');
    assert.equal(g.instances.length, 3);
    assert.ok(g.instances.every((i) => i.launchTemplateVersion === version), JSON.stringify(g.instances.map((i) => i.launchTemplateVersion)));
    assert.deepEqual(planRoll(g).batches, [], 'nothing left to roll');
    const att = await attachmentsOf(p);
    const live = new Set(g.instances.map((i) => i.instanceId));
    for (const a of att) {
      assert.ok(a.volumeHolder && live.has(a.volumeHolder), `the volume of ${a.slot.zone} is attached to a live instance`);
      assert.equal(a.eniHolder, a.volumeHolder, `the interface of ${a.slot.zone} is with the volume`);
    }
    assert.equal(new Set(att.map((a) => a.volumeHolder)).size, 3, 'one per zone');
    // The Kubernetes side: three Ready nodes, none cordoned; the old ones' nodes are gone.
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const nodes = (await p.kc.makeApiClient(CoreV1Api).listNode()).items;
    assert.equal(nodes.length, 3);
    assert.ok(nodes.every((n) => !n.spec?.unschedulable));
  });
});
