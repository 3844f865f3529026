/**
 * The Cluster pane's service on 200 nodes and 1,000 pods, side by side with
 * `kubectl get nodes,pods -A -o json`, both against the same STAND-IN for kube-apiserver
 * (test/support/kube-standin.ts: the suite's loopback HTTPS server that speaks the Kubernetes
 * API's JSON; there is no kube-apiserver on these machines), in the same run.
 *
 * The stand-in runs in this process; each side runs in processes of its own, so that the server's
 * work does not share a thread with the client's. 5 rounds, the order alternating:
 *
 * - console, pane populated: a worker process (modules loaded, one untimed warm-up watcher run)
 *   times `new ClusterWatcher(kc)` + `start()` → the first complete snapshot (the three initial
 *   LISTs done, rows built). This is the figure the target is on: the time an operator waits for
 *   the pane once the console runs.
 * - console, cold process: wall time of a fresh `node` process that loads the service, starts the
 *   watcher and exits at the first complete snapshot: the same work plus Node's start-up and
 *   module loading, the fair analogue of a kubectl process. Shown beside, not targeted.
 * - bare: wall time of `kubectl --kubeconfig F get nodes,pods -A -o json` (the machine's kubectl),
 *   with its discovery cache warm (one untimed run first, as on an operator's machine); its
 *   output (~1,200 objects) is read from a pipe and checked once.
 *
 * kubectl asks for chunks of 500 (`limit=500`, `continue`), so it makes 2 pod requests; the
 * watcher lists each kind in one request. Both make one TLS connection per request here
 * (client-node makes an agent per request; kubectl reuses one connection for its requests).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { projectRoot } from '../src/core/paths.js';
import { loadKubeconfig, readKubeconfigFile } from '../src/services/kube/kubeconfig.js';
import { ClusterWatcher, type ClusterSnapshot } from '../src/services/kube/cluster.js';
import { disposePki, makeNamespace, makeNode, makePod, standinAvailable, startKubeStandin, type KubeStandin } from '../test/support/kube-standin.js';
import { check, forkWorker, onCleanup, runTimed } from './lib/proc.js';
import { int, mb, median, metText, ms, ratio, table, type Bench, type TargetCheck } from './lib/report.js';
import { CLI, CLI_NODE_FLAGS } from './lib/workspace.js';

const NODES = 200;
const PODS = 1_000;
const NAMESPACES = 20;
const RUNS = 5;
const RATIO_TARGET = 1.2;
/** Issue 16: a cold `--ci cluster` process vs a `kubectl` process. */
const CLI_RATIO_TARGET = 1.0;
const KUBECTL = process.env['KUBECTL'] || '/usr/bin/kubectl';
const WORKER_TIMEOUT_MS = 60_000;

/** What a warm worker measured. */
interface WarmResult {
  /** new ClusterWatcher → first complete snapshot, ms. */
  firstSnapshotMs: number;
  /** The same for the untimed warm-up run, ms. */
  warmupMs: number;
  nodes: number;
  pods: number;
  unhealthy: number;
  /** CPU (user + system) of the worker during the timed run, ms. */
  cpuMs: number;
  peakRss: number;
}

