// The console's apply when the history cannot be written: real Terraform and moto for the apply,
// the history's S3 endpoint a port where nothing listens (unreachable). The apply succeeds, the
// message line warns, the record waits in the work dir; the next console uploads it and says so.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { historyKey, type HistoryRecord } from '../../src/services/history/record.js';
import { HistoryRecorder } from '../../src/services/history/recorder.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { freePort } from '../../src/services/local/emulator.js';
import { openSession, type Session } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { s3For } from '../support/cli-child.js';
import { frameMatching } from '../support/frames.js';
import { motoSkipReason } from '../support/moto.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const ENV = 'uihist';

describe('the console: an apply whose history record cannot be written', { skip }, () => {
  let ws: Workspace;
  let session: Session;
  let gone: S3Client;
  let pendingDir: string;
  const uis: ReturnType<typeof render>[] = [];
  const controllers: Controller[] = [];

  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile(ENV);
    const env = { ...ws.env, PC_TEST_SLEEP: '0' };
    session = await openSession({ environment: ENV, local: true, paths: resolvePaths(env), env });
    gone = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${await freePort()}`, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    pendingDir = join(ws.work, `${ENV}.local`, 'history-pending');
  });
  after(async () => {
    for (const u of uis) u.unmount();
    for (const c of controllers) c.stop();
    gone?.destroy();
    session?.close();
    await ws.dispose();
  });

  it('the apply succeeds, the message line warns, the record is kept in the work dir', async () => {
    const store = new HistoryStore({ s3: gone, bucket: session.backend.bucket, kmsKeyId: session.backend.kmsKeyId, environment: ENV, pendingDir });
    const target = {
      environment: ENV,
      engine: session.engine,
      readLock: () => session.readLock(),
      historyRecorder: (sinks: { onWarning: (t: string) => void; onNotice: (t: string) => void }) =>
        new HistoryRecorder(session.engine, store, { environment: ENV, callerArn: session.callerArn, profileFile: session.profileFile, terraformDir: ws.terraform, terraformVersion: session.binary.version, ...sinks }),
    };
    const controller = new Controller(new Store(headerOf(session)), target);
    controllers.push(controller);
    controller.start();
    const ui = render(<App controller={controller} size={{ columns: 400, rows: 40 }} />);
    uis.push(ui);
    await frameMatching(ui.lastFrame, /lock free/, 60_000);
    ui.stdin.write('p');
    await frameMatching(ui.lastFrame, /saved plan ready/, 90_000);
    ui.stdin.write('a');
    await frameMatching(ui.lastFrame, /Apply the saved plan to uihist/);
    ui.stdin.write('y');
    await frameMatching(ui.lastFrame, /Apply complete: 4 added, 0 changed, 0 destroyed/, 90_000);
    // Once the record's last write has failed, the outcome is said again with the warning as its hint.
    const f = await frameMatching(ui.lastFrame, /Apply complete: 4 added, 0 changed, 0 destroyed[\s\S]*could not be written/, 60_000);
    assert.match(f, /history: the record of this operation's end could not be written to s3:\/\/platform-console-local-state\/uihist\/history\/\d{13}-\S+\.json \(ECONNREFUSED\): kept in \S+history-pending\/\S+\.json; the next run uploads it/);
    const files = await readdir(pendingDir);
    assert.equal(files.length, 1);
    const rec = JSON.parse(await readFile(join(pendingDir, files[0]!), 'utf8')) as HistoryRecord;
    assert.equal(rec.outcome, 'succeeded');
    assert.equal(rec.resources.filter((r) => r.result === 'succeeded').length, 4);
    controller.stop();
  });

  it('the next console uploads it (SSE-KMS) and says so', async () => {
    const controller = new Controller(new Store(headerOf(session)), session);
    controllers.push(controller);
    controller.start();
    const ui = render(<App controller={controller} size={{ columns: 400, rows: 40 }} />);
    uis.push(ui);
    const f = await frameMatching(ui.lastFrame, /history: uploaded 1 record an earlier run kept locally \(apply \d{8}T\d{6}Z-apply-[0-9a-f]{6}\)/, 60_000);
    const id = /\(apply (\S+)\)/.exec(f)![1]!;
    assert.deepEqual(await readdir(pendingDir), []);
    const s3 = await s3For(ws);
    try {
      const list = await session.history.list(5);
      assert.equal(list.length, 1);
      assert.equal(list[0]!.record.id, id);
      assert.equal(list[0]!.record.outcome, 'succeeded');
      assert.equal(list[0]!.key, historyKey(list[0]!.record));
      assert.equal((await s3.send(new HeadObjectCommand({ Bucket: session.backend.bucket, Key: list[0]!.key }))).ServerSideEncryption, 'aws:kms');
    } finally {
      s3.destroy();
    }
  });
});
