// Runs that outlive their console, the stale lock, and the unwritable backend: real Terraform,
// the real hashicorp/aws provider, moto, and a TCP relay of the test's own between them (loopback).
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { exitOf, s3For, waitFor } from '../support/cli-child.js';
import { motoSkipReason } from '../support/moto.js';
import { pidsOf, until } from '../support/procs.js';
import { startRelay, type Relay } from '../support/relay.js';
import { makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const BUCKET = 'platform-console-local-state';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lockExists(s3: S3Client, env: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${env}/terraform.tfstate.tflock` }));
    return true;
  } catch {
    return false;
  }
}

async function stateResources(s3: S3Client, env: string): Promise<string[]> {
  const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${env}/terraform.tfstate` }))).Body!.transformToString();
  const st = JSON.parse(body) as { resources: { type: string; name: string; instances: unknown[] }[] };
  return st.resources.flatMap((r) => r.instances.map((_, i) => `${r.type}.${r.name}[${i}]`)).sort();
}

describe('kill -9 of --ci apply: Terraform finishes, writes the state, releases the lock; a second run follows it', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile('k9', (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 2'));
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('the apply survives its console, the follower reports it, the re-plan is empty', async () => {
    const first = ws.spawnCli(['-e', 'k9', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '12' });
    const firstDone = exitOf(first);
    await waitFor(first, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    s3 = await s3For(ws);
    assert.ok(await lockExists(s3, 'k9'), 'the apply holds the lock');
    first.kill('SIGKILL');
    const killed = await firstDone;
    assert.equal(killed.signal, 'SIGKILL');

    // A pipeline opened on the environment while it still runs: follows it and says so.
    const second = await ws.cli(['-e', 'k9', '--local', '--ci', 'plan', '--json']);
    assert.equal(second.code, 1, second.stderr);
    const events = ndjson(second.stdout);
    const attached = events.find((e) => e.type === 'attached') as { operation: string; running: boolean; pid: number } | undefined;
    assert.ok(attached, 'an attached event');
    assert.equal(attached.operation, 'apply');
    assert.equal(attached.running, true);
    assert.ok(events.some((e) => e.type === 'apply_complete' && e.address === 'terraform_data.slow'), 'the followed stream shows the slow resource completing');
    assert.match(second.stderr, /error: the apply started at \S+ by \S+ \(pid \d+\) was running on k9 and has ended without error: nothing was run by this command\nhint: run --ci plan again/);

    // Terraform finished without its console: state written, lock released.
    await until('the lock is released', async () => !(await lockExists(s3, 'k9')), 60_000);
    assert.deepEqual(await stateResources(s3, 'k9'), ['aws_s3_bucket.after[0]', 'aws_s3_bucket.data[0]', 'aws_s3_bucket.data[1]', 'terraform_data.slow[0]']);
    const replan = await ws.cli(['-e', 'k9', '--local', '--ci', 'plan'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(replan.code, 0, replan.stdout + replan.stderr);
    assert.match(replan.stdout, /0 to add, 0 to change, 0 to destroy/);
    // Its output went to a file in the work dir (0600), not to the dead console.
    const runs = join(ws.work, 'k9.local', 'runs');
    const outs = (await readdir(runs)).filter((n) => n.endsWith('.out'));
    assert.ok(outs.length >= 1);
    for (const n of outs) assert.equal(statSync(join(runs, n)).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(ws.terraform, 'errored.tfstate')) && !existsSync(join(ws.terraform, '.terraform.lock.hcl')), 'Terraform wrote into terraform/');
  });
});

describe('a run that ended while nobody watched', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile('alone', (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('is reported by the next run, once', async () => {
    const first = ws.spawnCli(['-e', 'alone', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '5' });
    const firstDone = exitOf(first);
    await waitFor(first, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    first.kill('SIGKILL');
    await firstDone;
    s3 = await s3For(ws);
    await until('the apply ended and released the lock', async () => (await pidsOf('platform-console-run:', ws.dir)).length === 0 && !(await lockExists(s3, 'alone')), 60_000);
    const next = await ws.cli(['-e', 'alone', '--local', '--ci', 'plan']);
    assert.equal(next.code, 0, next.stderr + next.stdout);
    assert.match(next.stdout, /! the apply started at \S+ by \S+ ended while nobody watched: ok \(3 added, 0 changed, 0 destroyed\)/);
    const again = await ws.cli(['-e', 'alone', '--local', '--ci', 'plan']);
    assert.doesNotMatch(again.stdout, /ended while nobody watched/);
  });
});

describe('a stale lock: --ci unlock', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile('stale', (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
  });
  after(async () => {
    s3?.destroy();
    await ws.dispose();
  });

  it('is refused while the run lives and for a wrong ID, and released for the right one', async () => {
    const first = ws.spawnCli(['-e', 'stale', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '60' });
    const firstDone = exitOf(first);
    await waitFor(first, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    s3 = await s3For(ws);
    const lock = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stale/terraform.tfstate.tflock' }))).Body!.transformToString()) as { ID: string };

    // The holder is alive on this machine: refused.
    const alive = await ws.cli(['-e', 'stale', '--local', '--ci', 'unlock', lock.ID]);
    assert.equal(alive.code, 1);
    assert.match(alive.stderr, /error: unlock refused: an apply started at \S+ by \S+ \(pid \d+\) is still running on this machine and holds the lock/);
    assert.ok(await lockExists(s3, 'stale'));

    // Kill the whole run (console, wrapper and Terraform): the lock stays held by a dead run.
    first.kill('SIGKILL');
    await firstDone;
    const runsDir = join(ws.work, 'stale.local', 'runs');
    const records = await Promise.all((await readdir(runsDir)).filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(runsDir, n), 'utf8')) as { pid: number; operation: string }));
    const rec = records.find((r) => r.operation === 'apply')!;
    process.kill(-rec.pid, 'SIGKILL');
    await until('the run is gone', async () => (await pidsOf(`platform-console-run:`)).every((p) => p !== rec.pid), 10_000);
    assert.ok(await lockExists(s3, 'stale'), 'the killed run left its lock');

    const wrong = await ws.cli(['-e', 'stale', '--local', '--ci', 'unlock', '00000000-1111-2222-3333-444444444444']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /error: "00000000-1111-2222-3333-444444444444" is not the ID of the held lock: nothing was released\nhint: the lock is [0-9a-f-]{36}, held by \S+ \(OperationTypeApply, since /);
    assert.ok(await lockExists(s3, 'stale'));

    const plan = await ws.cli(['-e', 'stale', '--local', '--ci', 'plan']);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, new RegExp(`release the lock with: \\./run\\.kube -e stale --local --ci state unlock ${lock.ID} --auto-approve`));

    const right = await ws.cli(['-e', 'stale', '--local', '--ci', 'unlock', lock.ID]);
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stderr + right.stdout, new RegExp(`released the state lock ${lock.ID}`));
    assert.ok(!(await lockExists(s3, 'stale')), 'the lock is gone');
    const again = await ws.cli(['-e', 'stale', '--local', '--ci', 'plan'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(again.code, 2, again.stderr);
  });
});

describe('the backend cut mid-apply (a TCP relay between Terraform and moto)', { skip }, () => {
  let ws: Workspace;
  let relay: Relay;
  let s3: S3Client;
  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile('cut', (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
    // Start the emulator, then put the relay in front of it: the console reads its endpoint from emulator.json.
    const first = await ws.cli(['-e', 'cut', '--local', '--ci', 'output']);
    assert.equal(first.code, 0, first.stderr);
    const recFile = join(ws.local, 'emulator.json');
    const rec = JSON.parse(await readFile(recFile, 'utf8')) as { port: number; endpoint: string };
    s3 = await s3For(ws);
    relay = await startRelay(rec.port);
    await writeFile(recFile, JSON.stringify({ ...rec, port: relay.port, endpoint: `http://127.0.0.1:${relay.port}` }));
  });
  after(async () => {
    s3?.destroy();
    await relay?.close();
    await ws.dispose();
  });

  it('says "unreachable" within 15 s, keeps the state in the work dir (0600), and state-push-errored pushes it', async () => {
    const apply = ws.spawnCli(['-e', 'cut', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '20' });
    const done = exitOf(apply);
    await waitFor(apply, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    assert.ok(relay.accepted > 0, 'Terraform went through the relay');
    const cutAt = Date.now();
    await relay.cut();
    const seen = await waitFor(apply, /"type":"endpoint","reachable":false/, 30_000);
    const ev = ndjson(seen).find((e) => e.type === 'endpoint') as { reason: string; timestamp: string };
    const after = Date.parse(ev.timestamp) - cutAt;
    assert.ok(after < 15_000, `said unreachable ${after} ms after the cut`);
    assert.match(ev.reason, new RegExp(`http://127\\.0\\.0\\.1:${relay.port}: (ECONNREFUSED|no answer)`));

    const r = await done;
    assert.equal(r.code, 1);
    const errored = join(ws.work, 'cut.local', 'module', 'errored.tfstate');
    assert.match(r.stderr, new RegExp(`error: apply could not write the state to the backend \\(s3://${BUCKET}/cut/terraform\\.tfstate\\): Terraform kept it in ${errored.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(mode 0600\\)`));
    assert.match(r.stderr, /hint: once the backend answers again, push it with :state-push-errored in the console, or \.\/run\.kube -e cut --local --ci state-push-errored/);
    assert.ok(ndjson(r.stdout).some((e) => e.type === 'state_not_persisted' && e.path === errored));
    assert.equal(statSync(errored).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(ws.terraform, 'errored.tfstate')), 'errored.tfstate landed in terraform/');

    await relay.restore();
    const push = await ws.cli(['-e', 'cut', '--local', '--ci', 'state-push-errored']);
    assert.equal(push.code, 0, push.stderr + push.stdout);
    assert.match(push.stderr + push.stdout, /released the lock [0-9a-f-]{36} that the failed run could not release/);
    assert.ok(!(await lockExists(s3, 'cut')), 'the lock is released');
    assert.match(push.stderr + push.stdout, /pushed the unpersisted state \(serial \d+\); the file is kept as .*errored\.tfstate\.pushed-/);
    assert.ok(!existsSync(errored));
    assert.deepEqual(await stateResources(s3, 'cut'), ['aws_s3_bucket.after[0]', 'aws_s3_bucket.data[0]', 'terraform_data.slow[0]']);
    await s3.send(new HeadBucketCommand({ Bucket: 'runs-cut-0' }));
    const replan = await ws.cli(['-e', 'cut', '--local', '--ci', 'plan']);
    assert.equal(replan.code, 0, replan.stdout + replan.stderr);
    assert.match(replan.stdout, /0 to add, 0 to change, 0 to destroy/);
  });
});
