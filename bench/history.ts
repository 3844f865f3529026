/**
 * The apply history (issue 14): reading it into the History pane, and the ETA learned from it.
 *
 * Part 1, listing 1,000 records (a private moto of its own, the state bucket and KMS key made by
 * the console's bootstrapLocal): 1,000 records of environment `hist` are written with the
 * project's HistoryStore (keys `hist/history/<inverted start ms>-<id>.json`, SSE-KMS with the
 * state's key, JSON as the store writes it), each with 85–95 resources like a platform apply
 * (module addresses, create/update/delete, durations), one every 2 hours back from now. Then, in
 * 3 rounds with the order alternating, each side in a fresh process (a worker forked from this
 * file) or command:
 *
 * - ours (pane): a Store, a Controller over a fake target (a real Engine never run, the lock free)
 *   with the HistoryController over a HistoryStore on an S3 client configured as the session's,
 *   `<App>` rendered headless (160×48); timed from `showPane('history')` (what `6`/Tab does) to
 *   the first frame that holds the newest record's id; the pane's fetch is
 *   `HistoryStore.list(HISTORY_PANE_LIMIT)` (one prefix listing, then GetObject 16 at a time, parse);
 *   then, in the same process, `list(HISTORY_PANE_LIMIT)` alone twice more (warm);
 * - bare SDK v3: ListObjectsV2 of the prefix, then GetObject of every key, 16 at a time as the
 *   store does, bodies read as strings and counted (no parse);
 * - bare AWS CLI: `aws s3api list-objects-v2 --bucket B --prefix hist/history/`, then
 *   `aws s3 cp s3://B/hist/history/ DIR --recursive` (one process that lists again and fetches
 *   the same 1,000 objects, 10 at a time, its default).
 * Both processes warm up with one HeadBucket (module loading, connection) before the timed part;
 * the CLI's Python start-up is in its figures.
 *
 * Part 2, the ETA against what happened (core/eta.ts; a workspace with the real root module on a
 * private moto, as bench/platform.ts): `--ci apply --auto-approve`, `--ci destroy --auto-approve`,
 * `--ci apply --auto-approve`, then `--ci history --json` reads the three records back. learnEta
 * from the first apply and the destroy (and, second, from the first apply alone), then for the
 * second apply: timeLeftMs at its start with every resource of its record `planned` vs its wall
 * time (endedAt − startedAt: the `terraform apply PLANFILE` process as the record times it), and
 * per resource expectedMs vs its durationMs.
 */
import { HeadBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { expectedMs, learnEta, timeLeftMs, type EtaModel } from '../src/core/eta.js';
import { historyKey, newHistoryId, type HistoryRecord, type HistoryResource } from '../src/services/history/record.js';
import { HistoryStore } from '../src/services/history/store.js';
import { bootstrapLocal } from '../src/services/local/bootstrap.js';
import { ensureEmulator, stopEmulator } from '../src/services/local/emulator.js';
import { assertNotStopping, check, forkWorker, isStopping, onCleanup, runTimed, type TimedRun } from './lib/proc.js';
import { int, mb, median, metText, ms, ratio, table, type Bench, type BenchResult, type TargetCheck } from './lib/report.js';
import { makeWorkspace, ROOT } from './lib/workspace.js';
import { idleEngine } from './lib/idle-engine.js';

const REGION = 'us-east-1';
const BUCKET = 'platform-console-local-state';
const KMS_ALIAS = 'alias/platform-console-local';
const CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };
const LIST_ENV = 'hist';
const RECORDS = 1_000;
const ROUNDS = 3;
const SEED_CONCURRENCY = 8;
/** GetObject at once on the bare SDK side: the store's READ_CONCURRENCY. */
const BARE_CONCURRENCY = 16;
const PANE_TARGET_MS = 1_000;
/** A screenful of rows: what the pane's first frame can show at most (the table is shorter than the terminal). */
const SCREENFUL = 48;
const COLUMNS = 160;
const ROWS = 48;
const WORKER_TIMEOUT_MS = 180_000;
const ETA_ENV = 'bench';
/** A platform apply takes ~35 s on an idle moto; a hung run is ended after this. */
const TF_TIMEOUT_MS = 600_000;

// ---------------------------------------------------------------- part 1: the records

