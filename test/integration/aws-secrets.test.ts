import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/core/paths.js';
const ROOT = projectRoot();
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

import { AwsError, ConsoleError, ProfileError } from '../../src/core/errors.js';
import { bootstrapPrerequisites, checkPrerequisites } from '../../src/services/aws/bootstrap.js';
import type { AwsContext } from '../../src/services/aws/context.js';
import { getParameter, listParameters } from '../../src/services/aws/parameters.js';
import {
  diffTree,
  fetchSecretToFile,
  fetchTree,
  getSecret,
  listSecrets,
  maskSecret,
  putSecret,
  SecretConflictError,
  secretTree,
  uploadSecretFile,
  uploadTree,
  type SecretEntry,
} from '../../src/services/aws/secrets.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const BUCKET = 'itest-secrets-bucket';

function sdkConfig(endpoint: string, region = 'us-east-1') {
  return { region, endpoint, credentials: CREDENTIALS };
}

function contextFor(endpoint: string, extra: Partial<AwsContext> = {}): AwsContext {
  return { environment: 'itest', region: 'us-east-1', credentials: async () => CREDENTIALS, endpoint, secretsBucket: BUCKET, kmsKeyId: 'unset', ...extra };
}

async function bodyOf(s3: S3Client, key: string, bucket = BUCKET): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

/** Every file and directory below `dir` with its permission bits, relative path → mode. */
async function modes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out[r] = (await stat(join(abs, e.name))).mode & 0o777;
      if (e.isDirectory()) await walk(join(abs, e.name), r);
    }
  };
  await walk(dir, '');
  return out;
}

