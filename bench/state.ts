/**
 * A large state in the State pane, side by side with bare `terraform state list`: the state of
 * 10,000 `terraform_data` resources in 50 modules of 200 (the large-plan configuration applied).
 *
 * Set-up (untimed): a bench workspace (bench/lib/workspace.ts) whose root module is the large-plan
 * configuration (bench/lib/large-config.ts) with `backend "s3" {}`, a profile from
 * profiles/local.tfvars; `openSession` in local mode starts the workspace's private moto and
 * bootstraps the state bucket and KMS key; the session's engine runs `terraform init` with the
 * console's backend arguments (its own data dir and CLI configuration). The state is NOT made by
 * applying (10,000 creates take far longer than the benchmark's budget: measured, 2,203 of 10,000
 * created after 11 minutes): it is written as the large-plan apply would leave it, in Terraform
 * 1.11.4's format, and pushed into the backend (`ENV/terraform.tfstate`, SSE-KMS) with
 * `terraform state push`, run as the engine runs Terraform.
 *
 * Then ROUNDS rounds, the order alternating:
 * - bare: `terraform state list` (and, for the breakdown, `terraform state pull`), with exactly the
 *   environment and working directory the console's engine gives Terraform (Engine.childEnv:
 *   TF_DATA_DIR, TF_CLI_CONFIG_FILE, the emulator's endpoint and dummy credentials, TF_IN_AUTOMATION,
 *   TF_INPUT=0, CHECKPOINT_DISABLE), spawn → exit, stdout read from a pipe;
 * - console: a forked worker (bench/state-worker.ts) with a real Session of the same workspace and
 *   `<App>` on screen: `7` → the first frame whose screen shows the pane's rows. The last round's
 *   worker then measures the `/` filter's keys.
 *
 * STATE_BENCH_PROFILE=DIR writes a CPU profile of each worker's timed part into DIR and prints
 * the top of it.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { summarizeProfile } from './lib/cpu-profile.js';
import { stateIdentity } from '../src/core/tf-state.js';
import { MODULES, PER_MODULE, RESOURCES, writeConfig, writeState } from './lib/large-config.js';
import { assertNotStopping, check, childrenCpuMs, forkWorker, isStopping, runTimed, type TimedRun } from './lib/proc.js';
import { int, mb, median, metText, ms, ratio, table, type Bench, type BenchResult, type TargetCheck } from './lib/report.js';
import { makeWorkspace, type BenchWorkspace } from './lib/workspace.js';
import { COLUMNS, ROWS, TYPED, type FilterKey, type KeyStats, type PressRecord, type WorkerArgs, type WorkerResult } from './state-worker.js';

const ENV = 'statebench';
const ROUNDS = 5;
const RATIO_TARGET = 1.2;
const KEY_P99_TARGET_MS = 50;
const WORKER_TIMEOUT_MS = 300_000;
const TF_TIMEOUT_MS = 300_000;

function runWorker(ws: BenchWorkspace, a: WorkerArgs): Promise<WorkerResult> {
  const worker = fileURLToPath(new URL('./state-worker.js', import.meta.url));
  // The workspace's environment (PLATFORM_* dirs, HOME, PATH) as the console would have it; NODE_ENV as main.ts sets it.
  const env = { ...ws.env, NODE_ENV: 'production' };
  return forkWorker<WorkerResult>(worker, [JSON.stringify(a)], { env, timeoutMs: WORKER_TIMEOUT_MS, label: 'state worker' });
}

/** A bare Terraform run: its stdout's lines (list) or characters (pull), and its CPU time. */
interface Bare {
  run: TimedRun;
  lines: number;
  cpuMs: number;
}

export const state: Bench = async (log) => {
  const ws = await makeWorkspace('state');
  try {
    return await measure(log, ws);
  } finally {
    await ws.dispose();
  }
};

