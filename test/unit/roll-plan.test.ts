import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ETCD_COMMANDS, etcdGate, memberAt, parseEndpointHealth, parseMemberList } from '../../src/services/roll/etcd.js';
import type { GroupInstance, NodeGroup } from '../../src/services/roll/group.js';
import { planRoll } from '../../src/services/roll/plan.js';

function inst(id: string, az: string, version: string | undefined, launchTime: string, p: Partial<GroupInstance> = {}): GroupInstance {
  return { instanceId: id, availabilityZone: az, lifecycleState: 'InService', healthStatus: 'Healthy', ...(version ? { launchTemplateVersion: version } : {}), privateIps: [], launchTime, ...p };
}

function group(layer: 'secure' | 'compute', instances: GroupInstance[], desired = instances.length): NodeGroup {
  return { layer, name: `e-${layer}`, launchTemplate: { id: 'lt-1', name: `e-${layer}`, requested: '3', version: '3' }, desired, min: desired, max: desired, instances };
}

describe('roll plan', () => {
  it('rolls only the instances on another version, zones in turn, the oldest first within a zone', () => {
    const g = group('compute', [
      inst('i-a2', 'us-east-1a', '2', '2026-01-02T00:00:00Z'),
      inst('i-a1', 'us-east-1a', '2', '2026-01-01T00:00:00Z'),
      inst('i-b1', 'us-east-1b', '2', '2026-01-03T00:00:00Z'),
      inst('i-c1', 'us-east-1c', '3', '2026-01-04T00:00:00Z'),
      inst('i-c2', 'us-east-1c', undefined, '2026-01-05T00:00:00Z'),
    ]);
    const p = planRoll(g, { batch: 2 });
    assert.deepEqual(
      p.batches.map((b) => b.map((t) => t.instance.instanceId)),
      [['i-a1', 'i-b1'], ['i-c2', 'i-a2']],
    );
    assert.deepEqual(p.current.map((i) => i.instanceId), ['i-c1']);
    assert.equal(p.batches[0]![0]!.reason, 'version 2 → 3');
    assert.equal(p.batches[1]![0]!.reason, 'version unknown → 3');
    assert.deepEqual(p.blockers, []);
    assert.equal(p.version, '3');
  });

  it('--force takes the current ones too; nothing to roll is an empty plan', () => {
    const g = group('secure', [inst('i-1', 'us-east-1a', '3', '2026-01-01T00:00:00Z'), inst('i-2', 'us-east-1b', '3', '2026-01-01T00:00:00Z')]);
    assert.deepEqual(planRoll(g).batches, []);
    const forced = planRoll(g, { force: true });
    assert.deepEqual(forced.batches.map((b) => b.map((t) => `${t.instance.instanceId} ${t.reason}`)), [['i-1 forced (version 3, current)'], ['i-2 forced (version 3, current)']]);
  });

  it('the control plane goes one at a time; a bad --batch is refused', () => {
    const g = group('secure', [inst('i-1', 'us-east-1a', '2', '2026-01-01T00:00:00Z')]);
    assert.throws(() => planRoll(g, { batch: 2 }), /one node at a time/);
    assert.throws(() => planRoll(group('compute', []), { batch: 0 }), /from 1 to 100/);
    assert.throws(() => planRoll(group('compute', []), { batch: 1.5 }), /from 1 to 100, not 1.5/);
  });

  it('a group below its desired capacity, or with an instance not in service, is a blocker named', () => {
    const g = group('secure', [inst('i-1', 'us-east-1a', '2', 'x'), inst('i-2', 'us-east-1b', '3', 'y', { lifecycleState: 'Pending' })], 3);
    const p = planRoll(g);
    assert.deepEqual(p.blockers, ['e-secure has 1 healthy instance in service, not its desired 3', 'i-2 (us-east-1b) is Pending and Healthy']);
  });
});

const MEMBERS = [
  '8e9e05c52164694d, started, ip-10-0-1-10, https://10.0.1.10:2380, https://10.0.1.10:2379, false',
  'fd422379fda50e48, started, ip-10-0-2-10, https://10.0.2.10:2380, https://10.0.2.10:2379,https://127.0.0.1:2379, false',
  '91bc3c398fb3c146, unstarted, , https://10.0.3.10:2380, , false',
].join('\n');

