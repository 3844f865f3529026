// The History pane on records written by the history store into a real moto bucket (SSE-KMS):
// newest first, `/` filter, Enter shows the whole record with its resources by duration.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';
import { HistoryController } from '../../src/panes/history/controller.js';
import type { HistoryRecord } from '../../src/services/history/record.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { backendFor } from '../../src/services/terraform/backend.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { frameMatching } from '../support/frames.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();
const ENV = 'histpane';
const BUCKET = 'histpane-state';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

function rec(id: string, minute: number, over: Partial<HistoryRecord>): HistoryRecord {
  const start = Date.parse('2026-11-29T10:00:00.000Z') + minute * 60_000;
  return {
    version: 1,
    id,
    environment: ENV,
    operation: 'apply',
    outcome: 'succeeded',
    who: { arn: 'arn:aws:iam::123456789012:user/alice', login: 'alice@laptop' },
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 42_000).toISOString(),
    terraformVersion: '1.11.4',
    profileHash: 'c'.repeat(64),
    resources: [],
    diagnostics: [],
    ...over,
  };
}

describe('the History pane (records in a moto bucket)', { skip }, () => {
  let moto: MotoServer;
  let s3: S3Client;
  let dir: string;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  let history: HistoryStore;

  before(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'pc-histpane-'));
    const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: creds };
    s3 = new S3Client({ ...cfg, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient(cfg);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    kms.destroy();
    history = new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: keyId, environment: ENV, pendingDir: join(dir, 'pending') });
    // Written out of order: the pane shows them by start time, newest first.
    for (const r of [
      rec('20261129T100000Z-aaaaaa', 0, { plan: { add: 3, change: 0, destroy: 0, replace: 0, risk: 'low' }, result: { add: 3, change: 0, destroy: 0 } }),
      rec('20261129T102000Z-cccccc', 20, { outcome: 'interrupted', endedAt: '2026-11-29T10:35:00.000Z', note: 'the process that started it (pid 1) stopped before recording the end' }),
      rec('20261129T101000Z-bbbbbb', 10, {
        operation: 'destroy',
        outcome: 'failed',
        plan: { add: 0, change: 0, destroy: 2, replace: 0, risk: 'medium' },
        resources: [
          { address: 'aws_s3_bucket.quick', action: 'delete', result: 'succeeded', durationMs: 1_200 },
          { address: 'aws_s3_bucket.slow', action: 'delete', result: 'failed', durationMs: 65_000 },
        ],
        diagnostics: [{ severity: 'error', summary: 'deleting S3 Bucket (slow): BucketNotEmpty', address: 'aws_s3_bucket.slow' }],
      }),
    ]) assert.equal((await history.create(r)).stored, 'bucket');

    const store = new Store({ environment: ENV, account: '123456789012', region: 'us-east-1', backend: `s3://${BUCKET}`, engine: 'terraform', credentials: 'test' });
    // The engine is real but never runs here: this test is about the History pane.
    const backend = backendFor(ENV, { terraform_bucket_name: BUCKET, aws_region: 'us-east-1', kms_master_id: 'alias/x' }, true);
    const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: dir, dataDir: dir, cliConfigFile: '', varFile: '', backend, env: {} });
    controller = new Controller(store, { environment: ENV, engine, readLock: async () => ({ kind: 'free' }) }, undefined, undefined, undefined, new HistoryController(store, history, 60_000));
    controller.start();
    ui = render(<App controller={controller} size={{ columns: 200, rows: 40 }} />);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    s3?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('6: the records newest first, with outcome, changes, risk, duration, who', async () => {
    ui.stdin.write('6');
    const f = await frameMatching(ui.lastFrame, /History\s+3\b/, 20_000);
    const at = (id: string) => f.indexOf(id);
    assert.ok(at('cccccc') > 0 && at('cccccc') < at('bbbbbb') && at('bbbbbb') < at('aaaaaa'), `newest first:\n${f}`);
    assert.match(f, /2026-11-29T10:10:00Z\s+destroy\s+failed\s+\+0 ~0 -2\s+medium\s+42s\s+1\s+alice@laptop/);
    assert.match(f, /2026-11-29T10:00:00Z\s+apply\s+succeeded\s+\+3 ~0 -0\s+low\s+42s\s+alice@laptop/);
    assert.match(f, /2026-11-29T10:20:00Z\s+apply\s+interrupted\s+-\s+15m00s/);
  });

  it('/ filters over the record (a resource address); Enter shows the whole record, resources longest first', async () => {
    ui.stdin.write('/');
    ui.stdin.write('slow');
    let f = await frameMatching(ui.lastFrame, /History\s+1 of 3/);
    assert.match(f, /bbbbbb/);
    assert.doesNotMatch(f, /aaaaaa|cccccc/);
    ui.stdin.write('\r');
    ui.stdin.write('\r');
    f = await frameMatching(ui.lastFrame, /resources \(2, longest first\)/);
    assert.match(f, /destroy failed\s+20261129T101000Z-bbbbbb/);
    assert.match(f, /who\s+alice@laptop\s+arn:aws:iam::123456789012:user\/alice/);
    assert.match(f, /plan\s+\+0 ~0 -2\s+risk medium/);
    assert.match(f, /1m05s\s+✗ delete\s+aws_s3_bucket\.slow\s+│\n│\s+1s\s+✓ delete\s+aws_s3_bucket\.quick/);
    assert.match(f, /error\s+deleting S3 Bucket \(slow\): BucketNotEmpty\s+\(aws_s3_bucket\.slow\)/);
  });

  it('reads the newest 50 first and shows them, then the rest in batches; records that ended are read once per console', async () => {
    for (let i = 0; i < 130; i++) assert.equal((await history.create(rec(`20261128T${String(i).padStart(6, '0')}Z-dddddd`, -1000 - i, {}))).stored, 'bucket');
    const reads: number[] = [];
    const counting = { listKeys: (n: number) => history.listKeys(n), readMany: async (keys: readonly string[]) => (reads.push(keys.length), history.readMany(keys)) };
    const store = new Store({ environment: ENV, account: '123456789012', region: 'us-east-1', backend: `s3://${BUCKET}`, engine: 'terraform', credentials: 'test' });
    const shown: number[] = [];
    const off = store.subscribe(() => shown.push(store.state.history.rows.length));
    const hc = new HistoryController(store, counting, 60_000);
    try {
      hc.activate();
      const until = async (ok: () => boolean) => {
        const end = Date.now() + 30_000;
        while (!ok()) {
          if (Date.now() > end) assert.fail(`timed out: reads ${reads.join(',')}, rows ${store.state.history.rows.length}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(() => store.state.history.rows.length === 133 && !store.state.history.loading);
      assert.deepEqual(reads, [50, 83], 'the newest 50, then the other 83');
      assert.ok(shown.includes(50), `the first 50 were shown before the rest: ${[...new Set(shown)].join(',')}`);
      assert.equal(store.state.history.rows[0]!.record.id, '20261129T102000Z-cccccc', 'newest first');
      const before = store.state.history.lastOk;
      hc.refresh();
      await until(() => store.state.history.lastOk !== before && !store.state.history.loading);
      assert.deepEqual(reads, [50, 83], 'no record was read again: none is running');
      assert.equal(store.state.history.rows.length, 133);
    } finally {
      hc.stop();
      off();
    }
  });
});
