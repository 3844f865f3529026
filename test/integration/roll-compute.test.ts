/**
 * A roll of the workers in batches (issue 18): `ENV-compute` with 4 instances on REAL moto, the
 * nodes in THE KUBERNETES API STAND-IN; the harness plays each replacement's kubeadm join (a Ready
 * node with its providerID) and removes a terminated instance's node, as the cloud controller does.
 * `--batch 2`: two batches, each drained whole before its instances are terminated; no etcd step.
 * Needs moto and openssl: fails without them when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';

import type { AwsContext } from '../../src/services/aws/context.js';
import { loadKubeconfig } from '../../src/services/kube/kubeconfig.js';
import { readGroup } from '../../src/services/roll/group.js';
import { planRoll } from '../../src/services/roll/plan.js';
import { rollPorts } from '../../src/services/roll/ports.js';
import { replacedText } from '../../src/core/roll-text.js';
import { rollRecordOf, runRoll, type RollEvent } from '../../src/services/roll/runner.js';
import { kubeStandinSkipReason, makeNamespace, makeNode, makePod, startKubeStandin, type KubeStandin } from '../support/kube-standin.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = (await motoSkipReason()) ?? (await kubeStandinSkipReason());
const ENV = 'workers';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('roll the workers in batches of 2 (moto, the Kubernetes API stand-in)', { skip }, () => {
  let moto: MotoServer;
  let kube: KubeStandin;
  let asg: AutoScalingClient;
  let ec2: EC2Client;
  let ctx: AwsContext;
  let player: NodeJS.Timeout;
  const nodes = new Map<string, string>(); // instance id → node name
  let joining = true; // the boot player joins new instances as nodes
  let lt = '';

  before(async () => {
    moto = await startMoto();
    kube = await startKubeStandin();
    kube.add('namespaces', makeNamespace('default'));
    kube.add('namespaces', makeNamespace('kube-system'));
    const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: creds };
    asg = new AutoScalingClient(cfg);
    ec2 = new EC2Client(cfg);
    ctx = { environment: ENV, region: 'us-east-1', credentials: async () => creds, endpoint: moto.endpoint, kmsKeyId: 'alias/x' };
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `${ENV}-compute`, LaunchTemplateData: { ImageId: 'ami-785db401', InstanceType: 't3.small' } }))).LaunchTemplate!.LaunchTemplateId!;
    await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: `${ENV}-compute`, MinSize: 4, MaxSize: 4, DesiredCapacity: 4, LaunchTemplate: { LaunchTemplateId: lt, Version: '1' }, VPCZoneIdentifier: subnet }));
    // The boot player: a new instance joins as a Ready node (with a pod), with its providerID (as with a cloud controller).
    let n = 0;
    const tick = async () => {
      if (!joining) return;
      const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${ENV}-compute`] }))).AutoScalingGroups![0]!;
      const live = new Set(g.Instances!.map((i) => i.InstanceId!));
      // A gone instance's node object stays (no cloud controller): the roll deletes it.
      for (const id of live) {
        if (nodes.has(id)) continue;
        const name = `worker-${++n}`;
        nodes.set(id, name);
        kube.add('nodes', makeNode(name, { providerID: `aws:///us-east-1a/${id}` }));
        kube.add('pods', makePod('default', `web-${name}`, { node: name, owner: { kind: 'ReplicaSet', name: 'web-7d9f' } }));
      }
    };
    let loop = Promise.resolve();
    player = setInterval(() => (loop = loop.then(tick).catch(() => undefined)), 200);
    while (nodes.size < 4) await new Promise((r) => setTimeout(r, 100));
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.medium' } }));
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: lt, DefaultVersion: '2' }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: `${ENV}-compute`, LaunchTemplate: { LaunchTemplateId: lt, Version: '2' } }));
  });
  after(async () => {
    clearInterval(player);
    asg?.destroy();
    ec2?.destroy();
    await kube?.stop();
    await moto?.stop();
  });

  it('two batches of two: each batch drained whole, then terminated; replacements Ready; no etcd step', async () => {
    const plan = planRoll(await readGroup(ctx, 'compute'), { batch: 2 });
    assert.deepEqual(plan.batches.map((b) => b.length), [2, 2]);
    const record = rollRecordOf(plan, { force: false, batch: 2 });
    const events: RollEvent[] = [];
    const ports = rollPorts({ aws: ctx, layer: 'compute', kube: loadKubeconfig(kube.kubeconfig()) });
    const outcome = await runRoll(plan, ports, { drainTimeoutMs: 5_000, disableEviction: false, settleMs: 100, replaceTimeoutMs: 30_000, pollMs: 200 }, record, (e) => events.push(e));
    assert.equal(outcome.outcome, 'succeeded', outcome.reason);
    assert.equal(outcome.replaced.length, 4);
    const steps = events.flatMap((e) => (e.kind === 'step' && e.state === 'succeeded' ? [`${e.step} ${e.instanceId}`] : []));
    assert.ok(!steps.some((s) => s.startsWith('etcd') || s.startsWith('attached')), 'no etcd or slot step for workers');
    for (const b of plan.batches) {
      const [x, y] = b.map((t) => t.instance.instanceId);
      const lastDrain = Math.max(steps.indexOf(`drain ${x}`), steps.indexOf(`drain ${y}`));
      const firstTerminate = Math.min(steps.indexOf(`terminate ${x}`), steps.indexOf(`terminate ${y}`));
      assert.ok(lastDrain >= 0 && lastDrain < firstTerminate, `batch ${x}, ${y}: both drained before either goes\n${steps.join('\n')}`);
    }
    const second = plan.batches[1]!.map((t) => t.instance.instanceId);
    const firstReady = plan.batches[0]!.map((t) => steps.indexOf(`ready ${t.instance.instanceId}`));
    assert.ok(Math.max(...firstReady) < steps.indexOf(`drain ${second[0]}`), 'the second batch starts once the first is Ready');
    const g = await readGroup(ctx, 'compute');
    assert.ok(g.instances.every((i) => i.launchTemplateVersion === '2'));
    assert.equal(record.nodes.length, 4);
    // The old instances' node objects were deleted by the roll; the four nodes are the replacements'.
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const left = (await loadKubeconfig(kube.kubeconfig()).makeApiClient(CoreV1Api).listNode()).items.map((n) => n.spec?.providerID?.split('/').pop());
    assert.deepEqual(left.sort(), g.instances.map((i) => i.instanceId).sort());
    assert.ok(record.nodes.every((n) => n.replacement && n.steps.some((s) => s.step === 'ready' && s.result === 'succeeded')));
    assert.ok(outcome.replaced.every((r) => r.verified), 'every replacement verified');
    assert.equal(replacedText(outcome.replaced, { pairs: false }), '4 instances replaced');
  });

  it('a replacement that never becomes a Ready node: the roll stops, and says the instance replaced is not verified', async () => {
    const made = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.large' } }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: `${ENV}-compute`, LaunchTemplate: { LaunchTemplateId: lt, Version: String(made.LaunchTemplateVersion!.VersionNumber) } }));
    joining = false;
    try {
      const plan = planRoll(await readGroup(ctx, 'compute'), { batch: 1 });
      const record = rollRecordOf(plan, { force: false, batch: 1 });
      const ports = rollPorts({ aws: ctx, layer: 'compute', kube: loadKubeconfig(kube.kubeconfig()) });
      const outcome = await runRoll(plan, ports, { drainTimeoutMs: 5_000, disableEviction: false, settleMs: 100, replaceTimeoutMs: 3_000, pollMs: 200 }, record, () => undefined);
      assert.equal(outcome.outcome, 'failed');
      assert.match(outcome.reason ?? '', /a Ready Kubernetes node: not within 3 s$/);
      const old = plan.batches[0]![0]!.instance.instanceId;
      assert.equal(outcome.replaced.length, 1);
      const [r] = outcome.replaced;
      assert.deepEqual({ from: r!.from, verified: r!.verified }, { from: old, verified: false });
      assert.equal(replacedText(outcome.replaced, { pairs: true }), `1 instance replaced (${old} → ${r!.to}); ${r!.to} not verified: the roll stopped before its checks passed`);
    } finally {
      joining = true;
    }
  });
});
