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
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';

import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, S3Client, type Tag } from '@aws-sdk/client-s3';

import { motoSkipReason } from '../support/moto.js';
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

describe('objects the nodes write in the secrets bucket survive the next apply', { skip, concurrency: 1 }, () => {
  let ws: Workspace;
  let s3: S3Client;
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
    const r = await cli(t, ['apply', '--auto-approve']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-4000));
    const endpoint = (JSON.parse(await readFile(join(ws.local, 'emulator.json'), 'utf8')) as { endpoint: string }).endpoint;
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
});
