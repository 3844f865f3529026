/**
 * The node group a roll reads, against a real moto (issue 18): an auto-scaling group of three
 * instances launched from version 1 of a launch template, then a new version made the template's
 * default and the group's, as Terraform does (`update_default_version = true`, the group's
 * `version = latest_version`). The plan names the three old instances;
 * terminating one through `TerminateInstanceInAutoScalingGroup` without decrementing the capacity
 * makes the group launch a replacement from the new version (moto does this as AWS does), and the
 * next plan, which is how a stopped roll resumes, names only the two still old.
 * moto's limits met here: it starts every instance of a group in the group's first subnet (AWS
 * balances the zones), and the group's `Instances[].LaunchTemplate.Version` is the template's
 * default version now, for old instances too: the version read is EC2's own tag on the instance.
 * Needs moto: fails without it when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';

import { AwsError } from '../../src/core/errors.js';
import type { AwsContext } from '../../src/services/aws/context.js';
import { readGroup } from '../../src/services/roll/group.js';
import { planRoll } from '../../src/services/roll/plan.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();

const REGION = 'us-east-1';
const AMI = 'ami-12c6146b'; // one of moto's built-in images
const ENV = 'rolly';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

describe('roll: the node group and the plan, against moto', { skip }, () => {
  let moto: MotoServer;
  let ctx: AwsContext;
  let asg: AutoScalingClient;
  let ec2: EC2Client;
  let ltId: string;

  before(async () => {
    moto = await startMoto();
    ctx = { environment: ENV, region: REGION, credentials: async () => creds, endpoint: moto.endpoint, kmsKeyId: 'alias/test' };
    const cfg = { region: REGION, endpoint: moto.endpoint, credentials: creds };
    asg = new AutoScalingClient(cfg);
    ec2 = new EC2Client(cfg);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const subnets: string[] = [];
    for (const [i, az] of ZONES.entries()) {
      const s = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: `10.0.${i + 1}.0/24`, AvailabilityZone: az }));
      subnets.push(s.Subnet!.SubnetId!);
    }
    const lt = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `${ENV}-secure`, LaunchTemplateData: { ImageId: AMI, InstanceType: 't3.small' } }));
    ltId = lt.LaunchTemplate!.LaunchTemplateId!;
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: `${ENV}-secure`,
        MinSize: 3,
        MaxSize: 3,
        DesiredCapacity: 3,
        LaunchTemplate: { LaunchTemplateId: ltId, Version: '1' },
        VPCZoneIdentifier: subnets.join(','),
      }),
    );
  });

  after(async () => {
    asg?.destroy();
    ec2?.destroy();
    await moto?.stop();
  });

  it('reads the group: three instances in service, on version 1, with their addresses', async () => {
    const g = await readGroup(ctx, 'secure');
    assert.equal(g.name, `${ENV}-secure`);
    assert.deepEqual(g.launchTemplate, { id: ltId, name: `${ENV}-secure`, requested: '1', version: '1' });
    assert.equal(g.desired, 3);
    assert.equal(g.instances.length, 3);
    for (const i of g.instances) assert.ok(ZONES.includes(i.availabilityZone), i.availabilityZone);
    for (const i of g.instances) {
      assert.equal(i.lifecycleState, 'InService');
      assert.equal(i.launchTemplateVersion, '1');
      assert.match(i.privateIps[0] ?? '', /^10\.0\.[123]\.\d+$/);
      assert.ok(i.launchTime && Date.parse(i.launchTime) > 0);
      assert.equal(i.state, 'running');
    }
    const p = planRoll(g);
    assert.deepEqual(p.batches, []);
    assert.equal(p.current.length, 3);
    assert.deepEqual(p.blockers, []);
  });

  it('a group naming $Latest is resolved to the number through DescribeLaunchTemplates', async () => {
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: ltId, SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.medium' } }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: `${ENV}-secure`, LaunchTemplate: { LaunchTemplateId: ltId, Version: '$Latest' } }));
    const g = await readGroup(ctx, 'secure');
    assert.equal(g.launchTemplate.requested, '$Latest');
    assert.equal(g.launchTemplate.version, '2');
  });

  it('after Terraform\'s way of changing the template (default and group on version 2), the plan names the three old instances, one a batch', async () => {
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: ltId, DefaultVersion: '2' }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: `${ENV}-secure`, LaunchTemplate: { LaunchTemplateId: ltId, Version: '2' } }));
    const g = await readGroup(ctx, 'secure');
    assert.deepEqual(g.launchTemplate, { id: ltId, name: `${ENV}-secure`, requested: '2', version: '2' });
    const p = planRoll(g);
    assert.equal(p.batches.length, 3);
    assert.ok(p.batches.every((b) => b.length === 1 && b[0]!.reason === 'version 1 → 2'));
    const launched = p.batches.map((b) => b[0]!.instance.launchTime ?? '');
    assert.deepEqual(launched, [...launched].sort(), 'the oldest first');
  });

  it('a terminated instance (capacity kept) is replaced from the new version; the next plan, a resume, names only the two old', async () => {
    const first = planRoll(await readGroup(ctx, 'secure')).batches[0]![0]!.instance;
    await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: first.instanceId, ShouldDecrementDesiredCapacity: false }));
    const d = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${ENV}-secure`] }));
    assert.equal(d.AutoScalingGroups?.[0]?.DesiredCapacity, 3, 'the capacity was not decremented');
    const g = await readGroup(ctx, 'secure');
    assert.equal(g.instances.length, 3);
    assert.ok(!g.instances.some((i) => i.instanceId === first.instanceId), 'the old instance left the group');
    const fresh = g.instances.filter((i) => i.launchTemplateVersion === '2');
    assert.equal(fresh.length, 1, 'one replacement, from version 2');
    const p = planRoll(g);
    assert.equal(p.batches.length, 2);
    assert.ok(!p.batches.flat().some((t) => t.instance.instanceId === fresh[0]!.instanceId));
    assert.deepEqual(p.current.map((i) => i.instanceId), [fresh[0]!.instanceId]);
  });

  it('a layer never applied is an error that says to apply first', async () => {
    await assert.rejects(readGroup(ctx, 'compute'), (err: unknown) => {
      assert.ok(err instanceof AwsError);
      assert.equal(err.message, `the auto-scaling group ${ENV}-compute does not exist in ${REGION}`);
      assert.match(err.hint ?? '', /apply the platform first/);
      return true;
    });
  });
});
