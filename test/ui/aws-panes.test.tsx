import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ConfigureHealthCheckCommand, CreateLoadBalancerCommand, ElasticLoadBalancingClient, RegisterInstancesWithLoadBalancerCommand, AddTagsCommand } from '@aws-sdk/client-elastic-load-balancing';
import { render } from 'ink-testing-library';
import React from 'react';
import type { AwsContext } from '../../src/services/aws/context.js';
import { readStateLock } from '../../src/services/aws/state-lock.js';
import { backendFor } from '../../src/services/terraform/backend.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { AwsController } from '../../src/state/aws-controller.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';
import { frameMatching, sleep } from '../support/frames.js';
const frameMatchingT = (lastFrame: () => string | undefined, re: RegExp, timeoutMs = 20_000): Promise<string> => frameMatching(lastFrame, re, timeoutMs);

const skip = await motoSkipReason();
const ENV = 'paneenv';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };


describe('AWS panes in the console (ink-testing-library, real SDK, moto)', { skip }, () => {
  let moto: MotoServer;
  let dir: string;
  let ui: ReturnType<typeof render>;
  let controller: Controller;
  let s3: S3Client;
  const bucket = `kube-${ENV}-secrets`;

  before(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'pc-panes-'));
    const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: creds };
    const ec2 = new EC2Client(cfg);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' }));
    const ids: string[] = [];
    for (const [name, role] of [[`${ENV}-bastion`, 'bastion'], [`${ENV}-secure-a`, 'secure'], [`${ENV}-compute-a`, 'compute']] as const) {
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-785db401',
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 't3.micro',
          SubnetId: subnet.Subnet!.SubnetId!,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }, { Key: 'Role', Value: role }, { Key: 'Environment', Value: ENV }] }],
        }),
      );
      ids.push(r.Instances![0]!.InstanceId!);
    }
    await ec2.send(new RunInstancesCommand({ ImageId: 'ami-785db401', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'other-env-node' }, { Key: 'Environment', Value: 'other' }] }] }));
    const elb = new ElasticLoadBalancingClient(cfg);
    await elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: `kube-${ENV}-api`, Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 443, InstanceProtocol: 'TCP', InstancePort: 6443 }], AvailabilityZones: ['us-east-1a'] }));
    await elb.send(new ConfigureHealthCheckCommand({ LoadBalancerName: `kube-${ENV}-api`, HealthCheck: { Target: 'TCP:6443', Interval: 10, Timeout: 5, HealthyThreshold: 2, UnhealthyThreshold: 2 } }));
    await elb.send(new AddTagsCommand({ LoadBalancerNames: [`kube-${ENV}-api`], Tags: [{ Key: 'Environment', Value: ENV }] }));
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: `kube-${ENV}-api`, Instances: [{ InstanceId: ids[1]! }] }));
    const kms = new KMSClient(cfg);
    const key = await kms.send(new CreateKeyCommand({}));
    s3 = new S3Client({ ...cfg, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [k, v] of [['secure/kubeconfig_admin', 'apiVersion: v1\nkind: Config\ntoken: sekrit-admin-token\n'], ['tokens/bootstrap', 'abcdef.0123456789abcdef']]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: v, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key.KeyMetadata!.KeyId! }));
    }
    await new SSMClient(cfg).send(new PutParameterCommand({ Name: `/${ENV}/db/password`, Value: 'ssm-sekrit', Type: 'SecureString' }));

    const ctx: AwsContext = { environment: ENV, region: 'us-east-1', credentials: async () => creds, endpoint: moto.endpoint, kmsKeyId: key.KeyMetadata!.Arn! };
    const store = new Store({ environment: ENV, account: '123456789012', region: 'us-east-1', backend: 's3://x', engine: 'terraform', credentials: 'test' });
    // The engine is the real one but never runs here: these tests are about the AWS panes.
    const backend = backendFor(ENV, { terraform_bucket_name: 'no-such-state-bucket', aws_region: 'us-east-1', kms_master_id: 'alias/x' }, true);
    const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: dir, dataDir: dir, cliConfigFile: '', varFile: '', backend, env: {} });
    // The editor: a real process that rewrites the file (and, for the conflict test, waits for a go file).
    // $EDITOR as operators write it: a quoted path with a space, and an argument before the file.
    await mkdir(join(dir, 'my editors'));
    const editorPath = join(dir, 'my editors', 'editor.sh');
    await writeFile(editorPath, `#!/bin/sh\nset -e\n[ "$1" = "--wait" ] || exit 9\nf="$2"\ntouch "${dir}/editing"\nwhile [ -f "${dir}/hold" ] && [ ! -f "${dir}/go" ]; do sleep 0.05; done\nsed -i 's/sekrit-admin-token/rotated-token/' "$f"\necho '# edited' >> "$f"\n`);
    await chmod(editorPath, 0o755);
    const editor = `"${editorPath}" --wait`;
    const aws = new AwsController(store, { ctx, resolveSecretsBucket: async () => bucket, secretsDir: join(dir, 'secrets'), editor, refreshMs: 60_000 });
    controller = new Controller(store, { environment: ENV, engine, readLock: () => readStateLock(s3, backend) }, aws);
    controller.start();
    ui = render(<App controller={controller} size={{ columns: 150, rows: 40 }} />);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    s3?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('2: the environment\'s instances with role, IPs, state, AZ; other environments left out', async () => {
    ui.stdin.write('2');
    const f = await frameMatchingT(ui.lastFrame, /paneenv-secure-a/);
    assert.match(f, /Instances\s+3\b/);
    assert.match(f, /paneenv-bastion\s+bastion\s+10\.9\.1\.\d+/);
    assert.match(f, /paneenv-compute-a\s+compute/);
    assert.match(f, /running/);
    assert.match(f, /us-east-1a/);
    assert.doesNotMatch(f, /other-env-node/);
  });

  it('/ filters instantly, > sorts, Enter shows details', async () => {
    ui.stdin.write('/');
    ui.stdin.write('comp');
    let f = await frameMatchingT(ui.lastFrame, /Instances\s+1 of 3/);
    assert.match(f, /paneenv-compute-a/);
    assert.doesNotMatch(f, /paneenv-bastion/);
    ui.stdin.write('\r');
    ui.stdin.write('\r');
    f = await frameMatchingT(ui.lastFrame, /tags:/);
    assert.match(f, /Role = compute/);
    assert.match(f, /security groups:/);
    assert.match(f, /network interfaces:/);
    ui.stdin.write('\x1b');
    await sleep(100);
    ui.stdin.write('/');
    await sleep(100);
    ui.stdin.write('\x1b');
    await sleep(150); // a lone Esc: the next key must not arrive as Alt+key
    await frameMatchingT(ui.lastFrame, /Instances\s+3\s/);
    ui.stdin.write('>');
    f = await frameMatchingT(ui.lastFrame, /sort role ▲/);
    const order = ['bastion', 'compute', 'secure'].map((r) => f.indexOf(`  ${r} `));
    assert.ok(order[0]! < order[1]! && order[1]! < order[2]!, `not sorted by role:\n${f}`);
  });

  it('3: the classic ELB with its listener and target health', async () => {
    ui.stdin.write('3');
    const f = await frameMatchingT(ui.lastFrame, /kube-paneenv-api/);
    assert.match(f, /classic/);
    assert.match(f, /TCP:443→TCP:6443/);
    ui.stdin.write('\r');
    const d = await frameMatchingT(ui.lastFrame, /targets \(/);
    assert.match(d, /i-[0-9a-f]+/);
    ui.stdin.write('\x1b');
    await sleep(150);
  });

  it('4: the secrets bucket as a tree and the SSM parameters; values masked until r', async () => {
    ui.stdin.write('4');
    let f = await frameMatchingT(ui.lastFrame, /kubeconfig_admin/);
    assert.match(f, /▾ secure\//);
    assert.match(f, /▸ tokens\//);
    assert.match(f, /SSM parameters/);
    assert.doesNotMatch(f, /sekrit/);
    // select kubeconfig_admin (row 1: under the open secure/ folder) and view it
    ui.stdin.write('j');
    await sleep(100);
    ui.stdin.write('\r');
    f = await frameMatchingT(ui.lastFrame, /\(masked\)/);
    assert.doesNotMatch(f, /sekrit-admin-token/);
    ui.stdin.write('r');
    f = await frameMatchingT(ui.lastFrame, /sekrit-admin-token/);
    assert.match(f, /REVEALED/);
    ui.stdin.write('\x1b');
    await sleep(150);
    assert.equal(controller.store.state.secrets.view, undefined, 'the value stayed in memory after closing');
  });

  it('f fetches to a 0600 file', async () => {
    ui.stdin.write('f');
    await frameMatchingT(ui.lastFrame, /Fetched secure\/kubeconfig_admin/);
    const file = join(dir, 'secrets', 'secure', 'kubeconfig_admin');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(await readFile(file, 'utf8'), /sekrit-admin-token/);
  });

  it('e edits in $EDITOR and uploads with SSE-KMS', async () => {
    ui.stdin.write('e');
    await frameMatchingT(ui.lastFrame, /Uploaded secure\/kubeconfig_admin/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'secure/kubeconfig_admin' }));
    assert.match(await got.Body!.transformToString(), /rotated-token/);
    assert.equal(got.ServerSideEncryption, 'aws:kms');
  });

  it('e is refused when the object changed while it was being edited', async () => {
    await writeFile(join(dir, 'hold'), '');
    await rm(join(dir, 'editing'), { force: true });
    ui.stdin.write('e');
    const end = Date.now() + 10_000;
    while (!existsSync(join(dir, 'editing')) && Date.now() < end) await sleep(50);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'secure/kubeconfig_admin', Body: 'changed by someone else\n' }));
    await writeFile(join(dir, 'go'), '');
    await frameMatchingT(ui.lastFrame, /changed since you opened it/);
    assert.match(controller.store.state.message?.text ?? '', /your edit was not uploaded/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'secure/kubeconfig_admin' }));
    assert.equal(await got.Body!.transformToString(), 'changed by someone else\n');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'secure/kubeconfig_admin' }));
    assert.ok(head.ETag);
  });

  it('F lists what differs and does exactly that: the differing local copy is replaced (0600)', async () => {
    const local = join(dir, 'secrets', 'secure', 'kubeconfig_admin');
    assert.match(await readFile(local, 'utf8'), /sekrit-admin-token/, 'the local copy from f');
    ui.stdin.write('F');
    const f = await frameMatchingT(ui.lastFrame, /Fetch \d+ files? from the bucket into/);
    assert.match(f, /~ secure\/kubeconfig_admin  \(differs: local copy will be replaced\)/);
    ui.stdin.write('y');
    const done = await frameMatchingT(ui.lastFrame, /Fetched \d+ files? into .*: \d+ new, 1 replaced/);
    assert.doesNotMatch(done, /refused/);
    assert.equal(await readFile(local, 'utf8'), 'changed by someone else\n');
    assert.equal((await stat(local)).mode & 0o777, 0o600);
  });

  it('U refuses, per file, a change made in the bucket after the comparison, and says so', async () => {
    const local = join(dir, 'secrets', 'secure', 'kubeconfig_admin');
    await writeFile(local, 'local v2\n');
    ui.stdin.write('U');
    const f = await frameMatchingT(ui.lastFrame, /Upload \d+ files? from .* to the bucket/);
    assert.match(f, /~ secure\/kubeconfig_admin  \(differs: bucket object will be replaced\)/);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'secure/kubeconfig_admin', Body: 'concurrent\n' }));
    ui.stdin.write('y');
    await frameMatchingT(ui.lastFrame, /Uploaded 0 files to the bucket \(SSE-KMS\): 0 new, 0 replaced; refused 1: secure\/kubeconfig_admin \(changed in the bucket since it was compared/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'secure/kubeconfig_admin' }));
    assert.equal(await got.Body!.transformToString(), 'concurrent\n');
  });

  it('a stopped emulator shows the error inside the pane; the other panes keep working', async () => {
    await moto.stop();
    ui.stdin.write('2');
    await sleep(100);
    ui.stdin.write('r');
    const f = await frameMatchingT(ui.lastFrame, /✗ listing instances: cannot reach/, 30_000);
    assert.match(f, /paneenv-bastion/, 'the last good rows should stay');
    ui.stdin.write('1');
    const p = await frameMatchingT(ui.lastFrame, /Press p to plan|No plan yet/);
    assert.doesNotMatch(p, /✗ listing instances/);
  });
});

