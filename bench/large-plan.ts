/**
 * A large saved plan in the Plan/Apply pane, side by side with bare `terraform show -json`:
 * 10,000 `terraform_data` resources (built into Terraform: no provider, no backend, local state)
 * in 50 modules of 200, each with an `input` object and every 20th with `triggers_replace`.
 *
 * - plan 1 (10,000 creates): `terraform plan -out` once (timed, for context), then 3 rounds, the
 *   order alternating bare, console:
 *   - bare: `terraform show -json -no-color PLANFILE`, spawn → exit, its stdout read from a pipe
 *     and counted (the output size);
 *   - console: a forked worker (bench/large-plan-worker.ts) with the console already on screen
 *     runs the same command through the console's runner, `parsePlanJson`, feeds the model to
 *     the Store (`plan` engine event) and waits for Ink's first frame holding the rows: spawn →
 *     that frame. Its peak RSS (maxRSS) is the worker's own. The third worker then measures the
 *     per-key latency (Down, Enter + Esc, n in the diff; 200 each).
 * - plan 2 (~10 % of the resources change): the state that applying plan 1 would leave is written
 *   as Terraform 1.11.4 writes it (applying 10,000 resources takes many minutes: out of budget),
 *   1,000 inputs are edited (update in place) and 50 `triggers_replace` (replace), and
 *   `terraform plan -refresh=false -out` makes the plan (terraform_data reads nothing on refresh);
 *   then one bare run and one console worker with the keys, so Enter and n show real diffs.
 *
 * Terraform runs with an empty CLI configuration (TF_CLI_CONFIG_FILE), TF_PLUGIN_CACHE_DIR unset,
 * CHECKPOINT_DISABLE, TF_IN_AUTOMATION and TF_INPUT=0 (as the engine sets them), the same for
 * both sides.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { COLUMNS, PRESSES, ROWS, type KeyId, type KeyStats, type WorkerArgs, type WorkerResult } from './large-plan-worker.js';
import { assertNotStopping, forkWorker, onCleanup, tail, track } from './lib/proc.js';
import { int, mb, median, metText, ms, ratio, table, type Bench, type BenchResult, type TargetCheck } from './lib/report.js';
import { modName, MODULES, PER_MODULE, PLAN2_CHANGES, resName, RESOURCES, writeConfig, writeState } from './lib/large-config.js';
import { TERRAFORM } from './lib/workspace.js';

const ROUNDS = 3;
const RATIO_TARGET = 1.1;
const RSS_TARGET_MB = 400;
const KEY_P99_TARGET_MS = 50;
const WORKER_TIMEOUT_MS = 300_000;

/** A finished Terraform command: wall time spawn → exit, stdout bytes (read and dropped), stderr tail. */
interface Spawned {
  ms: number;
  code: number | null;
  bytes: number;
  stderr: string;
}

/** Runs `terraform args…`, stdout read from a pipe and counted, not kept. */
function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Spawned> {
  assertNotStopping();
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(TERRAFORM, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let bytes = 0;
    let stderr = '';
    let exitMs = 0;
    let code: number | null = null;
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-8_000)));
    child.on('error', reject);
    child.on('exit', (c) => {
      exitMs = performance.now() - t0;
      code = c;
    });
    child.on('close', () => resolve({ ms: exitMs || performance.now() - t0, code, bytes, stderr }));
  });
}

function checked(what: string, r: Spawned, ok: readonly number[] = [0]): Spawned {
  if (r.code === null || !ok.includes(r.code)) throw new Error(`${what} exited ${r.code}:\n${tail(r.stderr)}`);
  return r;
}

function runWorker(a: WorkerArgs): Promise<WorkerResult> {
  const worker = fileURLToPath(new URL('./large-plan-worker.js', import.meta.url));
  const env = { ...process.env, NODE_ENV: 'production' };
  return forkWorker<WorkerResult>(worker, [JSON.stringify(a)], { env, timeoutMs: WORKER_TIMEOUT_MS, label: 'large-plan worker' });
}

export const largePlan: Bench = async (log) => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-large-plan-'));
  const remove = onCleanup(() => rm(dir, { recursive: true, force: true }));
  try {
    return await measure(log, dir);
  } finally {
    await remove();
  }
};