/** Starts a watcher and resolves with the first complete snapshot and the time it took (ms). */
async function firstSnapshot(kcText: string): Promise<{ ms: number; snap: ClusterSnapshot; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const w = new ClusterWatcher(loadKubeconfig(kcText));
  const snap = await new Promise<ClusterSnapshot>((resolve, reject) => {
    w.onSnapshot((s) => {
      if (s.synced) resolve(s);
      else if (s.error) reject(s.error);
    });
    w.start();
  });
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await w.stop();
  return { ms: elapsed, snap, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function warmWorker(kcFile: string): Promise<WarmResult> {
  const text = await readKubeconfigFile(kcFile);
  const warm = await firstSnapshot(text);
  const r = await firstSnapshot(text);
  return {
    firstSnapshotMs: r.ms,
    warmupMs: warm.ms,
    nodes: r.snap.nodes.length,
    pods: r.snap.podCount,
    unhealthy: r.snap.unhealthyPods.length,
    cpuMs: r.cpuMs,
    peakRss: process.resourceUsage().maxRSS * 1024,
  };
}

/** Cold worker: from process start (modules load as imports run) to the first complete snapshot, then exit. */
async function coldWorker(kcFile: string): Promise<void> {
  const r = await firstSnapshot(await readKubeconfigFile(kcFile));
  process.stdout.write(`${JSON.stringify({ nodes: r.snap.nodes.length, pods: r.snap.podCount, ms: r.ms })}\n`);
  process.exit(0);
}

function runWarm(kcFile: string): Promise<WarmResult> {
  return forkWorker<WarmResult>(fileURLToPath(import.meta.url), ['cluster-worker', 'warm', kcFile], { timeoutMs: WORKER_TIMEOUT_MS, label: 'cluster worker' });
}

/** 200 nodes (3 control-plane), 20 namespaces, 1,000 pods (about 5% unhealthy), spread over the nodes. */
function seed(s: KubeStandin): number {
  for (let i = 0; i < NODES; i++) {
    const ip = `10.0.${Math.floor(i / 250) + 1}.${(i % 250) + 4}`;
    s.add('nodes', makeNode(`ip-${ip.replace(/\./g, '-')}`, { ip, roles: i < 3 ? ['control-plane'] : [], ready: i % 97 === 50 ? 'False' : 'True' }));
  }
  const namespaces = ['kube-system', 'default', ...Array.from({ length: NAMESPACES - 2 }, (_, i) => `team-${String(i).padStart(2, '0')}`)];
  for (const ns of namespaces) s.add('namespaces', makeNamespace(ns));
  let unhealthy = 0;
  for (let i = 0; i < PODS; i++) {
    const ns = namespaces[i % namespaces.length]!;
    const node = `ip-10-0-${Math.floor((i % NODES) / 250) + 1}-${((i % NODES) % 250) + 4}`;
    const kind = i % 20;
    const o = kind === 7 ? { waiting: 'CrashLoopBackOff', restarts: 5 + (i % 9) } : kind === 13 ? { phase: 'Pending' } : kind === 17 ? { phase: 'Succeeded' } : {};
    if (kind === 7 || kind === 13) unhealthy++;
    s.add('pods', makePod(ns, `app-${String(i).padStart(4, '0')}-${(i * 7919).toString(36).slice(-5).padStart(5, 'x')}`, { node, ...o }));
  }
  return unhealthy;
}

export const cluster: Bench = async (log) => {
  if (!(await standinAvailable())) throw new Error('the openssl CLI is missing: the stand-in API server cannot make its certificates');
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-cluster-'));
  let standin: KubeStandin | undefined;
  const cleanup = onCleanup(async () => {
    await standin?.stop();
    await disposePki();
    await rm(dir, { recursive: true, force: true });
  });
  try {
    log('cluster: starting the stand-in for kube-apiserver with 200 nodes and 1,000 pods (not counted)');
    standin = await startKubeStandin();
    const unhealthy = seed(standin);
    const kcFile = join(dir, 'kubeconfig');
    await writeFile(kcFile, standin.kubeconfig(), { mode: 0o600 });
    const home = join(dir, 'home');
    await mkdir(home);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: process.env.LANG || 'C.UTF-8' };
    // The CLI as operators run it: `bin.js -e bench --ci cluster --kubeconfig FILE` (a profile of its own).
    const profiles = join(dir, 'profiles');
    await mkdir(profiles);
    const profileText = (await readFile(join(projectRoot(), 'profiles', 'default.tfvars'), 'utf8')).replace(/^(\s*environment\s*=\s*)"[^"]*"/m, '$1"bench"');
    await writeFile(join(profiles, 'bench.tfvars'), profileText);
    const cliEnv: NodeJS.ProcessEnv = { ...env, PLATFORM_PROFILES_DIR: profiles, PLATFORM_WORK_DIR: join(dir, 'work') };
    const cliCluster = () => runTimed(process.execPath, [...CLI_NODE_FLAGS, CLI, '-e', 'bench', '--ci', 'cluster', '--kubeconfig', kcFile, '--json'], { env: cliEnv, timeoutMs: 60_000 });
    // Exit 2: the seeded cluster has unhealthy pods and not-ready nodes (as kubectl, it reads them all).
    const cliFirst = check('--ci cluster (untimed: profile cache, compile cache)', await cliCluster(), [2]);
    const cliJson = JSON.parse(cliFirst.stdout) as { nodes_total?: number; pods?: number };
    if (cliJson.nodes_total !== NODES || cliJson.pods !== PODS) throw new Error(`--ci cluster --json: expected ${NODES} nodes and ${PODS} pods, got ${cliFirst.stdout.slice(0, 300)}`);
    const cliRuns: number[] = [];
    const self = fileURLToPath(import.meta.url);
    const kubectl = () => runTimed(KUBECTL, ['--kubeconfig', kcFile, 'get', 'nodes,pods', '-A', '-o', 'json'], { env, timeoutMs: 60_000 });

    // Untimed: kubectl's discovery cache; the output is checked once.
    const first = check('kubectl get nodes,pods -A -o json', await kubectl().catch((err: unknown) => {
      throw new Error(`cannot run ${KUBECTL}: ${(err as Error).message}`);
    }));
    const items = (JSON.parse(first.stdout) as { items: unknown[] }).items.length;
    if (items !== NODES + PODS) throw new Error(`kubectl listed ${items} objects; expected ${NODES + PODS}`);

    const warm: WarmResult[] = [];
    const cold: number[] = [];
    const importMs: number[] = [];
    const bare: number[] = [];
    const reqs = { console: 0, kubectl: 0 };
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 ? (['kubectl', 'console'] as const) : (['console', 'kubectl'] as const);
      for (const side of order) {
        if (side === 'kubectl') {
          const n0 = standin.requests.length;
          const r = check('kubectl', await kubectl());
          bare.push(r.ms);
          reqs.kubectl = standin.requests.length - n0;
          log(`cluster: run ${run + 1}/${RUNS}, kubectl: ${ms(r.ms)} (${int(r.stdout.length)} bytes of JSON)`);
        } else {
          const w = await runWarm(kcFile);
          if (w.nodes !== NODES || w.pods !== PODS || w.unhealthy !== unhealthy) throw new Error(`the watcher saw ${w.nodes} nodes, ${w.pods} pods, ${w.unhealthy} unhealthy`);
          warm.push(w);
          const n0 = standin.requests.length;
          const c = check('cold console process', await runTimed(process.execPath, [self, 'cluster-worker', 'cold', kcFile], { env: { ...env, PATH: process.env.PATH }, timeoutMs: WORKER_TIMEOUT_MS }));
          reqs.console = standin.requests.length - n0;
          cold.push(c.ms);
          const imp = check('node importing client-node', await runTimed(process.execPath, ['--input-type=module', '-e', "await import('@kubernetes/client-node')"], { env, cwd: projectRoot(), timeoutMs: WORKER_TIMEOUT_MS }));
          importMs.push(imp.ms);
          const cr = check('--ci cluster', await cliCluster(), [2]);
          cliRuns.push(cr.ms);
          log(`cluster: run ${run + 1}/${RUNS}, console: pane populated ${ms(w.firstSnapshotMs)}, cold process ${ms(c.ms)}, --ci cluster ${ms(cr.ms)}`);
        }
      }
    }

    const paneMs = median(warm.map((w) => w.firstSnapshotMs));
    const coldMs = median(cold);
    const bareMs = median(bare);
    const rat = paneMs / bareMs;
    const coldRat = coldMs / bareMs;
    const rows: string[][] = [
      [`time to the data, median of ${RUNS}`, ms(paneMs), ms(bareMs), `≤ ${RATIO_TARGET}× kubectl`, metText(rat <= RATIO_TARGET)],
      ['  ratio console / kubectl', ratio(rat), '', '', ''],
      ['  each run', warm.map((w) => ms(w.firstSnapshotMs)).join(' / '), bare.map(ms).join(' / '), '', ''],
      ['  console in a cold node process (start-up + modules + lists)', ms(coldMs), '', '', ''],
      ['    ratio cold console / kubectl', ratio(coldRat), '', '', ''],
      ['    each run', cold.map(ms).join(' / '), '', '', ''],
      ['    of which node start-up + import @kubernetes/client-node, median', ms(median(importMs)), '', '', ''],
      [`  ${basename(CLI)} --ci cluster --kubeconfig FILE --json (spawn to exit)`, ms(median(cliRuns)), ms(bareMs), `≤ ${CLI_RATIO_TARGET}× kubectl`, metText(median(cliRuns) / bareMs <= CLI_RATIO_TARGET)],
      ['    ratio --ci cluster / kubectl', ratio(median(cliRuns) / bareMs), '', '', ''],
      ['    each run', cliRuns.map(ms).join(' / '), '', '', ''],
      ['  the console worker\'s untimed first (JIT-cold) run, median', ms(median(warm.map((w) => w.warmupMs))), '', '', ''],
      ['  client CPU for the populated pane, median', ms(median(warm.map((w) => w.cpuMs))), '', '', ''],
      ['  requests to the API per run (console: 3 LIST, then its 3 WATCH start)', String(reqs.console), String(reqs.kubectl), '', ''],
      ['peak RSS of the console worker (maxRSS)', mb(Math.max(...warm.map((w) => w.peakRss))), '', '', ''],
    ];
    const text = [
      table(['figure', 'console (ClusterWatcher)', 'kubectl get -o json', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'l']),
      '',
      `  Stand-in for kube-apiserver (the suite's own loopback HTTPS server; no kube-apiserver on these machines): ${NODES} nodes, ${PODS} pods`,
      `  in ${NAMESPACES} namespaces (${unhealthy} unhealthy), served from this process; each side runs in processes of its own, order alternating.`,
      '  console: new ClusterWatcher(kc) → first complete snapshot (LIST nodes, namespaces, pods; rows built), in a worker after one untimed run.',
      `  kubectl ${KUBECTL}: get nodes,pods -A -o json, whole process, discovery cache warm (one untimed run first); chunks of 500.`,
      '  The cold-process row is the like-for-like with a kubectl process (Node start-up and module loading included).',
    ].join('\n');
    const cliRat = median(cliRuns) / bareMs;
    const targets: TargetCheck[] = [
      { figure: 'cluster: pane populated / kubectl get nodes,pods (200 nodes, 1,000 pods)', value: ratio(rat), target: `≤ ${RATIO_TARGET}×`, met: rat <= RATIO_TARGET },
      { figure: 'cluster: --ci cluster process / kubectl process (cold)', value: ratio(cliRat), target: `≤ ${CLI_RATIO_TARGET}×`, met: cliRat <= CLI_RATIO_TARGET },
    ];
    return { name: 'cluster', title: `Cluster: ${NODES} nodes and ${int(PODS)} pods, the pane's first snapshot vs kubectl get nodes,pods -A -o json (stand-in API server)`, text, targets };
  } finally {
    await cleanup();
  }
};

// Run as a worker: node bench/cluster.js cluster-worker warm|cold KUBECONFIG (started by the benchmark).
if (process.argv[2] === 'cluster-worker' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mode = process.argv[3];
  const file = process.argv[4]!;
  (mode === 'cold'
    ? coldWorker(file)
    : warmWorker(file).then((r) => {
        process.send?.(r, () => process.exit(0));
      })
  ).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
