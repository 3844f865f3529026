/**
 * `--ci roll secure` (issue 18) as a pipeline runs it, on test/support/secure-platform.ts (REAL
 * moto, sshd through a bastion, the platform's attach_free; THE etcdctl and Kubernetes API
 * STAND-INS), in a child process (test/support/roll-child.ts: the command's own code, given where
 * each instance's sshd host is). The environment is opened as on AWS, with moto's endpoint
 * (AWS_ENDPOINT_URL): its state bucket holds the roll's lock and history records.
 *
 * - Without --auto-approve: the plan and the gates, exit 2, nothing changed.
 * - kill -9 in the middle of the roll (right after a termination): the state lock and a record
 *   "running" are left; the next --ci roll takes the dead roll's lock over, marks its record
 *   interrupted, finishes the half-done node, rolls the instances still on the old version, and
 *   releases the lock.
 * Needs moto, sshd, the AWS CLI and openssl: fails without them when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

import { projectRoot } from '../../src/core/paths.js';
import { readGroup } from '../../src/services/roll/group.js';
import { planRoll } from '../../src/services/roll/plan.js';
import { kubeStandinSkipReason } from '../support/kube-standin.js';
import { motoSkipReason } from '../support/moto.js';
import type { RollChildConfig } from '../support/roll-child.js';
import { startSecurePlatform, type SecurePlatform } from '../support/secure-platform.js';
import { sshdSkipReason } from '../support/sshd.js';

const cliMissing = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status !== 0;
const skip = (await motoSkipReason()) ?? (await sshdSkipReason()) ?? (await kubeStandinSkipReason()) ?? (cliMissing && process.env['CI'] !== 'true' ? 'SKIPPED: the AWS CLI is missing' : undefined);

const ENV = 'rollci';
const BUCKET = 'rollci-state';
const CHILD = join(projectRoot(), 'dist', 'test', 'support', 'roll-child.js');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<number | null>;
}

describe('--ci roll secure: plan, kill -9 mid-roll, resume (moto, sshd, attach_free, stand-ins)', { skip, concurrency: 1 }, () => {
  let p: SecurePlatform;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let s3: S3Client;
  let kubeconfig: string;

  before(async () => {
    if (cliMissing) throw new Error('the AWS CLI (`aws`) is missing and CI=true: install it in the CI image');
    p = await startSecurePlatform(ENV);
    await p.newVersion();
    dir = await mkdtemp(join(tmpdir(), 'pc-rollci-'));
    const cfg = { region: 'us-east-1', endpoint: p.moto.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true };
    s3 = new S3Client(cfg);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient(cfg);
    const key = await kms.send(new CreateKeyCommand({}));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/rollci', TargetKeyId: key.KeyMetadata!.KeyId! }));
    kms.destroy();
    const profiles = join(dir, 'profiles');
    await (await import('node:fs/promises')).mkdir(profiles);
    let text = await readFile(join(projectRoot(), 'profiles', 'local.tfvars'), 'utf8');
    text = text.replace(/^(\s*environment\s*=\s*)"[^"]*"/m, `$1"${ENV}"`).replace(/^terraform_bucket_name\s*=.*$/m, `terraform_bucket_name = "${BUCKET}"`).replace(/^kms_master_id\s*=.*$/m, 'kms_master_id = "alias/rollci"');
    await writeFile(join(profiles, `${ENV}.tfvars`), text);
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, p.kube.kubeconfig(), { mode: 0o600 });
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      USER: 'tester',
      LANG: 'C.UTF-8',
      PLATFORM_PROFILES_DIR: profiles,
      PLATFORM_TERRAFORM_DIR: join(projectRoot(), 'terraform'),
      PLATFORM_WORK_DIR: join(dir, 'work'),
      AWS_ENDPOINT_URL: p.moto.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...(process.env.PLATFORM_PROVIDER_MIRROR ? { PLATFORM_PROVIDER_MIRROR: process.env.PLATFORM_PROVIDER_MIRROR } : {}),
    };
  });
  after(async () => {
    s3?.destroy();
    await p?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = async (o: { autoApprove: boolean; json: boolean; force?: boolean; kubeconfig?: string }): Promise<Run> => {
    const cfg: RollChildConfig = {
      environment: ENV,
      json: o.json,
      autoApprove: o.autoApprove,
      roll: { layer: 'secure', force: o.force === true, batch: 1, settleMs: 200, drainTimeoutMs: 5_000, disableEviction: false },
      bastion: `${p.ssh.bastion.host}:${p.ssh.bastion.port}`,
      identity: p.ssh.identityFile,
      knownHosts: await p.ssh.knownHostsFile(),
      user: p.ssh.user,
      kubeconfig: o.kubeconfig ?? kubeconfig,
      targetsFile: p.targetsFile,
      pollMs: 300,
    };
    const file = join(dir, `child-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(cfg));
    const child = spawn(process.execPath, [CHILD, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    return {
      child,
      stdout: () => out,
      stderr: () => err,
      done: new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve(code)))),
    };
  };
  const events = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const rollRecords = async () => {
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${ENV}/history/` }))).Contents?.map((c) => c.Key!) ?? [];
    const out = [];
    for (const k of keys) out.push(JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }))).Body!.transformToString()) as { id: string; operation: string; outcome: string; note?: string; roll?: { nodes: { instanceId: string; steps: { step: string; result: string }[] }[]; planned: string[] } });
    return out.filter((r) => r.operation === 'roll').sort((a, b) => a.id.localeCompare(b.id));
  };
  const lockBody = async () => {
    try {
      return await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${ENV}/terraform.tfstate.tflock` }))).Body!.transformToString();
    } catch {
      return undefined;
    }
  };

  it('without --auto-approve: the plan (3 instances, in order) and the gates, exit 2; nothing changed', async () => {
    const r = await start({ autoApprove: false, json: false });
    const code = await r.done;
    assert.equal(code, 2, r.stderr());
    const out = r.stdout();
    assert.match(out, new RegExp(`roll secure of ${ENV}: ${ENV}-secure to launch template version 2 \\(desired 3\\)`));
    assert.equal((out.match(/^ {2}\d\. i-[0-9a-f]+ {2}us-east-1a {2}version 1 → 2$/gm) ?? []).length, 3, out);
    assert.match(out, /✓ capacity: 3 of 3 instances InService and Healthy/);
    assert.match(out, /✓ cluster: 3 of 3 nodes Ready, no kube-system pod unhealthy/);
    assert.match(out, /✓ etcd: 3 of 3 members healthy/);
    assert.match(out, /3 instances to roll, one at a time: run again with --auto-approve to roll \(exit 2\)/);
    assert.equal(await lockBody(), undefined, 'no lock taken');
    assert.deepEqual(await rollRecords(), [], 'no record');
    assert.equal(p.kube.requests.filter((q) => q.verb === 'patch').length, 0, 'nothing cordoned');
  });

  it('SIGINT while the gates are read (a cluster that never answers): the command ends, exit 1, "no instance or node was touched"; nothing changed', async () => {
    // A Kubernetes API that accepts the connection and never answers: the cluster gate waits on it.
    const connected: net.Socket[] = [];
    const hang = net.createServer((c) => connected.push(c));
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const file = join(dir, 'kubeconfig-hang');
    const text = p.kube.kubeconfig();
    assert.match(text, /server: https:\/\/127\.0\.0\.1:\d+/);
    await writeFile(file, text.replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${(hang.address() as net.AddressInfo).port}`), { mode: 0o600 });
    try {
      const group = (await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort();
      const r = await start({ autoApprove: true, json: false, kubeconfig: file });
      while (!connected.length && r.child.exitCode === null) await new Promise((res) => setTimeout(res, 50));
      assert.ok(connected.length, `the roll reached the cluster gate (stderr: ${r.stderr()})`);
      r.child.kill('SIGINT');
      const code = await r.done;
      assert.equal(code, 1, r.stderr());
      assert.match(r.stderr(), /^error: interrupted before the roll started: no instance or node was touched and no lock taken$/m);
      assert.doesNotMatch(r.stderr(), /stopping at the next wait|Run --ci roll again to resume/, 'no word of a roll that never started');
      assert.doesNotMatch(r.stdout(), /gates now:/, 'the command ended while the gates were read');
      assert.equal(await lockBody(), undefined, 'no lock taken');
      assert.deepEqual(await rollRecords(), [], 'no record');
      assert.deepEqual((await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort(), group, 'nothing terminated');
    } finally {
      for (const c of connected) c.destroy();
      await new Promise((resolve) => hang.close(resolve));
    }
  });

  it('kill -9 right after a termination, then --ci roll again: it takes the dead roll\'s lock, finishes that node, rolls the rest, releases the lock', async (t) => {
    const olds = planRoll(await readGroup(p.ctx, 'secure')).batches.map((b) => b[0]!.instance.instanceId);
    const first = await start({ autoApprove: true, json: true });
    // Wait for the first node's termination, then kill the roll.
    const deadline = Date.now() + 120_000;
    while (!events(first.stdout()).some((e) => e.type === 'roll_step' && e.step === 'terminate' && e.state === 'succeeded')) {
      if (Date.now() > deadline) throw new Error(`no termination seen:\n${first.stdout()}\n${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGKILL');
    await first.done;
    const killedAt = events(first.stdout()).find((e) => e.type === 'roll_step' && e.step === 'terminate')!.instance_id as string;
    assert.equal(killedAt, olds[0]);
    const held = JSON.parse((await lockBody()) ?? '{}') as { ID?: string; Operation?: string; Info?: string };
    assert.equal(held.Operation, 'roll', 'the dead roll left its lock');
    assert.match(held.Info ?? '', new RegExp(`pid ${first.child.pid} on `));
    const [dead] = await rollRecords();
    assert.equal(dead?.outcome, 'running');

    const t0 = Date.now();
    const second = await start({ autoApprove: true, json: false });
    const code = await second.done;
    t.diagnostic(`resumed roll: ${Date.now() - t0} ms`);
    const out = second.stdout();
    assert.equal(code, 0, `${out}\n${second.stderr()}`);
    assert.match(out, new RegExp(`first: ${olds[0]} \\(us-east-1a\\), which an earlier roll left half-done`));
    assert.match(out, new RegExp(`took the state lock [0-9a-f-]+ for the roll \\(from a roll that died: ${held.ID} of \\S+@\\S+\\)`));
    assert.match(out, new RegExp(`${olds[0]} resume ✓: the earlier roll terminated ${olds[0]} before it stopped: waiting for its replacement`));
    assert.equal((out.match(/^ {2}\d\. /gm) ?? []).length, 2, 'the plan names the two still old');
    assert.match(out, new RegExp(`rolled secure of ${ENV}: 3 of 3 instances replaced \\(${olds[0]} → i-[0-9a-f]+, ${olds[1]} → i-[0-9a-f]+, ${olds[2]} → i-[0-9a-f]+\\); recorded as \\S+-roll-[0-9a-f]{6}`));
    // Everything on version 2, three members, the lock released, the records.
    const g = await readGroup(p.ctx, 'secure');
    assert.ok(g.instances.every((i) => i.launchTemplateVersion === '2'));
    assert.deepEqual(planRoll(g).batches, []);
    assert.equal((await p.members()).length, 3);
    assert.equal(await lockBody(), undefined, 'the lock is released');
    const recs = await rollRecords();
    assert.equal(recs.length, 2);
    assert.equal(recs[0]!.outcome, 'interrupted');
    assert.match(recs[0]!.note ?? '', /its process had stopped/);
    assert.equal(recs[1]!.outcome, 'succeeded');
    assert.deepEqual(recs[1]!.roll!.nodes.map((n) => n.instanceId), olds);
  });

  it('after the roll: nothing to roll (exit 0); a lock another holds refuses the roll (--force), naming it, and nothing changes', async () => {
    const r = await start({ autoApprove: true, json: false });
    assert.equal(await r.done, 0, r.stderr());
    assert.match(r.stdout(), /nothing to roll: the 3 instances of rollci-secure run version 2 \(exit 0\)/);
    const { PutObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    const key = `${ENV}/terraform.tfstate.tflock`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify({ ID: 'aaaaaaaa-1111-2222-3333-444444444444', Operation: 'OperationTypeApply', Info: '', Who: 'ana@ci-runner', Version: '1.11.4', Created: '2026-11-29T10:00:00Z', Path: `${BUCKET}/${ENV}/terraform.tfstate` }) }));
    try {
      const before = (await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort();
      const forced = await start({ autoApprove: true, json: false, force: true });
      assert.equal(await forced.done, 1);
      assert.match(forced.stderr(), /the state is locked by aaaaaaaa-1111-2222-3333-444444444444 of ana@ci-runner \(OperationTypeApply, since 2026-11-29T10:00:00Z\): nothing was rolled/);
      assert.match(forced.stdout(), /forced \(version 2, current\)/);
      assert.deepEqual((await readGroup(p.ctx, 'secure')).instances.map((i) => i.instanceId).sort(), before);
      assert.match((await lockBody()) ?? '', /ana@ci-runner/, 'the other holder keeps its lock');
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    }
  });
});
