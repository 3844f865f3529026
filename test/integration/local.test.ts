/**
 * Local mode against a real moto: the background emulator (start, reuse, concurrency, stop,
 * failures), the bootstrap of the state bucket and KMS key, and the reset marker.
 * Needs moto (`moto_server` or `python3 -m moto.server`): fails without it when CI=true,
 * skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DeleteBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';

import { LocalEmulatorError } from '../../src/core/errors.js';
import { bootstrapLocal } from '../../src/services/local/bootstrap.js';
import {
  applyEmulatorEnv,
  emulatorEnv,
  ensureEmulator,
  pidAlive,
  readEmulatorRecord,
  stopEmulator,
  type EmulatorInfo,
} from '../../src/services/local/emulator.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();
const emulatorModule = fileURLToPath(new URL('../../src/services/local/emulator.js', import.meta.url));

const REGION = 'us-east-1';
const BUCKET = 'local-tf-state';
const ALIAS = 'alias/local-tf-state';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

function s3At(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: REGION, credentials: creds, forcePathStyle: true });
}

/** Linux: pids whose working directory is `dir` (every emulator runs in its state directory). */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`) === dir && pidAlive(Number(name))) out.push(Number(name));
    } catch {
      // gone or not ours
    }
  }
  return out;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Runs ensureEmulator in a separate node process; resolves its EmulatorInfo. */
function ensureInChild(stateDir: string): Promise<EmulatorInfo> {
  const script = `const { ensureEmulator } = await import(${JSON.stringify(emulatorModule)});