async function measure(log: (line: string) => void, dir: string): Promise<BenchResult> {
  const load0 = loadavg();
  const root = join(dir, 'root');
  const home = join(dir, 'home');
  const workDir = join(dir, 'work');
  await Promise.all([mkdir(root), mkdir(home), mkdir(workDir)]);
  const rc = join(dir, 'empty.tfrc');
  await writeFile(rc, '');
  const tfEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TF_CLI_CONFIG_FILE: rc,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
  };

  log(`large-plan: writing ${int(RESOURCES)} terraform_data in ${MODULES} modules; terraform init`);
  await writeConfig(root, false);
  const init = checked('terraform init', await terraform(['init', '-input=false', '-no-color'], root, tfEnv));
  log(`large-plan: terraform plan -out (plan 1: ${int(RESOURCES)} creates)`);
  const plan1File = join(root, 'plan1.tfplan');
  const plan1 = checked('terraform plan (plan 1)', await terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', `-out=${plan1File}`], root, tfEnv), [2]);
  const plan1Size = (await stat(plan1File)).size;

  const bare1: Spawned[] = [];
  const ours1: WorkerResult[] = [];
  const args1: WorkerArgs = { terraform: TERRAFORM, cwd: root, planFile: plan1File, tfEnv, workDir, expectChanges: RESOURCES, firstAddress: `module.${modName(0)}.terraform_data.${resName(0)}`, keys: false };
  for (let i = 0; i < ROUNDS; i++) {
    const keys = i === ROUNDS - 1;
    const order = i % 2 === 0 ? ['bare', 'console'] : ['console', 'bare'];
    for (const side of order) {
      if (side === 'bare') {
        log(`large-plan: plan 1, round ${i + 1}/${ROUNDS}: bare terraform show -json`);
        bare1.push(checked('terraform show -json (plan 1)', await terraform(['show', '-json', '-no-color', plan1File], root, tfEnv)));
      } else {
        log(`large-plan: plan 1, round ${i + 1}/${ROUNDS}: console worker (show -json → model → first frame)${keys ? ', then the keys' : ''}`);
        ours1.push(await runWorker({ ...args1, keys }));
      }
    }
  }

  log(`large-plan: plan 2: the state plan 1 would leave, ${int(PLAN2_CHANGES)} resources edited; terraform plan -refresh=false -out`);
  await writeState(root);
  await writeConfig(root, true);
  const plan2File = join(root, 'plan2.tfplan');
  const plan2 = checked('terraform plan (plan 2)', await terraform(['plan', '-input=false', '-no-color', '-refresh=false', '-detailed-exitcode', `-out=${plan2File}`], root, tfEnv), [2]);
  log('large-plan: plan 2: bare terraform show -json');
  const bare2 = checked('terraform show -json (plan 2)', await terraform(['show', '-json', '-no-color', plan2File], root, tfEnv));
  log('large-plan: plan 2: console worker (show -json → model → first frame), then the keys');
  const ours2 = await runWorker({ ...args1, planFile: plan2File, expectChanges: PLAN2_CHANGES, firstAddress: `module.${modName(0)}.terraform_data.${resName(3)}`, keys: true });
  const load1 = loadavg();

  return report({ init, plan1, plan1Size, bare1, ours1, plan2, bare2, ours2, load0, load1 });
}

interface Figures {
  init: Spawned;
  plan1: Spawned;
  plan1Size: number;
  bare1: Spawned[];
  ours1: WorkerResult[];
  plan2: Spawned;
  bare2: Spawned;
  ours2: WorkerResult;
  load0: number[];
  load1: number[];
}

