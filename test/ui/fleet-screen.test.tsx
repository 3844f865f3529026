// The Fleet screen on moto with real Terraform (the aws-mini module: a bucket, an instance, a
// classic ELB): four environments applied; drifty's instance then tagged outside Terraform; busy's
// state lock held by another machine (its .tflock object, as that machine's Terraform writes it);
// play-old's first apply backdated ten days (a record written by the test). The screen's rows say
// free / held with the holder / an old playground; :drift-all runs real `--ci drift` children (two
// at a time), skips busy and records each check in its environment's history; d on play-old asks
// for the typed name (a wrong one destroys nothing) and destroys it, and its row then shows the
// destroy. The words on the screen are checked, not only the effects.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateTagsCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';
import { makeFleet } from '../../src/cli/fleet-app.js';
import { resolvePaths } from '../../src/core/paths.js';
import type { FleetController } from '../../src/panes/fleet/controller.js';
import { newHistoryId, type HistoryRecord } from '../../src/services/history/record.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { FleetApp } from '../../src/ui/FleetApp.js';
import { emulatorEndpoint, s3For } from '../support/cli-child.js';
import { frameMatching, sleep } from '../support/frames.js';
import { motoSkipReason } from '../support/moto.js';
import { CLI, makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const BUCKET = 'platform-console-local-state';
const DAY = 24 * 60 * 60_000;
const ENVS = ['idle', 'drifty', 'busy', 'play-old'];

describe('the Fleet screen: rows, :drift-all and a playground’s destroy, on moto with real Terraform', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  let fleet: FleetController;
  let ui: ReturnType<typeof render>;
  const opened: string[] = [];
  let quits = 0;
  const history = (environment: string) => new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: 'alias/platform-console-local', environment, pendingDir: join(ws.work, environment) });

  before(async () => {
    ws = await makeWorkspace('aws-mini');
    for (const e of ENVS) await ws.profile(e);
    for (const pair of [ENVS.slice(0, 2), ENVS.slice(2)]) {
      const rs = await Promise.all(pair.map((e) => ws.cli(['-e', e, '--local', '--ci', 'apply', '--auto-approve', '--json'])));
      rs.forEach((r, i) => assert.equal(r.code, 0, `${pair[i]}: ${r.stdout.slice(-2000)}${r.stderr}`));
    }
    s3 = await s3For(ws);
    // drifty: its instance tagged outside Terraform.
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: await emulatorEndpoint(ws), credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const found = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Environment', Values: ['drifty'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
    const id = found.Reservations?.[0]?.Instances?.[0]?.InstanceId;
    assert.ok(id, 'drifty has its instance');
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'Owner', Value: 'someone-else' }] }));
    ec2.destroy();
    // busy: the lock another machine's apply holds (its .tflock object).
    const lock = { ID: '6b1c9d2e-0000-4000-8000-000000000001', Operation: 'OperationTypeApply', Info: '', Who: 'ci@runner-7', Version: '1.11.4', Created: new Date(Date.now() - 90_000).toISOString(), Path: `${BUCKET}/busy/terraform.tfstate` };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'busy/terraform.tfstate.tflock', Body: JSON.stringify(lock) }));
    // play-old: its first apply ten days ago (the real apply since is newer).
    const startedAt = new Date(Date.now() - 10 * DAY).toISOString();
    const old: HistoryRecord = {
      version: 1,
      id: newHistoryId(new Date(Date.now() - 10 * DAY)),
      environment: 'play-old',
      operation: 'apply',
      outcome: 'succeeded',
      who: { arn: 'arn:aws:iam::123456789012:user/tester', login: 'tester@fleet-test' },
      startedAt,
      endedAt: new Date(Date.parse(startedAt) + 30_000).toISOString(),
      terraformVersion: '1.11.4',
      profileHash: 'x',
      resources: [],
      diagnostics: [],
    };
    assert.equal((await history('play-old').create(old)).stored, 'bucket');
    const made = makeFleet({ local: true, paths: resolvePaths(ws.env), env: ws.env, program: { node: process.execPath, script: CLI } });
    fleet = made.fleet;
    made.route.open = (e) => opened.push(e);
    made.route.quit = () => quits++;
    ui = render(<FleetApp fleet={fleet} where="local emulator" size={{ columns: 220, rows: 30 }} />);
    fleet.resume();
  });
  after(async () => {
    ui?.unmount();
    await fleet?.stop();
    s3?.destroy();
    await ws?.dispose();
  });

  it('shows a row per environment, attention first: the old playground flagged, busy held by its holder, the others free', async () => {
    const f = await frameMatching(ui.lastFrame, /Fleet {2}4 environments {2}1 needs attention {2}read \d+s ago/, 60_000);
    const lines = f.split('\n');
    const row = (e: string) => lines.find((l) => new RegExp(`^ ?\\S? ?${e} `).test(l.replace(/^[> ]+/, ''))) ?? '';
    const order = ENVS.map((e) => [e, lines.findIndex((l) => l.includes(` ${e} `) || l.startsWith(e))] as const).sort((a, b) => a[1] - b[1]).map(([e]) => e);
    assert.deepEqual(order, ['play-old', 'busy', 'drifty', 'idle'], f);
    assert.match(row('play-old'), /playground up 10d/);
    assert.match(row('busy'), /held 1m by ci@runner-7 \(apply\)/);
    assert.match(row('idle'), /free\s+apply succeeded \d+[sm] ago by \S+\s+never checked\s+\d+ KiB\s+ok/);
    assert.match(f, /Enter {2}open {3}r {2}refresh {3}d {2}destroy/);
  });

  it(':drift-all checks every listed environment but busy (lock held), two at a time; each check is recorded; drifty shows its drift', async () => {
    ui.stdin.write(':drift-all');
    await sleep(100);
    ui.stdin.write('\r');
    let f = await frameMatching(ui.lastFrame, /Checking drift in 3 environments, 2 at a time; 1 skipped/, 10_000);
    assert.match(f, /busy .*drift check skipped: lock held by ci@runner-7 \(apply, 1m\)/);
    f = await frameMatching(ui.lastFrame, /drift checks \d of 3 done \(2 at a time\)/, 30_000);
    f = await frameMatching(ui.lastFrame, /Drift checks done: 3 of 3 ran: 1 drifted, 2 without drift, 0 failed; skipped: busy \(lock held\)/, 240_000);
    f = await frameMatching(ui.lastFrame, /drifty .*[1-9]\d* changed \(\d+s ago\).*drift: [1-9]\d* changed outside Terraform/, 30_000);
    for (const e of ['idle', 'drifty', 'play-old']) {
      const recs = await history(e).list(5);
      assert.equal(recs[0]?.record.operation, 'drift', `${e}'s newest record is the drift check`);
      assert.equal(recs[0]?.record.outcome, 'succeeded');
    }
    assert.notEqual((await history('busy').list(5))[0]?.record.operation, 'drift', 'busy was not checked');
    // The pipeline's view of the same: --ci fleet --json returns the rows (free / held / drifted) and exits 2.
    const r = await ws.cli(['--local', '--ci', 'fleet', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const rows = Object.fromEntries(
      ndjson(r.stdout)
        .filter((e) => e.type === 'fleet_row')
        .map((e) => [e.environment, e as { lock: { state: string; who?: string }; drift?: { changed: number }; attention: string[] }]),
    );
    assert.deepEqual(rows.idle!.lock, { state: 'free' });
    assert.equal(rows.idle!.drift?.changed, 0);
    assert.equal(rows.busy!.lock.state, 'held');
    assert.equal(rows.busy!.lock.who, 'ci@runner-7');
    assert.ok((rows.drifty!.drift?.changed ?? 0) >= 1, JSON.stringify(rows.drifty));
    assert.match(rows.drifty!.attention[0]!, /^drift: [1-9]\d* changed outside Terraform/);
  });

  it('d on a non-playground row destroys nothing and says why', async () => {
    ui.stdin.write('/');
    await sleep(50);
    ui.stdin.write('idle');
    await sleep(50);
    ui.stdin.write('\r');
    await frameMatching(ui.lastFrame, /Fleet {2}1 of 4 environments/);
    ui.stdin.write('d');
    await frameMatching(ui.lastFrame, /d destroys playgrounds \(play-…\) only: idle is not one/);
  });

  it('d on play-old: the question says how many resources go; a wrong name destroys nothing; the name destroys it, recorded, and its row shows the destroy', async () => {
    ui.stdin.write('/');
    await sleep(50);
    for (let i = 0; i < 4; i++) ui.stdin.write('\x7f');
    await sleep(50);
    ui.stdin.write('play-old');
    await sleep(50);
    ui.stdin.write('\r');
    await frameMatching(ui.lastFrame, /Fleet {2}1 of 4 environments/);
    ui.stdin.write('d');
    let f = await frameMatching(ui.lastFrame, /Destroy play-old: its state holds 3 resources; terraform destroy deletes them all \(recorded in its history\)/, 20_000);
    assert.match(f, /- aws_elb\.api/);
    assert.match(f, /- aws_instance\.node/);
    ui.stdin.write('play-new');
    await sleep(50);
    ui.stdin.write('\r');
    await frameMatching(ui.lastFrame, /"play-new" is not "play-old": nothing destroyed\./);
    for (let i = 0; i < 8; i++) ui.stdin.write('\x7f');
    await sleep(50);
    ui.stdin.write('play-old');
    await sleep(50);
    ui.stdin.write('\r');
    f = await frameMatching(ui.lastFrame, /play-old .*destroy: /, 20_000);
    f = await frameMatching(ui.lastFrame, /Destroyed play-old: 3 resources destroyed\./, 240_000);
    f = await frameMatching(ui.lastFrame, /play-old .*destroy succeeded \d+s ago/, 30_000);
    const recs = await history('play-old').list(3);
    assert.equal(recs[0]?.record.operation, 'destroy');
    assert.equal(recs[0]?.record.outcome, 'succeeded');
    assert.equal(recs[0]?.record.result?.destroy, 3);
  });

  it('Enter asks the program to open the selected environment; : commands of an environment are refused here with where they work', async () => {
    ui.stdin.write('\r');
    await sleep(200);
    assert.deepEqual(opened, ['play-old']);
    ui.stdin.write(':plan');
    await sleep(50);
    ui.stdin.write('\r');
    await frameMatching(ui.lastFrame, /:plan works in an environment's console, not on the Fleet screen/);
    ui.stdin.write('q');
    await sleep(100);
    assert.equal(quits, 1);
  });
});