/** ~90 addresses of a platform apply: [module path, type, name, instance keys (none: a single resource)]. */
const SHAPE: [string, string, string, string[]][] = [
  ['module.network', 'aws_vpc', 'this', []],
  ['module.network', 'aws_internet_gateway', 'this', []],
  ['module.network', 'aws_subnet', 'public', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_subnet', 'private', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_eip', 'nat', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_nat_gateway', 'this', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_route_table', 'public', []],
  ['module.network', 'aws_route_table', 'private', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_route', 'public_internet', []],
  ['module.network', 'aws_route', 'private_nat', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_route_table_association', 'public', ['"a"', '"b"', '"c"']],
  ['module.network', 'aws_route_table_association', 'private', ['"a"', '"b"', '"c"']],
  ['module.iam', 'aws_iam_role', 'this', ['"bastion"', '"secure"', '"compute"']],
  ['module.iam', 'aws_iam_role_policy', 'this', ['"bastion"', '"secure"', '"compute"']],
  ['module.iam', 'aws_iam_instance_profile', 'this', ['"bastion"', '"secure"', '"compute"']],
  ['module.secrets', 'aws_kms_key', 'this', []],
  ['module.secrets', 'aws_kms_alias', 'this', []],
  ['module.secrets', 'aws_s3_bucket', 'this', []],
  ['module.secrets', 'aws_s3_bucket_versioning', 'this', []],
  ['module.secrets', 'aws_s3_bucket_server_side_encryption_configuration', 'this', []],
  ['module.secrets', 'aws_s3_bucket_public_access_block', 'this', []],
  ['module.secrets', 'aws_s3_bucket_ownership_controls', 'this', []],
  ['module.secrets', 'aws_s3_bucket_policy', 'this', []],
  ['module.secrets', 'aws_s3_object', 'kubeconfig_admin', []],
  ['module.secrets', 'aws_s3_object', 'manifest', []],
  ['module.bastion', 'aws_security_group', 'this', []],
  ['module.bastion', 'aws_vpc_security_group_ingress_rule', 'ssh', ['0', '1']],
  ['module.bastion', 'aws_vpc_security_group_egress_rule', 'all', []],
  ['module.bastion', 'aws_key_pair', 'this', []],
  ['module.bastion', 'aws_instance', 'this', []],
  ['module.bastion', 'aws_eip', 'this', []],
  ['module.secure', 'aws_security_group', 'this', []],
  ['module.secure', 'aws_vpc_security_group_ingress_rule', 'ssh_from_bastion', []],
  ['module.secure', 'aws_vpc_security_group_ingress_rule', 'cluster', []],
  ['module.secure', 'aws_vpc_security_group_ingress_rule', 'api_from_lb', []],
  ['module.secure', 'aws_vpc_security_group_egress_rule', 'all', []],
  ['module.secure', 'aws_network_interface', 'this', ['0', '1', '2']],
  ['module.secure', 'aws_ebs_volume', 'etcd', ['0', '1', '2']],
  ['module.secure', 'aws_volume_attachment', 'etcd', ['0', '1', '2']],
  ['module.secure', 'aws_instance', 'this', ['0', '1', '2']],
  ['module.compute', 'aws_security_group', 'this', []],
  ['module.compute', 'aws_vpc_security_group_ingress_rule', 'ssh_from_bastion', []],
  ['module.compute', 'aws_vpc_security_group_ingress_rule', 'cluster', []],
  ['module.compute', 'aws_vpc_security_group_egress_rule', 'all', []],
  ['module.compute.module.node_group["general"]', 'aws_launch_template', 'this', []],
  ['module.compute.module.node_group["general"]', 'aws_autoscaling_group', 'this', []],
  ['module.compute.module.node_group["memory"]', 'aws_launch_template', 'this', []],
  ['module.compute.module.node_group["memory"]', 'aws_autoscaling_group', 'this', []],
  ['module.elb', 'aws_security_group', 'this', []],
  ['module.elb', 'aws_vpc_security_group_ingress_rule', 'public', ['"443"', '"6443"']],
  ['module.elb', 'aws_vpc_security_group_egress_rule', 'backend', []],
  ['module.elb', 'aws_elb', 'this', []],
  ['module.dns', 'aws_route53_zone', 'private', []],
  ['module.dns', 'aws_route53_record', 'kubeapi_private', []],
  ['module.dns', 'aws_route53_record', 'kubeapi_public', []],
  ['module.dns', 'terraform_data', 'private_zone_vpc', []],
];

/** Typical durations (ms) of a type's create on AWS; anything else ~2 s. */
const TYPICAL_MS: Record<string, number> = {
  aws_nat_gateway: 95_000,
  aws_instance: 32_000,
  aws_elb: 8_000,
  aws_autoscaling_group: 45_000,
  aws_route53_zone: 40_000,
  aws_route53_record: 35_000,
  aws_kms_key: 12_000,
  aws_ebs_volume: 10_000,
  aws_volume_attachment: 21_000,
  aws_iam_role: 1_500,
  aws_eip: 1_200,
};

const ADDRESSES: string[] = SHAPE.flatMap(([mod, type, name, keys]) => (keys.length ? keys.map((k) => `${mod}.${type}.${name}[${k}]`) : [`${mod}.${type}.${name}`]));

/** A deterministic pseudo-random stream (mulberry32), so every run seeds the same records. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE = ['alice', 'bob', 'carol', 'dmitri', 'erin', 'farid'];

/**
 * Record `i` of {@link RECORDS} (0 is the newest): one every 2 hours back from `now`; 80 % applies
 * (most resources updated, some created or replaced), 12 % destroys, the rest failed applies with a
 * diagnostic; 85–95 resources each with durations around their type's typical one.
 */
function makeRecord(i: number, now: number): HistoryRecord {
  const r = rng(1000 + i);
  const started = new Date(now - (i + 1) * 2 * 3600_000 - Math.floor(r() * 600_000));
  const kind = r();
  const operation = kind < 0.8 || kind >= 0.92 ? 'apply' : 'destroy';
  const failed = kind >= 0.92;
  const n = 85 + Math.floor(r() * 11);
  const resources: HistoryResource[] = [];
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const address = ADDRESSES[(k + i) % ADDRESSES.length]!;
    const type = /\.?(aws_[a-z0-9_]+|terraform_data)\./.exec(address)?.[1] ?? '';
    const a = r();
    const action = operation === 'destroy' ? 'delete' : a < 0.7 ? 'update' : a < 0.9 ? 'create' : 'replace';
    const base = (TYPICAL_MS[type] ?? 2_000) * (action === 'update' ? 0.3 : action === 'delete' ? 0.6 : 1);
    const durationMs = Math.round(base * (0.6 + r() * 0.8));
    const result: HistoryResource['result'] = failed && k === n - 1 ? 'failed' : 'succeeded';
    resources.push({ address, action, result, durationMs });
    sum += durationMs;
  }
  const who = PEOPLE[Math.floor(r() * PEOPLE.length)]!;
  const add = resources.filter((x) => x.action === 'create' || x.action === 'replace').length;
  const change = resources.filter((x) => x.action === 'update').length;
  const destroy = resources.filter((x) => x.action === 'delete' || x.action === 'replace').length;
  const replace = resources.filter((x) => x.action === 'replace').length;
  return {
    version: 1,
    id: newHistoryId(started, operation),
    environment: LIST_ENV,
    operation,
    outcome: failed ? 'failed' : 'succeeded',
    who: { arn: `arn:aws:iam::123456789012:user/${who}`, login: `${who}@ops-${Math.floor(r() * 4)}` },
    startedAt: started.toISOString(),
    endedAt: new Date(started.getTime() + Math.round(sum * 0.35)).toISOString(),
    terraformVersion: '1.11.4',
    profileHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    git: (i * 2654435761).toString(16).padStart(8, '0').slice(0, 8) + '1f3a9c2e4b6d8f0a1c3e5a7b9d1f3a5c7e9b',
    plan: { add, change, destroy, replace, risk: destroy ? 'high' : add ? 'medium' : 'low' },
    result: failed ? { add: Math.max(0, add - 1), change, destroy } : { add, change, destroy },
    resources,
    diagnostics: failed ? [{ severity: 'error', summary: 'creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient capacity in the Availability Zone you requested', address: resources.at(-1)!.address }] : [],
  } as HistoryRecord;
}

/** An S3 client as the session makes it (src/services/session.ts). */
function s3Client(endpoint: string): S3Client {
  return new S3Client({ region: REGION, credentials: CREDS, endpoint, forcePathStyle: true, maxAttempts: 2 });
}

/** Up to `limit` calls of `fn(i)` for i in 0..n-1 at once. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        assertNotStopping();
        await fn(next++);
      }
    }),
  );
}

type Side = 'ours' | 'sdk';

interface WorkerArgs {
  side: Side;
  endpoint: string;
  kmsKeyId: string;
  /** The newest record's id: the frame that holds it is the filled pane. */
  newestId: string;
  pendingDir: string;
  /** The emulator's pid, for its CPU time during the timed part. */
  motoPid: number;
}

