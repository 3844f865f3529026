/**
 * One node group of the platform as a roll sees it: the auto-scaling group `ENV-secure` (the
 * control plane and etcd) or `ENV-compute` (the workers) made by `terraform/modules/node-group`,
 * the launch template version it launches now, and each of its instances with the version it was
 * launched from and its private addresses (a control-plane node's etcd member is named by the
 * address of the slot's network interface, which is not the instance's primary one).
 *
 * Plain TypeScript, no Ink. Sources: the Auto Scaling API's DescribeAutoScalingGroups
 * (`Instances[].LaunchTemplate.Version`) and the EC2 API's DescribeLaunchTemplates (to resolve
 * `$Latest` / `$Default`) and DescribeInstances (addresses, launch time, and the
 * `aws:ec2launchtemplate:version` tag EC2 puts on an instance launched from a template).
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeLaunchTemplatesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';

import { AwsError } from '../../core/errors.js';
import { clientConfig, type AwsContext } from '../aws/context.js';
import { toAwsError } from '../aws/errors.js';

/** The platform's two node groups. */
export type Layer = 'secure' | 'compute';

/** The layers, in the order a whole-platform roll would take them (workers first is not safer: each is rolled on its own). */
export const LAYERS: readonly Layer[] = ['secure', 'compute'];

/** The auto-scaling group's name for a layer (`terraform/modules/secure` and `compute`: `${environment}-${layer}`). */
export function groupName(environment: string, layer: Layer): string {
  return `${environment}-${layer}`;
}

/** An instance of the group. */
export interface GroupInstance {
  instanceId: string;
  availabilityZone: string;
  /** Auto Scaling's lifecycle state: `InService`, `Pending`, `Terminating`, … */
  lifecycleState: string;
  /** Auto Scaling's health status: `Healthy` or `Unhealthy`. */
  healthStatus: string;
  /**
   * The launch template version it was launched from, as a number in text (`"3"`): EC2's
   * `aws:ec2launchtemplate:version` tag on the instance, else the group's record of it when that is
   * a number; undefined when neither says.
   */
  launchTemplateVersion?: string;
  /** Every private IPv4 address of its network interfaces, primary first (the secure slot's interface included). */
  privateIps: string[];
  /** ISO 8601, from DescribeInstances; undefined when the instance is gone from EC2's answer. */
  launchTime?: string;
  /** EC2's state name (`running`, `pending`, `shutting-down`, `terminated`); undefined when not found. */
  state?: string;
}

/** A node group as read. */
export interface NodeGroup {
  layer: Layer;
  /** The auto-scaling group's name. */
  name: string;
  launchTemplate: {
    id: string;
    name: string;
    /** What the group names: a number, `$Latest` or `$Default`. */
    requested: string;
    /** The version number the group launches now (resolved when it names `$Latest` / `$Default`). */
    version: string;
  };
  desired: number;
  min: number;
  max: number;
  instances: GroupInstance[];
}

/**
 * Reads the layer's auto-scaling group, its launch template's current version and its instances.
 * @param opts.signal aborts the calls.
 * @throws AwsError when the group does not exist (the layer was never applied: "apply first"), uses
 *   no launch template (a launch configuration: not this platform's), or AWS refuses a call.
 */
