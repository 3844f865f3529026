/**
 * The {@link RollPorts} of a real environment: the node group and termination through the Auto
 * Scaling API, the control plane's slot volume and interface through EC2 (the tags the bootstrap's
 * `attach_free` looks for, `KubernetesCluster = kube-ENV` and `Role = secure`, attached to the
 * instance: in its own zone by construction, since EBS and interfaces attach only there), Kubernetes through `@kubernetes/client-node`, and etcdctl through SSH (via the
 * bastion) on a control-plane node.
 */
import { AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeNetworkInterfacesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { KubeConfig } from '@kubernetes/client-node';

import { clientConfig, type AwsContext } from '../aws/context.js';
import { toAwsError } from '../aws/errors.js';
import type { SshSettings } from '../ssh/connection.js';
import { runOnMany } from '../ssh/exec.js';
import type { SshTarget } from '../ssh/targets.js';
import { readGroup, type GroupInstance, type Layer } from './group.js';
import { RollError } from './errors.js';
import type { RollPorts } from './runner.js';

/** The roll's Kubernetes operations: their module loads the Kubernetes client (~70 MB, ~1 s), so it is loaded when the cluster is first needed. */
const kubeOps = () => import('./kube.js');

/** The SSH target of a control-plane instance: its primary private address, port 22. */
export function instanceTarget(i: GroupInstance): SshTarget {
  return { host: i.privateIps[0] ?? '', port: 22, label: i.instanceId, role: 'secure', instanceId: i.instanceId };
}

/** What {@link rollPorts} needs. */
export interface RollPortsOptions {
  aws: AwsContext;
  layer: Layer;
  /**
   * The cluster's kubeconfig (the Cluster pane's source), or how to load it: loaded once, when the
   * cluster is first needed (after the group was read, so that a layer never applied says "apply
   * first" rather than that the cluster cannot be reached).
   */
  kube: KubeConfig | (() => Promise<KubeConfig>);
  /** SSH to the control plane (bastion, user, key, known_hosts); needed for `secure`. */
  ssh?: SshSettings;
  /** Where an instance is reached by SSH (default {@link instanceTarget}). */
  targetOf?: (i: GroupInstance) => SshTarget | Promise<SshTarget>;
}

/** The ports of a real environment. Each call makes and ends its own clients. */
export function rollPorts(o: RollPortsOptions): RollPorts {
  const cluster = `kube-${o.aws.environment}`;
  let loaded: Promise<KubeConfig> | undefined;
  const kube = (): Promise<KubeConfig> => {
    const k = o.kube;
    if (typeof k !== 'function') return Promise.resolve(k);
    if (!loaded) {
      const p = k();
      loaded = p;
      p.catch(() => {
        if (loaded === p) loaded = undefined; // a failed load is tried again next time
      });
    }
    return loaded;
  };
  const targetOf = o.targetOf ?? instanceTarget;
  return {
    readGroup: (signal) => readGroup(o.aws, o.layer, signal ? { signal } : {}),
    async terminate(instanceId) {
      const asg = new AutoScalingClient(clientConfig(o.aws));
      try {
        await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }));
      } catch (err) {
        throw toAwsError(err, `terminating ${instanceId} in its auto-scaling group`, o.aws.endpoint);
      } finally {
        asg.destroy();
      }
    },
    async slotOf(instanceId) {
      const ec2 = new EC2Client(clientConfig(o.aws));
      const filters = [
        { Name: 'tag:KubernetesCluster', Values: [cluster] },
        { Name: 'tag:Role', Values: ['secure'] },
        { Name: 'attachment.instance-id', Values: [instanceId] },
      ];
      try {
        const [v, n] = await Promise.all([ec2.send(new DescribeVolumesCommand({ Filters: filters })), ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters }))]);
        const volume = v.Volumes?.find((x) => x.Attachments?.some((a) => a.InstanceId === instanceId && a.State === 'attached'))?.VolumeId;
        const networkInterface = n.NetworkInterfaces?.find((x) => x.Attachment?.InstanceId === instanceId)?.NetworkInterfaceId;
        return { ...(volume ? { volume } : {}), ...(networkInterface ? { networkInterface } : {}) };
      } catch (err) {
        throw toAwsError(err, `reading the etcd volume and network interface of ${instanceId}`, o.aws.endpoint);
      } finally {
        ec2.destroy();
      }
    },
    clusterGate: async () => (await kubeOps()).clusterGate(await kube()),
    nodeOf: async (i) => (await kubeOps()).nodeOfInstance(await kube(), i),
    deleteNode: async (name) => (await kubeOps()).deleteNode(await kube(), name),
    drain: async (node, d) => (await kubeOps()).drain(await kube(), node, d),
    async etcd(command, on, signal) {
      if (!o.ssh) throw new RollError('etcd cannot be reached: no SSH settings for the control plane', 'give the SSH options (--bastion, -i, --known-hosts) as for --ci ssh');
      const errors: string[] = [];
      for (const i of on) {
        if (!i.privateIps.length && !o.targetOf) continue;
        let target: SshTarget;
        try {
          target = await targetOf(i);
        } catch (err) {
          errors.push(`${i.instanceId}: ${(err as Error).message}`);
          continue;
        }
        const [r] = await runOnMany([target], command, o.ssh, { maxOutputBytes: 1 << 20, ...(signal ? { signal } : {}) });
        if (r && !r.error) return { code: r.code, stdout: r.stdout, stderr: r.stderr, instanceId: i.instanceId };
        errors.push(`${i.instanceId}: ${r?.error?.message ?? 'no answer'}`);
      }
      throw new RollError(`no control-plane node could run etcdctl (${errors.join('; ') || 'none in service'})`, 'check the bastion and the SSH key (the SSH options as for --ci ssh), then resume (:roll)');
    },
  };
}