interface WorkerResult {
  side: Side;
  /** ours: showPane('history') → first frame with the newest id. sdk: list + every GetObject. */
  ms: number;
  /** ours: the pane's fetch (HistoryStore.list) inside that, from its call to its return. */
  fetchMs: number;
  /** ours: the fetch's return → the frame (store, React, Ink). */
  toFrameMs: number;
  /** showPane → every record read and in the pane (ours). */
  allMs?: number;
  /** ours: HistoryStore.list alone, warm, twice. */
  listWarmMs: number[];
  /** sdk: the ListObjectsV2 part of `ms`. */
  listMs: number;
  /** sdk, after the timed part (warm): ListObjectsV2 with MaxKeys {@link SCREENFUL} and GetObject of those keys. */
  screenfulMs: number;
  /** Records shown / objects fetched. */
  count: number;
  /** sdk: bytes of the bodies. */
  bytes: number;
  warmupMs: number;
  cpuMs: number;
  /** The emulator's CPU time during the timed part, ms. */
  motoCpuMs: number;
  peakRss: number;
}

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

async function worker(a: WorkerArgs): Promise<WorkerResult> {
  const s3 = s3Client(a.endpoint);
  let t0 = performance.now();
  await s3.send(new HeadBucketCommand({ Bucket: BUCKET }));
  const warmupMs = performance.now() - t0;
  const res: WorkerResult = { side: a.side, ms: 0, fetchMs: 0, toFrameMs: 0, listWarmMs: [], listMs: 0, screenfulMs: 0, count: 0, bytes: 0, warmupMs, cpuMs: 0, motoCpuMs: 0, peakRss: 0 };
  const cpu0 = process.cpuUsage();
  const moto0 = await cpuMsOf(a.motoPid);
  if (a.side === 'sdk') {
    t0 = performance.now();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${LIST_ENV}/history/`, ...(token ? { ContinuationToken: token } : {}) }));
      for (const c of out.Contents ?? []) keys.push(c.Key!);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    res.listMs = performance.now() - t0;
    await pool(keys.length, BARE_CONCURRENCY, async (i) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[i]! }));
      res.bytes += (await out.Body!.transformToString()).length;
    });
    res.ms = performance.now() - t0;
    res.count = keys.length;
    res.cpuMs = ((c) => (c.user + c.system) / 1000)(process.cpuUsage(cpu0));
    res.motoCpuMs = (await cpuMsOf(a.motoPid)) - moto0;
    // Not part of the comparison: what a first screenful alone costs (the newest SCREENFUL keys, warm).
    const s0 = performance.now();
    const first = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${LIST_ENV}/history/`, MaxKeys: SCREENFUL }));
    const firstKeys = (first.Contents ?? []).map((c) => c.Key!);
    await pool(firstKeys.length, BARE_CONCURRENCY, async (i) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: firstKeys[i]! }));
      await out.Body!.transformToString();
    });
    res.screenfulMs = performance.now() - s0;
  } else {
    const { Store } = await import('../src/state/store.js');
    const { Controller } = await import('../src/state/controller.js');
    const { HistoryController } = await import('../src/panes/history/controller.js');
    const { HISTORY_PANE_LIMIT } = await import('../src/panes/history/slice.js');
    const { HISTORY_FIRST_PAGE } = await import('../src/panes/history/controller.js');
    const { renderHeadless } = await import('./lib/headless-console.js');
    const history = new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: a.kmsKeyId, environment: LIST_ENV, pendingDir: a.pendingDir, endpoint: a.endpoint });
    const engine = await idleEngine(a.pendingDir, { environment: LIST_ENV, bucket: BUCKET, region: REGION, kmsAlias: KMS_ALIAS });
    const store = new Store({ environment: LIST_ENV, account: '123456789012', region: REGION, backend: `s3://${BUCKET}/${LIST_ENV}/terraform.tfstate (benchmark)`, engine: 'terraform 1.11.4', credentials: 'none (benchmark)' });
    // The pane's fetch, through the same store method, with its return time noted.
    let fetchStart = 0;
    let fetchEnd = 0;
    // The pane lists the keys, then reads the newest screenful first: fetchEnd is when that first page has been read.
    const timed = {
      listKeys: async (limit: number) => {
        fetchStart ||= performance.now();
        return history.listKeys(limit);
      },
      readMany: async (keys: readonly string[]) => {
        const out = await history.readMany(keys);
        fetchEnd ||= performance.now();
        return out;
      },
    };
    const hc = new HistoryController(store, timed);
    const controller = new Controller(store, { environment: LIST_ENV, engine, readLock: async () => ({ kind: 'free' }) }, undefined, undefined, undefined, hc);
    controller.start();
    let lastFrameAt = 0;
    let frameCheck: (() => void) | undefined;
    const { ink, stdout } = await renderHeadless(controller, {
      columns: COLUMNS,
      rows: ROWS,
      onRender: () => {
        lastFrameAt = performance.now();
        frameCheck?.();
      },
    });
    await sleep(300); // the first frame and the controller's start
    stdout.captured = '';
    stdout.capturing = true;
    let frameAt = 0;
    const framed = new Promise<void>((resolve) => {
      frameCheck = () => {
        if (frameAt || !stdout.captured.replace(ANSI, '').includes(a.newestId)) return;
        frameAt = lastFrameAt;
        frameCheck = undefined;
        resolve();
      };
    });
    const oCpu0 = process.cpuUsage();
    const oMoto0 = await cpuMsOf(a.motoPid);
    t0 = performance.now();
    controller.showPane('history');
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([framed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 60_000)))]);
    clearTimeout(timer);
    if (!ok) throw new Error(`no frame with the newest record's id ${a.newestId} within 60 s (pane: ${store.state.history.rows.length} rows, error ${JSON.stringify(store.state.history.error ?? null)})`);
    stdout.capturing = false;
    res.ms = frameAt - t0;
    res.fetchMs = fetchEnd - fetchStart;
    res.toFrameMs = frameAt - fetchEnd;
    // Then the rest, read in batches behind the first frame.
    const allEnd = Date.now() + 120_000;
    while ((store.state.history.loading || store.state.history.rows.length < HISTORY_FIRST_PAGE + 1) && Date.now() < allEnd) await new Promise((r) => setTimeout(r, 20));
    res.allMs = performance.now() - t0;
    res.count = store.state.history.rows.length;
    res.cpuMs = ((c) => (c.user + c.system) / 1000)(process.cpuUsage(oCpu0));
    res.motoCpuMs = (await cpuMsOf(a.motoPid)) - oMoto0;
    res.peakRss = process.resourceUsage().maxRSS * 1024;
    for (let k = 0; k < 2; k++) {
      const l0 = performance.now();
      const n = (await history.list(HISTORY_PANE_LIMIT)).length;
      res.listWarmMs.push(performance.now() - l0);
      if (n !== res.count) throw new Error(`list() returned ${n} records, the pane showed ${res.count}`);
    }
    controller.stop();
    ink.unmount();
    s3.destroy();
    return res;
  }
  res.peakRss = process.resourceUsage().maxRSS * 1024;
  s3.destroy();
  return res;
}