const info = await ensureEmulator({ stateDir: process.argv[1] });
process.stdout.write(JSON.stringify(info));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script, stateDir], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`child failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as EmulatorInfo);
    });
  });
}

describe('local mode against a real moto', { skip }, () => {
  let stateDir = '';
  const spawned = new Set<number>();
  const tempDirs: string[] = [];
  let foreign: MotoServer | undefined;
  const savedMotoCmd = process.env['PLATFORM_MOTO_SERVER'];

  const ensure = async (): Promise<EmulatorInfo> => {
    const info = await ensureEmulator({ stateDir });
    spawned.add(info.pid);
    return info;
  };

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'pc-local-'));
    tempDirs.push(stateDir);
  });

  after(async () => {
    if (savedMotoCmd === undefined) delete process.env['PLATFORM_MOTO_SERVER'];
    else process.env['PLATFORM_MOTO_SERVER'] = savedMotoCmd;
    await foreign?.stop();
    for (const dir of tempDirs) {
      await stopEmulator({ stateDir: dir, graceMs: 2_000 }).catch(() => undefined);
      if (process.platform === 'linux') for (const pid of processesIn(dir)) killGroup(pid);
    }
    for (const pid of spawned) killGroup(pid);
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  });

  let first: EmulatorInfo;

  it('starts one emulator on 127.0.0.1 and records it', async (t) => {
    const t0 = performance.now();
    first = await ensure();
    const ms = Math.round(performance.now() - t0);
    t.diagnostic(`emulator start: ${ms} ms`);
    assert.equal(first.startedNow, true);
    assert.match(first.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(first.endpoint, `http://127.0.0.1:${first.port}`);
    assert.ok(pidAlive(first.pid));
    assert.ok(Math.abs(Date.now() - first.startedAt) < 60_000);

    const raw = JSON.parse(await readFile(join(stateDir, 'emulator.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(raw['version'], 1);
    assert.equal(raw['pid'], first.pid);
    assert.equal(raw['port'], first.port);
    assert.equal(raw['endpoint'], first.endpoint);
    assert.equal(raw['startedAt'], first.startedAt);
    assert.ok(Array.isArray(raw['command']));
    assert.deepEqual(await readEmulatorRecord({ stateDir }), raw);
    const log = await readFile(join(stateDir, 'moto.log'), 'utf8');
    assert.match(log, /starting: .*-H 127\.0\.0\.1 -p \d+/);
    // The emulator leads its own process group.
    const stat = readFileSync(`/proc/${first.pid}/stat`, 'utf8');
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    assert.equal(pgid, first.pid);
  });

  it('reuses the running emulator (same pid, startedNow false)', async (t) => {
    const t0 = performance.now();
    const again = await ensure();
    t.diagnostic(`reuse: ${Math.round(performance.now() - t0)} ms`);
    assert.deepEqual(again, { ...first, startedNow: false });
  });

  it('bootstrapLocal creates the bucket (versioned, SSE-KMS, public access blocked) and the key with its alias', async () => {
    const res = await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.deepEqual(res.created, { bucket: true, key: true });
    assert.equal(res.checked, 'all');
    assert.equal(res.emulatorWasReset, false);
    assert.equal(res.bucket, BUCKET);
    assert.match(res.kmsKeyArn, new RegExp(`^arn:aws:kms:${REGION}:\\d{12}:key/${res.kmsKeyId}$`));

    const s3 = s3At(first.endpoint);
    const kms = new KMSClient({ endpoint: first.endpoint, region: REGION, credentials: creds });
    try {
      await s3.send(new HeadBucketCommand({ Bucket: BUCKET }));
      const ver = await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }));
      assert.equal(ver.Status, 'Enabled');
      const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
      const rule = enc.ServerSideEncryptionConfiguration?.Rules?.[0];
      assert.equal(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'aws:kms');
      assert.equal(rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID, res.kmsKeyArn);
      const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }));
      assert.deepEqual(pab.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
      const key = await kms.send(new DescribeKeyCommand({ KeyId: ALIAS }));
      assert.equal(key.KeyMetadata?.KeyId, res.kmsKeyId);
      assert.equal(key.KeyMetadata?.KeyState, 'Enabled');
    } finally {
      s3.destroy();
      kms.destroy();
    }
    const marker = JSON.parse(await readFile(join(stateDir, 'bootstrap.json'), 'utf8')) as {
      buckets: Record<string, { emulator: { pid: number; startedAt: number }; kmsKeyId: string }>;
    };
    assert.deepEqual(marker.buckets[BUCKET]?.emulator, { pid: first.pid, startedAt: first.startedAt });
    assert.equal(marker.buckets[BUCKET]?.kmsKeyId, res.kmsKeyId);
  });

  it('a second bootstrapLocal creates nothing and returns the same key', async () => {
    const before = await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    const again = await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.deepEqual(again.created, { bucket: false, key: false });
    assert.equal(again.emulatorWasReset, false);
    assert.equal(again.kmsKeyId, before.kmsKeyId);
    assert.equal(again.kmsKeyArn, before.kmsKeyArn);
    // The marker names this very emulator process and the key's ARN: one HeadBucket was enough.
    assert.equal(again.checked, 'bucket');

    // A marker entry that names another emulator process (or was written without the key's ARN,
    // before the one-request repeat) is not trusted: the full bootstrap runs and rewrites it.
    const markerFile = join(stateDir, 'bootstrap.json');
    const marker = JSON.parse(await readFile(markerFile, 'utf8')) as { buckets: Record<string, { emulator: { pid: number }; kmsKeyArn?: string }> };
    marker.buckets[BUCKET]!.emulator.pid += 1;
    await writeFile(markerFile, JSON.stringify(marker));
    const otherPid = await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.equal(otherPid.checked, 'all');
    assert.deepEqual(otherPid.created, { bucket: false, key: false });
    assert.equal(otherPid.emulatorWasReset, false);
    const rewritten = JSON.parse(await readFile(markerFile, 'utf8')) as typeof marker;
    assert.equal(rewritten.buckets[BUCKET]!.emulator.pid, first.pid);
    delete rewritten.buckets[BUCKET]!.kmsKeyArn;
    await writeFile(markerFile, JSON.stringify(rewritten));
    assert.equal((await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir })).checked, 'all');
    // The full bootstrap wrote the ARN again: the next repeat is one request again.
    assert.equal((await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir })).checked, 'bucket');
  });

  it('an emulator wiped in place (bucket gone, same process) is reported as reset', async () => {
    const wiped = await startMoto(); // a throwaway moto: check the reset endpoint of the support helper too
    try {
      const s3 = s3At(wiped.endpoint);
      await s3.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: 'wipe-me' }));
      await wiped.reset();
      await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: 'wipe-me' })));
      s3.destroy();
    } finally {
      await wiped.stop();
    }
    assert.equal(pidAlive(wiped.pid), false);

    // On the state directory's own emulator: delete the bucket behind the console's back.
    const s3 = s3At(first.endpoint);
    try {
      const { ListObjectVersionsCommand, DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
      const v = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
      const objs = [...(v.Versions ?? []), ...(v.DeleteMarkers ?? [])].map((o) => ({ Key: o.Key ?? '', VersionId: o.VersionId }));
      if (objs.length) await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: objs } }));
      await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
    } finally {
      s3.destroy();
    }
    const res = await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.equal(res.emulatorWasReset, true);
    assert.equal(res.checked, 'all', 'the HeadBucket found no bucket: the full bootstrap ran');
    assert.deepEqual(res.created, { bucket: true, key: false });
    const again = await bootstrapLocal({ endpoint: first.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.equal(again.emulatorWasReset, false, 'the reset is reported once');
  });

  it('bootstrapLocal against a moto that is not the state directory\'s emulator never claims a reset', async () => {
    foreign = await startMoto();
    const res = await bootstrapLocal({ endpoint: foreign.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.deepEqual(res.created, { bucket: true, key: true });
    assert.equal(res.emulatorWasReset, false);
    const marker = JSON.parse(await readFile(join(stateDir, 'bootstrap.json'), 'utf8')) as {
      buckets: Record<string, { endpoint: string }>;
    };
    assert.equal(marker.buckets[BUCKET]?.endpoint, first.endpoint, 'the marker is untouched');
    await foreign.stop();
    foreign = undefined;
  });

  it('after stopEmulator and a new emulator, bootstrapLocal reports emulatorWasReset and recreates', async () => {
    const stopped = await stopEmulator({ stateDir });
    assert.deepEqual(stopped, { stopped: true, pid: first.pid });
    assert.equal(pidAlive(first.pid), false, 'the old emulator is gone');
    const second = await ensure();
    assert.equal(second.startedNow, true);
    assert.notEqual(second.pid, first.pid);

    const res = await bootstrapLocal({ endpoint: second.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.equal(res.emulatorWasReset, true);
    assert.deepEqual(res.created, { bucket: true, key: true });
    const again = await bootstrapLocal({ endpoint: second.endpoint, region: REGION, bucket: BUCKET, kmsAlias: ALIAS, stateDir });
    assert.equal(again.emulatorWasReset, false);
    assert.deepEqual(again.created, { bucket: false, key: false });
    first = second;
  });

  it('the environment from emulatorEnv reaches the SDK without explicit endpoint (STS via AWS_ENDPOINT_URL)', async () => {
    const env = emulatorEnv(first, 'eu-west-1');
    assert.equal(env['AWS_ENDPOINT_URL'], first.endpoint);
    assert.equal(env['AWS_REGION'], 'eu-west-1');
    assert.equal(env['AWS_DEFAULT_REGION'], 'eu-west-1');
    assert.equal(env['AWS_ACCESS_KEY_ID'], 'test');
    assert.equal(env['AWS_SECRET_ACCESS_KEY'], 'test');
    assert.equal(env['AWS_EC2_METADATA_DISABLED'], 'true');
    assert.equal(env['AWS_PROFILE'], '');
    assert.equal(env['AWS_SESSION_TOKEN'], '');

    const full = applyEmulatorEnv(first, 'eu-west-1', {
      PATH: process.env['PATH'],
      AWS_PROFILE: 'prod',
      AWS_SESSION_TOKEN: 'tok',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1',
      NO_PROXY: 'example.com',
    });
    assert.equal(full['AWS_PROFILE'], undefined);
    assert.equal(full['AWS_SESSION_TOKEN'], undefined);
    assert.equal(full['AWS_ENDPOINT_URL_STS'], undefined);
    assert.equal(full['NO_PROXY'], 'example.com,127.0.0.1');
    assert.ok(!Object.values(full).includes(''));

    const script = `const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
const out = await new STSClient({}).send(new GetCallerIdentityCommand({}));
process.stdout.write(out.Account ?? '');`;
    const account = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: full, cwd: process.cwd(), timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    assert.match(account, /^\d{12}$/);
  });

  it('concurrent ensureEmulator calls (in this process and another) start exactly one emulator', async () => {
    await stopEmulator({ stateDir });
    const results = await Promise.all([ensure(), ensure(), ensureInChild(stateDir), ensure()]);
    for (const r of results) spawned.add(r.pid);
    const pids = new Set(results.map((r) => r.pid));
    assert.equal(pids.size, 1, `one pid, got ${[...pids].join(', ')}`);
    assert.equal(results.filter((r) => r.startedNow).length, 1);
    if (process.platform === 'linux') {
      const procs = processesIn(stateDir);
      assert.deepEqual(procs, [...pids], 'a single moto process runs in the state directory');
    }
    first = results[0] as EmulatorInfo;
  });

  it('recovers a stale lock left by a dead process', async () => {
    await stopEmulator({ stateDir });
    await writeFile(join(stateDir, 'emulator.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, token: 'dead', createdAt: 0, expiresAt: Date.now() + 600_000 }));
    const t0 = Date.now();
    const info = await ensure();
    assert.equal(info.startedNow, true);
    assert.ok(Date.now() - t0 < 20_000);
    first = info;
  });

  it('stopEmulator ends the process group and removes emulator.json; a second stop says not running', async () => {
    const res = await stopEmulator({ stateDir });
    assert.deepEqual(res, { stopped: true, pid: first.pid });
    assert.equal(pidAlive(first.pid), false);
    assert.equal(await readEmulatorRecord({ stateDir }), undefined);
    if (process.platform === 'linux') assert.deepEqual(processesIn(stateDir), []);
    assert.deepEqual(await stopEmulator({ stateDir }), { stopped: false });
  });

  it('a dead emulator recorded in emulator.json is replaced, not reused', async () => {
    const info = await ensure();
    killGroup(info.pid);
    while (pidAlive(info.pid)) await new Promise((r) => setTimeout(r, 10));
    const next = await ensure();
    assert.equal(next.startedNow, true);
    assert.notEqual(next.pid, info.pid);
    await stopEmulator({ stateDir });
  });

  it('an emulator command that never answers fails with LocalEmulatorError within the timeout, leaving no process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-local-fake-'));
    tempDirs.push(dir);
    const fake = join(dir, 'fake-moto.sh');
    await writeFile(fake, '#!/bin/sh\necho "fake moto: listening nowhere"\nexec sleep 60\n');
    await chmod(fake, 0o755);
    process.env['PLATFORM_MOTO_SERVER'] = fake;
    const t0 = Date.now();
    try {
      await assert.rejects(ensureEmulator({ stateDir: dir, timeoutMs: 1_500 }), (err: unknown) => {
        assert.ok(err instanceof LocalEmulatorError);
        assert.match(err.message, /did not answer on 127\.0\.0\.1:\d+ within 1500 ms/);
        assert.match(err.message, /fake moto: listening nowhere/, 'the log tail is in the message');
        return true;
      });
    } finally {
      delete process.env['PLATFORM_MOTO_SERVER'];
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 5_000, `failed after ${elapsed} ms`);
    if (process.platform === 'linux') assert.deepEqual(processesIn(dir), [], 'the fake emulator was killed');
    assert.equal(await readEmulatorRecord({ stateDir: dir }), undefined);
  });

  it('PLATFORM_MOTO_SERVER="sleep 60" (exits on the -H option) fails fast with the log tail', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-local-sleep-'));
    tempDirs.push(dir);
    process.env['PLATFORM_MOTO_SERVER'] = 'sleep 60';
    const t0 = Date.now();
    try {
      await assert.rejects(ensureEmulator({ stateDir: dir, timeoutMs: 2_000 }), (err: unknown) => {
        assert.ok(err instanceof LocalEmulatorError);
        assert.match(err.message, /sleep 60|did not answer/);
        return true;
      });
    } finally {
      delete process.env['PLATFORM_MOTO_SERVER'];
    }
    assert.ok(Date.now() - t0 < 5_000);
  });

  it('a command that does not exist fails with LocalEmulatorError naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-local-none-'));
    tempDirs.push(dir);
    process.env['PLATFORM_MOTO_SERVER'] = '/nonexistent/moto_server --flag';
    try {
      await assert.rejects(ensureEmulator({ stateDir: dir, timeoutMs: 2_000 }), (err: unknown) => {
        assert.ok(err instanceof LocalEmulatorError);
        assert.match(err.message, /not found: \/nonexistent\/moto_server --flag/);
        assert.match(err.hint, /pip install "moto\[server\]"/);
        return true;
      });
    } finally {
      delete process.env['PLATFORM_MOTO_SERVER'];
    }
  });
});