describe('prerequisites in the console: missing state bucket and key, :bootstrap, consent to write the profile', { skip }, () => {
  let moto: MotoServer;
  let dir: string;
  let ui: ReturnType<typeof render>;
  let controller: Controller;
  let profileFile: string;

  before(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'pc-boot-'));
    profileFile = join(dir, 'boot.tfvars');
    await writeFile(profileFile, '# the profile\nenvironment = "boot"\nterraform_bucket_name = "pc-boot-state"\nkms_master_id = "1234abcd-12ab-34cd-56ef-1234567890ab"\n');
    const ctx: AwsContext = { environment: 'boot', region: 'us-east-1', credentials: async () => creds, endpoint: moto.endpoint, kmsKeyId: 'alias/pc-boot' };
    const store = new Store({ environment: 'boot', account: '123456789012', region: 'us-east-1', backend: 's3://pc-boot-state', engine: 'terraform', credentials: 'test' });
    const backend = backendFor('boot', { terraform_bucket_name: 'pc-boot-state', aws_region: 'us-east-1', kms_master_id: 'alias/pc-boot' }, true);
    const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: dir, dataDir: dir, cliConfigFile: '', varFile: '', backend, env: {} });
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: creds });
    const aws = new AwsController(store, {
      ctx,
      resolveSecretsBucket: async () => undefined,
      secretsDir: join(dir, 'secrets'),
      editor: 'true',
      prerequisites: { bucket: 'pc-boot-state', kmsAlias: 'alias/pc-boot', profileFile, profileKmsId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
    });
    controller = new Controller(store, { environment: 'boot', engine, readLock: () => readStateLock(s3, backend) }, aws);
    controller.start();
    ui = render(<App controller={controller} size={{ columns: 150, rows: 40 }} />);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says what is missing, creates it on :bootstrap, and writes the profile only after a yes', async () => {
    await frameMatchingT(ui.lastFrame, /the state bucket pc-boot-state and the KMS key alias\/pc-boot do not exist yet/);
    ui.stdin.write(':');
    await sleep(50);
    ui.stdin.write('bootstrap\r');
    await frameMatchingT(ui.lastFrame, /Create the prerequisites of boot in us-east-1\? \(y\/N\)/);
    ui.stdin.write('y');
    await frameMatchingT(ui.lastFrame, /Write kms_master_id = "alias\/pc-boot"/, 30_000);
    assert.match(await readFile(profileFile, 'utf8'), /kms_master_id = "1234abcd/, 'written before consent');
    ui.stdin.write('y');
    await frameMatchingT(ui.lastFrame, /Wrote terraform_bucket_name and kms_master_id/);
    const text = await readFile(profileFile, 'utf8');
    assert.match(text, /^kms_master_id = "alias\/pc-boot"$/m);
    assert.match(text, /^# the profile$/m);
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: creds });
    await s3.send(new HeadObjectCommand({ Bucket: 'pc-boot-state', Key: 'nothing' })).catch((e: { name?: string }) => assert.equal(e.name, 'NotFound'));
    s3.destroy();
    // A second :bootstrap changes nothing.
    ui.stdin.write(':');
    await sleep(50);
    ui.stdin.write('bootstrap\r');
    await frameMatchingT(ui.lastFrame, /Create the prerequisites/);
    ui.stdin.write('y');
    await frameMatchingT(ui.lastFrame, /Nothing to do: the state bucket and the KMS key exist/, 30_000);
  });
});