/** CPU time (user + system) a process has used so far, ms (Linux /proc, 100 ticks a second); NaN when unreadable. */
async function cpuMsOf(pid: number): Promise<number> {
  try {
    const st = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // fields 14 and 15: utime, stime
  } catch {
    return Number.NaN;
  }
}

function runWorker(a: WorkerArgs): Promise<WorkerResult> {
  return forkWorker<WorkerResult>(fileURLToPath(import.meta.url), ['history-worker', JSON.stringify(a)], { timeoutMs: WORKER_TIMEOUT_MS, label: `history ${a.side} worker`, env: { ...process.env, NODE_ENV: 'production' } });
}

/** The environment of the bare AWS CLI: dummy credentials, no developer config. */
function cliEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    HOME: dir,
    AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_PAGER: '',
  };
}

interface CliRound {
  /** `aws --version`: the CLI's start-up alone (Python, aws-cli import), for scale. */
  startup: TimedRun;
  list: TimedRun;
  listed: number;
  cp: TimedRun;
  fetched: number;
}

async function cliRound(endpoint: string, dir: string, round: number): Promise<CliRound> {
  const env = cliEnv(dir);
  const startup = check('aws --version', await runTimed('aws', ['--version'], { env, timeoutMs: 60_000 }));
  const list = check('aws s3api list-objects-v2', await runTimed('aws', ['s3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', `${LIST_ENV}/history/`, '--endpoint-url', endpoint, '--output', 'json'], { env, timeoutMs: 120_000 }));
  const listed = ((JSON.parse(list.stdout) as { Contents?: unknown[] }).Contents ?? []).length;
  const dest = join(dir, `cp-${round}`);
  await mkdir(dest);
  const copy = check('aws s3 cp --recursive', await runTimed('aws', ['s3', 'cp', `s3://${BUCKET}/${LIST_ENV}/history/`, dest, '--recursive', '--quiet', '--endpoint-url', endpoint], { env, timeoutMs: 300_000 }));
  const fetched = (await readdir(dest)).length;
  await rm(dest, { recursive: true, force: true });
  return { startup, list, listed, cp: copy, fetched };
}

