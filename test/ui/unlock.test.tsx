// :unlock in the console: it names the holder and asks for the lock ID typed; a wrong ID and Esc
// release nothing, the right one releases exactly the lock it showed. The lock is held by a
// pipeline of "another machine" (its own work dir), killed with its Terraform, so the lock is
// stale: real Terraform, the S3 lock file, moto.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { openSession, type Session } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { exitOf, s3For, waitFor } from '../support/cli-child.js';
import { frameMatching, sleep } from '../support/frames.js';
import { motoSkipReason } from '../support/moto.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

describe(':unlock in the console', { skip }, () => {
  let ws: Workspace;
  let session: Session;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  let s3: S3Client;
  const lockKey = 'unl/terraform.tfstate.tflock';
  const held = async () => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: 'platform-console-local-state', Key: lockKey }));
      return true;
    } catch {
      return false;
    }
  };
  const command = async (text: string) => {
    ui.stdin.write(':');
    await sleep(50);
    for (const ch of text) ui.stdin.write(ch);
    await sleep(50);
    ui.stdin.write('\r');
  };

  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('unl');
    // Another machine's pipeline takes the lock; then it and its Terraform are killed.
    const other = join(ws.dir, 'other-machine');
    const child = ws.spawnCli(['-e', 'unl', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '60', PLATFORM_WORK_DIR: other });
    const done = exitOf(child);
    await waitFor(child, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    const runs = join(other, 'unl.local', 'runs');
    const records = await Promise.all((await readdir(runs)).filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(runs, n), 'utf8')) as { pid: number; operation: string }));
    child.kill('SIGKILL');
    await done;
    process.kill(-records.find((r) => r.operation === 'apply')!.pid, 'SIGKILL');
    s3 = await s3For(ws);
    assert.ok(await held(), 'the killed run left its lock');

    const env = { ...ws.env, PC_TEST_SLEEP: '0' };
    session = await openSession({ environment: 'unl', local: true, paths: resolvePaths(env), env });
    controller = new Controller(new Store(headerOf(session)), session);
    controller.start();
    ui = render(<App controller={controller} size={{ columns: 200, rows: 40 }} />);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    session?.close();
    s3?.destroy();
    await ws.dispose();
  });

  let lockId = '';

  it('names the holder and asks for the typed lock ID; a wrong ID and Esc release nothing', async () => {
    await frameMatching(ui.lastFrame, /lock held by/, 30_000);
    await command('unlock');
    let f = await frameMatching(ui.lastFrame, /Release the state lock/, 30_000);
    const lock = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'platform-console-local-state', Key: lockKey }))).Body!.transformToString()) as { ID: string; Who: string };
    lockId = lock.ID;
    assert.ok(f.includes(`Release the state lock ${lock.ID} held by ${lock.Who} (OperationTypeApply, since `), f);
    assert.match(f, /Only if that run is dead\. Type the lock ID to release it:/);
    for (const ch of 'nope') ui.stdin.write(ch);
    await sleep(50);
    ui.stdin.write('\r');
    f = await frameMatching(ui.lastFrame, /is not the lock ID/, 10_000);
    assert.ok(f.includes(`"nope" is not the lock ID ${lock.ID}: nothing released.`), f);
    assert.ok(await held(), 'a wrong ID released the lock');
    ui.stdin.write('\x1b');
    await frameMatching(ui.lastFrame, /Nothing done\./, 10_000);
    assert.ok(await held(), 'Esc released the lock');
  });

  it('the typed lock ID releases exactly that lock and says so; the next plan works', async () => {
    await command('unlock');
    await frameMatching(ui.lastFrame, /Release the state lock/, 30_000);
    ui.stdin.write(lockId);
    await sleep(50);
    ui.stdin.write('\r');
    await frameMatching(ui.lastFrame, /Released the state lock [0-9a-f-]{36} \(held by \S+\)\./, 60_000);
    await frameMatching(ui.lastFrame, /lock free/, 10_000);
    assert.ok(!(await held()), 'the lock is still there');
    ui.stdin.write('p');
    await frameMatching(ui.lastFrame, /Plan: \d+ to add/, 90_000);
  });

  it('with the lock free, :unlock says there is nothing to release', async () => {
    await command('unlock');
    await frameMatching(ui.lastFrame, /The state lock is free: nothing to release\./, 30_000);
  });
});
