import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { motoSkipReason } from '../support/moto.js';
import { exitOf, s3For, waitFor } from '../support/cli-child.js';
import { listing, makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

describe('plan, apply, re-plan through --ci on the emulator', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('itest');
  });
  after(() => ws.dispose());
  const quick = { env: { PC_TEST_SLEEP: '0' } };

  it('plan exits 2 with changes, NDJSON ends with the summary', async () => {
    const r = await ws.cli(['-e', 'itest', '--local', '--ci', 'plan', '--json'], quick);
    assert.equal(r.code, 2, r.stderr);
    const events = ndjson(r.stdout);
    const last = events.at(-1)!;
    assert.equal(last.type, 'summary');
    assert.equal(last.add, 4);
    assert.equal(last.change, 0);
    assert.equal(last.destroy, 0);
    assert.equal(events[0]!.type, 'progress');
    assert.ok(events.some((e) => e.type === 'planned_change' && e.address === 'terraform_data.slow'));
    assert.ok(events.some((e) => e.type === 'version'));
    // The first run initialises: init's plain text is passed on as text, not mistaken for an error.
    assert.ok(events.some((e) => e.type === 'text' && e.operation === 'init' && /Terraform has been successfully initialized/.test(String(e.message))));
    assert.ok(!events.some((e) => e.type === 'diagnostic' && e.severity === 'error'), 'a successful plan reported an error diagnostic');
  });

  it('apply --auto-approve exits 0 and the state object is written, encrypted', async () => {
    const r = await ws.cli(['-e', 'itest', '--local', '--ci', 'apply', '--auto-approve'], quick);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Apply complete! Resources: 4 added/);
    const s3 = await s3For(ws);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'platform-console-local-state', Key: 'itest/terraform.tfstate' }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    s3.destroy();
  });

  it('re-plan exits 0: no changes', async () => {
    const r = await ws.cli(['-e', 'itest', '--local', '--ci', 'plan'], quick);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /0 to add, 0 to change, 0 to destroy/);
    // The emulator started by the first run is reused, and said so truthfully.
    assert.doesNotMatch(r.stdout, /starting the local AWS emulator/);
    assert.match(r.stdout, /using the local AWS emulator already running at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
  });

  it('output masks the sensitive value everywhere', async () => {
    for (const json of [true, false]) {
      const r = await ws.cli(['-e', 'itest', '--local', '--ci', 'output', ...(json ? ['--json'] : [])], quick);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes('hunter2'), 'secret leaked');
      assert.match(r.stdout, /fast-0-itest/);
      assert.match(r.stdout, /\(sensitive\)/);
    }
  });

  it('destroy --auto-approve removes everything; the next plan has 4 to add', async () => {
    const r = await ws.cli(['-e', 'itest', '--local', '--ci', 'destroy', '--auto-approve', '--json'], quick);
    assert.equal(r.code, 0, r.stderr);
    const last = ndjson(r.stdout).at(-1)!;
    assert.equal(last.destroy, 4);
    const p = await ws.cli(['-e', 'itest', '--local', '--ci', 'plan'], quick);
    assert.equal(p.code, 2);
  });
});

describe('state lock and cancel', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('locktest');
  });
  after(() => ws.dispose());

  it('a concurrent apply is refused by the lock and names the holder; cancel leaves state written and the lock released', async () => {
    const first = ws.spawnCli(['-e', 'locktest', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '60' });
    const done = exitOf(first);
    await waitFor(first, /"type":"apply_start"[^\n]*terraform_data\.slow/);

    const s3 = await s3For(ws);
    const lockObj = await s3.send(new GetObjectCommand({ Bucket: 'platform-console-local-state', Key: 'locktest/terraform.tfstate.tflock' }));
    assert.match(await lockObj.Body!.transformToString(), /OperationTypeApply/);

    // Another machine (its own work dir: no run record of the first) meets the lock.
    const second = await ws.cli(['-e', 'locktest', '--local', '--ci', 'apply', '--auto-approve', '--json'], { env: { PC_TEST_SLEEP: '0', PLATFORM_WORK_DIR: join(ws.dir, 'other-machine') } });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /state lock is held by \S+ \(OperationTypeApply/);
    assert.match(second.stderr, /hint: wait for that run to end; if it is dead, release the lock with: \.\/run\.kube -e locktest --local --ci state unlock [0-9a-f-]{36} --auto-approve/);
    const held = ndjson(second.stdout).find((e) => e.type === 'lock_held') as { lock: { id: string; who: string } } | undefined;
    assert.ok(held && held.lock.id && held.lock.who, 'lock_held event with holder');

    const t0 = Date.now();
    first.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 1);
    assert.ok(Date.now() - t0 < 30_000, 'cancel took too long (the sleep is 60 s: the apply was not interrupted)');
    assert.match(r.stderr, /apply was cancelled/);
    const events = ndjson(r.stdout);
    assert.ok(events.some((e) => e.type === 'cancel_requested'));
    assert.equal(events.filter((e) => e.type === 'cancel_requested').length, 1);

    // The lock is released and the state holds what completed before the interrupt.
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'platform-console-local-state', Key: 'locktest/terraform.tfstate.tflock' })), /NotFound|404/);
    const state = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'platform-console-local-state', Key: 'locktest/terraform.tfstate' }))).Body!.transformToString()) as { resources: { name: string; instances: unknown[] }[] };
    const fast = state.resources.find((x) => x.name === 'fast');
    assert.equal(fast?.instances.length, 3);
    s3.destroy();

    // And the environment is usable at once: a plan is not refused by a stale lock.
    const p = await ws.cli(['-e', 'locktest', '--local', '--ci', 'plan'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(p.code, 2, p.stderr);
  });
});