async function listing(log: (line: string) => void): Promise<{ text: string; targets: TargetCheck[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-history-'));
  const stateDir = join(dir, 'local');
  const cleanup = onCleanup(async () => {
    await stopEmulator({ stateDir });
    await rm(dir, { recursive: true, force: true });
  });
  try {
    const load0 = loadavg();
    log('history: starting a private emulator, bootstrapping the state bucket and KMS key (not counted)');
    assertNotStopping();
    const emu = await ensureEmulator({ stateDir });
    if (isStopping()) await stopEmulator({ stateDir });
    assertNotStopping();
    await bootstrapLocal({ endpoint: emu.endpoint, region: REGION, bucket: BUCKET, kmsAlias: KMS_ALIAS, stateDir });

    log(`history: writing ${int(RECORDS)} records with HistoryStore.create (SSE-KMS ${KMS_ALIAS}), ${SEED_CONCURRENCY} at once`);
    const s3 = s3Client(emu.endpoint);
    const seedStore = new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: KMS_ALIAS, environment: LIST_ENV, pendingDir: join(dir, 'pending'), endpoint: emu.endpoint });
    const now = Date.now();
    const sizes: number[] = [];
    const resCounts: number[] = [];
    let newest: HistoryRecord | undefined;
    const seed0 = performance.now();
    await pool(RECORDS, SEED_CONCURRENCY, async (i) => {
      const rec = makeRecord(i, now);
      if (i === 0) newest = rec;
      const w = await seedStore.create(rec);
      if (w.stored !== 'bucket') throw new Error(`record ${i} not written to the bucket: ${JSON.stringify(w)}`);
      sizes.push(Buffer.byteLength(JSON.stringify(rec, null, 1) + '\n'));
      resCounts.push(rec.resources.length);
    });
    const seedS = (performance.now() - seed0) / 1000;
    // The stored objects, checked: SSE-KMS, sizes.
    const head = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: historyKey(newest!) }));
    const sse = `${head.ServerSideEncryption ?? 'none'}${head.SSEKMSKeyId ? ` (${head.SSEKMSKeyId})` : ''}`;
    await head.Body!.transformToString();
    s3.destroy();
    log(`history: seeded in ${seedS.toFixed(0)} s; newest ${newest!.id}`);

    const ours: WorkerResult[] = [];
    const sdk: WorkerResult[] = [];
    const cli: CliRound[] = [];
    /** The emulator's CPU time during the AWS CLI's two commands of each round, ms. */
    const cliMotoCpu: number[] = [];
    const args = { endpoint: emu.endpoint, kmsKeyId: KMS_ALIAS, newestId: newest!.id, pendingDir: join(dir, 'pending'), motoPid: emu.pid };
    await mkdir(args.pendingDir, { recursive: true });
    for (let round = 0; round < ROUNDS; round++) {
      const order: ('ours' | 'sdk' | 'cli')[] = round % 2 ? ['cli', 'sdk', 'ours'] : ['ours', 'sdk', 'cli'];
      for (const side of order) {
        if (side === 'cli') {
          const moto0 = await cpuMsOf(emu.pid);
          const c = await cliRound(emu.endpoint, dir, round);
          cliMotoCpu.push((await cpuMsOf(emu.pid)) - moto0); // aws --version does not reach the emulator
          if (c.listed !== RECORDS || c.fetched !== RECORDS) throw new Error(`the AWS CLI listed ${c.listed} and fetched ${c.fetched} objects, ${RECORDS} expected`);
          cli.push(c);
          log(`history: round ${round + 1}/${ROUNDS}, aws cli: list ${ms(c.list.ms)}, cp --recursive ${ms(c.cp.ms)}`);
        } else {
          const r = await runWorker({ ...args, side });
          if (r.count !== RECORDS) throw new Error(`${side} got ${r.count} records, ${RECORDS} expected`);
          (side === 'ours' ? ours : sdk).push(r);
          log(`history: round ${round + 1}/${ROUNDS}, ${side}: ${ms(r.ms)}`);
        }
      }
    }
    const load1 = loadavg();

    const med = (xs: WorkerResult[], f: (r: WorkerResult) => number) => median(xs.map(f));
    const each = (xs: number[]) => xs.map(ms).join(' / ');
    const spread = (xs: number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;
    const pane = med(ours, (r) => r.ms);
    const sdkMs = med(sdk, (r) => r.ms);
    const cliTotal = cli.map((c) => c.list.ms + c.cp.ms);
    const rows: string[][] = [
      [`History pane over ${int(RECORDS)} records: ours = its first frame (newest 50 listed and read); bare = all read; median of ${ROUNDS}`, ms(pane), ms(sdkMs), ms(median(cliTotal)), `< ${int(PANE_TARGET_MS)} ms`, metText(pane < PANE_TARGET_MS)],
      ['  each round', each(ours.map((r) => r.ms)), each(sdk.map((r) => r.ms)), each(cliTotal), '', ''],
      ['  ours / bare', '', ratio(pane / sdkMs), ratio(pane / median(cliTotal)), '', ''],
      ['  ours: list + read the newest 50 (the pane\'s first page; the rest follows: listed, read in batches of 200)', ms(med(ours, (r) => r.fetchMs)), '', '', '', ''],
      ['  ours: first page read → frame with the newest id (store, React, Ink)', ms(med(ours, (r) => r.toFrameMs)), '', '', '', ''],
      ['  ours: every record read and in the pane (behind the first frame)', ms(med(ours, (r) => r.allMs ?? 0)), '', '', '', ''],
      [`  ours: HistoryStore.list(1000) alone, warm, ${ROUNDS * 2}×: median (min–max)`, spread(ours.flatMap((r) => r.listWarmMs)), '', '', '', ''],
      ['  the listing alone: SDK ListObjectsV2 / aws s3api list-objects-v2 (a process)', '', ms(med(sdk, (r) => r.listMs)), spread(cli.map((c) => c.list.ms)), '', ''],
      ['  aws s3 cp --recursive (a process: lists again, 10 GetObject at once)', '', '', spread(cli.map((c) => c.cp.ms)), '', ''],
      ['  for scale: aws --version (the CLI\'s start-up alone, not counted above)', '', '', spread(cli.map((c) => c.startup.ms)), '', ''],
      [`  for scale: the newest ${SCREENFUL} only (list MaxKeys ${SCREENFUL} + ${SCREENFUL} GetObject, warm)`, '', ms(med(sdk, (r) => r.screenfulMs)), '', '', ''],
      ['client CPU during the timed part, median', ms(med(ours, (r) => r.cpuMs)), ms(med(sdk, (r) => r.cpuMs)), '', '', ''],
      ['emulator (moto) CPU during the timed part, median', ms(med(ours, (r) => r.motoCpuMs)), ms(med(sdk, (r) => r.motoCpuMs)), ms(median(cliMotoCpu)), '', ''],
      ['peak RSS of the process', mb(Math.max(...ours.map((r) => r.peakRss))), mb(Math.max(...sdk.map((r) => r.peakRss))), '', '', ''],
      ['untimed warm-up (HeadBucket: modules, connection), median', ms(med(ours, (r) => r.warmupMs)), ms(med(sdk, (r) => r.warmupMs)), '', '', ''],
    ];
    const text = [
      table(['figure', 'ours (pane)', `bare SDK v3 (${BARE_CONCURRENCY} at once)`, 'bare AWS CLI', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'r', 'l']),
      '',
      `  Records: ${int(RECORDS)} of "${LIST_ENV}" written with HistoryStore.create (If-None-Match, ${sse}) in ${seedS.toFixed(0)} s (not counted), one every 2 h;`,
      `  ${int(Math.min(...resCounts))}–${int(Math.max(...resCounts))} resources each (median ${int(median(resCounts))}); size as stored: median ${int(median(sizes))} B, max ${int(Math.max(...sizes))} B, total ${mb(sizes.reduce((s, x) => s + x, 0))}.`,
      `  Ours: a fresh process per round; Store + Controller (fake target) + HistoryController over HistoryStore (S3 client as the session's),`,
      `  <App> headless ${COLUMNS}×${ROWS} already on screen; timed from showPane('history') to the first frame holding the newest id (${newest!.id}).`,
      `  Bare SDK v3: a fresh process per round; ListObjectsV2 (one page), GetObject of every key ${BARE_CONCURRENCY} at once, bodies read as strings (${int(median(sdk.map((r) => r.bytes)))} chars), no parse.`,
      '  Bare AWS CLI (aws-cli v1, Python): two timed processes per round (list-objects-v2, then s3 cp); their start-up is in their figures.',
      `  Order alternates per round (ours, sdk, cli / cli, sdk, ours / …). Load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(1)).join(' ')},`,
      `  at end ${load1.map((x) => x.toFixed(1)).join(' ')}, on ${availableParallelism()} CPUs; moto (one Python process) serves every GetObject with a KMS decrypt.`,
    ].join('\n');
    const targets: TargetCheck[] = [{ figure: `history: History pane's first frame (${int(RECORDS)} records)`, value: ms(pane), target: `< ${int(PANE_TARGET_MS)} ms`, met: pane < PANE_TARGET_MS }];
    return { text, targets };
  } finally {
    await cleanup();
  }
}

