/**
 * The objects the Kubernetes nodes write into the secrets bucket survive the next apply (issue 11,
 * item 4). The real platform (terraform/, every module) is applied on moto through the CLI; then
 * the test does what a control-plane node's bootstrap does to the bucket:
 *   - as the bootstrap did before the fix (`aws s3 cp --sse aws:kms`: a PutObject with SSE-KMS, new
 *     content, no tags, no content type), for the admin kubeconfig, both join materials and the
 *     init claim (a conditional put);
 *   - and with the bootstrap's own `s3_put` (modules/bootstrap/scripts/lib.sh, run by bash with the
 *     AWS CLI and the settings Terraform rendered into the launch template's user data).
 * After each, `--ci plan` must show no change to any S3 object (and no change at all), and
 * `--ci apply --auto-approve` must leave the nodes' content in place.
 * Needs moto and Terraform (fails without moto when CI=true, skips loudly otherwise); the lib.sh part
 * also needs the AWS CLI (`aws`), with the same rule.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, S3Client, type Tag } from '@aws-sdk/client-s3';

import { motoSkipReason } from '../support/moto.js';
import { applyFailure, applyPlatform } from '../support/platform-apply.js';
import { makeWorkspace, ndjson, type CliResult, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

const ENV = 'nodeobj';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const BUCKET = `kube-${ENV}-secrets-123456789012`;
/** The KMS key the console creates in the emulator for profiles/local.tfvars (kms_master_id). */
const KMS_ALIAS = 'alias/platform-console-local';

/** Where the nodes write (terraform/main.tf, local.secrets_keys). */
const KEYS = {
  kubeconfigAdmin: 'secrets/secure/kubeconfig_admin',
  joinControlPlane: 'secrets/secure/join-control-plane',
  joinCompute: 'secrets/compute/join',
  initClaim: 'secrets/secure/init-claim',
} as const;

const hex = (c: string, n: number) => c.repeat(n);
const JOIN = `kubeadm join kube-${ENV}.local.internal:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:${hex('a', 64)}`;

/** What a node writes: a filled kubeconfig (no placeholders left), join commands, its hostname. */
function nodeContent(round: string): Record<string, string> {
  return {
    [KEYS.kubeconfigAdmin]: [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `  - name: kube-${ENV}`,
      '    cluster:',
      `      server: https://kube-${ENV}.example.test:443`,
      `      certificate-authority-data: ${Buffer.from(`node CA ${round}`).toString('base64')}`,
      'users:',
      `  - name: kube-${ENV}-admin`,
      '    user:',
      `      client-certificate-data: ${Buffer.from(`node cert ${round}`).toString('base64')}`,
      `      client-key-data: ${Buffer.from(`node key ${round}`).toString('base64')}`,
      '',
    ].join('\n'),
    [KEYS.joinControlPlane]: `${JOIN} --control-plane --certificate-key ${hex(round === 'old' ? 'b' : 'c', 64)}\n`,
    [KEYS.joinCompute]: `${JOIN}\n`,
    [KEYS.initClaim]: `ip-10-0-${round === 'old' ? 1 : 2}-10\n`,
  };
}

/** Every resource address a plan run's NDJSON names as changing (planned_change and plan events). */
function changedAddresses(stdout: string): string[] {
  const out = new Set<string>();
  for (const e of ndjson(stdout)) {
    if (e.type === 'planned_change') {
      const addr = (e.change as { resource?: { addr?: string } } | undefined)?.resource?.addr;
      if (addr) out.add(addr);
    } else if (e.type === 'plan') {
      for (const c of (e.changes as { address: string }[] | undefined) ?? []) out.add(c.address);
    }
  }
  return [...out].sort();
}

const tagMap = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));

/**
 * The content of the file cloud-init writes at `path`, from a cloud-config document as
 * modules/bootstrap renders it (`- path: …` then `content: |` and a block indented by 6).
 */
function cloudConfigFile(doc: string, path: string): string {
  const lines = doc.split('\n');
  const at = lines.findIndex((l) => l === `  - path: ${path}`);
  assert.ok(at >= 0, `the user data writes no ${path}`);
  const start = lines.findIndex((l, i) => i > at && l === '    content: |');
  assert.ok(start > at, `no content block for ${path}`);
  const block: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l !== '' && !l.startsWith('      ')) break;
    block.push(l.slice(6));
  }
  return block.join('\n').replace(/\n+$/, '\n');
}

/** Why the AWS CLI part cannot run here, or undefined when `aws` is on PATH. */
function awsCliMissing(): string | undefined {
  const r = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'the AWS CLI (`aws`) is not installed: the test of the bootstrap\'s own uploads (lib.sh)';
}

