/**
 * The Instances pane's service on 5,000 instances, side by side with a bare SDK v3 pagination
 * loop, against a private moto.
 *
 * The emulator is seeded once per run: a VPC with three subnets (three AZs) and 5,000 instances
 * of the environment `bench` (1 bastion, 3 secure, the rest compute; Name tags shared per node
 * pool, as the compute auto-scaling group does), made by RunInstances with 10 instances per call,
 * so 500 reservations. Then, in the same run, 3 rounds, each side in a fresh process of its own
 * (so that its peak RSS is its own), the order alternating (console, bare / bare, console / …):
 *
 * - console: `listInstances(ctx)` as the pane calls it: paginator (MaxResults 1000), tag filter,
 *   rows, sort;
 * - bare: `DescribeInstances` with the same filter and `MaxResults: 1000`, NextToken loop,
 *   counting instances and nothing else.
 *
 * moto's MaxResults counts reservations, so the 500 reservations come in one page here (real AWS:
 * 5 pages of 1,000 instances). Smaller pages would not be fairer: for every page, moto runs the
 * tag filter over every instance, and reads each instance's tags by scanning all of the
 * emulator's tags (O(instances × tags): over a minute a page at 5,000 instances with 4 tags
 * each), so pages multiply the emulator's own cost (measured with 2 tags each: MaxResults 20, 25
 * pages, ~580 s). Multi-page pagination is covered by the tests.
 *
 * Each process first makes one untimed cheap call (DescribeAvailabilityZones: module loading,
 * credentials, connection; an empty listing would cost moto a full tag scan), then the timed one,
 * with the process's own CPU time and the emulator's (from /proc) beside the wall time: wall
 * times carry the machine's load, the client's CPU time is the console's own cost.
 *
 * The console side then measures the filter: `filterInstances` over the 5,000 rows for 200
 * successive keystroke strings (queries typed and erased, as an operator does), and
 * `sortInstances`. The keystroke→screen target (< 50 ms) covers the filter and the render; this
 * measures the filter, the UI's own benchmark measures the render.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  CreateSubnetCommand,
  DescribeAvailabilityZonesCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';

import { clientConfig, type AwsContext } from '../src/services/aws/context.js';
import { DEFAULT_INSTANCE_PAGE_SIZE, filterInstances, listInstances, sortInstances, type InstanceRow } from '../src/services/aws/instances.js';
import { ensureEmulator, stopEmulator } from '../src/services/local/emulator.js';
import { assertNotStopping, forkWorker, isStopping, onCleanup } from './lib/proc.js';
import { int, mb, median, metText, ms, percentiles, ratio, table, type Bench, type TargetCheck } from './lib/report.js';

const TOTAL = 5_000;
const PER_RESERVATION = 10;
const CREATE_CONCURRENCY = 8;
/** The console's default page size; the bare loop asks for the same. */
const PAGE_SIZE = DEFAULT_INSTANCE_PAGE_SIZE;
const RUNS = 3;
const KEYSTROKES = 200;
const RATIO_TARGET = 1.2;
const KEYSTROKE_TARGET_MS = 50;
const ENV = 'bench';
const REGION = 'us-east-1';
const AMI = 'ami-12c6146b'; // one of moto's built-in images
const CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };
const WORKER_TIMEOUT_MS = 300_000;

type Side = 'console' | 'bare';

/** What one worker process measured. */
interface WorkerResult {
  side: Side;
  /** Time from the call to all rows (console) / the last page (bare), ms. */
  listMs: number;
  /** Instances returned. */
  rows: number;
  /** Pages (DescribeInstances calls) of the timed listing. */
  pages: number;
  /** The untimed first call (DescribeAvailabilityZones: module loading, credentials, connection), ms. */
  warmupMs: number;
  /** CPU time (user + system) of the worker process during the timed listing, ms: the client's own work. */
  cpuMs: number;
  /** CPU time of the emulator during the timed listing, ms (from /proc; NaN when unreadable). */
  motoCpuMs: number;
  /** process.resourceUsage().maxRSS of the worker, bytes. */
  peakRss: number;
  /** V8 heap used right after the listing, bytes. */
  heapUsed: number;
  /** Console side: each keystroke's filter time, ms (the first one builds the search keys). */
  keystrokes: number[];
  /** Console side: each typed query and the rows it matches (a sanity check). */
  matches: string[];
  /** Console side: sortInstances by name, private IP, launch time, ms. */
  sortMs: number[];
}

function ctxOf(endpoint: string, environment = ENV): AwsContext {
  return { environment, region: REGION, credentials: async () => CREDS, endpoint, kmsKeyId: '' };
}

