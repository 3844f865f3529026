/**
 * A control plane for the roll's tests, from real parts and named stand-ins (issue 18):
 *
 * - REAL: moto runs the auto-scaling group `ENV-secure` (3 instances from a launch template), the
 *   instances, the etcd volumes and the network interfaces of the three slots (one per zone,
 *   tagged as terraform/modules/secure tags them); a terminated instance is replaced by the group.
 * - REAL: the replacement node's first boot step is the platform's own `attach_free volume` and
 *   `attach_free interface` (secure.sh, bash, the AWS CLI), through the attach guard (EC2's refusal
 *   of an attached resource, which moto lacks).
 * - REAL: OpenSSH sshd hosts on loopback stand for the control-plane nodes (one per slot, behind an
 *   sshd bastion); the roll reaches them with ssh2 as it reaches real nodes.
 * - STAND-IN: `etcdctl` on those hosts is a script (and `sudo` one that runs its command) whose
 *   member list and health this harness controls; it insists on kubeadm's certificate flags.
 * - STAND-IN: the Kubernetes API is test/support/kube-standin.ts.
 * - THE HARNESS PLAYS: what moto does not (EC2 detaching a terminated instance's network
 *   interface, AWS placing a replacement in the zone its group lacks: moto starts every instance
 *   in the group's first subnet), and the rest of a node's boot (kubeadm join: a Ready node with
 *   no providerID and the slot interface's address, as kubeadm registers it here; an etcd member
 *   at that address). The node object of a terminated instance is left for the roll to delete.
 */
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import type { KubeConfig } from '@kubernetes/client-node';

import type { AwsContext } from '../../src/services/aws/context.js';
import { loadKubeconfig } from '../../src/services/kube/kubeconfig.js';
import type { SshSettings } from '../../src/services/ssh/connection.js';
import type { SshTarget } from '../../src/services/ssh/targets.js';
import type { GroupInstance } from '../../src/services/roll/group.js';
import { startAttachGuard, type AttachGuard } from './ec2-attach-guard.js';
import { makeNamespace, makeNode, makePod, startKubeStandin, type KubeStandin } from './kube-standin.js';
import { startMoto, type MotoServer } from './moto.js';
import { startAttachFree } from './secure-boot.js';
import { startSshHosts, type SshHosts } from './sshd.js';

const REGION = 'us-east-1';
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'] as const;
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

/** THE etcdctl STAND-IN: a script on the sshd hosts' PATH (state in $ETCD_STUB_DIR). */
const ETCDCTL = `#!/bin/bash
# A STAND-IN FOR etcdctl (test/support/secure-platform.ts): members and health come from files the
# test harness writes; every call is logged with the node it ran on.
set -u
dir=\${ETCD_STUB_DIR:?}
exec 9>>"$dir/lock"; flock 9
echo "\${NODE_NAME:-?} $*" >>"$dir/log"
for need in --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt --key=/etc/kubernetes/pki/apiserver-etcd-client.key --endpoints=https://127.0.0.1:2379; do
  [[ " $* " == *" $need "* ]] || { echo "Error: open : no such file or directory (missing $need)" >&2; exit 1; }
done
words=()
for a in "$@"; do [[ $a == --* ]] || words+=("$a"); done
case "\${words[*]}" in
  "member list -w simple") cat "$dir/members" ;;
  "endpoint health -w json")
    bad=0; out="["; sep=""
    while IFS=', ' read -r id status name peer client learner; do
      [[ -n $id ]] || continue
      url=\${client%%,*}
      if grep -qxF "$url" "$dir/unhealthy" 2>/dev/null; then
        out+="$sep{\\"endpoint\\":\\"$url\\",\\"health\\":false,\\"took\\":\\"5s\\",\\"error\\":\\"context deadline exceeded\\"}"; bad=1
      else
        out+="$sep{\\"endpoint\\":\\"$url\\",\\"health\\":true,\\"took\\":\\"3ms\\"}"
      fi
      sep=","
    done <"$dir/members"
    echo "$out]"
    [[ $bad == 0 ]] || { echo "Error: unhealthy cluster" >&2; exit 1; } ;;
  "member remove "*)
    id=\${words[2]}
    if grep -q "^$id, " "$dir/members"; then
      grep -v "^$id, " "$dir/members" >"$dir/members.new"; mv "$dir/members.new" "$dir/members"
      echo "Member $id removed from cluster 1c2a3b4c5d6e7f80"
    else
      echo "Error: etcdserver: member not found" >&2; exit 1
    fi ;;
  *) echo "Error: unknown command \${words[*]}" >&2; exit 1 ;;
esac
`;

