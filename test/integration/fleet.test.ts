// `--ci fleet`: every environment of profiles/ from its state bucket, on moto (the workspace's local
// emulator) with real Terraform applies: one applied and idle, one whose lock a running slow apply
// holds, one whose newest drift check found a change, an old playground, a broken profile, and one
// never applied (not listed in local mode). The drift check's and the playground's records are
// written by the test (a drift record as `--ci drift` writes it; a playground's first apply
// backdated); the drift check itself is tested in platform.test.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { newHistoryId, type HistoryRecord } from '../../src/services/history/record.js';
import { HistoryStore } from '../../src/services/history/store.js';
import { emulatorEndpoint, exitOf, s3For } from '../support/cli-child.js';
import { motoSkipReason } from '../support/moto.js';
import { until } from '../support/procs.js';
import { makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const BUCKET = 'platform-console-local-state';
const DAY = 24 * 60 * 60_000;

function record(environment: string, operation: HistoryRecord['operation'], startedMs: number, extra: Partial<HistoryRecord> = {}): HistoryRecord {
  const startedAt = new Date(startedMs).toISOString();
  return {
    version: 1,
    id: newHistoryId(new Date(startedMs), operation),
    environment,
    operation,
    outcome: 'succeeded',
    who: { arn: 'arn:aws:iam::123456789012:user/tester', login: 'tester@fleet-test' },
    startedAt,
    endedAt: new Date(startedMs + 30_000).toISOString(),
    terraformVersion: '1.11.4',
    profileHash: 'x',
    resources: [],
    diagnostics: [],
    ...extra,
  };
}

describe('--ci fleet: every environment on one screen, from the state buckets', { skip }, () => {
  let ws: Workspace;
  let s3: S3Client;
  let busy: ReturnType<Workspace['spawnCli']> | undefined;
  let busyExit: ReturnType<typeof exitOf> | undefined;
  before(async () => {
    ws = await makeWorkspace('slow');
    for (const e of ['idle', 'busy', 'drifty', 'play-old', 'never']) await ws.profile(e);
    await writeFile(join(ws.profiles, 'broken.tfvars'), 'environment = "broken"\naz_count = "many"\n');
    for (const e of ['idle', 'drifty', 'play-old']) {
      const r = await ws.cli(['-e', e, '--local', '--ci', 'apply', '--auto-approve', '--json'], { env: { PC_TEST_SLEEP: '0' } });
      assert.equal(r.code, 0, `${e}: ${r.stdout}${r.stderr}`);
    }
    s3 = await s3For(ws);
    const history = (environment: string) => new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: 'alias/platform-console-local', environment, pendingDir: join(ws.work, environment) });
    // drifty: a drift check after its apply found one resource changed outside Terraform.
    const w1 = await history('drifty').create(record('drifty', 'drift', Date.now() - 1_000, { drift: { changed: ['terraform_data.fast[0]'], notDrift: 0 } }));
    assert.equal(w1.stored, 'bucket');
    // play-old: its first apply (of the current state) ten days ago; the real apply since.
    // Its id as written before ids named their operation: the fleet then reads every record of the row.
    const w2 = await history('play-old').create(record('play-old', 'apply', Date.now() - 10 * DAY, { id: newHistoryId(new Date(Date.now() - 10 * DAY)) }));
    assert.equal(w2.stored, 'bucket');
    // busy: an apply that sleeps 60 s in its last resource, holding the lock meanwhile.
    busy = ws.spawnCli(['-e', 'busy', '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '60' });
    busyExit = exitOf(busy);
    await until('the busy apply takes the lock', () => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'busy/terraform.tfstate.tflock' })).then(() => true, () => false), 90_000);
  });
  after(async () => {
    if (busy && busy.exitCode === null) {
      busy.kill('SIGINT'); // one interrupt: Terraform stops, writes the state and releases the lock
      const killer = setTimeout(() => busy?.kill('SIGKILL'), 90_000);
      await busyExit;
      clearTimeout(killer);
    }
    s3?.destroy();
    await ws?.dispose();
  });

  it('--json: a row each (free / held with its holder / drifted / an old playground / the broken profile), attention first; exit 2', async () => {
    const r = await ws.cli(['--local', '--ci', 'fleet', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const events = ndjson(r.stdout) as Record<string, unknown>[];
    const rows = events.filter((e) => e.type === 'fleet_row') as unknown as (Record<string, unknown> & { environment: string; attention: string[] })[];
    assert.deepEqual(
      rows.map((x) => x.environment),
      ['broken', 'drifty', 'play-old', 'busy', 'idle'],
      'attention first (cannot read, drift, old playground), then by name; "never" (no state in the emulator) is not listed',
    );
    const by = Object.fromEntries(rows.map((x) => [x.environment, x]));
    assert.deepEqual(by.idle!.lock, { state: 'free' });
    assert.deepEqual(by.idle!.attention, []);
    assert.equal((by.idle!.last as { operation: string; outcome: string }).operation, 'apply');
    assert.equal((by.idle!.last as { operation: string; outcome: string }).outcome, 'succeeded');
    assert.equal((by.idle!.state as { exists: boolean }).exists, true);
    const held = by.busy!.lock as { state: string; who: string; operation: string; ageMs: number };
    assert.equal(held.state, 'held');
    assert.match(held.who, /@/);
    assert.equal(held.operation, 'apply');
    assert.ok(held.ageMs < 5 * 60_000, `a fresh lock: ${held.ageMs} ms`);
    assert.deepEqual(by.busy!.attention, [], 'a lock held for less than an hour needs nobody');
    assert.equal((by.busy!.last as { outcome: string }).outcome, 'running');
    assert.equal((by.drifty!.drift as { changed: number }).changed, 1);
    assert.match(by.drifty!.attention[0]!, /^drift: 1 changed outside Terraform \(\d+[sm] ago\)$/);
    assert.equal(by['play-old']!.playground, true);
    assert.match(by['play-old']!.attention[0]!, /^playground up 10d$/);
    assert.match(String(by.broken!.error), /broken\.tfvars.*az_count/);
    assert.match(by.broken!.attention[0]!, /^cannot read: /);
    assert.match(String(events[0]!.type === 'progress' ? events[0]!.message : ''), /^reading 6 environments of .*profiles$/, 'the count of profiles read is said first (default.tfvars is the template)');
    const summary = events.at(-1)!;
    assert.deepEqual({ type: summary.type, command: summary.command, exit_code: summary.exit_code, count: summary.count, attention: summary.attention }, { type: 'summary', command: 'fleet', exit_code: 2, count: 5, attention: 3 });
  });

  it('text: one line each with what it needs, and the count said; --playground-age 30 clears the playground', async () => {
    const r = await ws.cli(['--local', '--ci', 'fleet', '--playground-age', '30'], { timeoutMs: 60_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^fleet: reading 6 environments of .*profiles$/m);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ENVIRONMENT\s+REGION\s+LOCK\s+LAST OPERATION\s+DRIFT\s+STATE\s+NEEDS$/);
    assert.match(r.stdout, /^busy\s+us-east-1\s+held \d+[sm] by \S+@\S+ \(apply\)\s+apply running/m);
    assert.match(r.stdout, /^drifty\s+.*\s1 changed \(\d+[sm] ago\)\s.*drift: 1 changed outside Terraform/m);
    assert.match(r.stdout, /^play-old\s+.*up 10d\s+ok$/m);
    assert.match(r.stdout, /^idle\s+us-east-1\s+free\s+apply succeeded \d+[sm] ago by \S+\s+never checked\s+\d+ KiB\s+ok$/m);
    assert.equal(lines.at(-1), 'fleet: 5 environments, 2 need attention');
  });

  it('credentials per profile (not --local: each profile’s aws_profile, the S3 endpoint pointed at moto): a profile whose credentials cannot be resolved says so in its row; the others fill', async () => {
    // Real AWS mode, as on a machine with a credentials file: idle's profile names [good] (keys in
    // the file), broke's names [nobody] (not in it). Only the endpoint is moto's (AWS_ENDPOINT_URL).
    const dir = join(ws.dir, 'profiles-creds');
    await mkdir(dir, { recursive: true });
    const text = await readFile(join(ws.profiles, 'idle.tfvars'), 'utf8');
    await writeFile(join(dir, 'idle.tfvars'), text.replace(/^aws_profile\s*=.*$/m, 'aws_profile = "good"'));
    await writeFile(join(dir, 'broke.tfvars'), text.replace(/^(\s*environment\s*=\s*)"[^"]*"/m, '$1"broke"').replace(/^aws_profile\s*=.*$/m, 'aws_profile = "nobody"'));
    const creds = join(ws.dir, 'aws-credentials');
    await writeFile(creds, '[good]\naws_access_key_id = AKIAFLEETTEST\naws_secret_access_key = fleet-test-secret\n');
    const r = await ws.cli(['--ci', 'fleet', '--json'], {
      timeoutMs: 60_000,
      env: { PLATFORM_PROFILES_DIR: dir, AWS_ENDPOINT_URL: await emulatorEndpoint(ws), AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: join(ws.dir, 'no-aws-config') },
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const rows = ndjson(r.stdout).filter((e) => e.type === 'fleet_row') as unknown as { environment: string; error?: string; lock: { state: string }; last?: { operation: string; outcome: string }; attention: string[] }[];
    assert.deepEqual(rows.map((x) => x.environment), ['broke', 'idle']);
    assert.match(String(rows[0]!.error), /^no AWS credentials for environment "broke": .*no usable profile \[nobody\]/);
    assert.match(rows[0]!.attention[0]!, /^cannot read: no AWS credentials/);
    assert.deepEqual(rows[1]!.lock, { state: 'free' });
    assert.deepEqual({ operation: rows[1]!.last?.operation, outcome: rows[1]!.last?.outcome }, { operation: 'apply', outcome: 'succeeded' });
    assert.deepEqual(rows[1]!.attention, []);
  });

  it('bad input: -e with --ci fleet, a bad --playground-age: one clear line, exit 1, nothing read', async () => {
    const a = await ws.cli(['-e', 'idle', '--local', '--ci', 'fleet']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /--ci fleet lists every environment: it takes no -e ENV or --play/);
    const b = await ws.cli(['--local', '--ci', 'fleet', '--playground-age', 'soon']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /--playground-age "soon" is not a number of days/);
    const c = await ws.cli(['--local', '--ci', 'plan', '--playground-age', '3', '-e', 'idle']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /--playground-age only works with --fleet or --ci fleet/);
  });
});