async function measure(log: (line: string) => void, ws: BenchWorkspace): Promise<BenchResult> {
  const load0 = loadavg();
  log(`state: writing the large-plan configuration (${int(RESOURCES)} terraform_data in ${MODULES} modules) with backend "s3" {} as the root module`);
  await writeConfig(ws.terraform, false);
  await writeFile(join(ws.terraform, 'backend.tf'), 'terraform {\n  backend "s3" {}\n}\n');
  await ws.profile(ENV);

  // The console's own session for the set-up: private moto, bucket and key, engine, init.
  const { resolvePaths } = await import('../src/core/paths.js');
  const { openSession } = await import('../src/services/session.js');
  log('state: openSession (local): starting the private moto, state bucket and KMS key');
  assertNotStopping();
  const s0 = performance.now();
  const session = await openSession({ environment: ENV, local: true, paths: resolvePaths(ws.env), env: ws.env });
  const sessionMs = performance.now() - s0;
  if (isStopping()) await ws.stopEmulatorNow();
  assertNotStopping();
  const engine = session.engine;
  // Exactly the environment the engine gives every Terraform it runs (a private method: read, not changed).
  const tfEnv = (engine as unknown as { childEnv(): NodeJS.ProcessEnv }).childEnv();
  const tf = engine.config.binary.path;
  const cwd = engine.moduleDir;
  let initMs = 0;
  let pushRun: TimedRun;
  let stateBytes = 0;
  let stored = '';
  let stateFile = '';
  let identity = { serial: 0, lineage: '' };
  let endpoint = '';
  try {
    log('state: terraform init through the console\'s engine (its backend arguments, data dir, CLI configuration)');
    const i0 = performance.now();
    await engine.init();
    initMs = performance.now() - i0;
    stateFile = await writeState(ws.dir, 'large.tfstate');
    log(`state: terraform state push of the ${int(RESOURCES)}-resource state (written as the large-plan apply would leave it)`);
    pushRun = check('terraform state push', await runTimed(tf, ['state', 'push', stateFile], { env: tfEnv, cwd, timeoutMs: TF_TIMEOUT_MS }));
    // Terraform gives the pushed state the backend's lineage: what the pane must show is read back from the object.
    const b = session.backend;
    const obj = await session.history.o.s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: b.key }));
    const text = await obj.Body!.transformToString();
    stateBytes = Buffer.byteLength(text);
    const ident = stateIdentity(text);
    if (!ident) throw new Error(`s3://${b.bucket}/${b.key} is not a state after the push`);
    identity = ident;
    stored = `s3://${b.bucket}/${b.key}, ${int(stateBytes)} B, ${obj.ServerSideEncryption ?? 'no SSE'}${obj.SSEKMSKeyId ? ' (KMS)' : ''}, serial ${ident.serial}`;
    endpoint = session.local!.endpoint;
  } finally {
    session.close();
  }

  const bareList = async (): Promise<Bare> => {
    const c0 = childrenCpuMs();
    const run = check('terraform state list', await runTimed(tf, ['state', 'list'], { env: tfEnv, cwd, timeoutMs: TF_TIMEOUT_MS }));
    const cpuMs = childrenCpuMs() - c0;
    const lines = run.stdout.split('\n').filter((l) => l).length;
    if (lines !== RESOURCES) throw new Error(`terraform state list printed ${lines} addresses, ${RESOURCES} expected`);
    return { run, lines, cpuMs };
  };
  const barePull = async (): Promise<Bare> => {
    const c0 = childrenCpuMs();
    const run = check('terraform state pull', await runTimed(tf, ['state', 'pull'], { env: tfEnv, cwd, timeoutMs: TF_TIMEOUT_MS }));
    const cpuMs = childrenCpuMs() - c0;
    // It prints the object's text and a newline.
    if (run.stdout.replace(/\n$/, '').length !== stateBytes) throw new Error(`terraform state pull printed ${run.stdout.length} characters, the object has ${stateBytes} bytes`);
    return { run, lines: run.stdout.length, cpuMs };
  };
  // For scale only: the object itself through SDK v3 (what a direct read would cost; not Terraform's backend read).
  const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 });
  const sdkGet = async (): Promise<number> => {
    const t = performance.now();
    const o = await s3.send(new GetObjectCommand({ Bucket: 'platform-console-local-state', Key: `${ENV}/terraform.tfstate` }));
    const body = await o.Body!.transformToString();
    if (body.length !== stateBytes) throw new Error(`GetObject read ${body.length} characters, ${stateBytes} expected`);
    return performance.now() - t;
  };
  await sdkGet(); // warm-up: modules, connection

  const profileDir = process.env.STATE_BENCH_PROFILE;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const list: Bare[] = [];
  const pull: Bare[] = [];
  const sdk: number[] = [];
  const ours: WorkerResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const keys = i === ROUNDS - 1;
    const order = i % 2 === 0 ? ['bare', 'console'] : ['console', 'bare'];
    for (const side of order) {
      if (side === 'bare') {
        const l = await bareList();
        const p = await barePull();
        list.push(l);
        pull.push(p);
        sdk.push(await sdkGet());
        log(`state: round ${i + 1}/${ROUNDS}: bare terraform state list ${ms(l.run.ms)}, state pull ${ms(p.run.ms)}`);
      } else {
        const r = await runWorker(ws, { environment: ENV, serial: identity.serial, lineage: identity.lineage, keys, round: i + 1, ...(profileDir ? { profileDir } : {}) });
        ours.push(r);
        log(`state: round ${i + 1}/${ROUNDS}: console 7 → first frame with the rows ${ms(r.totalMs)} (init check ${ms(r.initMs)}, state read ${ms(r.pullMs)}, parse ${ms(r.parseMs)}, to frame ${ms(r.toFrameMs)})${keys ? '; then the filter keys' : ''}`);
      }
    }
  }
  s3.destroy();
  const load1 = loadavg();
  const profiles = ours.map((r) => r.profile).filter((p): p is string => !!p);
  const keysProfile = ours.at(-1)?.keysProfile;
  const profileText = profiles.length ? await summarizeProfile(profiles) : undefined;
  const keysProfileText = keysProfile ? await summarizeProfile([keysProfile]) : undefined;
  return report({
    sessionMs,
    initMs,
    push: pushRun!,
    stateBytes,
    stored,
    serial: identity.serial,
    list,
    pull,
    sdk,
    ours,
    load0,
    load1,
    ...(profileText ? { profileText, profileDir: profileDir! } : {}),
    ...(keysProfileText ? { keysProfileText } : {}),
  });
}