/** THE sudo STAND-IN: runs its command (the test's sshd sessions are root already). */
const SUDO = `#!/bin/sh
# A STAND-IN FOR sudo (test/support/secure-platform.ts): the harness's sshd sessions run as root.
[ "$1" = -n ] && shift
exec "$@"
`;

/** One control-plane slot: its zone, volume, interface (and address), and sshd host. */
export interface Slot {
  zone: string;
  volumeId: string;
  eniId: string;
  eniIp: string;
  /** The sshd host that stands for the node holding the slot (index into hosts.nodes). */
  host: number;
}

/** The control plane, running. */
export interface SecurePlatform {
  environment: string;
  moto: MotoServer;
  guard: AttachGuard;
  ctx: AwsContext;
  kube: KubeStandin;
  kc: KubeConfig;
  ssh: SshHosts;
  sshSettings: SshSettings;
  slots: Slot[];
  /** The slot each live instance holds (instance id → slot index). */
  slotOf: Map<string, number>;
  /** Where the roll reaches an instance: the sshd host of its slot. */
  targetOf(i: GroupInstance): SshTarget;
  /** The same, as a JSON file rewritten at every boot (instance id → {host, port, label}), for a roll in a child process. */
  targetsFile: string;
  /** The stub's member list (its lines) and every etcdctl call (`NODE args`). */
  members(): Promise<string[]>;
  etcdLog(): Promise<string[]>;
  /** Makes the member at `ip` report unhealthy (or healthy again). */
  setUnhealthy(ip: string, unhealthy: boolean): Promise<void>;
  /** Every boot the harness played, in order (instance, slot zone). */
  boots: { instanceId: string; zone: string; at: number }[];
  /** A new launch template version, made the default and the group's, as Terraform does. */
  newVersion(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the control plane of `environment`: three instances booted (slots a, b, c), three Ready
 * nodes with their pods, three etcd members. The boot player keeps running until {@link SecurePlatform.stop}.
 */
export async function startSecurePlatform(environment: string): Promise<SecurePlatform> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-roll-'));
  const stubBin = join(dir, 'bin');
  const etcdDir = join(dir, 'etcd');
  await mkdir(stubBin, { recursive: true });
  await mkdir(etcdDir, { recursive: true });
  await writeFile(join(stubBin, 'etcdctl'), ETCDCTL);
  await writeFile(join(stubBin, 'sudo'), SUDO);
  await chmod(join(stubBin, 'etcdctl'), 0o755);
  await chmod(join(stubBin, 'sudo'), 0o755);
  await writeFile(join(etcdDir, 'members'), '');
  await writeFile(join(etcdDir, 'unhealthy'), '');

  const moto = await startMoto();
  const guard = await startAttachGuard({ target: moto.endpoint, region: REGION });
  const ssh = await startSshHosts({
    nodes: 3,
    nodeEnv: (i) => ({ PATH: `${stubBin}:/usr/local/bin:/usr/bin:/bin`, ETCD_STUB_DIR: etcdDir, NODE_NAME: `node${i}` }),
  });
  const kube = await startKubeStandin();
  const kc = loadKubeconfig(kube.kubeconfig());
  const cfg = { region: REGION, endpoint: moto.endpoint, credentials: creds };
  const ec2 = new EC2Client(cfg);
  const asg = new AutoScalingClient(cfg);
  const cluster = `kube-${environment}`;
  const group = `${environment}-secure`;
  const tags = (extra: Record<string, string>) => Object.entries({ KubernetesCluster: cluster, Role: 'secure', Environment: environment, ...extra }).map(([Key, Value]) => ({ Key, Value }));

  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  const slots: Slot[] = [];
  for (const [i, zone] of ZONES.entries()) {
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i + 1}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!;
    subnets.push(subnet);
    const volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 8, TagSpecifications: [{ ResourceType: 'volume', Tags: tags({ Slot: String(i) }) }] }))).VolumeId!;
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet, TagSpecifications: [{ ResourceType: 'network-interface', Tags: tags({ Slot: String(i) }) }] }))).NetworkInterface!;
    slots.push({ zone, volumeId, eniId: eni.NetworkInterfaceId!, eniIp: eni.PrivateIpAddress!, host: i });
  }
  const lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: group, LaunchTemplateData: { ImageId: 'ami-785db401', InstanceType: 't3.medium' } }))).LaunchTemplate!;
  await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: group, MinSize: 3, MaxSize: 3, DesiredCapacity: 3, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId!, Version: '1' }, VPCZoneIdentifier: subnets.join(',') }));

  kube.add('namespaces', makeNamespace('kube-system'));
  kube.add('namespaces', makeNamespace('default'));

  const slotOf = new Map<string, number>();
  const boots: SecurePlatform['boots'] = [];
  const gone = new Set<string>();
  let stopping = false;
  const bootsInFlight = new Set<string>();
  /** The slot a boot in flight is taking. */
  const pendingSlot = new Map<string, number>();

  const memberLines = async () => (await readFile(join(etcdDir, 'members'), 'utf8')).split('\n').filter(Boolean);

  /** The boot of a new instance: attach_free of the freed slot's zone, then kubeadm join (played). */
  const boot = async (instanceId: string, slotIndex: number): Promise<void> => {
    const slot = slots[slotIndex]!;
    const scratch = join(dir, `boot-${instanceId}`);
    await mkdir(scratch, { recursive: true });
    for (const kind of ['volume', 'interface'] as const) {
      const run = await startAttachFree({ cluster, az: slot.zone, instanceId, kind, endpoint: guard.endpoint, region: REGION, dir: scratch });
      const code = await run.done;
      if (code !== 0) throw new Error(`the boot of ${instanceId}: attach_free ${kind} exited ${code}: ${run.stderr()}`);
    }
    slotOf.set(instanceId, slotIndex);
    await writeTargets();
    const name = `ip-${slot.eniIp.replace(/\./g, '-')}`;
    // As kubeadm registers it on this platform: no providerID (no cloud controller), the slot's address (--node-ip).
    kube.add('nodes', makeNode(name, { roles: ['control-plane'], ip: slot.eniIp, providerID: '', createdAt: Date.now() }));
    kube.add('pods', makePod('kube-system', `etcd-${name}`, { node: name, mirror: true }));
    kube.add('pods', makePod('kube-system', `kube-apiserver-${name}`, { node: name, mirror: true }));
    kube.add('pods', makePod('kube-system', `kube-proxy-${randomBytes(3).toString('hex').slice(0, 5)}`, { node: name, owner: { kind: 'DaemonSet', name: 'kube-proxy' } }));
    kube.add('pods', makePod('kube-system', `coredns-${randomBytes(3).toString('hex').slice(0, 5)}`, { node: name, owner: { kind: 'ReplicaSet', name: 'coredns-5d78c' } }));
    const id = randomBytes(8).toString('hex');
    const lines = await memberLines();
    lines.push(`${id}, started, ${name}, https://${slot.eniIp}:2380, https://${slot.eniIp}:2379, false`);
    await writeFile(join(etcdDir, 'members'), lines.join('\n') + '\n');
    boots.push({ instanceId, zone: slot.zone, at: Date.now() });
  };

  const targetsFile = join(dir, 'targets.json');
  const targetOf = (i: GroupInstance): SshTarget => {
    const s = slotOf.get(i.instanceId);
    const host = ssh.nodes[s === undefined ? 0 : slots[s]!.host]!;
    return { host: host.host, port: host.port, label: `${i.instanceId} (${host.name})`, role: 'secure', instanceId: i.instanceId };
  };
  const writeTargets = async () => {
    const map: Record<string, SshTarget> = {};
    for (const id of slotOf.keys()) map[id] = targetOf({ instanceId: id, availabilityZone: '', lifecycleState: '', healthStatus: '', privateIps: [] });
    // Boots end concurrently: each writes its own temporary file, then renames it over (atomic).
    const tmp = `${targetsFile}.${randomBytes(4).toString('hex')}.new`;
    await writeFile(tmp, JSON.stringify(map));
    await rename(tmp, targetsFile);
  };

  /** What the cloud does when an instance is gone: EC2 detaches its interface; the node object goes. */
  const retire = async (instanceId: string): Promise<void> => {
    gone.add(instanceId);
    const s = slotOf.get(instanceId);
    slotOf.delete(instanceId);
    if (s !== undefined) {
      const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [slots[s]!.eniId] }))).NetworkInterfaces![0]!;
      if (eni.Attachment?.InstanceId === instanceId && eni.Attachment.AttachmentId) {
        await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: eni.Attachment.AttachmentId, Force: true }));
      }
    }
    // The node object stays: with no cloud controller, the roll deletes it.
  };


  /** One look: new instances get booted (into a freed slot), gone ones retired. */
  const tick = async (): Promise<void> => {
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups?.[0];
    const live = new Set((g?.Instances ?? []).map((i) => i.InstanceId!));
    for (const id of [...slotOf.keys()]) if (!live.has(id)) await retire(id);
    for (const id of live) {
      if (slotOf.has(id) || bootsInFlight.has(id) || gone.has(id)) continue;
      const taken = new Set([...slotOf.values(), ...[...bootsInFlight].map((b) => pendingSlot.get(b))]);
      const free = slots.findIndex((_, k) => !taken.has(k));
      if (free < 0) continue;
      bootsInFlight.add(id);
      pendingSlot.set(id, free);
      void boot(id, free)
        .catch((err: unknown) => process.stderr.write(`secure-platform: ${(err as Error).message}\n`))
        .finally(() => {
          bootsInFlight.delete(id);
          pendingSlot.delete(id);
        });
    }
  };
  let loop: Promise<void> = Promise.resolve();
  const player = setInterval(() => {
    loop = loop.then(tick).catch((err: unknown) => {
      if (!stopping) process.stderr.write(`secure-platform: ${(err as Error).message}\n`);
    });
  }, 300);

  // The first three boots.
  const deadline = Date.now() + 90_000;
  while (slotOf.size < 3) {
    if (Date.now() > deadline) throw new Error(`secure-platform: the first three nodes did not boot (${slotOf.size} of 3)`);
    await new Promise((r) => setTimeout(r, 200));
  }

  const ctx: AwsContext = { environment, region: REGION, credentials: async () => creds, endpoint: moto.endpoint, kmsKeyId: 'alias/test' };
  const sshSettings: SshSettings = {
    bastion: { host: ssh.bastion.host, port: ssh.bastion.port, label: 'bastion' },
    user: ssh.user,
    identity: { privateKey: await readFile(ssh.identityFile), keyFile: ssh.identityFile, describe: `key ${ssh.identityFile}` },
    knownHostsFile: await ssh.knownHostsFile(),
    onUnknownHost: async () => false,
    timeoutMs: 10_000,
  };
  let version = 1;
  return {
    environment,
    moto,
    guard,
    ctx,
    kube,
    kc,
    ssh,
    sshSettings,
    slots,
    slotOf,
    targetOf,
    targetsFile,
    members: memberLines,
    etcdLog: async () => (await readFile(join(etcdDir, 'log'), 'utf8').catch(() => '')).split('\n').filter(Boolean),
    setUnhealthy: async (ip, unhealthy) => {
      const cur = (await readFile(join(etcdDir, 'unhealthy'), 'utf8')).split('\n').filter(Boolean);
      const url = `https://${ip}:2379`;
      const next = unhealthy ? [...new Set([...cur, url])] : cur.filter((u) => u !== url);
      await writeFile(join(etcdDir, 'unhealthy'), next.join('\n') + (next.length ? '\n' : ''));
    },
    boots,
    async newVersion() {
      version++;
      await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.LaunchTemplateId!, SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.large' } }));
      await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: lt.LaunchTemplateId!, DefaultVersion: String(version) }));
      await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId!, Version: String(version) } }));
      return String(version);
    },
    async stop() {
      stopping = true;
      clearInterval(player);
      await loop.catch(() => undefined);
      ec2.destroy();
      asg.destroy();
      await kube.stop();
      await ssh.stop();
      await guard.stop();
      await moto.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The volume and interface attached to each instance (for the one-per-zone check). */
export async function attachmentsOf(p: SecurePlatform): Promise<{ slot: Slot; volumeHolder?: string; eniHolder?: string }[]> {
  const ec2 = new EC2Client({ region: REGION, endpoint: p.moto.endpoint, credentials: creds });
  try {
    const out = [];
    for (const slot of p.slots) {
      const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [slot.volumeId] }))).Volumes![0]!;
      const n = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [slot.eniId] }))).NetworkInterfaces![0]!;
      const volumeHolder = v.State === 'in-use' ? v.Attachments?.[0]?.InstanceId : undefined;
      const eniHolder = n.Status === 'in-use' ? n.Attachment?.InstanceId : undefined;
      out.push({ slot, ...(volumeHolder ? { volumeHolder } : {}), ...(eniHolder ? { eniHolder } : {}) });
    }
    return out;
  } finally {
    ec2.destroy();
  }
}
