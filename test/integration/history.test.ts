// The history beside the state: real Terraform, the real hashicorp/aws provider, moto (the
// workspace's local emulator) and the CLI as a child process.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname, userInfo } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../src/services/local/emulator.js';
import { historyKey, newHistoryId, type HistoryRecord } from '../../src/services/history/record.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { exitOf, s3For, waitFor } from '../support/cli-child.js';
import { motoSkipReason } from '../support/moto.js';
import { pidsOf, until } from '../support/procs.js';
import { makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const BUCKET = 'platform-console-local-state';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function historyKeys(s3: S3Client, env: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${env}/history/` }));
  return (out.Contents ?? []).map((c) => c.Key!);
}

async function readRecord(s3: S3Client, key: string): Promise<{ text: string; record: HistoryRecord }> {
  const text = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
  return { text, record: JSON.parse(text) as HistoryRecord };
}

async function lockExists(s3: S3Client, env: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${env}/terraform.tfstate.tflock` }));
    return true;
  } catch {
    return false;
  }
}

describe('history: an apply and a destroy each leave a record in ENV/history/ (SSE-KMS), listed newest first', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  let profileFile: string;
  before(async () => {
    ws = await makeWorkspace('slow');
    profileFile = await ws.profile('hist');
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('apply: one record, encrypted with KMS, with who, times, versions, the plan, per-resource rows; no sensitive value', async () => {
    const r = await ws.cli(['-e', 'hist', '--local', '--ci', 'apply', '--auto-approve', '--json'], { env: { PC_TEST_SLEEP: '1' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    s3 = await s3For(ws);
    const keys = await historyKeys(s3, 'hist');
    assert.equal(keys.length, 1, keys.join(', '));
    assert.match(keys[0]!, /^hist\/history\/\d{13}-\d{8}T\d{6}Z-(apply|destroy)-[0-9a-f]{6}\.json$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys[0]! }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.ok(head.SSEKMSKeyId, 'a KMS key id');
    const { text, record } = await readRecord(s3, keys[0]!);
    assert.equal(record.operation, 'apply');
    assert.equal(record.outcome, 'succeeded');
    assert.equal(record.environment, 'hist');
    assert.match(record.who.arn, /^arn:aws:(iam|sts)::\d{12}:/);
    assert.equal(record.who.login, `${userInfo().username}@${hostname()}`);
    assert.ok(Date.parse(record.startedAt) <= Date.parse(record.endedAt!), `${record.startedAt} .. ${record.endedAt}`);
    assert.match(record.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(record.terraformVersion, '1.11.4');
    assert.equal(record.profileHash, createHash('sha256').update(await readFile(profileFile)).digest('hex'));
    assert.equal(record.git, undefined, 'the workspace is not a git checkout');
    assert.deepEqual(record.plan, { add: 4, change: 0, destroy: 0, replace: 0, risk: 'low' });
    assert.deepEqual(record.result, { add: 4, change: 0, destroy: 0 });
    const rows = record.resources.map((x) => `${x.address} ${x.action} ${x.result}`).sort();
    assert.deepEqual(rows, ['terraform_data.fast[0] create succeeded', 'terraform_data.fast[1] create succeeded', 'terraform_data.fast[2] create succeeded', 'terraform_data.slow create succeeded']);
    const slow = record.resources.find((x) => x.address === 'terraform_data.slow')!;
    assert.ok(typeof slow.durationMs === 'number' && slow.durationMs >= 1000, `slept 1 s: ${slow.durationMs}`);
    assert.deepEqual(record.diagnostics, []);
    assert.ok(!text.includes('hunter2'), 'the sensitive output is not in the record');
    // Nothing waits locally.
    assert.deepEqual(await readdir(`${ws.work}/hist.local/history-pending`).catch(() => []), []);
  });

  it('destroy: a second record, listed first by --ci history (text and JSON)', async () => {
    const d = await ws.cli(['-e', 'hist', '--local', '--ci', 'destroy', '--auto-approve'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const keys = await historyKeys(s3, 'hist');
    assert.equal(keys.length, 2, keys.join('\n'));
    const newest = (await readRecord(s3, keys[0]!)).record;
    assert.equal(newest.operation, 'destroy', 'key order lists the newest first');
    assert.equal(newest.outcome, 'succeeded');
    assert.deepEqual(newest.result, { add: 0, change: 0, destroy: 4 });

    const text = await ws.cli(['-e', 'hist', '--local', '--ci', 'history']);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, 2, text.stdout);
    assert.match(lines[0]!, /^\S+Z {2}destroy +succeeded +-?\+0 ~0 -4 {2}risk medium {2}\d+\.\d s {2}\S+@\S+ \(arn:aws:\S+\) {2}\d{8}T\d{6}Z-destroy-[0-9a-f]{6}$/);
    assert.match(lines[1]!, /^\S+Z {2}apply +succeeded +\+4 ~0 -0 {2}risk low {2}\d+\.\d s {2}\S+@/);

    const json = await ws.cli(['-e', 'hist', '--local', '--ci', 'history', '--json', '--limit', '1']);
    assert.equal(json.code, 0, json.stderr);
    // Progress lines come first (type progress); then the records and the summary.
    const events = ndjson(json.stdout).filter((e) => e.type !== 'progress');
    assert.equal(events.length, 2, json.stdout);
    assert.equal(events[0]!.type, 'history_record');
    assert.equal(events[0]!.key, keys[0]);
    assert.equal(events[0]!.operation, 'destroy');
    assert.deepEqual(events[1], { ...events[1], type: 'summary', command: 'history', ok: true, exit_code: 0, count: 1 });
  });
});

describe('history: a record an earlier run could not write is uploaded by the next run, which says so', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('later');
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('kept locally when the endpoint did not answer; --ci plan uploads it (SSE-KMS) and empties the pending dir', async () => {
    const pendingDir = join(ws.work, 'later.local', 'history-pending');
    // The store's own fallback, with an endpoint where nothing listens.
    const gone = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${await freePort()}`, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const now = new Date();
    const rec: HistoryRecord = {
      version: 1, id: newHistoryId(now), environment: 'later', operation: 'apply', outcome: 'running',
      who: { arn: 'arn:aws:iam::123456789012:user/earlier', login: 'earlier@host' }, startedAt: now.toISOString(),
      terraformVersion: '1.11.4', profileHash: 'b'.repeat(64), resources: [], diagnostics: [],
    };
    try {
      const store = new HistoryStore({ s3: gone, bucket: BUCKET, kmsKeyId: 'alias/x', environment: 'later', pendingDir });
      assert.equal((await store.create(rec)).stored, 'local');
      assert.equal((await store.complete({ ...rec, outcome: 'succeeded', endedAt: new Date().toISOString() })).stored, 'local');
      // The process whose record it is leaves it alone (its own writes complete it); another tries it.
      assert.deepEqual(await store.uploadPending(new Set([rec.id])), { uploaded: [], waiting: [] });
      const other = await store.uploadPending();
      assert.equal(other.uploaded.length, 0);
      assert.equal(other.waiting.length, 1);
    } finally {
      gone.destroy();
    }
    assert.equal((await readdir(pendingDir)).length, 1);

    const r = await ws.cli(['-e', 'later', '--local', '--ci', 'plan'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`! history: uploaded 1 record an earlier run kept locally \\(apply ${rec.id}\\)`));
    assert.deepEqual(await readdir(pendingDir), []);
    s3 = await s3For(ws);
    const keys = await historyKeys(s3, 'later');
    assert.deepEqual(keys, [historyKey(rec)]);
    assert.equal((await readRecord(s3, keys[0]!)).record.outcome, 'succeeded');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys[0]! }))).ServerSideEncryption, 'aws:kms');
  });
});

describe('history: two --ci applies of different environments sharing one bucket', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('twin-a');
    await ws.profile('twin-b');
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('each writes its own record under its own prefix, neither touching the other', async () => {
    // The first run starts the shared emulator; then both apply at once.
    assert.equal((await ws.cli(['-e', 'twin-a', '--local', '--ci', 'plan'], { env: { PC_TEST_SLEEP: '0' } })).code, 2);
    const [a, b] = await Promise.all(['twin-a', 'twin-b'].map((e) => ws.cli(['-e', e, '--local', '--ci', 'apply', '--auto-approve'], { env: { PC_TEST_SLEEP: '1' } })));
    assert.equal(a!.code, 0, a!.stdout + a!.stderr);
    assert.equal(b!.code, 0, b!.stdout + b!.stderr);
    s3 = await s3For(ws);
    for (const env of ['twin-a', 'twin-b']) {
      const keys = await historyKeys(s3, env);
      assert.equal(keys.length, 1, `${env}: ${keys.join(', ')}`);
      const { record } = await readRecord(s3, keys[0]!);
      assert.equal(record.environment, env);
      assert.equal(record.outcome, 'succeeded');
      assert.equal(record.resources.length, 4);
    }
    assert.doesNotMatch(a!.stdout + b!.stdout, /warning: history/);
  });
});

describe('history: a failing apply records failed with the diagnostic', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('crash');
    await ws.profile('crash');
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('the provider crash: outcome failed, the resource not succeeded, the crash summary kept', async () => {
    const r = await ws.cli(['-e', 'crash', '--local', '--ci', 'apply', '--auto-approve']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    s3 = await s3For(ws);
    const keys = await historyKeys(s3, 'crash');
    assert.equal(keys.length, 1);
    const { record } = await readRecord(s3, keys[0]!);
    assert.equal(record.outcome, 'failed');
    assert.ok(record.endedAt);
    const elb = record.resources.find((x) => x.address === 'aws_elb.crash');
    assert.ok(elb && elb.result !== 'succeeded', JSON.stringify(record.resources));
    assert.ok(
      record.diagnostics.some((d) => d.severity === 'error' && /^The provider crashed: panic: runtime error/.test(d.summary)),
      JSON.stringify(record.diagnostics),
    );
  });
});

describe('history: a cancel records cancelled', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('cancel');
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('SIGINT during the slow resource: outcome cancelled, the slow row not succeeded', async () => {
    const child = ws.spawnCli(['-e', 'cancel', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '60' });
    const done = exitOf(child);
    await waitFor(child, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    s3 = await s3For(ws);
    // The record is written `running` at the start.
    await until('the running record is in the bucket', async () => (await historyKeys(s3, 'cancel')).length === 1, 30_000);
    assert.equal((await readRecord(s3, (await historyKeys(s3, 'cancel'))[0]!)).record.outcome, 'running');
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const { record } = await readRecord(s3, (await historyKeys(s3, 'cancel'))[0]!);
    assert.equal(record.outcome, 'cancelled');
    assert.notEqual(record.resources.find((x) => x.address === 'terraform_data.slow')?.result, 'succeeded');
  });
});

describe('history: kill -9 of the console during an apply; the next run marks the record interrupted and says so', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile('k9h', (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('running → interrupted, with what Terraform did', async () => {
    const first = ws.spawnCli(['-e', 'k9h', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '5' });
    const firstDone = exitOf(first);
    await waitFor(first, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    s3 = await s3For(ws);
    await until('the running record is in the bucket', async () => (await historyKeys(s3, 'k9h')).length === 1, 30_000);
    first.kill('SIGKILL');
    await firstDone;
    await until('Terraform ended and released the lock', async () => (await pidsOf('platform-console-run:', ws.dir)).length === 0 && !(await lockExists(s3, 'k9h')), 60_000);
    const key = (await historyKeys(s3, 'k9h'))[0]!;
    assert.equal((await readRecord(s3, key)).record.outcome, 'running', 'the killed console could not complete it');

    const next = await ws.cli(['-e', 'k9h', '--local', '--ci', 'plan']);
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.match(next.stdout, /! history: the apply started at \S+ by \S+@\S+ was left "running" and is now marked interrupted: the process that started it \(pid \d+\) stopped before recording the end; Terraform ended on its own with exit status 0 \(no error\)/);
    const { record } = await readRecord(s3, key);
    assert.equal(record.outcome, 'interrupted');
    assert.ok(record.endedAt);
    assert.match(record.note ?? '', /exit status 0/);
    assert.deepEqual(await historyKeys(s3, 'k9h'), [key], 'a plan writes no record');

    // Said once: the next run finds nothing left running.
    const again = await ws.cli(['-e', 'k9h', '--local', '--ci', 'plan']);
    assert.doesNotMatch(again.stdout, /marked interrupted/);
  });
});