describe('SIGTERM during an apply', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('termtest');
  });
  after(() => ws.dispose());

  it('is handled like Ctrl-C: one interrupt, state written, lock released', async () => {
    const child = ws.spawnCli(['-e', 'termtest', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '60' });
    const done = exitOf(child);
    await waitFor(child, /"type":"apply_start"[^\n]*terraform_data\.slow/);
    child.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /apply was cancelled/);
    const s3 = await s3For(ws);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'platform-console-local-state', Key: 'termtest/terraform.tfstate.tflock' })), /NotFound|404/);
    s3.destroy();
  });
});

describe('bad input exits 1 with one clear message and writes nothing', { skip: undefined }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('badcidr', (t) => t.replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.0.0/16"'));
    await ws.profile('unknownfield', (t) => t + '\nbogus_field = 1\n');
    await ws.profile('good');
  });
  after(() => ws.dispose());


  const cases: [string[], RegExp][] = [
    [['-e', '../etc', '--ci', 'plan'], /invalid environment name "\.\.\/etc"/],
    [['-e', '', '--ci', 'plan'], /no environment given/],
    [['-e', 'dev env', '--ci', 'plan'], /invalid environment name "dev env"/],
    [['-e', 'Dev', '--ci', 'plan'], /invalid environment name "Dev"/],
    [['-e', 'nosuch', '--ci', 'plan'], /no profile .*nosuch\.tfvars/],
    [['-e', 'badcidr', '--ci', 'plan'], /badcidr\.tfvars:\d+: field "vpc_cidr" must be an IPv4 CIDR/],
    [['-e', 'unknownfield', '--ci', 'plan'], /unknownfield\.tfvars:\d+: unknown field "bogus_field"/],
    [['-e', 'good', '--local', '--ci', 'apply'], /needs --auto-approve: nothing was run/],
    [['-e', 'good', '--local', '--ci', 'destroy'], /needs --auto-approve: nothing was run/],
    [['-e', 'good', '--ci', 'nuke'], /unknown --ci command "nuke"/],
    [['--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, re] of cases) {
    it(`${JSON.stringify(args)} → exit 1`, async () => {
      const before = await listing(ws.dir);
      const r = await ws.cli(args);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /^error: .*\n(hint: .*\n)?$/, `expected one error line and an optional hint, got:\n${r.stderr}`);
      assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .*\(.*:\d+:\d+\)/, 'stack trace printed');
      assert.deepEqual(await listing(ws.dir), before, 'files were written');
    });
  }
});

describe('a corrupt state object', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('corrupt');
  });
  after(() => ws.dispose());

  it('--ci output fails with plain text: no terminal escape codes in the error or hint', async () => {
    const env = { env: { PC_TEST_SLEEP: '0' } };
    assert.equal((await ws.cli(['-e', 'corrupt', '--local', '--ci', 'apply', '--auto-approve'], env)).code, 0);
    const s3 = await s3For(ws);
    await s3.send(new PutObjectCommand({ Bucket: 'platform-console-local-state', Key: 'corrupt/terraform.tfstate', Body: '{"version": 4, "serial": "not a number', ServerSideEncryption: 'aws:kms' }));
    s3.destroy();
    const r = await ws.cli(['-e', 'corrupt', '--local', '--ci', 'output'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^error: output failed/m);
    assert.doesNotMatch(r.stderr + r.stdout, /\x1b\[/, 'ANSI escape codes in the output');
  });
});

describe('a real provider crash (aws_elb without health_check on moto)', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('crash');
    await ws.profile('crash');
  });
  after(() => ws.dispose());

  it('fails with exit 1 and keeps the Go stack trace as the diagnostic detail', async () => {
    const r = await ws.cli(['-e', 'crash', '--local', '--ci', 'apply', '--auto-approve', '--json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: apply failed: The provider crashed: panic: runtime error: invalid memory address or nil pointer dereference\nhint: this is a bug in the provider/);
    const events = ndjson(r.stdout);
    const crash = events.find((e) => e.type === 'diagnostic' && String(e.summary).startsWith('The provider crashed')) as { detail: string } | undefined;
    assert.ok(crash, 'crash diagnostic');
    assert.match(crash.detail, /goroutine \d+ \[running\]/);
    assert.match(crash.detail, /internal\/service\/elb\/load_balancer\.go:\d+/);
    assert.equal(events.at(-1)!.type, 'summary');
    assert.equal(events.at(-1)!.ok, false);
  });
});

describe('local emulator restarted', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('restart');
  });
  after(() => ws.dispose());

  it('says so plainly and plans from scratch', async () => {
    const env = { env: { PC_TEST_SLEEP: '0' } };
    assert.equal((await ws.cli(['-e', 'restart', '--local', '--ci', 'apply', '--auto-approve'], env)).code, 0);
    const stop = await ws.cli(['--local', 'stop']);
    assert.match(stop.stdout, /stopped the local emulator/);
    const r = await ws.cli(['-e', 'restart', '--local', '--ci', 'plan'], env);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /the local emulator was restarted: its state is gone, so the plan starts from scratch/);
    assert.match(r.stdout, /4 to add, 0 to change, 0 to destroy/);
  });
});