// ---------------------------------------------------------------- part 2: the ETA

interface HistoryLine extends HistoryRecord {
  type: string;
  key: string;
}

/** Predicted vs actual for one learned model on the second apply. */
function compare(model: EtaModel, target: HistoryRecord): {
  predicted: number | undefined;
  actual: number;
  sumActual: number;
  sumExpected: number;
  known: number;
  byAddress: number;
  total: number;
  errMs: number;
  errPct: number;
  signedPct: number;
  /** Resources of apply 2 that took ≥ 1 s (and had a prediction): how many, median absolute error ms and %. */
  long: { n: number; errMs: number; errPct: number };
  worst: { address: string; expected: number; actual: number }[];
} {
  const start = Date.parse(target.startedAt);
  const rows = target.resources.map((r) => ({ address: r.address, action: r.action, status: 'planned' as const }));
  const predicted = timeLeftMs(model, rows, start);
  const actual = Date.parse(target.endedAt!) - start;
  const done = target.resources.filter((r) => r.result === 'succeeded' && r.durationMs !== undefined);
  const errs: number[] = [];
  const pcts: number[] = [];
  const signed: number[] = [];
  const worst: { address: string; expected: number; actual: number }[] = [];
  let byAddress = 0;
  let sumExpected = 0;
  let sumActual = 0;
  const longErr: number[] = [];
  const longPct: number[] = [];
  for (const r of done) {
    const e = expectedMs(model, r.address, r.action);
    if (e === undefined) continue;
    if (model.byAddress.has(`${r.action} ${r.address}`)) byAddress++;
    sumExpected += e;
    sumActual += r.durationMs!;
    if (r.durationMs! >= 1_000) {
      longErr.push(Math.abs(e - r.durationMs!));
      longPct.push((Math.abs(e - r.durationMs!) / r.durationMs!) * 100);
    }
    errs.push(Math.abs(e - r.durationMs!));
    pcts.push((Math.abs(e - r.durationMs!) / Math.max(1, r.durationMs!)) * 100);
    signed.push(((e - r.durationMs!) / Math.max(1, r.durationMs!)) * 100);
    worst.push({ address: r.address, expected: e, actual: r.durationMs! });
  }
  worst.sort((a, b) => Math.abs(b.expected - b.actual) - Math.abs(a.expected - a.actual));
  return {
    predicted,
    actual,
    sumActual,
    long: { n: longErr.length, errMs: median(longErr), errPct: median(longPct) },
    sumExpected,
    known: errs.length,
    byAddress,
    total: done.length,
    errMs: median(errs),
    errPct: median(pcts),
    signedPct: median(signed),
    worst: worst.slice(0, 5),
  };
}

