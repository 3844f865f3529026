/**
 * The services behind the Instances and Load balancers panes, against a real moto: instances of
 * two environments (several reservations, so that pagination has several pages: moto's
 * MaxResults counts reservations, not instances), instance details, classic ELB and ELBv2 with
 * targets and health, tag filtering, an unreachable endpoint; and the Poller's scheduling (pure,
 * no AWS). Needs moto: fails without it when CI=true, skips loudly otherwise (the Poller and
 * pure helper tests always run).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  ConfigureHealthCheckCommand,
  CreateLoadBalancerCommand as CreateClassicCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand as CreateV2Command,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';

import { AwsError, ConsoleError } from '../../src/core/errors.js';
import type { AwsContext } from '../../src/services/aws/context.js';
import { toAwsError } from '../../src/services/aws/errors.js';
import {
  describeInstance,
  filterInstances,
  formatLaunchTime,
  instanceSearchText,
  ipv4ToNumber,
  listInstances,
  sortInstances,
  type InstanceRow,
} from '../../src/services/aws/instances.js';
import { listLoadBalancers } from '../../src/services/aws/load-balancers.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { Poller, type PollerState } from '../../src/services/aws/poller.js';
import { freePort } from '../../src/services/local/emulator.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();

const REGION = 'us-east-1';
const AMI = 'ami-12c6146b'; // one of moto's built-in images
const ENV = 'alpha';
const OTHER = 'beta';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

function ctxFor(endpoint: string, environment = ENV): AwsContext {
  return { environment, region: REGION, credentials: async () => creds, endpoint, kmsKeyId: 'alias/test' };
}

function row(p: Partial<InstanceRow> & { id: string }): InstanceRow {
  return { name: '', role: '', privateIp: '', publicIp: '', state: 'running', az: 'us-east-1a', launchTime: 0, type: 't3.small', ...p };
}

// ---------------------------------------------------------------------------------------------

describe('instances and load balancers against moto', { skip }, () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let ctx: AwsContext;
  let vpcId: string;
  let publicSubnet: string;
  let privateSubnet: string;
  let sgId: string;
  /** This environment's instances as created: id → expected name/role/subnet. */
  const mine = new Map<string, { name: string; role: string; subnet: string }>();
  const theirs = new Set<string>();
  let reservationsOfMine = 0;
  let bastionId = '';
  let computeIds: string[] = [];

  async function run(o: { count: number; subnet: string; env?: string; role?: string; name?: (i: number) => string; type?: string; extraVolume?: boolean }): Promise<Instance[]> {
    const tags = [
      ...(o.env ? [{ Key: 'Environment', Value: o.env }, { Key: 'KubernetesCluster', Value: `kube-${o.env}` }] : []),
      ...(o.role ? [{ Key: 'Role', Value: o.role }] : []),
    ];
    const r = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        MinCount: o.count,
        MaxCount: o.count,
        InstanceType: (o.type ?? 't3.small') as never,
        SubnetId: o.subnet,
        SecurityGroupIds: [sgId],
        KeyName: 'alpha-key',
        ...(o.extraVolume ? { BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }] } : {}),
        ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
      }),
    );
    const instances = r.Instances ?? [];
    if (o.name) {
      await Promise.all(instances.map((inst, i) => ec2.send(new CreateTagsCommand({ Resources: [inst.InstanceId!], Tags: [{ Key: 'Name', Value: o.name!(i) }] }))));
    }
    return instances;
  }

  before(async () => {
    moto = await startMoto();
    ctx = ctxFor(moto.endpoint);
    ec2 = new EC2Client({ region: REGION, endpoint: moto.endpoint, credentials: creds });
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    publicSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    privateSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: publicSubnet, MapPublicIpOnLaunch: { Value: true } }));
    sgId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'alpha-nodes', Description: 'nodes', VpcId: vpcId }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sgId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.20.0.0/16' }] }] }));
    await ec2.send(new CreateKeyPairCommand({ KeyName: 'alpha-key' }));

    const add = (list: Instance[], name: (i: number) => string, role: string, subnet: string) =>
      list.forEach((inst, i) => mine.set(inst.InstanceId!, { name: name(i), role, subnet }));
    // This environment: a bastion, two secure nodes in one reservation, and compute nodes in 12
    // reservations of 1 to 3, plus one instance with neither Name nor Role: 16 reservations.
    const b = await run({ count: 1, subnet: publicSubnet, env: ENV, role: 'bastion', name: () => 'alpha-bastion', type: 't3.micro', extraVolume: true });
    add(b, () => 'alpha-bastion', 'bastion', publicSubnet);
    bastionId = b[0]!.InstanceId!;
    reservationsOfMine++;
    const secureName = (i: number) => `alpha-secure-${i + 1}`;
    add(await run({ count: 2, subnet: privateSubnet, env: ENV, role: 'secure', name: secureName }), secureName, 'secure', privateSubnet);
    reservationsOfMine++;
    let n = 0;
    for (let r = 0; r < 12; r++) {
      const count = (r % 3) + 1;
      const base = n;
      const name = (i: number) => `alpha-compute-${base + i + 1}`;
      const list = await run({ count, subnet: privateSubnet, env: ENV, role: 'compute', name });
      add(list, name, 'compute', privateSubnet);
      computeIds.push(...list.map((i) => i.InstanceId!));
      n += count;
      reservationsOfMine++;
    }
    add(await run({ count: 1, subnet: privateSubnet, env: ENV }), () => '', '', privateSubnet);
    reservationsOfMine++;
    // Another environment, and an instance of no environment: never listed for alpha.
    for (let r = 0; r < 3; r++) for (const inst of await run({ count: 2, subnet: privateSubnet, env: OTHER, role: 'compute', name: (i) => `beta-compute-${r}-${i}` })) theirs.add(inst.InstanceId!);
    for (const inst of await run({ count: 1, subnet: privateSubnet })) theirs.add(inst.InstanceId!);
  });

  after(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('listInstances returns exactly this environment\'s instances, with role, IPs, AZ, state, type', async () => {
    const rows = await listInstances(ctx);
    assert.equal(rows.length, mine.size);
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(mine.keys()));
    for (const r of rows) {
      const want = mine.get(r.id)!;
      assert.equal(r.name, want.name, r.id);
      assert.equal(r.role, want.role, r.id);
      assert.equal(r.state, 'running');
      assert.equal(r.az, want.subnet === publicSubnet ? 'us-east-1a' : 'us-east-1b');
      assert.match(r.privateIp, want.subnet === publicSubnet ? /^10\.20\.1\.\d+$/ : /^10\.20\.2\.\d+$/);
      assert.ok(Math.abs(r.launchTime - Date.now()) < 10 * 60_000, `launch time ${r.launchTime}`);
      assert.ok(!theirs.has(r.id));
    }
    const bastion = rows.find((r) => r.id === bastionId)!;
    assert.match(bastion.publicIp, /^\d+\.\d+\.\d+\.\d+$/, 'the bastion in the public subnet has a public IP');
    assert.equal(bastion.type, 't3.micro');
    assert.equal(rows.find((r) => r.role === 'compute')!.type, 't3.small');
    // Sorted by name (unnamed last), then id.
    const names = rows.map((r) => r.name);
    assert.equal(names.at(-1), '');
    assert.deepEqual(names.slice(0, 4), ['alpha-bastion', 'alpha-compute-1', 'alpha-compute-10', 'alpha-compute-11']);
    for (let i = 1; i < rows.length - 1; i++) assert.ok(rows[i - 1]!.name <= rows[i]!.name);
    // The other environment sees only its own.
    const beta = await listInstances(ctxFor(moto.endpoint, OTHER));
    assert.equal(beta.length, 6);
    assert.ok(beta.every((r) => r.role === 'compute' && r.name.startsWith('beta-')));
    assert.deepEqual(await listInstances(ctxFor(moto.endpoint, 'nobody')), []);
  });

  it('listInstances follows NextToken across pages (moto pages by reservations)', async () => {
    const pages: number[] = [];
    const rows = await listInstances(ctx, { pageSize: 5, onPage: (n) => pages.push(n) });
    assert.equal(pages.length, Math.ceil(reservationsOfMine / 5), `pages: ${pages.join(', ')}`);
    assert.ok(pages.every((n, i) => i === 0 || n > pages[i - 1]!), 'rows so far grow page by page');
    assert.equal(pages.at(-1), mine.size);
    assert.deepEqual(rows, await listInstances(ctx));
  });

  it('describeInstance gives tags, security groups, volumes with sizes, ENIs, subnet, VPC, image, key', async () => {
    const d = await describeInstance(ctx, bastionId);
    assert.equal(d.id, bastionId);
    assert.equal(d.row.name, 'alpha-bastion');
    assert.equal(d.tags.Environment, ENV);
    assert.equal(d.tags.Role, 'bastion');
    assert.equal(d.tags.KubernetesCluster, `kube-${ENV}`);
    assert.deepEqual(d.securityGroups, [{ id: sgId, name: 'alpha-nodes' }]);
    assert.equal(d.subnetId, publicSubnet);
    assert.equal(d.vpcId, vpcId);
    assert.equal(d.imageId, AMI);
    assert.equal(d.keyName, 'alpha-key');
    const extra = d.volumes.find((v) => v.device === '/dev/sdf');
    assert.ok(extra, `volumes: ${JSON.stringify(d.volumes)}`);
    assert.equal(extra.sizeGiB, 20);
    assert.equal(extra.state, 'in-use');
    assert.match(extra.id, /^vol-/);
    assert.equal(d.enis.length, 1);
    assert.match(d.enis[0]!.id, /^eni-/);
    assert.equal(d.enis[0]!.privateIp, d.row.privateIp);
    assert.equal(d.enis[0]!.subnetId, publicSubnet);

    await assert.rejects(describeInstance(ctx, 'i-0123456789abcdef0'), (err: unknown) => {
      assert.ok(err instanceof AwsError, String(err));
      assert.match(err.message, /^describing instance i-0123456789abcdef0: /);
      return true;
    });
  });

  it('sort and filter the real rows', async () => {
    const rows = await listInstances(ctx);
    const byIp = sortInstances(rows, 'privateIp', 'asc');
    for (let i = 1; i < byIp.length; i++) assert.ok(ipv4ToNumber(byIp[i - 1]!.privateIp) <= ipv4ToNumber(byIp[i]!.privateIp));
    const byRole = sortInstances(rows, 'role', 'desc');
    assert.deepEqual([...new Set(byRole.map((r) => r.role))], ['secure', 'compute', 'bastion', '']);
    // Stable: within a role, the name order of the input is kept.
    const compute = byRole.filter((r) => r.role === 'compute').map((r) => r.name);
    assert.deepEqual(compute, rows.filter((r) => r.role === 'compute').map((r) => r.name));
    assert.deepEqual(filterInstances(rows, 'BASTION').map((r) => r.id), [bastionId]);
    assert.equal(filterInstances(rows, 'compute').length, computeIds.length);
    assert.equal(filterInstances(rows, '10.20.1.').length, 1);
    assert.equal(filterInstances(rows, 'us-east-1b secure').length, 2);
    assert.equal(filterInstances(rows, '').length, rows.length);
    assert.equal(filterInstances(rows, 'no-such-thing').length, 0);
  });

  it('stopped instances show as stopped', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [computeIds[0]!] }));
    const rows = await listInstances(ctx);
    assert.equal(rows.find((r) => r.id === computeIds[0])!.state, 'stopped');
    assert.equal(rows.filter((r) => r.state === 'running').length, mine.size - 1);
  });

  describe('load balancers', () => {
    let elb: ElasticLoadBalancingClient;
    let elbv2: ElasticLoadBalancingV2Client;
    before(async () => {
      elb = new ElasticLoadBalancingClient({ region: REGION, endpoint: moto.endpoint, credentials: creds });
      elbv2 = new ElasticLoadBalancingV2Client({ region: REGION, endpoint: moto.endpoint, credentials: creds });
      // Classic: the kube API's ELB of this environment, with a health check and three instances
      // (computeIds[1] is stopped below, once registered: OutOfService).
      await elb.send(
        new CreateClassicCommand({
          LoadBalancerName: 'alpha-kubeapi-public',
          Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 443, InstanceProtocol: 'TCP', InstancePort: 6443 }],
          Subnets: [publicSubnet],
          SecurityGroups: [sgId],
          Tags: [{ Key: 'Environment', Value: ENV }, { Key: 'Role', Value: 'elb' }],
        }),
      );
      await elb.send(
        new ConfigureHealthCheckCommand({
          LoadBalancerName: 'alpha-kubeapi-public',
          HealthCheck: { Target: 'TCP:6443', Interval: 10, Timeout: 5, HealthyThreshold: 2, UnhealthyThreshold: 2 },
        }),
      );
      await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'alpha-kubeapi-public', Instances: computeIds.slice(1, 4).map((InstanceId) => ({ InstanceId })) }));
      // An internal one created untagged and tagged afterwards (AddTags), no instances.
      await elb.send(new CreateClassicCommand({ LoadBalancerName: 'alpha-kubeapi-internal', Scheme: 'internal', Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 6443, InstancePort: 6443 }], Subnets: [privateSubnet] }));
      await elb.send(new AddTagsCommand({ LoadBalancerNames: ['alpha-kubeapi-internal'], Tags: [{ Key: 'Environment', Value: ENV }] }));
      // 22 of another environment or none: DescribeTags needs two batches of 20 and more.
      for (let i = 0; i < 22; i++) {
        await elb.send(
          new CreateClassicCommand({
            LoadBalancerName: `other-${i}`,
            Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstancePort: 8080 }],
            Subnets: [privateSubnet],
            ...(i % 2 ? { Tags: [{ Key: 'Environment', Value: OTHER }] } : {}),
          }),
        );
      }
      // ELBv2: a network LB with a TCP target group (three targets, one stopped: "unused"),
      // an application LB with a fixed-response listener, and one of another environment.
      // (moto leaves Scheme empty unless it is given; AWS defaults it to internet-facing.)
      const nlb = (await elbv2.send(new CreateV2Command({ Name: 'alpha-nlb', Type: 'network', Scheme: 'internal', Subnets: [privateSubnet], Tags: [{ Key: 'Environment', Value: ENV }] }))).LoadBalancers![0]!;
      const tg = (await elbv2.send(new CreateTargetGroupCommand({ Name: 'alpha-kubeapi', Protocol: 'TCP', Port: 6443, VpcId: vpcId, TargetType: 'instance' }))).TargetGroups![0]!;
      await elbv2.send(new CreateListenerCommand({ LoadBalancerArn: nlb.LoadBalancerArn!, Protocol: 'TCP', Port: 443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }));
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: computeIds.slice(1, 4).map((Id) => ({ Id, Port: 6443 })) }));
      // moto refuses to register a stopped instance (InvalidTargetException): stop one afterwards.
      await ec2.send(new StopInstancesCommand({ InstanceIds: [computeIds[1]!] }));
      const alb = (await elbv2.send(new CreateV2Command({ Name: 'alpha-alb', Type: 'application', Scheme: 'internet-facing', Subnets: [publicSubnet, privateSubnet], SecurityGroups: [sgId], Tags: [{ Key: 'Environment', Value: ENV }] }))).LoadBalancers![0]!;
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: alb.LoadBalancerArn!,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no' } }],
        }),
      );
      await elbv2.send(new CreateV2Command({ Name: 'beta-alb', Subnets: [publicSubnet, privateSubnet], Tags: [{ Key: 'Environment', Value: OTHER }] }));
    });
    after(() => {
      elb?.destroy();
      elbv2?.destroy();
    });

    it('lists only this environment\'s classic ELBs and ELBv2, sorted by name', async () => {
      const rows = await listLoadBalancers(ctx);
      assert.deepEqual(
        rows.map((r) => `${r.kind} ${r.name}`),
        ['application alpha-alb', 'classic alpha-kubeapi-internal', 'classic alpha-kubeapi-public', 'network alpha-nlb'],
      );
      const beta = await listLoadBalancers(ctxFor(moto.endpoint, OTHER));
      assert.deepEqual(beta.map((r) => r.name), ['beta-alb', ...Array.from({ length: 11 }, (_, k) => `other-${2 * k + 1}`)].sort());
      assert.deepEqual(await listLoadBalancers(ctxFor(moto.endpoint, 'nobody')), []);
    });

    it('classic ELB: listeners, scheme, DNS name, instance health (stopped = OutOfService)', async () => {
      const rows = await listLoadBalancers(ctx, { concurrency: 1 });
      const pub = rows.find((r) => r.name === 'alpha-kubeapi-public')!;
      assert.equal(pub.kind, 'classic');
      assert.equal(pub.scheme, 'internet-facing');
      assert.match(pub.dnsName, /alpha-kubeapi-public/);
      assert.deepEqual(pub.listeners, ['TCP:443→TCP:6443']);
      assert.equal(pub.arn, undefined);
      assert.equal(pub.targets.length, 3);
      assert.deepEqual(new Set(pub.targets.map((t) => t.id)), new Set(computeIds.slice(1, 4)));
      const stopped = pub.targets.find((t) => t.id === computeIds[1])!;
      assert.equal(stopped.state, 'OutOfService');
      assert.equal(stopped.healthy, false);
      assert.ok(pub.targets.filter((t) => t.id !== computeIds[1]).every((t) => t.state === 'InService' && t.healthy));
      assert.equal(pub.healthy, 2);
      assert.equal(pub.unhealthy, 1);
      const internal = rows.find((r) => r.name === 'alpha-kubeapi-internal')!;
      assert.equal(internal.scheme, 'internal');
      assert.deepEqual(internal.listeners, ['TCP:6443→TCP:6443']);
      assert.deepEqual(internal.targets, []);
      assert.equal(internal.healthy + internal.unhealthy, 0);
    });

    it('ELBv2: listeners through target groups, target health (moto: healthy / unused)', async () => {
      const rows = await listLoadBalancers(ctx);
      const nlb = rows.find((r) => r.name === 'alpha-nlb')!;
      assert.equal(nlb.kind, 'network');
      assert.equal(nlb.scheme, 'internal');
      // moto makes every ELBv2 ARN `loadbalancer/app/…`, network ones included (AWS: `net/`).
      assert.match(nlb.arn ?? '', /^arn:aws:elasticloadbalancing:us-east-1:\d+:loadbalancer\/(net|app)\/alpha-nlb\//);
      assert.match(nlb.dnsName, /alpha-nlb/);
      assert.deepEqual(nlb.listeners, ['TCP:443→TCP:6443']);
      assert.equal(nlb.targets.length, 3);
      for (const t of nlb.targets) {
        assert.equal(t.port, 6443);
        assert.equal(t.group, 'alpha-kubeapi');
      }
      const stopped = nlb.targets.find((t) => t.id === computeIds[1])!;
      assert.equal(stopped.state, 'unused');
      assert.equal(stopped.healthy, false);
      assert.match(stopped.reason ?? '', /Target\.InvalidState/);
      assert.ok(nlb.targets.filter((t) => t.id !== computeIds[1]).every((t) => t.state === 'healthy' && t.healthy));
      assert.equal(nlb.healthy, 2);
      assert.equal(nlb.unhealthy, 1);
      const alb = rows.find((r) => r.name === 'alpha-alb')!;
      assert.equal(alb.kind, 'application');
      assert.equal(alb.scheme, 'internet-facing');
      assert.deepEqual(alb.listeners, ['HTTP:80→fixed-response']);
      assert.deepEqual(alb.targets, []);
    });

    it('an aborted listing rejects with an AwsError', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(listLoadBalancers(ctx, { signal: ac.signal }), (err: unknown) => {
        assert.ok(err instanceof AwsError, String(err));
        assert.match(err.message, /^listing load balancers: /);
        return true;
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('an unreachable endpoint', () => {
  it('a closed port on 127.0.0.1: AwsError "cannot reach" at once', async () => {
    const port = await freePort(); // free: nothing listens there
    const ctx = ctxFor(`http://127.0.0.1:${port}`);
    for (const call of [
      () => listInstances(ctx, { maxAttempts: 1, signal: AbortSignal.timeout(5_000) }),
      () => listLoadBalancers(ctx, { maxAttempts: 1, signal: AbortSignal.timeout(5_000) }),
      () => describeInstance(ctx, 'i-0123456789abcdef0', { maxAttempts: 1, signal: AbortSignal.timeout(5_000) }),
    ]) {
      const t0 = Date.now();
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof AwsError, String(err));
        assert.match(err.message, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED`));
        assert.match(err.hint, /emulator/);
        return true;
      });
      assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
    }
    // With the context's own 3 attempts (SDK back-off between them) it is still quick.
    const t0 = Date.now();
    await assert.rejects(listInstances(ctx, { signal: AbortSignal.timeout(5_000) }), /cannot reach/);
    assert.ok(Date.now() - t0 < 4_000, `took ${Date.now() - t0} ms`);
  });

  it('a port that accepts but never answers: the AbortSignal.timeout ends it as "cannot reach" (TimeoutError)', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const t0 = Date.now();
      await assert.rejects(listInstances(ctxFor(`http://127.0.0.1:${port}`), { signal: AbortSignal.timeout(300) }), (err: unknown) => {
        assert.ok(err instanceof AwsError, String(err));
        assert.match(err.message, /^listing instances: cannot reach .*TimeoutError/);
        return true;
      });
      assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('sortInstances / filterInstances (pure)', () => {
  const rows = [
    row({ id: 'i-1', name: 'node-10', privateIp: '10.0.0.10', launchTime: 3000 }),
    row({ id: 'i-2', name: 'node-2', privateIp: '10.0.0.9', publicIp: '3.3.3.3', launchTime: 1000 }),
    row({ id: 'i-3', name: '', privateIp: '', launchTime: 0, state: 'terminated' }),
    row({ id: 'i-4', name: 'Node-1', privateIp: '9.255.255.255', launchTime: 2000, role: 'bastion' }),
    row({ id: 'i-5', name: 'node-2', privateIp: '10.0.1.0', launchTime: 2000 }),
  ];
  const ids = (rs: readonly InstanceRow[]) => rs.map((r) => r.id).join(' ');

  it('IPs by octets, numbers as numbers, text naturally; empty last both ways; stable', () => {
    assert.equal(ids(sortInstances(rows, 'privateIp', 'asc')), 'i-4 i-2 i-1 i-5 i-3');
    assert.equal(ids(sortInstances(rows, 'privateIp', 'desc')), 'i-5 i-1 i-2 i-4 i-3');
    assert.equal(ids(sortInstances(rows, 'launchTime', 'asc')), 'i-2 i-4 i-5 i-1 i-3');
    assert.equal(ids(sortInstances(rows, 'launchTime', 'desc')), 'i-1 i-4 i-5 i-2 i-3');
    assert.equal(ids(sortInstances(rows, 'name', 'asc')), 'i-4 i-2 i-5 i-1 i-3');
    assert.equal(ids(sortInstances(rows, 'name', 'desc')), 'i-1 i-2 i-5 i-4 i-3');
    assert.equal(ids(sortInstances(rows, 'publicIp', 'desc')), 'i-2 i-1 i-3 i-4 i-5');
    assert.equal(ids(sortInstances(rows, 'state', 'asc')), 'i-1 i-2 i-4 i-5 i-3');
    assert.equal(ids(rows), 'i-1 i-2 i-3 i-4 i-5', 'the input is not changed');
    assert.equal(ipv4ToNumber('10.0.0.1'), 167772161);
    for (const bad of ['', '10.0.0', '10.0.0.256', '1.2.3.4.5', 'a.b.c.d', '1..2.3']) assert.ok(Number.isNaN(ipv4ToNumber(bad)), bad);
  });

  it('filter: case-insensitive substring over the displayed columns, words ANDed, launch time as shown', () => {
    const t = Date.UTC(2024, 4, 1, 12, 34, 56);
    const rs = [...rows, row({ id: 'i-6', name: 'late', launchTime: t, type: 'm5.large' })];
    assert.equal(formatLaunchTime(t), '2024-05-01 12:34');
    assert.equal(ids(filterInstances(rs, 'NODE-2')), 'i-2 i-5');
    assert.equal(ids(filterInstances(rs, 'bastion')), 'i-4');
    assert.equal(ids(filterInstances(rs, '3.3.3')), 'i-2');
    assert.equal(ids(filterInstances(rs, 'TERMINATED')), 'i-3');
    assert.equal(ids(filterInstances(rs, '2024-05-01 12:34')), 'i-6');
    assert.equal(ids(filterInstances(rs, 'm5.large late')), 'i-6');
    assert.equal(ids(filterInstances(rs, '0.10')), 'i-1');
    assert.equal(ids(filterInstances(rs, 'node-1010.0')), '', 'a match never spans two columns');
    assert.equal(filterInstances(rs, '   ').length, rs.length);
    assert.ok(instanceSearchText(rs[0]!).includes('node-10'));
  });

  it('5,000 rows: each keystroke of a filter narrows them correctly; sorting keeps every row (the time per keystroke is bench/instances\'s)', () => {
    const many = Array.from({ length: 5_000 }, (_, i) =>
      row({ id: `i-${i.toString(16).padStart(17, '0')}`, name: `env-compute-${i}`, role: i % 10 ? 'compute' : 'secure', privateIp: `10.${(i >> 8) & 255}.${i & 255}.${i % 7}`, launchTime: 1.7e12 + i * 1000 }),
    );
    const text = 'env-compute-49';
    let previous = many.length;
    for (let k = 1; k <= text.length; k++) {
      const n = filterInstances(many, text.slice(0, k)).length;
      assert.ok(n <= previous, `typing "${text.slice(0, k)}" never widens the match (${n} > ${previous})`);
      previous = n;
    }
    // env-compute-49, 490–499, 4900–4999: 1 + 10 + 100.
    assert.equal(previous, 111);
    assert.equal(filterInstances(many, 'env-compute-4999').length, 1);
    const sorted = sortInstances(many, 'privateIp', 'desc');
    assert.equal(sorted.length, many.length);
  });
});

// ---------------------------------------------------------------------------------------------

describe('mapLimit', () => {
  it('keeps order, never exceeds the limit, fails fast', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(x * 3);
      inFlight--;
      return x * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
    assert.equal(peak, 2);
    let started = 0;
    await assert.rejects(
      mapLimit([1, 2, 3, 4, 5], 1, async (x) => {
        started++;
        if (x === 2) throw new Error('boom');
        return x;
      }),
      /boom/,
    );
    assert.equal(started, 2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Poller (real timers, a fetch of the test\'s own)', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

  it('throttling doubles the interval up to the cap; a success restores it; errors are console errors', async () => {
    const script: ('ok' | 'throttle' | 'raw-throttle' | 'fail')[] = ['ok', 'throttle', 'raw-throttle', 'throttle', 'throttle', 'ok', 'fail', 'ok'];
    const starts: number[] = [];
    const states: PollerState[] = [];
    const errors: ConsoleError[] = [];
    const data: number[] = [];
    let i = 0;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const p = new Poller<number>(
      async () => {
        starts.push(performance.now());
        const step = script[i++];
        if (i >= script.length) finish();
        if (step === 'throttle') throw toAwsError(throttled(), 'listing instances');
        if (step === 'raw-throttle') throw throttled();
        if (step === 'fail') throw new Error('ECONNREFUSED 127.0.0.1');
        return i;
      },
      { intervalMs: 40, maxIntervalMs: 200, onData: (d) => data.push(d), onError: (e) => errors.push(e), onState: (s) => states.push(s) },
    );
    p.start();
    await done;
    await sleep(10);
    p.stop();
    const after = states.filter((s) => !s.loading);
    assert.deepEqual(
      after.map((s) => [s.nextInMs > 0 ? Math.round(s.nextInMs / 10) * 10 : 0, s.backoff]),
      [[40, false], [80, true], [160, true], [200, true], [200, true], [40, false], [40, false], [40, false]],
    );
    assert.equal(after.length, script.length);
    assert.ok(states.filter((s) => s.loading).length === script.length);
    // Real gaps between fetch starts follow the delays (each at least the delay).
    const gaps = starts.slice(1).map((t, k) => t - starts[k]!);
    const want = [40, 80, 160, 200, 200, 40, 40];
    gaps.forEach((g, k) => assert.ok(g >= want[k]! - 2 && g < want[k]! + 300, `gap ${k}: ${g.toFixed(1)} ms, want ≥ ${want[k]}`));
    assert.deepEqual(data, [1, 6, 8]);
    assert.equal(errors.length, 5);
    assert.ok(errors.every((e) => e instanceof ConsoleError));
    assert.match(errors[0]!.message, /throttling/);
    assert.match(errors[1]!.message, /^refreshing: AWS is throttling/);
    assert.match(errors[4]!.message, /cannot reach AWS/);
    assert.ok(after.at(-1)!.lastOk! > 0);
  });

  it('never two fetches at once: slow fetches, refresh() spam, timers', async () => {
    let running = 0;
    let peak = 0;
    let calls = 0;
    const p = new Poller<void>(
      async () => {
        calls++;
        running++;
        peak = Math.max(peak, running);
        await sleep(30);
        running--;
      },
      { intervalMs: 5 },
    );
    p.start();
    const spam: Promise<void>[] = [];
    for (let k = 0; k < 20; k++) {
      spam.push(p.refresh());
      await sleep(3);
    }
    await Promise.all(spam);
    // A refresh during a fetch returns that fetch, it does not start another.
    const a = p.refresh();
    const b = p.refresh();
    assert.equal(a, b);
    await a;
    p.stop();
    assert.equal(peak, 1);
    assert.ok(calls >= 3 && calls < 20, `calls ${calls}`);
    // refresh() now fetches at once, not after the interval.
    let at = 0;
    const q = new Poller<void>(async () => void (at = performance.now()), { intervalMs: 10_000 });
    q.start();
    await sleep(20);
    const t0 = performance.now();
    await q.refresh();
    assert.ok(at >= t0 && at - t0 < 20, 'refresh fetched immediately');
    q.stop();
    await q.refresh(); // stopped: nothing
  });

  it('stop() aborts the running fetch; no callback and no fetch after it; start() resumes', async () => {
    let signal: AbortSignal | undefined;
    let calls = 0;
    const seen: string[] = [];
    const p = new Poller<string>(
      async (s) => {
        calls++;
        signal = s;
        // Ignores its signal on purpose for 60 ms, then ends: its result must be dropped.
        await sleep(60);
        return 'late';
      },
      { intervalMs: 20, onData: (d) => seen.push(d), onError: (e) => seen.push(`error ${e.message}`), onState: (s) => seen.push(`state ${s.loading}`) },
    );
    p.start();
    await sleep(10);
    assert.equal(p.state.loading, true);
    seen.length = 0;
    p.stop();
    assert.equal(signal?.aborted, true);
    await sleep(150);
    assert.deepEqual(seen, []);
    assert.equal(calls, 1);
    assert.equal(p.running, false);
    // Start again while an old fetch still runs: the new one waits for it (no overlap).
    let running = 0;
    let peak = 0;
    const r = new Poller<void>(
      async (s) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(40);
        running--;
        void s;
      },
      { intervalMs: 10 },
    );
    r.start();
    await sleep(5);
    r.stop();
    r.start();
    await sleep(120);
    r.stop();
    assert.equal(peak, 1);
  });

  it('stop() aborts an SDK call through its signal (fetch honours the signal)', async () => {
    let reason: unknown;
    const p = new Poller<void>(
      (s) =>
        new Promise<void>((_, reject) => {
          s.addEventListener('abort', () => {
            reason = s.reason;
            reject(s.reason);
          });
        }),
      { intervalMs: 1_000, onError: () => assert.fail('no onError after stop') },
    );
    p.start();
    await sleep(5);
    p.stop();
    await sleep(5);
    assert.equal((reason as Error)?.name, 'AbortError');
    assert.throws(() => new Poller(async () => 1, { intervalMs: 0 }), RangeError);
    assert.throws(() => new Poller(async () => 1, { intervalMs: 100, maxIntervalMs: 50 }), RangeError);
  });
});