describe('etcd: commands, parsers and the gate', () => {
  it('member list -w simple: hex IDs, URLs split, an unstarted member with no name', () => {
    const m = parseMemberList(`${MEMBERS}\n`);
    assert.equal(m.length, 3);
    assert.deepEqual(m[1], { id: 'fd422379fda50e48', status: 'started', name: 'ip-10-0-2-10', peerUrls: ['https://10.0.2.10:2380'], clientUrls: ['https://10.0.2.10:2379', 'https://127.0.0.1:2379'], isLearner: false });
    assert.deepEqual(m[2]!.clientUrls, []);
    assert.throws(() => parseMemberList('Error: context deadline exceeded'), /not a line of etcdctl member list/);
  });

  it('the member of a node is found by any of its private addresses (the slot interface is not the primary)', () => {
    const m = parseMemberList(MEMBERS);
    assert.equal(memberAt(m, ['10.0.2.55', '10.0.2.10'])?.id, 'fd422379fda50e48');
    assert.equal(memberAt(m, ['10.0.9.9']), undefined);
  });

  it('endpoint health: healthy and not, with the error kept', () => {
    const h = parseEndpointHealth('[{"endpoint":"https://10.0.1.10:2379","health":true,"took":"9ms"},{"endpoint":"https://10.0.2.10:2379","health":false,"took":"5s","error":"context deadline exceeded"}]');
    assert.deepEqual(h, [{ endpoint: 'https://10.0.1.10:2379', health: true }, { endpoint: 'https://10.0.2.10:2379', health: false, error: 'context deadline exceeded' }]);
    assert.throws(() => parseEndpointHealth('{"endpoint":"x"}'), /did not print an array/);
    assert.throws(() => parseEndpointHealth('oops'), /not the JSON/);
  });

  it('the gate: all started, the expected count, every endpoint healthy; else it says what is wrong', () => {
    const started = parseMemberList(MEMBERS.split('\n').slice(0, 2).join('\n'));
    const healthy = [{ endpoint: 'a', health: true }, { endpoint: 'b', health: true }];
    assert.deepEqual(etcdGate(started, healthy, 2), { ok: true, detail: '2 of 2 members healthy' });
    assert.deepEqual(etcdGate(started, healthy, 3), { ok: false, detail: '2 of 2 members healthy: 2 members, not 3' });
    const twoOfThree = etcdGate(parseMemberList(MEMBERS), [...healthy, { endpoint: 'https://10.0.3.10:2379', health: false, error: 'refused' }], 3);
    assert.equal(twoOfThree.ok, false);
    assert.equal(twoOfThree.detail, '2 of 3 members healthy: 91bc3c398fb3c146 is unstarted; https://10.0.3.10:2379 unhealthy (refused)');
  });

  it('commands carry kubeadm\'s certificates and refuse a word that is not an ID', () => {
    assert.match(ETCD_COMMANDS.health, /^sudo -n env ETCDCTL_API=3 etcdctl --endpoints=https:\/\/127\.0\.0\.1:2379 --cacert=\/etc\/kubernetes\/pki\/etcd\/ca\.crt --cert=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.crt --key=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.key --command-timeout=10s endpoint health --cluster -w json$/);
    assert.match(ETCD_COMMANDS.remove('8e9e05c52164694d'), / member remove 8e9e05c52164694d$/);
    assert.throws(() => ETCD_COMMANDS.remove('8e9e; rm -rf /'), /not an etcd member ID/);
  });
});

describe('resuming a roll from its record', () => {
  it('the half-done node is its last one; its replacement, once named, is what to wait for (not known); a finished roll has none', async () => {
    const { resumeOf } = await import('../../src/services/roll/runner.js');
    const at = '2026-11-29T12:00:00Z';
    const ok = (step: string) => ({ step, result: 'succeeded' as const, at });
    const base = { layer: 'secure' as const, group: 'e-secure', version: '2', force: false, batch: 1, planned: ['i-1', 'i-2', 'i-3'] };
    const done = { instanceId: 'i-1', availabilityZone: 'a', replacement: 'i-9', steps: ['drain', 'etcd-remove', 'terminate', 'replaced', 'attached', 'ready', 'etcd-member'].map(ok) };
    const half = { instanceId: 'i-2', availabilityZone: 'b', replacement: 'i-8', steps: ['drain', 'etcd-remove', 'terminate', 'replaced'].map(ok) };
    assert.deepEqual(resumeOf({ ...base, nodes: [done, half] }), { instanceId: 'i-2', availabilityZone: 'b', memberRemoved: true, known: ['i-1', 'i-2', 'i-3', 'i-9'] });
    assert.equal(resumeOf({ ...base, nodes: [done, { ...half, steps: [ok('drain')] }] })?.memberRemoved, false, 'only drained: its member was not removed');
    assert.equal(resumeOf({ ...base, nodes: [done] }), undefined);
    assert.equal(resumeOf({ ...base, nodes: [] }), undefined);
    assert.equal(resumeOf({ ...base, layer: 'compute', nodes: [{ ...half, steps: ['drain', 'terminate', 'replaced', 'ready'].map(ok) }] }), undefined, 'a worker is done once Ready');
  });
});

describe('the count of instances a roll replaced', () => {
  it('counts every replacement, lists the pairs when asked, and names the ones not verified', async () => {
    const { replacedText } = await import('../../src/core/roll-text.js');
    assert.equal(replacedText([], { pairs: true }), '0 instances replaced');
    assert.equal(replacedText([{ from: 'i-1', to: 'i-9', verified: true }], { pairs: true }), '1 instance replaced (i-1 → i-9)');
    const two = [
      { from: 'i-1', to: 'i-9', verified: true },
      { from: 'i-2', to: 'i-8', verified: false },
    ];
    assert.equal(replacedText(two, { pairs: false }), '2 instances replaced; i-8 not verified: the roll stopped before its checks passed');
    assert.equal(replacedText(two.map((r) => ({ ...r, verified: false })), { pairs: true }), '2 instances replaced (i-1 → i-9, i-2 → i-8); i-9, i-8 not verified: the roll stopped before their checks passed');
  });
});