function report(f: Figures): BenchResult {
  const bareMed = median(f.bare1.map((r) => r.ms));
  const oursMed = median(f.ours1.map((r) => r.totalMs));
  const r1 = oursMed / bareMed;
  const rss1 = Math.max(...f.ours1.map((r) => r.rssAtFrame));
  const rss1End = f.ours1.at(-1)!.rssEnd;
  const rss2 = f.ours2.rssAtFrame;
  const underRss = (bytes: number): boolean => bytes / 1024 / 1024 < RSS_TARGET_MB;
  // The console's own work once show has exited (parse, store, render), against the bare run: less
  // sensitive to other load on the machine than the ratio of two noisy wall times.
  const own1 = median(f.ours1.map((r) => r.parseMs + r.toFrameMs));
  const keys1 = f.ours1.at(-1)!.keys!;
  const keys2 = f.ours2.keys!;
  const each = (xs: readonly number[]) => xs.map((x) => ms(x)).join(' / ');
  const med = (g: (r: WorkerResult) => number) => ms(median(f.ours1.map(g)));

  const rows: string[][] = [
    ['setup (context, not compared)', '', '', '', ''],
    ['  terraform init (no provider: terraform_data is built in)', ms(f.init.ms), '', '', ''],
    [`  terraform plan -out, plan 1 (${int(RESOURCES)} to add)`, ms(f.plan1.ms), '', '', ''],
    ['  plan file size', mb(f.plan1Size), '', '', ''],
    [`plan 1: ${int(RESOURCES)} creates, ${ROUNDS} rounds (medians)`, '', '', '', ''],
    ['  show -json output', `${int(f.bare1[0]!.bytes)} B (${mb(f.bare1[0]!.bytes)})`, `${int(f.ours1[0]!.showBytes)} chars`, '', ''],
    ['  bare: show -json spawn → exit / console: spawn → first frame with the rows', ms(bareMed), ms(oursMed), '', ''],
    ['    each round', each(f.bare1.map((r) => r.ms)), each(f.ours1.map((r) => r.totalMs)), '', ''],
    ['  console / bare', '', ratio(r1), `≤ ${RATIO_TARGET.toFixed(2)}×`, metText(r1 <= RATIO_TARGET)],
    ['    console\'s own work after show exits (parse + to frame) / bare median', '', `${ms(own1)} = ${((own1 / bareMed) * 100).toFixed(1)} %`, '', ''],
    ['    console: show -json spawn → close (console\'s runner)', '', med((r) => r.showMs), '', ''],
    ['    console: parsePlanJson', '', med((r) => r.parseMs), '', ''],
    ['    console: plan event → first frame (store, React, Ink)', '', med((r) => r.toFrameMs), '', ''],
    ['  peak RSS of the console process at that frame (max of rounds)', '', mb(rss1), `< ${RSS_TARGET_MB} MB`, metText(underRss(rss1))],
    ['    V8 heap used just after the frame (median)', '', mb(median(f.ours1.map((r) => r.heapAtFrame))), '', ''],
    ['    peak RSS after the keys', '', mb(rss1End), '', ''],
    ...keyRows(keys1),
    [`plan 2: ${int(PLAN2_CHANGES)} of ${int(RESOURCES)} change (1 round)`, '', '', '', ''],
    ['  terraform plan -refresh=false -out (context)', ms(f.plan2.ms), '', '', ''],
    ['  show -json output', `${int(f.bare2.bytes)} B (${mb(f.bare2.bytes)})`, `${int(f.ours2.showBytes)} chars`, '', ''],
    ['  bare: show -json spawn → exit / console: spawn → first frame with the rows', ms(f.bare2.ms), ms(f.ours2.totalMs), '', ''],
    ['  console / bare (1 round, informational)', '', ratio(f.ours2.totalMs / f.bare2.ms), '', ''],
    ['    console: show -json / parsePlanJson / plan event → frame', '', `${ms(f.ours2.showMs)} / ${ms(f.ours2.parseMs)} / ${ms(f.ours2.toFrameMs)}`, '', ''],
    ['  peak RSS of the console process at that frame', '', mb(rss2), `< ${RSS_TARGET_MB} MB`, metText(underRss(rss2))],
    ['    peak RSS after the keys', '', mb(f.ours2.rssEnd), '', ''],
    ...keyRows(keys2),
  ];
  const text = [
    table(['figure', 'bare terraform', 'console', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'l']),
    '',
    `  Configuration: ${int(RESOURCES)} terraform_data in ${MODULES} modules of ${PER_MODULE}, input = { name, n, tags = {env, module, owner} }, every 20th with`,
    '  triggers_replace; local state, no backend, no provider (TF_CLI_CONFIG_FILE empty, TF_PLUGIN_CACHE_DIR unset, CHECKPOINT_DISABLE=1).',
    '  Bare: terraform show -json -no-color PLANFILE from this process, stdout read from a pipe and counted; spawn → exit.',
    `  Console: a worker process per round (NODE_ENV=production, as main.ts sets it) with a Store, a Controller over a FAKE target (a real`,
    `  Engine never run, the lock always free) and <App> already on screen (Ink 8, console render options, fake ${COLUMNS}×${ROWS} TTY), told that`,
    '  a plan ran (operation-start/end; the streamed plan messages are NOT fed, so the rows come from the model). Timed: the same command',
    '  through the console\'s runner (runTerraform, as Engine.plan runs it), parsePlanJson, the `plan` engine event into the Store, until',
    '  Ink has written the first frame holding the first row\'s address and "saved plan ready". Engine.plan\'s chmod and sha256 of the',
    '  plan file are not included. Peak RSS: the worker\'s maxRSS (process.resourceUsage) when that frame was written.',
    `  Keys: ${PRESSES}× Enter (the selected row's diff) + Esc + Down (a new row, so each Enter renders an uncached diff), then Enter and`,
    `  ${PRESSES}× n in the diff; each timed from press(ctx, key) (ctx built as App's) to Ink's next frame; "press()" is the synchronous`,
    '  handling alone. A key is pressed once Ink\'s 30-fps throttle (34 ms) has passed since the last frame, so its wait is not counted.',
    '  Plan 2: the state applying plan 1 would leave is written in Terraform 1.11.4\'s format (applying 10,000 resources takes many minutes),',
    `  then ${int(MODULES * (PER_MODULE / 10))} inputs edited (update in place) and ${MODULES} triggers_replace (replace); -refresh=false (terraform_data reads nothing).`,
    `  Checks: plan 1 ${f.ours1.map((r) => r.check).join(' | ')}`,
    `          plan 2 ${f.ours2.check}`,
    `  Load average (1/5/15 min) at start ${f.load0.map((x) => x.toFixed(1)).join(' ')}, at end ${f.load1.map((x) => x.toFixed(1)).join(' ')}, on ${availableParallelism()} CPUs:`,
    '  other work on the machine inflates every figure (both sides alike for the ratio, which alternates their order).',
  ].join('\n');
  const targets: TargetCheck[] = [
    { figure: `large-plan: show -json → first frame, console / bare (${int(RESOURCES)})`, value: ratio(r1), target: `≤ ${RATIO_TARGET.toFixed(2)}×`, met: r1 <= RATIO_TARGET },
    { figure: 'large-plan: peak RSS, plan 1 (10,000 creates)', value: mb(rss1), target: `< ${RSS_TARGET_MB} MB`, met: underRss(rss1) },
    { figure: `large-plan: peak RSS, plan 2 (${int(PLAN2_CHANGES)} changes)`, value: mb(rss2), target: `< ${RSS_TARGET_MB} MB`, met: underRss(rss2) },
    ...(['Down', 'Enter', 'Esc', 'n'] as KeyId[]).map((k) => keyTarget('plan 1', k, keys1[k])),
    ...(['Enter', 'n'] as KeyId[]).map((k) => keyTarget('plan 2', k, keys2[k])),
  ];
  return { name: 'large-plan', title: `A large plan (${int(RESOURCES)} resources) in the Plan/Apply pane vs bare terraform show -json`, text, targets };
}