/** Runs `bash -c SCRIPT _ ARGS…` and gives its exit code and output. */
function bash(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, '_', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('objects the nodes write in the secrets bucket survive the next apply', { skip, concurrency: 1 }, () => {
  let ws: Workspace;
  let s3: S3Client;
  let endpoint: string;
  let kmsKeyArn: string;
  /** Content type and tags Terraform gave the admin kubeconfig at the first apply. */
  let terraformKubeconfig: { contentType: string | undefined; tags: Record<string, string> };

  before(async () => {
    ws = await makeWorkspace('platform');
    await ws.profile(ENV, (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
  });
  after(async () => {
    s3?.destroy();
    await ws?.dispose();
  });

  const cli = async (t: TestContext, args: string[]): Promise<CliResult> => {
    const t0 = Date.now();
    const r = await ws.cli(['-e', ENV, '--local', '--ci', ...args, '--json'], { timeoutMs: 600_000 });
    t.diagnostic(`${args.join(' ')}: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };

  const body = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();

  /** The next plan: no change to any S3 object, and nothing else either. */
  const planIsEmpty = async (t: TestContext) => {
    const r = await cli(t, ['plan']);
    const addresses = changedAddresses(r.stdout);
    assert.deepEqual(
      addresses.filter((a) => a.includes('aws_s3_object')),
      [],
      `the plan changes objects of the secrets bucket (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr}`,
    );
    assert.equal(r.code, 0, `the plan is not empty (exit ${r.code}): ${addresses.join(', ')}\n${r.stderr}`);
  };

  /** An apply, then every node object still holds what the node wrote. */
  const applyKeeps = async (t: TestContext, written: Record<string, string>) => {
    const r = await cli(t, ['apply', '--auto-approve']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-4000));
    for (const [key, content] of Object.entries(written)) assert.equal(await body(key), content, `s3://${BUCKET}/${key} lost what the node wrote`);
  };

  it('apply --auto-approve of the whole platform exits 0', async (t) => {
    const applied = await applyPlatform(ws, ENV, { t, extra: ['--json'] });
    const r = applied.result;
    if (r.code !== 0) assert.fail(await applyFailure(ws, applied));
    endpoint = (JSON.parse(await readFile(join(ws.local, 'emulator.json'), 'utf8')) as { endpoint: string }).endpoint;
    s3 = new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: CREDENTIALS });
    const kms = new KMSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
    kmsKeyArn = (await kms.send(new DescribeKeyCommand({ KeyId: KMS_ALIAS }))).KeyMetadata!.Arn!;
    kms.destroy();
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEYS.kubeconfigAdmin }));
    const tags = tagMap((await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: KEYS.kubeconfigAdmin }))).TagSet);
    terraformKubeconfig = { contentType: head.ContentType, tags };
    t.diagnostic(`Terraform's kubeconfig_admin: ${head.ContentType}, tags ${JSON.stringify(tags)}`);
    assert.equal(head.ContentType, 'application/yaml');
    assert.equal(tags.Role, 'secrets');
    assert.match(await body(KEYS.kubeconfigAdmin), /@@CLIENT_KEY_DATA@@/, 'Terraform uploads the template');
  });

  describe('written as `aws s3 cp --sse aws:kms` did (the bootstrap before the fix): no tags, no content type', { concurrency: 1 }, () => {
    const written = nodeContent('old');

    it('the node overwrites the admin kubeconfig and publishes the join material and the init claim', async () => {
      // The order of secure.sh's boot: claim, (kubeadm init), join material, admin kubeconfig.
      for (const key of [KEYS.initClaim, KEYS.joinControlPlane, KEYS.joinCompute, KEYS.kubeconfigAdmin]) {
        await s3.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: key,
            Body: written[key],
            ServerSideEncryption: 'aws:kms',
            SSEKMSKeyId: kmsKeyArn,
            ...(key === KEYS.initClaim ? { IfNoneMatch: '*' } : {}),
          }),
        );
      }
      // What the node left: its content, SSE-KMS, and neither Terraform's tags nor its content type.
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEYS.kubeconfigAdmin }));
      assert.equal(head.ServerSideEncryption, 'aws:kms');
      assert.notEqual(head.ContentType, terraformKubeconfig.contentType);
      assert.deepEqual(tagMap((await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: KEYS.kubeconfigAdmin }))).TagSet), {});
      assert.equal(await body(KEYS.kubeconfigAdmin), written[KEYS.kubeconfigAdmin]);
    });

    it('the next plan changes none of those objects (nor anything else)', async (t) => {
      await planIsEmpty(t);
    });

    it('the next apply keeps what the node wrote', async (t) => {
      await applyKeeps(t, written);
    });
  });

  describe("written by the bootstrap's own s3_put (lib.sh with the AWS CLI, the settings from the launch template)", { concurrency: 1 }, () => {
    const written = nodeContent('new');
    /** Set when `aws` is missing (outside CI): every test here skips. */
    const missing = awsCliMissing();
    let dir: string;
    let env: NodeJS.ProcessEnv | undefined;
    /** Skips (no AWS CLI) or fails (the previous step did not set the node up) unless the node is ready. */
    const ready = (t: TestContext): boolean => {
      if (missing) {
        t.skip(missing);
        return false;
      }
      assert.ok(env, 'the node was not set up from the launch template (see the first test of this group)');
      return true;
    };
    /** Runs lib.sh's s3_put FILE KEY [OPTIONS…] as secure.sh does. */
    const s3Put = (file: string, key: string, ...opts: string[]) => bash('. "$1"; shift; s3_put "$@"', [join(dir, 'lib.sh'), file, key, ...opts], env ?? {});

    it('the control plane\'s user data (launch template) holds lib.sh and settings with the tags and content type', async (t) => {
      if (missing) {
        if (process.env['CI'] === 'true') assert.fail(`${missing} cannot run, and CI=true: install the AWS CLI in the CI image`);
        process.stderr.write(`\n*** SKIPPED: ${missing} is skipped outside CI ***\n\n`);
        t.skip(missing);
        return;
      }
      const ec2 = new EC2Client({ region: REGION, endpoint, credentials: CREDENTIALS });
      const res = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: `${ENV}-secure`, Versions: ['$Latest'] }));
      ec2.destroy();
      const userData = res.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
      assert.ok(userData, 'the secure launch template has no user data');
      const doc = gunzipSync(Buffer.from(userData, 'base64')).toString('utf8');
      dir = join(ws.dir, 'node');
      await mkdir(dir);
      const settings = cloudConfigFile(doc, '/etc/platform/bootstrap.env');
      await writeFile(join(dir, 'bootstrap.env'), settings);
      await writeFile(join(dir, 'lib.sh'), cloudConfigFile(doc, '/usr/local/lib/platform/lib.sh'));
      assert.match(settings, new RegExp(`^OBJECT_TAGGING='Environment=${ENV}&KubernetesCluster=kube-${ENV}&ManagedBy=platform-console&Role=secrets'$`, 'm'));
      assert.match(settings, /^KUBECONFIG_ADMIN_CONTENT_TYPE='application\/yaml'$/m);
      for (const [key, content] of Object.entries(written)) await writeFile(join(dir, key.replace(/\//g, '_')), content);
      env = {
        PATH: process.env.PATH,
        HOME: ws.dir,
        LANG: 'C.UTF-8',
        PLATFORM_BOOTSTRAP_ENV: join(dir, 'bootstrap.env'),
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      };
    });

    it('s3_put publishes the join material and the admin kubeconfig with Terraform\'s content type and tags', async (t) => {
      if (!ready(t)) return;
      const file = (key: string) => join(dir, key.replace(/\//g, '_'));
      // publish_join_material, then publish_admin_kubeconfig.
      for (const key of [KEYS.joinCompute, KEYS.joinControlPlane, KEYS.kubeconfigAdmin]) {
        const r = await s3Put(file(key), key);
        assert.equal(r.code, 0, `s3_put ${key}: ${r.output}`);
      }
      // The init claim is a conditional put: refused while one exists…
      const refused = await s3Put(file(KEYS.initClaim), KEYS.initClaim, '--if-none-match', '*');
      assert.notEqual(refused.code, 0, 'a second init claim was accepted');
      assert.equal(await body(KEYS.initClaim), nodeContent('old')[KEYS.initClaim]);
      // …and taken once the stuck claim is removed by hand.
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEYS.initClaim }));
      const claimed = await s3Put(file(KEYS.initClaim), KEYS.initClaim, '--if-none-match', '*');
      assert.equal(claimed.code, 0, `the init claim: ${claimed.output}`);

      const { Name: _name, ...common } = terraformKubeconfig.tags;
      for (const key of Object.values(KEYS)) {
        assert.equal(await body(key), written[key], key);
        const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
        assert.equal(head.ServerSideEncryption, 'aws:kms', key);
        assert.ok(head.SSEKMSKeyId && kmsKeyArn.endsWith(head.SSEKMSKeyId.replace(/^.*key\//, '')), `${key} is encrypted with ${head.SSEKMSKeyId}, not ${kmsKeyArn}`);
        assert.equal(head.ContentType, key === KEYS.kubeconfigAdmin ? terraformKubeconfig.contentType : 'text/plain', key);
        const tags = tagMap((await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet);
        assert.deepEqual(tags, { ...common, Name: key }, key);
      }
    });

    it('the next plan changes none of those objects (nor anything else)', async (t) => {
      if (!ready(t)) return;
      await planIsEmpty(t);
    });

    it('the next apply keeps what the node wrote', async (t) => {
      if (!ready(t)) return;
      await applyKeeps(t, written);
    });
  });
});