interface Figures {
  sessionMs: number;
  initMs: number;
  push: TimedRun;
  stateBytes: number;
  stored: string;
  serial: number;
  list: Bare[];
  pull: Bare[];
  sdk: number[];
  ours: WorkerResult[];
  load0: number[];
  load1: number[];
  profileText?: string;
  profileDir?: string;
  keysProfileText?: string;
}

const KEY_LABEL: Record<FilterKey, string> = {
  type: `a character typed into the filter (${TYPED})`,
  Backspace: 'Backspace (widens the filter)',
  open: '/ (opens the filter line)',
  Esc: 'Esc (clears the filter: all 10,050 lines)',
};

function keyRow(id: FilterKey, s: KeyStats): string[] {
  const bad = [s.late ? `${s.late} late` : '', s.wrong ? `${s.wrong} wrong` : ''].filter(Boolean).join(', ');
  return [
    `    ${KEY_LABEL[id]} ×${s.count}${bad ? ` (${bad})` : ''}`,
    '',
    `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} (${ms(s.syncP50)} / ${ms(s.syncP99)}; ${ms(s.inkP99)}; ${ms(s.cpuP50)} / ${ms(s.cpuP99)})`,
    `p99 < ${KEY_P99_TARGET_MS} ms`,
    metText(s.p99 < KEY_P99_TARGET_MS && s.wrong === 0),
  ];
}

/** The workers' checks, each different one once (with the rounds it was of). */
function checkLines(checks: readonly string[]): string[] {
  const seen = new Map<string, number[]>();
  checks.forEach((c, i) => seen.set(c, [...(seen.get(c) ?? []), i + 1]));
  return [...seen.entries()].map(([c, rounds], i) => `  ${i ? '        ' : 'Checks: '}round${rounds.length > 1 ? 's' : ''} ${rounds.join(', ')}: ${c}`);
}