/** Runs `fn` with the process umask set to 0, so modes come from the code, not from the umask. */
async function withUmask0<T>(fn: () => Promise<T>): Promise<T> {
  const old = process.umask(0);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

interface Proxy {
  endpoint: string;
  /** Every request seen: method, path and body. */
  requests: { method: string; url: string; body: string }[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of moto that records every request and can run `before(req)`
 * before forwarding it (moto does not check SigV4 signatures, so forwarding the Host header as is works).
 */
async function startProxy(port: number, before?: (method: string, url: string) => Promise<void>): Promise<Proxy> {
  const requests: Proxy['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      requests.push({ method, url, body: body.toString('utf8') });
      const forward = (): void => {
        const up = http.request({ host: '127.0.0.1', port, method, path: url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(body);
      };
      (before ? before(method, url) : Promise.resolve()).then(forward, forward);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('maskSecret', () => {
  it('shows size and a hash prefix, never the body', () => {
    const body = Buffer.from('x'.repeat(1234));
    const sha = createHash('sha256').update(body).digest('hex');
    assert.equal(maskSecret(body), `•••••• (1,234 bytes, sha256 ${sha.slice(0, 8)}…)`);
    assert.ok(!maskSecret(Buffer.from('hunter2')).includes('hunter2'));
    assert.match(maskSecret(Buffer.alloc(0)), /^•••••• \(0 bytes, sha256 e3b0c442…\)$/);
  });
});

describe('secretTree', () => {
  it('nests keys into folders, folders first, each level sorted; folder markers make folders only', () => {
    const e = (key: string): SecretEntry => ({ key, size: 1, etag: 'e', lastModified: 0 });
    const entries = [e('secrets/secure/kubeconfig_admin'), e('zz-top'), e('secrets/compute/join'), e('secrets/secure/init-claim'), e('manifests/'), e('a-file'), e('secrets/readme')];
    assert.deepEqual(secretTree(entries), [
      { name: 'manifests', path: 'manifests/', children: [] },
      {
        name: 'secrets',
        path: 'secrets/',
        children: [
          { name: 'compute', path: 'secrets/compute/', children: [{ name: 'join', path: 'secrets/compute/join', entry: entries[2] }] },
          {
            name: 'secure',
            path: 'secrets/secure/',
            children: [
              { name: 'init-claim', path: 'secrets/secure/init-claim', entry: entries[3] },
              { name: 'kubeconfig_admin', path: 'secrets/secure/kubeconfig_admin', entry: entries[0] },
            ],
          },
          { name: 'readme', path: 'secrets/readme', entry: entries[6] },
        ],
      },
      { name: 'a-file', path: 'a-file', entry: entries[5] },
      { name: 'zz-top', path: 'zz-top', entry: entries[1] },
    ]);
    assert.deepEqual(secretTree([]), []);
  });
});

describe('secrets bucket, SSM parameters and prerequisites against moto', { skip }, () => {
  let moto: MotoServer;
  let s3: S3Client;
  let kms: KMSClient;
  let ctx: AwsContext;
  let keyId: string;
  let keyArn: string;
  let tmp: string;

  before(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...sdkConfig(moto.endpoint), forcePathStyle: true });
    kms = new KMSClient(sdkConfig(moto.endpoint));
    const key = await kms.send(new CreateKeyCommand({ Description: 'itest secrets key' }));
    keyId = key.KeyMetadata!.KeyId!;
    keyArn = key.KeyMetadata!.Arn!;
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    ctx = contextFor(moto.endpoint, { kmsKeyId: keyId });
    tmp = await mkdtemp(join(tmpdir(), 'pc-secrets-'));
  });
  after(async () => {
    s3?.destroy();
    kms?.destroy();
    await moto?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the Cluster pane finds the admin kubeconfig through the outputs: refuses the template, reads the real one', async () => {
    const { loadClusterKubeconfig } = await import('../../src/services/kube/source.js');
    const key = 'secrets/secure/kubeconfig_admin';
    const outputs = async () => [
      { name: 'secrets_bucket', value: BUCKET, sensitive: false },
      { name: 'kubeconfig_admin_key', value: key, sensitive: false },
      { name: 'kubeapi_internal_elb', value: 'internal-kube-x.elb.amazonaws.com', sensitive: false },
    ] as never;
    const tpl = await readFile(join(ROOT, 'terraform', 'modules', 'secrets', 'templates', 'kubeconfig_admin.yaml.tftpl'), 'utf8');
    await putSecret(ctx, key, Buffer.from(tpl));
    await assert.rejects(loadClusterKubeconfig({ ctx, outputs, local: false }), /still the template/);
    const real = tpl.replace(/@@[A-Z_]+@@/g, 'ZmFrZQ==').replace(/\$\{[a-z_]+\}/g, 'kube-x');
    await putSecret(ctx, key, Buffer.from(real));
    const src = await loadClusterKubeconfig({ ctx, outputs, local: false });
    assert.equal(src.text, real);
    assert.equal(src.source, `s3://${BUCKET}/${key}`);
    assert.deepEqual(src.internal, { host: 'internal-kube-x.elb.amazonaws.com', port: 6443 });
    await assert.rejects(loadClusterKubeconfig({ ctx, outputs: async () => [], local: false }), /apply the platform first|outputs secrets_bucket/);
    await assert.rejects(loadClusterKubeconfig({ ctx, outputs, local: true }), /local emulator runs no Kubernetes/);
  });

  it('putSecret then getSecret round-trips every byte; the stored object is SSE-KMS with our key and carries its sha256', async () => {
    const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const put = await putSecret(ctx, 'secrets/secure/kubeconfig_admin', body);
    assert.match(put.etag, /^[0-9a-f]{32}$/);
    const got = await getSecret(ctx, 'secrets/secure/kubeconfig_admin');
    assert.ok(got.body.equals(body));
    assert.equal(got.etag, put.etag);
    assert.equal(got.sse, 'aws:kms');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'secrets/secure/kubeconfig_admin' }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.ok(head.SSEKMSKeyId === keyId || head.SSEKMSKeyId === keyArn, `SSEKMSKeyId ${head.SSEKMSKeyId} is not our key`);
    assert.equal(head.Metadata?.['sha256'], createHash('sha256').update(body).digest('hex'));
    const listed = await listSecrets(ctx);
    const entry = listed.find((x) => x.key === 'secrets/secure/kubeconfig_admin');
    assert.ok(entry);
    assert.equal(entry.size, 512);
    assert.equal(entry.etag, put.etag);
    assert.ok(Math.abs(entry.lastModified - Date.now()) < 120_000, `lastModified ${entry.lastModified} is not ms near now`);
  });

  it('an edit based on a stale ETag is refused with SecretConflictError and overwrites nothing', async () => {
    const key = 'secrets/secure/token';
    await putSecret(ctx, key, Buffer.from('version-1'));
    const opened = await getSecret(ctx, key);
    // Someone else changes it behind our back.
    const theirs = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'version-2-theirs', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }));
    const now = theirs.ETag!.replace(/"/g, '');
    const err = await putSecret(ctx, key, Buffer.from('version-1-my-edit'), { ifMatch: opened.etag }).then(
      () => assert.fail('the stale edit was uploaded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SecretConflictError, `expected SecretConflictError, got ${String(err)}`);
    assert.ok(err instanceof AwsError);
    assert.equal(err.message, `s3://${BUCKET}/${key} changed since you opened it (ETag ${opened.etag}, now ${now}): your edit was not uploaded`);
    assert.equal(err.hint, 'fetch it again (r) and redo the edit');
    assert.equal(err.expectedEtag, opened.etag);
    assert.equal(err.currentEtag, now);
    assert.ok(!err.message.includes('version-1-my-edit'));
    assert.equal(await bodyOf(s3, key), 'version-2-theirs');
    // With the current ETag (quoted, as S3 gives it, or not) the edit goes through.
    await putSecret(ctx, key, Buffer.from('version-3'), { ifMatch: theirs.ETag! });
    assert.equal(await bodyOf(s3, key), 'version-3');
  });

  it('an edit of a secret deleted meanwhile is refused ("now deleted") and does not recreate it', async () => {
    const key = 'secrets/secure/deleted-meanwhile';
    const { etag } = await putSecret(ctx, key, Buffer.from('v1'));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await assert.rejects(putSecret(ctx, key, Buffer.from('v2'), { ifMatch: etag }), (e: unknown) => e instanceof SecretConflictError && e.message.includes(`(ETag ${etag}, now deleted)`));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), /NotFound/);
  });

  it('ifNoneMatch refuses to replace an existing secret, and creates a new one', async () => {
    const key = 'secrets/compute/join';
    await putSecret(ctx, key, Buffer.from('original'));
    await assert.rejects(
      putSecret(ctx, key, Buffer.from('replacement'), { ifNoneMatch: true }),
      (e: unknown) => e instanceof SecretConflictError && /^s3:\/\/itest-secrets-bucket\/secrets\/compute\/join already exists \(ETag [0-9a-f]{32}\): your upload was not made$/.test(e.message),
    );
    assert.equal(await bodyOf(s3, key), 'original');
    await putSecret(ctx, 'secrets/compute/new-one', Buffer.from('fresh'), { ifNoneMatch: true });
    assert.equal(await bodyOf(s3, 'secrets/compute/new-one'), 'fresh');
  });

  it('fetchSecretToFile writes mode 0600 whatever the umask, refuses to overwrite, overwrites on request', async () => {
    await putSecret(ctx, 'secrets/secure/cert.pem', Buffer.from('-----BEGIN CERT-----\nsecret\n'));
    const dir = join(tmp, 'single');
    await mkdir(dir);
    const file = join(dir, 'cert.pem');
    await withUmask0(() => fetchSecretToFile(ctx, 'secrets/secure/cert.pem', file));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await readFile(file, 'utf8'), '-----BEGIN CERT-----\nsecret\n');

    await writeFile(file, 'local edit');
    await assert.rejects(fetchSecretToFile(ctx, 'secrets/secure/cert.pem', file), (e: unknown) => e instanceof ConsoleError && e.message === `${file} already exists: not overwritten`);
    assert.equal(await readFile(file, 'utf8'), 'local edit');

    const loose = join(dir, 'loose.pem');
    await writeFile(loose, 'old', { mode: 0o644 });
    await withUmask0(() => fetchSecretToFile(ctx, 'secrets/secure/cert.pem', loose, { overwrite: true }));
    assert.equal((await stat(loose)).mode & 0o777, 0o600);
    assert.equal(await readFile(loose, 'utf8'), '-----BEGIN CERT-----\nsecret\n');
    assert.deepEqual((await readdir(dir)).sort(), ['cert.pem', 'loose.pem'], 'a temp file was left behind');

    await assert.rejects(fetchSecretToFile(ctx, 'secrets/secure/cert.pem', join(tmp, 'no-such-dir', 'x')), ConsoleError);
  });

  it('a file that appears while the secret downloads is not overwritten (atomic no-clobber, not just a check before)', async () => {
    await putSecret(ctx, 'secrets/secure/raced', Buffer.from('from the bucket'));
    const dir = join(tmp, 'race');
    await mkdir(dir);
    const file = join(dir, 'raced');
    // A proxy in front of moto that writes `file` before it forwards the GetObject.
    const proxy = await startProxy(moto.port, async (method, url) => {
      if (method === 'GET' && url.includes('/secrets/secure/raced')) await writeFile(file, 'written meanwhile', { mode: 0o644 });
    });
    try {
      const viaProxy = { ...ctx, endpoint: proxy.endpoint };
      await assert.rejects(fetchSecretToFile(viaProxy, 'secrets/secure/raced', file), (e: unknown) => e instanceof ConsoleError && e.message === `${file} already exists: not overwritten`);
      assert.equal(await readFile(file, 'utf8'), 'written meanwhile');
      assert.deepEqual(await readdir(dir), ['raced'], 'the temp file was left behind');
    } finally {
      await proxy.close();
    }
  });

  it('uploadSecretFile reads a local file and uploads it with SSE-KMS', async () => {
    const file = join(tmp, 'upload-me');
    await writeFile(file, 'from a file');
    await uploadSecretFile(ctx, 'secrets/secure/from-file', file, { ifNoneMatch: true });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'secrets/secure/from-file' }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.equal(await bodyOf(s3, 'secrets/secure/from-file'), 'from a file');
    await assert.rejects(uploadSecretFile(ctx, 'x', join(tmp, 'missing-file')), (e: unknown) => e instanceof ConsoleError && /cannot read .*missing-file: ENOENT/.test(e.message));
  });

  it('tree: upload, diff by content (with and without the sha256 metadata), fetch with 0700/0600, keep or overwrite differing files', async () => {
    const src = join(tmp, 'tree-src');
    await mkdir(join(src, 'a', 'b'), { recursive: true });
    await writeFile(join(src, 'top.txt'), 'top secret');
    await writeFile(join(src, 'a', 'b', 'deep.key'), 'deep secret');
    await writeFile(join(src, 'a', '.hidden'), 'hidden secret');

    const up = await uploadTree(ctx, src, { prefix: 'tree' });
    assert.deepEqual(up, { copied: ['a/.hidden', 'a/b/deep.key', 'top.txt'], kept: [], same: [] });
    assert.equal(await bodyOf(s3, 'tree/a/b/deep.key'), 'deep secret');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tree/top.txt' }))).ServerSideEncryption, 'aws:kms');
    assert.deepEqual(await diffTree(ctx, src, 'tree/'), { onlyRemote: [], onlyLocal: [], differ: [], same: ['a/.hidden', 'a/b/deep.key', 'top.txt'], skipped: [] });

    // Same size, different content, on both paths of the comparison:
    await writeFile(join(src, 'top.txt'), 'TOP SECRET'); // local change; remote has the sha256 metadata
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tree/a/.hidden', Body: 'HIDDEN SECRET', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId })); // no metadata: compared by download
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tree/a/b/deep.key', Body: 'deep secret', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId })); // no metadata, same content
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tree/remote/only', Body: 'remote only', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tree/folder-marker/', Body: Buffer.alloc(0) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tree/../escape', Body: 'must not be written outside' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tree/x//y', Body: 'empty segment' }));
    await writeFile(join(src, 'local-only'), 'local only');
    const diff = await diffTree(ctx, src, 'tree');
    assert.deepEqual(diff, { onlyRemote: ['remote/only'], onlyLocal: ['local-only'], differ: ['a/.hidden', 'top.txt'], same: ['a/b/deep.key'], skipped: ['tree/../escape', 'tree/x//y'] });

    // Fetch into a fresh directory: every directory 0700, every file 0600, whatever the umask.
    const dst = join(tmp, 'tree-dst', 'nested');
    const fetched = await withUmask0(() => fetchTree(ctx, dst, { prefix: 'tree/' }));
    assert.deepEqual(fetched, { copied: ['a/.hidden', 'a/b/deep.key', 'remote/only', 'top.txt'], kept: [], same: [] });
    assert.deepEqual(await modes(dst), { a: 0o700, 'a/.hidden': 0o600, 'a/b': 0o700, 'a/b/deep.key': 0o600, remote: 0o700, 'remote/only': 0o600, 'top.txt': 0o600 });
    assert.equal((await stat(dst)).mode & 0o777, 0o700);
    assert.equal(await readFile(join(dst, 'a', '.hidden'), 'utf8'), 'HIDDEN SECRET');
    assert.deepEqual(await readdir(tmp).then((l) => l.filter((n) => n === 'escape')), [], 'a key with .. was written outside the directory');
    await assert.rejects(stat(join(tmp, 'tree-dst', 'escape')), /ENOENT/);

    // Fetch into the changed source: new files come, differing files are kept unless asked.
    const kept = await fetchTree(ctx, src, { prefix: 'tree/' });
    assert.deepEqual(kept, { copied: ['remote/only'], kept: ['a/.hidden', 'top.txt'], same: ['a/b/deep.key'] });
    assert.equal(await readFile(join(src, 'top.txt'), 'utf8'), 'TOP SECRET');
    const only = await fetchTree(ctx, src, { prefix: 'tree/', only: ['top.txt'], overwrite: true });
    assert.deepEqual(only, { copied: ['top.txt'], kept: [], same: [] });
    assert.equal(await readFile(join(src, 'top.txt'), 'utf8'), 'top secret');
    assert.equal((await stat(join(src, 'top.txt'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(src, 'a', '.hidden'), 'utf8'), 'hidden secret', '`only` fetched more than asked');
    await assert.rejects(fetchTree(ctx, src, { prefix: 'tree/', only: ['nope'] }), (e: unknown) => e instanceof AwsError && e.message === `no secret tree/nope in s3://${BUCKET}`);

    // Upload: the local-only file goes up; the differing one only with overwrite (If-Match).
    const up2 = await uploadTree(ctx, src, { prefix: 'tree/' });
    assert.deepEqual(up2, { copied: ['local-only'], kept: ['a/.hidden'], same: ['a/b/deep.key', 'remote/only', 'top.txt'] });
    assert.equal(await bodyOf(s3, 'tree/a/.hidden'), 'HIDDEN SECRET');
    const up3 = await uploadTree(ctx, src, { prefix: 'tree/', overwrite: true });
    assert.deepEqual(up3.copied, ['a/.hidden']);
    assert.equal(await bodyOf(s3, 'tree/a/.hidden'), 'hidden secret');
    const final = await diffTree(ctx, src, 'tree/');
    assert.deepEqual([final.onlyLocal, final.differ], [[], []]);
  });

  it('secretTree of the real listing nests the keys written above', async () => {
    const tree = secretTree(await listSecrets(ctx));
    const secrets = tree.find((n) => n.name === 'secrets');
    assert.ok(secrets?.children, 'no secrets/ folder');
    assert.deepEqual(
      secrets.children.map((n) => n.name),
      ['compute', 'secure'],
    );
    const secure = secrets.children.find((n) => n.name === 'secure')!;
    assert.ok(secure.children!.some((n) => n.path === 'secrets/secure/kubeconfig_admin' && n.entry?.size === 512));
  });

  it('a missing or unknown secrets bucket is a clear AwsError', async () => {
    const missing = { ...ctx, secretsBucket: 'itest-no-such-bucket' };
    const re = /^no secrets bucket s3:\/\/itest-no-such-bucket does not exist: apply the platform first \(it is the Terraform output secrets_bucket\)$/;
    for (const call of [() => listSecrets(missing), () => getSecret(missing, 'k'), () => putSecret(missing, 'k', Buffer.from('x')), () => diffTree(missing, tmp)]) {
      await assert.rejects(call(), (e: unknown) => e instanceof AwsError && re.test(e.message));
    }
    const unknown: AwsContext = { ...ctx };
    delete unknown.secretsBucket;
    await assert.rejects(listSecrets(unknown), (e: unknown) => e instanceof AwsError && /^no secrets bucket known for itest: apply the platform first \(it is the Terraform output secrets_bucket\)$/.test(e.message));
  });

  it('an unknown key is "no secret KEY in s3://BUCKET"', async () => {
    await assert.rejects(getSecret(ctx, 'secrets/nope'), (e: unknown) => e instanceof AwsError && e.message === `no secret secrets/nope in s3://${BUCKET}`);
    await assert.rejects(fetchSecretToFile(ctx, 'secrets/nope', join(tmp, 'nope')), (e: unknown) => e instanceof AwsError && e.message === `no secret secrets/nope in s3://${BUCKET}`);
    await assert.rejects(stat(join(tmp, 'nope')), /ENOENT/);
  });

  it('SSM: parameters under /ENV/ are listed without values; getParameter decrypts a SecureString', async () => {
    const ssm = new SSMClient(sdkConfig(moto.endpoint));
    try {
      await ssm.send(new PutParameterCommand({ Name: '/itest/kube/join-token', Value: 'tok-s3cr3t', Type: 'SecureString' }));
      await ssm.send(new PutParameterCommand({ Name: '/itest/cluster-name', Value: 'kube-itest', Type: 'String' }));
      await ssm.send(new PutParameterCommand({ Name: '/itest/cluster-name', Value: 'kube-itest-2', Type: 'String', Overwrite: true }));
      await ssm.send(new PutParameterCommand({ Name: '/itest/azs', Value: 'a,b', Type: 'StringList' }));
      await ssm.send(new PutParameterCommand({ Name: '/other/not-ours', Value: 'x', Type: 'String' }));
      for (let i = 0; i < 12; i++) await ssm.send(new PutParameterCommand({ Name: `/itest/many/p${String(i).padStart(2, '0')}`, Value: 'v', Type: 'String' }));
    } finally {
      ssm.destroy();
    }
    const rows = await listParameters(ctx);
    assert.equal(rows.length, 15, 'every page, nothing from /other/');
    assert.deepEqual(rows.slice(0, 3).map((r) => [r.name, r.type, r.version]), [
      ['/itest/azs', 'StringList', 1],
      ['/itest/cluster-name', 'String', 2],
      ['/itest/kube/join-token', 'SecureString', 1],
    ]);
    assert.ok(rows.every((r) => Object.keys(r).sort().join() === 'lastModified,name,type,version'));
    assert.ok(!JSON.stringify(rows).includes('s3cr3t'), 'a value leaked into the listing');
    assert.ok(Math.abs(rows[0]!.lastModified - Date.now()) < 120_000);
    assert.deepEqual(await getParameter(ctx, '/itest/kube/join-token'), { value: 'tok-s3cr3t', type: 'SecureString' });
    await assert.rejects(getParameter(ctx, '/itest/nope'), (e: unknown) => e instanceof AwsError && e.message === 'no SSM parameter /itest/nope');
  });

  it('bootstrapPrerequisites creates the key and a versioned, SSE-KMS, non-public bucket; a second run changes nothing', async () => {
    const opts = { bucket: 'itest-tf-state', kmsAlias: 'alias/itest-state' };
    assert.deepEqual(await checkPrerequisites(ctx, opts), { bucketExists: false, keyExists: false });

    const first = await bootstrapPrerequisites(ctx, opts);
    assert.equal(first.changed, true);
    assert.deepEqual(first.bucket, { name: 'itest-tf-state', created: true });
    assert.equal(first.key.created, true);
    assert.equal(first.key.alias, 'alias/itest-state');
    assert.equal(first.changes.length, 5, first.changes.join('\n'));

    const described = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/itest-state' }));
    assert.equal(described.KeyMetadata?.KeyId, first.key.id);
    assert.equal(described.KeyMetadata?.Arn, first.key.arn);
    assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: first.key.id }))).KeyRotationEnabled, true);
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'itest-tf-state' }))).Status, 'Enabled');
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: 'itest-tf-state' }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    assert.equal(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'aws:kms');
    assert.equal(rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID, first.key.arn);
    assert.equal(rule?.BucketKeyEnabled, true);
    assert.deepEqual((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'itest-tf-state' }))).PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });

    const second = await bootstrapPrerequisites(ctx, opts);
    assert.deepEqual(second, { bucket: { name: 'itest-tf-state', created: false }, key: { ...first.key, created: false }, changed: false, changes: [] });
    assert.deepEqual(await checkPrerequisites(ctx, opts), { bucketExists: true, keyExists: true, keyState: 'Enabled' });

    // Drift: only what differs is written again.
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'itest-tf-state' }));
    const third = await bootstrapPrerequisites(ctx, opts);
    assert.deepEqual(third.changes, ['blocked all public access to s3://itest-tf-state']);
    assert.equal((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'itest-tf-state' }))).PublicAccessBlockConfiguration?.RestrictPublicBuckets, true);
  });

  it('bootstrapPrerequisites uses an existing alias, creates the bucket in the context region, and refuses unusable keys and bad names', async () => {
    const eu = { ...ctx, region: 'eu-west-1' };
    const euKms = new KMSClient(sdkConfig(moto.endpoint, 'eu-west-1'));
    try {
      const existing = await euKms.send(new CreateKeyCommand({}));
      await euKms.send(new CreateAliasCommand({ AliasName: 'alias/itest-existing', TargetKeyId: existing.KeyMetadata!.KeyId! }));
      // Through a recording proxy: moto accepts a CreateBucket without LocationConstraint in any
      // region (real S3 refuses it outside us-east-1), so the request itself is checked.
      const proxy = await startProxy(moto.port);
      let r;
      try {
        r = await bootstrapPrerequisites({ ...eu, endpoint: proxy.endpoint }, { bucket: 'itest-eu-state', kmsAlias: 'alias/itest-existing' });
      } finally {
        await proxy.close();
      }
      const create = proxy.requests.filter((q) => q.method === 'PUT' && /^\/itest-eu-state\/?$/.test(q.url));
      assert.equal(create.length, 1, 'one CreateBucket');
      assert.match(create[0]!.body, /<LocationConstraint>eu-west-1<\/LocationConstraint>/);
      assert.equal(r.key.created, false);
      assert.equal(r.key.id, existing.KeyMetadata!.KeyId);
      assert.equal(r.bucket.created, true);
      assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'itest-eu-state' }))).LocationConstraint, 'eu-west-1');

      const doomed = await euKms.send(new CreateKeyCommand({}));
      await euKms.send(new CreateAliasCommand({ AliasName: 'alias/itest-doomed', TargetKeyId: doomed.KeyMetadata!.KeyId! }));
      await euKms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyMetadata!.KeyId!, PendingWindowInDays: 7 }));
      await assert.rejects(
        bootstrapPrerequisites(eu, { bucket: 'itest-eu-doomed', kmsAlias: 'alias/itest-doomed' }),
        (e: unknown) => e instanceof AwsError && /is PendingDeletion: it cannot encrypt the state/.test(e.message) && /cancel-key-deletion/.test(e.hint),
      );
      assert.deepEqual(await checkPrerequisites(eu, { bucket: 'itest-eu-doomed', kmsAlias: 'alias/itest-doomed' }), { bucketExists: false, keyExists: true, keyState: 'PendingDeletion' });
    } finally {
      euKms.destroy();
    }
    await assert.rejects(bootstrapPrerequisites(ctx, { bucket: 'Bad_Bucket', kmsAlias: 'alias/x' }), ProfileError);
    await assert.rejects(bootstrapPrerequisites(ctx, { bucket: 'good-bucket', kmsAlias: 'alias/aws/s3' }), ProfileError);
    await assert.rejects(bootstrapPrerequisites(ctx, { bucket: 'good-bucket', kmsAlias: 'my-key-id' }), ProfileError);
  });

  it('a stopped endpoint is "cannot reach" for every service', async () => {
    const dead = await startMoto();
    await dead.stop();
    const deadCtx = contextFor(dead.endpoint, { kmsKeyId: keyId });
    const re = new RegExp(`cannot reach ${dead.endpoint.replace(/[.]/g, '\\.')} \\(ECONNREFUSED`);
    const calls: [string, () => Promise<unknown>][] = [
      ['listSecrets', () => listSecrets(deadCtx)],
      ['getSecret', () => getSecret(deadCtx, 'k')],
      ['putSecret', () => putSecret(deadCtx, 'k', Buffer.from('x'))],
      ['diffTree', () => diffTree(deadCtx, tmp)],
      ['listParameters', () => listParameters(deadCtx)],
      ['getParameter', () => getParameter(deadCtx, '/itest/x')],
      ['checkPrerequisites', () => checkPrerequisites(deadCtx, { bucket: 'itest-tf-state', kmsAlias: 'alias/itest-state' })],
      ['bootstrapPrerequisites', () => bootstrapPrerequisites(deadCtx, { bucket: 'itest-tf-state', kmsAlias: 'alias/itest-state' })],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof AwsError, `${name}: expected AwsError, got ${String(e)}`);
        assert.match(e.message, re, name);
        return true;
      });
    }
  });
});