export async function readGroup(ctx: AwsContext, layer: Layer, opts: { signal?: AbortSignal } = {}): Promise<NodeGroup> {
  const name = groupName(ctx.environment, layer);
  const asg = new AutoScalingClient(clientConfig(ctx));
  const ec2 = new EC2Client(clientConfig(ctx));
  const call = { abortSignal: opts.signal };
  try {
    let group: AutoScalingGroup | undefined;
    try {
      const r = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), call);
      group = r.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
    } catch (err) {
      throw toAwsError(err, `reading the auto-scaling group ${name}`, ctx.endpoint);
    }
    if (!group) throw new AwsError(`the auto-scaling group ${name} does not exist in ${ctx.region}`, `apply the platform first (the ${layer} layer makes it), or check the environment and region`);
    const lt = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    if (!lt?.LaunchTemplateId && !lt?.LaunchTemplateName) {
      throw new AwsError(`the auto-scaling group ${name} launches from no launch template`, 'the platform\'s node groups use launch templates (terraform/modules/node-group): apply it');
    }
    const requested = lt.Version ?? '$Default';
    let ltId = lt.LaunchTemplateId ?? '';
    let ltName = lt.LaunchTemplateName ?? '';
    let version = requested;
    if (!/^\d+$/.test(requested) || !ltId || !ltName) {
      try {
        const r = await ec2.send(new DescribeLaunchTemplatesCommand(ltId ? { LaunchTemplateIds: [ltId] } : { LaunchTemplateNames: [ltName] }), call);
        const t = r.LaunchTemplates?.[0];
        if (!t) throw new AwsError(`the launch template ${ltId || ltName} of ${name} does not exist`, 'apply the platform again');
        ltId = t.LaunchTemplateId ?? ltId;
        ltName = t.LaunchTemplateName ?? ltName;
        if (requested === '$Latest') version = String(t.LatestVersionNumber ?? '');
        else if (requested === '$Default') version = String(t.DefaultVersionNumber ?? '');
      } catch (err) {
        throw err instanceof AwsError ? err : toAwsError(err, `reading the launch template of ${name}`, ctx.endpoint);
      }
    }
    const members = group.Instances ?? [];
    const details = new Map<string, Instance>();
    const ids = members.map((i) => i.InstanceId ?? '').filter(Boolean);
    for (let i = 0; i < ids.length; i += 100) {
      try {
        const r = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids.slice(i, i + 100) }), call);
        for (const res of r.Reservations ?? []) for (const inst of res.Instances ?? []) if (inst.InstanceId) details.set(inst.InstanceId, inst);
      } catch (err) {
        throw toAwsError(err, `reading the instances of ${name}`, ctx.endpoint);
      }
    }
    const instances: GroupInstance[] = members.map((m) => {
      const id = m.InstanceId ?? '';
      const d = details.get(id);
      const fromGroup = m.LaunchTemplate?.Version;
      const fromTag = d?.Tags?.find((t) => t.Key === 'aws:ec2launchtemplate:version')?.Value;
      // EC2's own tag holds the number the instance was launched from; the group's field may name
      // `$Latest`, and moto gives there the template's default version now, for old instances too.
      const v = fromTag && /^\d+$/.test(fromTag) ? fromTag : fromGroup && /^\d+$/.test(fromGroup) ? fromGroup : undefined;
      return {
        instanceId: id,
        availabilityZone: m.AvailabilityZone ?? d?.Placement?.AvailabilityZone ?? '',
        lifecycleState: m.LifecycleState ?? '',
        healthStatus: m.HealthStatus ?? '',
        ...(v ? { launchTemplateVersion: v } : {}),
        privateIps: privateIpsOf(d),
        ...(d?.LaunchTime ? { launchTime: d.LaunchTime.toISOString() } : {}),
        ...(d?.State?.Name ? { state: d.State.Name } : {}),
      };
    });
    return {
      layer,
      name,
      launchTemplate: { id: ltId, name: ltName, requested, version },
      desired: group.DesiredCapacity ?? 0,
      min: group.MinSize ?? 0,
      max: group.MaxSize ?? 0,
      instances,
    };
  } finally {
    asg.destroy();
    ec2.destroy();
  }
}

/** The instance's private IPv4 addresses: the primary first, then the other interfaces' (by device index). */
function privateIpsOf(d: Instance | undefined): string[] {
  if (!d) return [];
  const out: string[] = [];
  const add = (ip: string | undefined) => {
    if (ip && !out.includes(ip)) out.push(ip);
  };
  add(d.PrivateIpAddress);
  const nics = [...(d.NetworkInterfaces ?? [])].sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
  for (const n of nics) {
    add(n.PrivateIpAddress);
    for (const p of n.PrivateIpAddresses ?? []) add(p.PrivateIpAddress);
  }
  return out;
}
