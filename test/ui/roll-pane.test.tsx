/**
 * The Roll pane (issue 18), in the whole console (App, keys typed), on test/support/secure-platform.ts:
 * REAL moto (group, instances, volumes, interfaces, the state bucket of the lock and the records),
 * REAL sshd hosts through an sshd bastion, the platform's REAL attach_free; THE etcdctl and
 * Kubernetes API STAND-INS. `:roll secure` plans and shows the gates; `a` asks for the typed
 * environment name (a wrong one rolls nothing); `c` pauses after the current node, `g` resumes;
 * the roll completes, recorded, and `q` is refused while it runs.
 * Needs moto, sshd, the AWS CLI and openssl: fails without them when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';

import { RollController } from '../../src/panes/roll/controller.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { readGroup } from '../../src/services/roll/group.js';
import { backendFor } from '../../src/services/terraform/backend.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { frameMatching } from '../support/frames.js';
import { kubeStandinSkipReason } from '../support/kube-standin.js';
import { motoSkipReason } from '../support/moto.js';
import { startSecurePlatform, type SecurePlatform } from '../support/secure-platform.js';
import { sshdSkipReason } from '../support/sshd.js';

const cliMissing = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status !== 0;
const skip = (await motoSkipReason()) ?? (await sshdSkipReason()) ?? (await kubeStandinSkipReason()) ?? (cliMissing && process.env['CI'] !== 'true' ? 'SKIPPED: the AWS CLI is missing' : undefined);

const ENV = 'rollpane';
const BUCKET = 'rollpane-state';

describe('the Roll pane: plan, typed confirmation, pause and resume, a whole control-plane roll', { skip, concurrency: 1 }, () => {
  let p: SecurePlatform;
  let dir: string;
  let s3: S3Client;
  let store: Store;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  const type = (text: string) => {
    for (const ch of text) ui.stdin.write(ch);
  };

  before(async () => {
    if (cliMissing) throw new Error('the AWS CLI (`aws`) is missing and CI=true: install it in the CI image');
    p = await startSecurePlatform(ENV);
    await p.newVersion();
    dir = await mkdtemp(join(tmpdir(), 'pc-rollpane-'));
    const cfg = { region: 'us-east-1', endpoint: p.moto.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    s3 = new S3Client({ ...cfg, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient(cfg);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/rollpane', TargetKeyId: keyId }));
    kms.destroy();
    const backend = backendFor(ENV, { terraform_bucket_name: BUCKET, aws_region: 'us-east-1', kms_master_id: 'alias/rollpane' }, true);
    const history = new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: 'alias/rollpane', environment: ENV, pendingDir: join(dir, 'pending') });
    const profileFile = join(dir, `${ENV}.tfvars`);
    await writeFile(profileFile, `environment = "${ENV}"\n`);
    store = new Store({ environment: ENV, account: '123456789012', region: 'us-east-1', backend: `s3://${BUCKET}`, engine: 'terraform', credentials: 'test' });
    // The engine is real but never runs here: this test is about the Roll pane.
    const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: dir, dataDir: dir, cliConfigFile: '', varFile: '', backend, env: {} });
    const roll = new RollController(store, {
      target: { environment: ENV, aws: p.ctx, backend, history, callerArn: 'arn:aws:iam::123456789012:user/tester', terraformVersion: '1.11.4', profileFile },
      kubeConfig: async () => p.kc,
      sshSettings: async () => p.sshSettings,
      targetOf: (i) => p.targetOf(i),
      settings: { pollMs: 300, settleMs: 1_500, drainTimeoutMs: 5_000, replaceTimeoutMs: 90_000 },
    });
    controller = new Controller(store, { environment: ENV, engine, readLock: async () => ({ kind: 'free' }) }, undefined, undefined, undefined, undefined, roll);
    controller.start();
    ui = render(<App controller={controller} size={{ columns: 200, rows: 50 }} />);
  });
  after(async () => {
    ui?.unmount();
    await controller?.roll?.stop();
    controller?.stop();
    s3?.destroy();
    await p?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(':roll secure shows the plan (3 instances, version 1 → 2) and the gates; nothing changes', async () => {
    type(':roll secure\r');
    const f = await frameMatching(ui.lastFrame, /3 instances of rollpane-secure to roll to version 2/, 30_000);
    assert.match(f, /Roll secure: rollpane-secure → launch template version 2\s+planned: a rolls \(asks first\); nothing has changed yet/);
    assert.match(f, /✓ capacity: 3 of 3 instances InService and Healthy/);
    assert.match(f, /✓ cluster: 3 of 3 nodes Ready, no kube-system pod unhealthy/);
    assert.match(f, /✓ etcd: 3 of 3 members healthy/);
    assert.equal((f.match(/i-[0-9a-f]{17}\s+us-east-1a\s+version 1 → 2\s+waiting/g) ?? []).length, 3, f);
    assert.match(f, /8 Roll/, 'its tab');
    assert.equal(p.kube.requests.filter((r) => r.verb === 'patch').length, 0);
  });

  it('a asks for the typed environment name, listing what will happen; a wrong name rolls nothing', async () => {
    ui.stdin.write('a');
    let f = await frameMatching(ui.lastFrame, /Type rollpane to roll the control plane/);
    assert.match(f, /Roll 3 instances of rollpane-secure to version 2, one at a time\?/);
    assert.match(f, /1\. i-[0-9a-f]+ \(us-east-1a, version 1 → 2\)/);
    assert.match(f, /its etcd member removed, the instance terminated \(the group keeps its capacity/);
    type('prod\r');
    f = await frameMatching(ui.lastFrame, /"prod" is not "rollpane": nothing rolled\./);
    ui.stdin.write('\u001b'); // Esc
    f = await frameMatching(ui.lastFrame, /Nothing rolled\./);
    assert.equal(store.state.roll.phase, 'planned');
  });

  it('the roll runs; c pauses it after the current node (no second node starts), q is refused, g resumes; all three replaced and recorded', async (t) => {
    const before = new Set((await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId));
    ui.stdin.write('a');
    await frameMatching(ui.lastFrame, /Type rollpane to roll the control plane/);
    type('rollpane\r');
    await frameMatching(ui.lastFrame, /rolling: c pauses after the current node/, 20_000);
    // Once the first node is under way (its drain started), c pauses after it.
    await frameMatching(ui.lastFrame, /i-[0-9a-f]+ drain: cordon and drain/, 60_000);
    ui.stdin.write('c');
    await frameMatching(ui.lastFrame, /The roll pauses after the current node\./);
    let f = await frameMatching(ui.lastFrame, /paused: g resumes, X aborts/, 120_000);
    // One node replaced, the two others untouched (still waiting), and it stays so while paused.
    await new Promise((r) => setTimeout(r, 2_000));
    f = ui.lastFrame() ?? '';
    assert.equal((f.match(/replaced by i-[0-9a-f]+ ✓/g) ?? []).length, 1, f);
    assert.equal((f.match(/version 1 → 2\s+waiting/g) ?? []).length, 2, f);
    assert.equal((await readGroup(p.ctx, 'secure')).instances.filter((i) => !before.has(i.instanceId)).length, 1, 'one instance replaced');
    ui.stdin.write('q');
    f = await frameMatching(ui.lastFrame, /A roll is running: quitting now would stop it between its steps\./);
    assert.equal(store.state.quitting, false);
    ui.stdin.write('g');
    const t0 = Date.now();
    f = await frameMatching(ui.lastFrame, /Rolled rollpane-secure: 3 instances replaced, all on version 2\. Recorded as \S+-roll-[0-9a-f]{6}\./, 180_000);
    t.diagnostic(`after resuming: ${Date.now() - t0} ms`);
    assert.equal((f.match(/replaced by i-[0-9a-f]+ ✓/g) ?? []).length, 3, f);
    const g = await readGroup(p.ctx, 'secure');
    assert.ok(g.instances.every((i) => i.launchTemplateVersion === '2' && !before.has(i.instanceId)));
    assert.equal((await p.members()).length, 3);
  });
});
