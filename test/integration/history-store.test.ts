// The history store against a real moto: conditional writes between two writers, a bucket that
// denies the writes (moto enforcing IAM: a user whose policy denies s3:PutObject on ENV/history/*),
// an endpoint that does not answer, and the upload of what was kept locally.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { freePort } from '../../src/services/local/emulator.js';
import { historyKey, newHistoryId, type HistoryRecord } from '../../src/services/history/record.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();
const BUCKET = 'hist-state';

/** An IAM query call to moto while it still admits unauthenticated requests (the signature is not checked then). */
async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action}: HTTP ${res.status}: ${text}`);
  return text;
}

async function userWithPolicy(endpoint: string, name: string, policy: object): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  await iam(endpoint, { Action: 'CreateUser', UserName: name });
  await iam(endpoint, { Action: 'PutUserPolicy', UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) });
  const xml = await iam(endpoint, { Action: 'CreateAccessKey', UserName: name });
  return { accessKeyId: /<AccessKeyId>([^<]+)</.exec(xml)![1]!, secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(xml)![1]! };
}

function record(env: string, outcome: HistoryRecord['outcome'] = 'running'): HistoryRecord {
  const now = new Date();
  return {
    version: 1,
    id: newHistoryId(now),
    environment: env,
    operation: 'apply',
    outcome,
    who: { arn: 'arn:aws:iam::123456789012:user/tester', login: 'tester@host' },
    startedAt: now.toISOString(),
    terraformVersion: '1.11.4',
    profileHash: 'a'.repeat(64),
    resources: [],
    diagnostics: [],
  };
}

async function body(s3: S3Client, key: string): Promise<HistoryRecord> {
  return JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString()) as HistoryRecord;
}

describe('history store on moto enforcing IAM', { skip }, () => {
  let moto: MotoServer;
  let writer: S3Client;
  let denied: S3Client;
  let keyId: string;
  let dir: string;
  before(async () => {
    // Six unauthenticated IAM actions make the two users; from then on moto checks credentials and policies.
    moto = await startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '6' } });
    const w = await userWithPolicy(moto.endpoint, 'writer', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' }] });
    const d = await userWithPolicy(moto.endpoint, 'no-history', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' },
        { Effect: 'Deny', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/deny/history/*` },
      ],
    });
    const cfg = { region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true };
    writer = new S3Client({ ...cfg, credentials: w });
    denied = new S3Client({ ...cfg, credentials: d, maxAttempts: 1 });
    await writer.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: w });
    keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    kms.destroy();
    dir = await mkdtemp(join(tmpdir(), 'pc-hist-'));
  });
  after(async () => {
    writer?.destroy();
    denied?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('two writers: a second create of the same record is refused; a stale If-Match never overwrites a completed record', async () => {
    const a = new HistoryStore({ s3: writer, bucket: BUCKET, kmsKeyId: keyId, environment: 'two', pendingDir: join(dir, 'a') });
    const b = new HistoryStore({ s3: writer, bucket: BUCKET, kmsKeyId: keyId, environment: 'two', pendingDir: join(dir, 'b') });
    const rec = record('two');
    const created = await a.create(rec);
    assert.equal(created.stored, 'bucket');
    assert.equal((await b.create({ ...rec, operation: 'destroy' })).stored, 'conflict', 'If-None-Match: * refuses to replace it');
    assert.equal((await body(writer, historyKey(rec))).operation, 'apply');
    // B completes it first (it reads the ETag after its If-None-Match is refused).
    const bDone = await b.complete({ ...rec, outcome: 'failed', endedAt: new Date().toISOString() });
    assert.equal(bDone.stored, 'bucket');
    // A still has the ETag of the running record: refused, and the completed record is left alone.
    const aDone = await a.complete({ ...rec, outcome: 'succeeded', endedAt: new Date().toISOString() });
    assert.equal(aDone.stored, 'conflict');
    assert.equal(aDone.stored === 'conflict' ? aDone.current?.outcome : '', 'failed');
    assert.equal((await body(writer, historyKey(rec))).outcome, 'failed');
    const head = await writer.send(new HeadObjectCommand({ Bucket: BUCKET, Key: historyKey(rec) }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
  });

  it('a bucket that denies the writes: the record is kept locally (0600), and uploaded by the next writer that may', async () => {
    const pendingDir = join(dir, 'pending');
    const no = new HistoryStore({ s3: denied, bucket: BUCKET, kmsKeyId: keyId, environment: 'deny', pendingDir });
    const rec = record('deny');
    const start = await no.create(rec);
    assert.equal(start.stored, 'local');
    assert.match(start.stored === 'local' ? start.reason : '', /AccessDenied \(HTTP 403\)/);
    const file = start.stored === 'local' ? start.path : '';
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as HistoryRecord).outcome, 'running');
    const end = await no.complete({ ...rec, outcome: 'succeeded', endedAt: new Date().toISOString() });
    assert.equal(end.stored, 'local');
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as HistoryRecord).outcome, 'succeeded', 'the local file holds the end');
    await assert.rejects(writer.send(new HeadObjectCommand({ Bucket: BUCKET, Key: historyKey(rec) })), (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404, 'nothing reached the bucket');

    // Still denied: the upload waits, the file stays.
    const stillNo = await no.uploadPending();
    assert.deepEqual(stillNo.uploaded, []);
    assert.equal(stillNo.waiting.length, 1);

    const yes = new HistoryStore({ s3: writer, bucket: BUCKET, kmsKeyId: keyId, environment: 'deny', pendingDir });
    const up = await yes.uploadPending();
    assert.deepEqual(up.uploaded.map((r) => r.id), [rec.id]);
    assert.deepEqual(await readdir(pendingDir), []);
    assert.equal((await body(writer, historyKey(rec))).outcome, 'succeeded');
    const head = await writer.send(new HeadObjectCommand({ Bucket: BUCKET, Key: historyKey(rec) }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
  });

  it('an endpoint that does not answer: kept locally with the reason', async () => {
    const port = await freePort();
    const gone = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    try {
      const store = new HistoryStore({ s3: gone, bucket: BUCKET, kmsKeyId: keyId, environment: 'gone', pendingDir: join(dir, 'gone') });
      const w = await store.create(record('gone'));
      assert.equal(w.stored, 'local');
      assert.match(w.stored === 'local' ? w.reason : '', /ECONNREFUSED/);
    } finally {
      gone.destroy();
    }
  });
});

// moto enforcing IAM computes a different signature for ListObjectsV2 with a prefix (SignatureDoesNotMatch): listing runs on a plain moto.
describe('history store: listing', { skip }, () => {
  let moto: MotoServer;
  let writer: S3Client;
  let keyId: string;
  let dir: string;
  before(async () => {
    moto = await startMoto();
    const cfg = { region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    writer = new S3Client(cfg);
    await writer.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient(cfg);
    keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    kms.destroy();
    dir = await mkdtemp(join(tmpdir(), 'pc-hist-'));
  });
  after(async () => {
    writer?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('list: newest first by key order, limited', async () => {
    const store = new HistoryStore({ s3: writer, bucket: BUCKET, kmsKeyId: keyId, environment: 'order', pendingDir: join(dir, 'order') });
    const base = Date.parse('2026-11-29T10:00:00.000Z');
    const ids: string[] = [];
    for (const i of [0, 2, 1]) {
      const rec = { ...record('order'), id: `id-${i}`, startedAt: new Date(base + i * 60_000).toISOString() };
      ids.push(rec.id);
      assert.equal((await store.create(rec)).stored, 'bucket');
    }
    assert.deepEqual((await store.list(10)).map((r) => r.record.id), ['id-2', 'id-1', 'id-0']);
    assert.deepEqual((await store.list(2)).map((r) => r.record.id), ['id-2', 'id-1']);
  });
});