/** The bare side: the SDK's own pagination loop, no processing but counting. */
async function bareList(ctx: AwsContext): Promise<{ rows: number; pages: number }> {
  const client = new EC2Client(clientConfig(ctx));
  let rows = 0;
  let pages = 0;
  let token: string | undefined;
  try {
    do {
      const r = await client.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Environment', Values: [ctx.environment] }], MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }),
      );
      for (const res of r.Reservations ?? []) rows += res.Instances?.length ?? 0;
      pages++;
      token = r.NextToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return { rows, pages };
}

/** 200 keystroke strings: queries typed one character at a time, then erased. */
function keystrokeStrings(rows: readonly InstanceRow[]): { strings: string[]; queries: string[] } {
  const some = rows[Math.floor(rows.length / 3)]!;
  const queries = [
    'bench-compute-pool17',
    some.id.slice(0, 12),
    some.privateIp.split('.').slice(0, 3).join('.') + '.',
    'us-east-1c running',
    'secure',
    'stopped',
    'm5.large',
    'bastion',
  ];
  const out: string[] = [];
  for (let q = 0; out.length < KEYSTROKES; q++) {
    const s = queries[q % queries.length]!;
    for (let k = 1; k <= s.length && out.length < KEYSTROKES; k++) out.push(s.slice(0, k));
    for (let k = s.length - 1; k >= 1 && out.length < KEYSTROKES; k--) out.push(s.slice(0, k));
  }
  return { strings: out, queries };
}

async function worker(side: Side, endpoint: string, motoPid: number): Promise<WorkerResult> {
  const ctx = ctxOf(endpoint);
  // Warm-up, the same for both sides and cheap (an empty listing would cost moto a full tag scan).
  let t0 = performance.now();
  const warm = new EC2Client(clientConfig(ctx));
  await warm.send(new DescribeAvailabilityZonesCommand({}));
  warm.destroy();
  const warmupMs = performance.now() - t0;

  const result: WorkerResult = { side, listMs: 0, rows: 0, pages: 0, warmupMs, cpuMs: 0, motoCpuMs: 0, peakRss: 0, heapUsed: 0, keystrokes: [], matches: [], sortMs: [] };
  const moto0 = await cpuMsOf(motoPid);
  const cpu0 = process.cpuUsage();
  if (side === 'bare') {
    t0 = performance.now();
    const r = await bareList(ctx);
    result.listMs = performance.now() - t0;
    result.rows = r.rows;
    result.pages = r.pages;
    const cpu = process.cpuUsage(cpu0);
    result.cpuMs = (cpu.user + cpu.system) / 1000;
    result.motoCpuMs = (await cpuMsOf(motoPid)) - moto0;
    result.heapUsed = process.memoryUsage().heapUsed;
  } else {
    let pages = 0;
    t0 = performance.now();
    const rows = await listInstances(ctx, { onPage: () => pages++ });
    result.listMs = performance.now() - t0;
    result.rows = rows.length;
    result.pages = pages;
    const cpu = process.cpuUsage(cpu0);
    result.cpuMs = (cpu.user + cpu.system) / 1000;
    result.motoCpuMs = (await cpuMsOf(motoPid)) - moto0;
    result.heapUsed = process.memoryUsage().heapUsed;
    const { strings, queries } = keystrokeStrings(rows);
    for (const s of strings) {
      const k0 = performance.now();
      filterInstances(rows, s);
      result.keystrokes.push(performance.now() - k0);
    }
    result.matches = queries.map((q) => `"${q}" ${filterInstances(rows, q).length}`);
    for (const key of ['name', 'privateIp', 'launchTime'] as const) {
      const s0 = performance.now();
      sortInstances(rows, key, 'asc');
      result.sortMs.push(performance.now() - s0);
    }
  }
  result.peakRss = process.resourceUsage().maxRSS * 1024;
  return result;
}

function runWorker(side: Side, endpoint: string, motoPid: number): Promise<WorkerResult> {
  return forkWorker<WorkerResult>(fileURLToPath(import.meta.url), ['instances-worker', side, endpoint, String(motoPid)], { timeoutMs: WORKER_TIMEOUT_MS, label: `instances ${side} worker` });
}

/** Up to `limit` calls of `fn(i)` for i in 0..n-1 at once. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) {
        assertNotStopping();
        await fn(next++);
      }
    }),
  );
}

/**
 * 5,000 instances of ENV in 500 reservations across three subnets/AZs. Returns the seconds it
 * took and how many RunInstances calls the SDK retried: moto ignores ClientToken, so a call
 * retried after moto had answered too late makes its instances twice.
 */
async function seed(endpoint: string, log: (line: string) => void): Promise<{ seconds: number; retried: number }> {
  const t0 = performance.now();
  const ec2 = new EC2Client({ region: REGION, endpoint, credentials: CREDS, maxAttempts: 3 });
  try {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b', 'us-east-1c'].entries()) {
      subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i * 64}.0/18`, AvailabilityZone: az }))).Subnet!.SubnetId!);
    }
    const reservations = TOTAL / PER_RESERVATION;
    let made = 0;
    let retried = 0;
    await pool(reservations, CREATE_CONCURRENCY, async (r) => {
      // The first reservation holds the bastion (1) and the secure nodes (3) and compute nodes.
      const role = r === 0 ? 'bastion' : r === 1 ? 'secure' : 'compute';
      const count = r === 0 ? 1 : r === 1 ? 3 : r === 2 ? PER_RESERVATION * 3 - 4 : PER_RESERVATION;
      const name = role === 'compute' ? `${ENV}-compute-pool${r % 25}` : `${ENV}-${role}`;
      const type: _InstanceType = role === 'compute' ? (r % 4 ? 'm5.large' : 'm5.xlarge') : 't3.medium';
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          MinCount: count,
          MaxCount: count,
          InstanceType: type,
          SubnetId: subnets[r % subnets.length],
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'Environment', Value: ENV },
                { Key: 'KubernetesCluster', Value: `kube-${ENV}` },
                { Key: 'Name', Value: name },
                { Key: 'Role', Value: role },
              ],
            },
          ],
        }),
      );
      if ((out.$metadata.attempts ?? 1) > 1) retried++;
      made += count;
      if (made % 1000 < count) log(`instances: ${int(made)} of ${int(TOTAL)} created (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    });
    return { seconds: (performance.now() - t0) / 1000, retried };
  } finally {
    ec2.destroy();
  }
}