function shareOf(r: HistoryRecord): number {
  const sum = r.resources.reduce((s, x) => s + (x.result === 'succeeded' ? (x.durationMs ?? 0) : 0), 0);
  return (Date.parse(r.endedAt!) - Date.parse(r.startedAt)) / sum;
}

async function eta(log: (line: string) => void): Promise<{ text: string; targets: TargetCheck[] }> {
  const ws = await makeWorkspace('history');
  try {
    const load0 = loadavg();
    await cp(join(ROOT, 'terraform'), ws.terraform, {
      recursive: true,
      filter: (src) => !['.terraform', '.terraform.lock.hcl'].includes(basename(src)) && !/\.tfstate(\.backup)?$|\.tfplan$/.test(src),
    });
    await ws.profile(ETA_ENV);
    const runs: { label: string; r: TimedRun }[] = [];
    for (const [label, cmd] of [
      ['apply 1', 'apply'],
      ['destroy', 'destroy'],
      ['apply 2', 'apply'],
    ] as const) {
      log(`history: ETA: --ci ${cmd} --auto-approve (${label}) of the real root module on a private moto`);
      const r = check(`--ci ${cmd} (${label})`, await ws.cli(['-e', ETA_ENV, '--local', '--ci', cmd, '--auto-approve'], TF_TIMEOUT_MS));
      runs.push({ label, r });
      log(`history: ETA: ${label}: ${ms(r.ms)}`);
    }
    const h = check('--ci history --json', await ws.cli(['-e', ETA_ENV, '--local', '--ci', 'history', '--json', '--limit', '10'], 120_000));
    const records = h.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as HistoryLine)
      .filter((l) => l.type === 'history_record')
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const ops = records.map((r) => `${r.operation} ${r.outcome}`).join(', ');
    if (records.length !== 3 || records.some((r) => r.outcome !== 'succeeded' || !r.endedAt) || records.map((r) => r.operation).join(',') !== 'apply,destroy,apply') {
      throw new Error(`expected 3 succeeded records apply, destroy, apply; --ci history gave: ${ops || '(none)'}`);
    }
    const [a1, d, a2] = records as [HistoryLine, HistoryLine, HistoryLine];
    const load1 = loadavg();

    const models: { label: string; m: EtaModel }[] = [
      { label: 'learned from apply 1 + destroy', m: learnEta([a1, d]) },
      { label: 'learned from apply 1 only', m: learnEta([a1]) },
    ];
    const cmp = models.map((x) => ({ ...x, c: compare(x.m, a2) }));
    const secs = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
    const pct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} %` : 'n/a');
    const rows: string[][] = [
      ['apply 2 as a whole: predicted at its start (timeLeftMs, all planned) / actual (endedAt − startedAt)', ...cmp.map((x) => `${secs(x.c.predicted)} / ${secs(x.c.actual)}`)],
      ['  predicted / actual', ...cmp.map((x) => (x.c.predicted === undefined ? 'n/a' : ratio(x.c.predicted / x.c.actual)))],
      ['  parallel share learned (wall / Σ durations) / apply 2\'s own', ...cmp.map((x) => `${x.m.parallelShare?.toFixed(3) ?? 'n/a'} / ${shareOf(a2).toFixed(3)}`)],
      ['  Σ expected of the resources with a prediction / Σ their actual', ...cmp.map((x) => `${ms(x.c.sumExpected)} / ${ms(x.c.sumActual)}`)],
      ['per resource (expectedMs vs durationMs)', '', ''],
      ['  resources with a prediction / succeeded in apply 2', ...cmp.map((x) => `${x.c.known} / ${x.c.total}`)],
      ['    of which by address (the rest by type)', ...cmp.map((x) => String(x.c.byAddress))],
      ['  median absolute error', ...cmp.map((x) => `${ms(x.c.errMs)} (${pct(x.c.errPct)})`)],
      ['  median signed error (expected − actual) / actual', ...cmp.map((x) => pct(x.c.signedPct))],
      ['  resources that took ≥ 1 s: how many, median absolute error', ...cmp.map((x) => `${x.c.long.n}: ${ms(x.c.long.errMs)} (${pct(x.c.long.errPct)})`)],
      ['  applies learned from (learnEta counts applies and destroys)', ...cmp.map((x) => String(x.m.applies))],
    ];
    const worst = cmp[0]!.c.worst.map((w) => [`  ${w.address}`, ms(w.expected), ms(w.actual)]);
    const runRows = runs.map(({ label, r }, i) => {
      const rec = records[i]!;
      const sum = rec.resources.reduce((s, x) => s + (x.durationMs ?? 0), 0);
      return [label, ms(r.ms), ms(Date.parse(rec.endedAt!) - Date.parse(rec.startedAt)), String(rec.resources.length), ms(sum), shareOf(rec).toFixed(3), rec.id];
    });
    const text = [
      table(['run (real root module, local moto)', '--ci wall', 'record: end − start', 'resources', 'Σ durations', 'wall / Σ', 'record id'], runRows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']),
      '',
      table(['ETA for apply 2', ...cmp.map((x) => x.label)], rows, ['l', 'r', 'r']),
      '',
      table(['largest per-resource errors (learned from apply 1 + destroy)', 'expected', 'actual'], worst, ['l', 'r', 'r']),
      '',
      '  The record times the `terraform apply PLANFILE` process (operation-start → operation-end), not the whole --ci run (init, plan, show).',
      '  A destroy teaches only `delete` durations (no address or type+action of apply 2 matches them); it enters the ETA through the parallel',
      '  share (learnEta takes the median of the share of every apply and destroy).',
      `  Load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(1)).join(' ')}, at end ${load1.map((x) => x.toFixed(1)).join(' ')}, on ${availableParallelism()} CPUs.`,
    ].join('\n');
    return { text, targets: [] };
  } finally {
    await ws.dispose();
  }
}

export const history: Bench = async (log) => {
  const parts: string[] = [];
  const targets: TargetCheck[] = [];
  const failed: string[] = [];
  let ran = 0;
  for (const [label, part] of [
    [`Part 1: listing ${int(RECORDS)} records into the History pane vs bare SDK v3 / AWS CLI (private moto)`, listing],
    ['Part 2: ETA predicted vs actual (real root module: apply, destroy, apply; private moto)', eta],
  ] as const) {
    // HISTORY_BENCH_PARTS=1 (or 2) runs one part only.
    const only = process.env.HISTORY_BENCH_PARTS;
    if (only && !only.split(',').includes(label.startsWith('Part 1') ? '1' : '2')) continue;
    ran++;
    try {
      const r = await part(log);
      parts.push(label, '', r.text);
      targets.push(...r.targets);
    } catch (err) {
      if (isStopping()) throw err;
      failed.push(label);
      parts.push(label, '', `  !!! could not run: ${(err as Error).message}`);
    }
    parts.push('');
  }
  if (failed.length && failed.length === ran) throw new Error(`no part could run:\n${parts.join('\n')}`);
  const result: BenchResult = { name: 'history', title: 'History: the History pane over 1,000 records, and the ETA learned from the history', text: parts.join('\n').trimEnd(), targets };
  return result;
};

// Run as a worker: node bench/history.js history-worker ARGS_JSON (forked by runWorker).
if (process.argv[2] === 'history-worker' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  worker(JSON.parse(process.argv[3]!) as WorkerArgs)
    .then((r) => {
      process.send?.(r, () => process.exit(0));
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
}