/** `xs` in runs of `n`. */
function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function report(f: Figures): BenchResult {
  const listMed = median(f.list.map((r) => r.run.ms));
  const pullMed = median(f.pull.map((r) => r.run.ms));
  const oursMed = median(f.ours.map((r) => r.totalMs));
  const r1 = oursMed / listMed;
  const rss = Math.max(...f.ours.map((r) => r.rssAtFrame));
  const last = f.ours.at(-1)!;
  const keys = last.keys!;
  const each = (xs: readonly number[]) => xs.map((x) => ms(x)).join(' / ');
  const med = (g: (r: WorkerResult) => number) => ms(median(f.ours.map(g)));
  const rows: string[][] = [
    ['set-up (context, not compared)', '', '', '', ''],
    ['  openSession, local (private moto started, bucket and KMS key made)', ms(f.sessionMs), '', '', ''],
    ['  terraform init through the console\'s engine (S3 backend on moto)', ms(f.initMs), '', '', ''],
    [`  terraform state push of the ${int(RESOURCES)}-resource state`, ms(f.push.ms), '', '', ''],
    [`State of ${int(RESOURCES)} resources (${mb(f.stateBytes)} in the backend), ${ROUNDS} rounds, medians`, '', '', '', ''],
    ['  bare: terraform state list, spawn → exit / console: 7 → first frame with the rows', ms(listMed), ms(oursMed), '', ''],
    ['    each round', each(f.list.map((r) => r.run.ms)), each(f.ours.map((r) => r.totalMs)), '', ''],
    ['  console / bare state list', '', ratio(r1), `≤ ${RATIO_TARGET.toFixed(2)}×`, metText(r1 <= RATIO_TARGET)],
    ['breakdown', '', '', '', ''],
    ['  bare terraform state pull (the console\'s fallback read), spawn → exit', ms(pullMed), '', '', ''],
    ['    each round', each(f.pull.map((r) => r.run.ms)), '', '', ''],
    ['    state pull / state list (bare)', ratio(pullMed / listMed), '', '', ''],
    ['    console / bare state pull', '', ratio(oursMed / pullMed), '', ''],
    ['  Terraform\'s CPU (user + sys): state list / state pull (bare) / the console\'s (none unless it fell back to state pull)', `${ms(median(f.list.map((r) => r.cpuMs)))} / ${ms(median(f.pull.map((r) => r.cpuMs)))}`, med((r) => r.pullChildCpuMs), '', ''],
    ['  for scale: SDK v3 GetObject of the object (SSE-KMS), warm client in this process', ms(median(f.sdk)), '', '', ''],
    ['  console, 7 → first frame, split:', '', '', '', ''],
    ['    7 → the state read called (pane switch, activate)', '', med((r) => r.startMs), '', ''],
    ['    engine.init check (module links, sha256 of the module tree, marker; no terraform init)', '', med((r) => r.initMs), '', ''],
    ['    the state read: the state object with the SDK (terraform state pull if that fails)', '', med((r) => r.pullMs), '', ''],
    ['      (StateRead.readMs, as the pane\'s title shows it)', '', med((r) => r.readMs), '', ''],
    ['      the console process\'s own CPU meanwhile (output chunks, spinner frames, lock poll)', '', med((r) => r.pullOwnCpuMs), '', ''],
    ['    parseState (JSON.parse, masking, sizes)', '', med((r) => r.parseMs), '', ''],
    ['    read → first frame with the rows (store, React, Ink)', '', med((r) => r.toFrameMs), '', ''],
    ['      Ink\'s render of that frame; frames written before it', '', `${med((r) => r.inkMs)}; ${median(f.ours.map((r) => r.framesBefore))}`, '', ''],
    ['    the console process\'s CPU over the whole timed part', '', med((r) => r.ownCpuMs), '', ''],
    ['  peak RSS of the console process at that frame (max of rounds)', '', mb(rss), '', ''],
    ['    V8 heap used just after the frame (median)', '', mb(median(f.ours.map((r) => r.heapAtFrame))), '', ''],
    ['    peak RSS after the filter keys', '', mb(last.rssEnd), '', ''],
    ['  untimed: openSession in the worker (median)', '', med((r) => r.sessionMs), '', ''],
    ['/ filter, press → first frame showing the right rows: p50 / p99 / max', '', '', '', ''],
    ['  (press() alone p50 / p99; Ink render p99; console CPU press → frame p50 / p99)', '', '', '', ''],
    ...(['type', 'Backspace', 'open', 'Esc'] as FilterKey[]).map((k) => keyRow(k, keys[k])),
  ];
  const slow = (last.slowest ?? []).map((p: PressRecord) => [`    ${p.kind === 'type' ? 'typed' : p.kind} → "${p.text}"`, int(p.matches), ms(p.lat), ms(p.ink), ms(p.cpu), ms(p.gc)]);
  const gc = last.gc;
  const text = [
    table(['figure', 'bare terraform', 'console', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'l']),
    '',
    table(['  slowest filter keys (filter after the key)', 'matches', 'latency', 'Ink render', 'CPU', 'GC in it'], slow, ['l', 'r', 'r', 'r', 'r', 'r']),
    ...(gc ? [`  GC during the keys: ${gc.count} pauses, ${ms(gc.totalMs)} in all, longest ${ms(gc.maxMs)}; ${gc.presses} of the measured keys had a pause between press and frame.`] : []),
    '',
    `  State: ${int(RESOURCES)} terraform_data in ${MODULES} modules of ${PER_MODULE} (the large-plan configuration). NOT applied (10,000 creates take far`,
    '  longer than the budget: with local state, 2,203 of 10,000 were created after 11 minutes): written as the large-plan apply would leave it,',
    '  in Terraform 1.11.4\'s format, then pushed to the S3 backend with terraform state push:',
    `    ${f.stored}.`,
    '  Both sides read that object from the same private moto, with the same Terraform, TF_DATA_DIR, CLI configuration and environment',
    '  (the console engine\'s own: Engine.childEnv) in the engine\'s module dir. Terraform\'s CPU: this process\'s children\'s CPU time across the run',
    '  (/proc cutime + cstime, 10 ms steps).',
    '  Bare: terraform state list (and state pull, for the breakdown) from this process, stdout read from a pipe; spawn → exit.',
    `  Console: a fresh worker process per round (NODE_ENV=production) with a real Session (openSession, local), a Store, a Controller over`,
    `  it and <App> on screen (Ink 8, console render options, fake ${COLUMNS}×${ROWS} TTY into a virtual screen); timed from pressing 7 (the`,
    '  registry\'s press) to the first frame whose screen shows the title (10,000 resources, 50 modules, serial, lineage) and the first',
    '  screenful of the module tree exactly (headers, addresses, ids, footer). The engine\'s init check runs on the first read of each worker.',
    `  Filter keys (last round's worker): / then a module name and part of an address typed, ${8} Backspaces, Esc, again until ${TYPED}`,
    '  characters; the filters typed (resources they match):',
    ...chunks(last.filters ?? [], 5).map((c, i, all) => `    ${c.join(', ')}${i === all.length - 1 ? ';' : ','}`),
    '  each key pressed once Ink\'s 30-fps throttle (34 ms) has passed since the last frame, timed to the first frame whose screen shows the',
    '  right filter line, count and rows (computed from the generated configuration, not by the console); a frame that does not show them',
    '  does not count ("late": a later frame did; "wrong": none did within 5 s).',
    ...checkLines(f.ours.map((r) => r.check)),
    `  Load average (1/5/15 min) at start ${f.load0.map((x) => x.toFixed(2)).join(' ')}, at end ${f.load1.map((x) => x.toFixed(2)).join(' ')}, on ${availableParallelism()} CPUs:`,
    '  other work on the machine inflates every figure (both sides alike for the ratio, which alternates their order).',
    ...(f.profileText ? ['', `  CPU profile of the console's timed first frame (STATE_BENCH_PROFILE=${f.profileDir}), self time summed over the rounds:`, f.profileText] : []),
    ...(f.keysProfileText ? ['', '  CPU profile of the console during the filter keys (includes the idle waits between keys):', f.keysProfileText] : []),
  ].join('\n');
  const targets: TargetCheck[] = [
    { figure: `state: State pane's first frame / terraform state list (${int(RESOURCES)})`, value: ratio(r1), target: `≤ ${RATIO_TARGET.toFixed(2)}×`, met: r1 <= RATIO_TARGET },
    { figure: 'state: filter keystroke (typed) p99', value: ms(keys.type.p99), target: `< ${KEY_P99_TARGET_MS} ms`, met: keys.type.p99 < KEY_P99_TARGET_MS && keys.type.wrong === 0 },
    { figure: 'state: filter Backspace p99', value: ms(keys.Backspace.p99), target: `< ${KEY_P99_TARGET_MS} ms`, met: keys.Backspace.p99 < KEY_P99_TARGET_MS && keys.Backspace.wrong === 0 },
  ];
  return { name: 'state', title: `A large state (${int(RESOURCES)} resources) in the State pane vs bare terraform state list`, text, targets };
}