/** CPU time (user + system) a process has used so far, ms (Linux /proc, 100 ticks a second); NaN when unreadable. */
async function cpuMsOf(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // fields 14 and 15: utime, stime
  } catch {
    return Number.NaN;
  }
}

/** Peak RSS (VmHWM) of a process, bytes; NaN when it cannot be read. */
async function peakRssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export const instances: Bench = async (log) => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-instances-'));
  const stateDir = join(dir, 'local');
  const cleanup = onCleanup(async () => {
    await stopEmulator({ stateDir });
    await rm(dir, { recursive: true, force: true });
  });
  try {
    log('instances: starting a private emulator (not counted)');
    assertNotStopping();
    const emu = await ensureEmulator({ stateDir });
    if (isStopping()) await stopEmulator({ stateDir }); // interrupted while it started
    assertNotStopping();
    log(`instances: creating ${int(TOTAL)} instances in ${int(TOTAL / PER_RESERVATION)} reservations (once per run; takes a while)`);
    const seeded = await seed(emu.endpoint, log);
    let total = 0;

    const results: Record<Side, WorkerResult[]> = { console: [], bare: [] };
    for (let run = 0; run < RUNS; run++) {
      const order: Side[] = run % 2 ? ['bare', 'console'] : ['console', 'bare'];
      for (const side of order) {
        log(`instances: run ${run + 1}/${RUNS}, ${side}`);
        const r = await runWorker(side, emu.endpoint, emu.pid);
        // Exactly TOTAL unless retried RunInstances calls doubled some (see seed()); every run must agree.
        total ||= r.rows;
        if (r.rows !== total || r.rows < TOTAL || (r.rows > TOTAL && !seeded.retried)) {
          throw new Error(`${side} listed ${r.rows} instances; expected ${total === r.rows ? TOTAL : total}`);
        }
        results[side].push(r);
        log(`instances: run ${run + 1}/${RUNS}, ${side}: ${ms(r.listMs)} (${r.pages} pages)`);
      }
    }
    const motoPeak = await peakRssOf(emu.pid);

    const con = results.console;
    const bare = results.bare;
    const med = (rs: WorkerResult[], f: (r: WorkerResult) => number) => median(rs.map(f));
    const conMs = med(con, (r) => r.listMs);
    const bareMs = med(bare, (r) => r.listMs);
    const rat = conMs / bareMs;
    const keys = con.flatMap((r) => r.keystrokes);
    const [k50, k99, kMax] = percentiles(keys, [50, 99, 100]);
    const firstKey = median(con.map((r) => r.keystrokes[0]!));
    const sorts = [0, 1, 2].map((i) => median(con.map((r) => r.sortMs[i]!)));
    const conRss = Math.max(...con.map((r) => r.peakRss));
    const bareRss = Math.max(...bare.map((r) => r.peakRss));

    const rows: string[][] = [
      ['list 5,000 instances, median of 3', ms(conMs), ms(bareMs), `≤ ${RATIO_TARGET}× bare`, metText(rat <= RATIO_TARGET)],
      ['  ratio console / bare', ratio(rat), '', '', ''],
      ['  each run', con.map((r) => ms(r.listMs)).join(' / '), bare.map((r) => ms(r.listMs)).join(' / '), '', ''],
      ['  pages (DescribeInstances calls)', String(con[0]!.pages), String(bare[0]!.pages), '', ''],
      ['  client CPU during the listing, median', ms(med(con, (r) => r.cpuMs)), ms(med(bare, (r) => r.cpuMs)), '', ''],
      ['  emulator CPU during the listing, median', ms(med(con, (r) => r.motoCpuMs)), ms(med(bare, (r) => r.motoCpuMs)), '', ''],
      ['  untimed warm-up (DescribeAvailabilityZones), median', ms(med(con, (r) => r.warmupMs)), ms(med(bare, (r) => r.warmupMs)), '', ''],
      [`filter keystroke over 5,000 rows, p50 / p99 (${int(keys.length)} keystrokes)`, `${ms(k50!)} / ${ms(k99!)}`, '', `< ${KEYSTROKE_TARGET_MS} ms`, metText(k99! < KEYSTROKE_TARGET_MS)],
      ['  max; first keystroke (builds the search keys), median', `${ms(kMax!)}; ${ms(firstKey)}`, '', '', ''],
      ['sort 5,000 rows: name / private IP / launch time', sorts.map(ms).join(' / '), '', '', ''],
      ['peak RSS of the process (maxRSS)', mb(conRss), mb(bareRss), '', ''],
      ['  V8 heap used after the listing, median', mb(med(con, (r) => r.heapUsed)), mb(med(bare, (r) => r.heapUsed)), '', ''],
      ['emulator (moto) peak RSS', mb(motoPeak), '', '', ''],
    ];
    const text = [
      table(['figure', 'console (listInstances)', 'bare SDK v3 loop', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'l']),
      '',
      `  Seed: ${int(TOTAL)} instances of "${ENV}" in ${int(TOTAL / PER_RESERVATION)} reservations, ${CREATE_CONCURRENCY} RunInstances at once, ${seeded.seconds.toFixed(0)} s (not counted)` +
        (seeded.retried ? `; ${seeded.retried} call(s) retried by the SDK, listed: ${int(total)} (moto ignores ClientToken).` : '.'),
      `  Both sides: DescribeInstances filtered on tag:Environment, MaxResults ${PAGE_SIZE} (moto counts reservations: one page here; AWS: 5).`,
      '  Each run is a fresh process; the order alternates. Nearly all the time is the emulator\'s own: its tag filter scans all its tags',
      '  for every instance, once per page.',
      `  Filter: filterInstances(all 5,000 rows, text) for ${KEYSTROKES} successive keystroke strings per console run (typed, then erased);`,
      `  Typed queries and their matches: ${con[0]!.matches.join(', ')}.`,
      '  The render part of keystroke→screen is measured by the UI. Wall times carry the machine\'s load (moto\'s Python runs on one core at a time);',
      '  client CPU is our own cost.',
    ].join('\n');
    const targets: TargetCheck[] = [
      { figure: 'instances: listInstances / bare SDK loop (5,000)', value: ratio(rat), target: `≤ ${RATIO_TARGET}×`, met: rat <= RATIO_TARGET },
      { figure: 'instances: filter keystroke p99 (5,000 rows)', value: ms(k99!), target: `< ${KEYSTROKE_TARGET_MS} ms`, met: k99! < KEYSTROKE_TARGET_MS },
    ];
    return { name: 'instances', title: `Instances: ${int(total)} instances, listInstances vs a bare SDK v3 pagination loop (private moto)`, text, targets };
  } finally {
    await cleanup();
  }
};

// Run as a worker: node bench/instances.js instances-worker SIDE ENDPOINT (forked by runWorker).
if (process.argv[2] === 'instances-worker' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const side = process.argv[3] as Side;
  const endpoint = process.argv[4]!;
  worker(side, endpoint, Number(process.argv[5]))
    .then((r) => {
      process.send?.(r, () => process.exit(0));
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
}