const KEY_LABEL: Record<KeyId, string> = { Down: 'Down (next row)', Enter: 'Enter (open the diff)', Esc: 'Esc (close the diff)', n: 'n (next change, in the diff)' };

function keyRows(k: Record<KeyId, KeyStats>): string[][] {
  const out: string[][] = [[`  per key, press → next frame, p50 / p99 / max (press() alone p50 / p99; Ink render p99)`, '', '', '', '']];
  for (const id of ['Down', 'Enter', 'Esc', 'n'] as KeyId[]) {
    const s = k[id];
    out.push([
      `    ${KEY_LABEL[id]} ×${s.count}${s.wrong ? ` (${s.wrong} wrong or no frame)` : ''}`,
      '',
      `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} (${ms(s.syncP50)} / ${ms(s.syncP99)}; ${ms(s.inkP99)})`,
      `p99 < ${KEY_P99_TARGET_MS} ms`,
      metText(s.p99 < KEY_P99_TARGET_MS && s.wrong === 0),
    ]);
  }
  return out;
}

function keyTarget(plan: string, k: KeyId, s: KeyStats): TargetCheck {
  return { figure: `large-plan: ${plan}, ${KEY_LABEL[k]} p99`, value: ms(s.p99), target: `< ${KEY_P99_TARGET_MS} ms`, met: s.p99 < KEY_P99_TARGET_MS && s.wrong === 0 };
}
