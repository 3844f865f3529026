/**
 * The console's screen under load, side by side with a bare Ink screen (the floor of any Ink
 * console) and plain lines (what the bare tool costs to show): 100,000 realistic apply events for
 * 1,000 resources, 1,000 per 10 ms tick. Each side runs in its own forked process
 * (bench/screen-load-worker.ts) so that peak RSS is its own.
 *
 * The console's side runs 3 times (the targets are the medians) with Node's flags as the launchers
 * start it (scripts/node-flags); the bare Ink side runs with and without those flags.
 *
 * Keystrokes (issue 16: keystroke to frame p99 in each pane, at rest and during a 1,000-resource
 * apply): one more console run, the same stream fed over ~20 s while keys are pressed, then at rest.
 *
 * Event-to-screen latency: every event's push time is recorded; when Ink has rendered a frame
 * from a store state that contains the event (and written it, or found the visible frame
 * unchanged), the event is on screen. For the plain side it is the time to write its line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleNodeFlags } from '../src/core/paths.js';
import { int, mb, median, metText, ms, table, type Bench, type BenchResult, type TargetCheck } from './lib/report.js';
import { BENCH_NODE_FLAGS, forkWorker, onCleanup } from './lib/proc.js';
import { BATCH, COLUMNS, KEYS_BATCH, ROWS, TICK_MS, type KeyFigures, type KeyStats, type Side, type WorkerArgs, type WorkerResult } from './screen-load-worker.js';
import { RESOURCES, TOTAL_EVENTS } from './lib/tf-stream.js';

/** Issue 16's target for the console's peak RSS under the 100,000 events (it was 200 MB before). */
const RSS_TARGET_MB = 150;
const P99_TARGET_MS = 100;

/** Node's flags for the console's side: the launchers' (scripts/node-flags), then $BENCH_NODE_FLAGS. */
const CONSOLE_FLAGS = [...consoleNodeFlags(), ...BENCH_NODE_FLAGS];
/** Runs of the console side (as run); its column shows the run of median peak RSS, the targets the medians. */
const CONSOLE_RUNS = 3;

function runWorker(side: Side, workDir: string, nodeEnv?: 'production', keys = false, execArgv: readonly string[] = side === 'console' ? CONSOLE_FLAGS : []): Promise<WorkerResult> {
  const worker = fileURLToPath(new URL('./screen-load-worker.js', import.meta.url));
  const env = { ...process.env };
  delete env.NODE_ENV;
  if (nodeEnv) env.NODE_ENV = nodeEnv;
  const args: WorkerArgs = { side, workDir, ...(keys ? { keys } : {}) };
  return forkWorker<WorkerResult>(worker, [JSON.stringify(args)], { env, timeoutMs: 180_000, label: `screen-load ${side} worker`, execArgv });
}

function keyRows(k: KeyFigures): string[][] {
  const row = (what: string, x: KeyStats): string[] => [what, int(x.count), ms(x.p50), ms(x.p99), ms(x.max), int(x.missed)];
  return [
    row('during the apply: Down in the Plan/Apply pane', k.duringApplyDown),
    row('during the apply: 2 then 1 (to Instances and back)', k.duringApplySwitch),
    row('at rest: Down in the Plan/Apply pane (1,000 rows)', k.restDown),
    ...Object.entries(k.restSwitch).map(([pane, x]) => row(`at rest: its number key, to the ${pane} pane`, x)),
  ];
}

export const screenLoad: Bench = async (log) => {
  const workDir = await mkdtemp(join(tmpdir(), 'pc-bench-screen-'));
  const removeWorkDir = onCleanup(() => rm(workDir, { recursive: true, force: true }));
  try {
    return await compare(log, workDir);
  } finally {
    await removeWorkDir();
  }
};

async function compare(log: (line: string) => void, workDir: string): Promise<BenchResult> {
  const runs: WorkerResult[] = [];
  for (let i = 1; i <= CONSOLE_RUNS; i++) {
    log(`screen-load: console side as the console runs (NODE_ENV=production, set by main.ts; node ${CONSOLE_FLAGS.join(' ')}): Store + Controller + <App> in Ink, fake ${COLUMNS}×${ROWS} TTY, run ${i}/${CONSOLE_RUNS}`);
    runs.push(await runWorker('console', workDir, 'production'));
  }
  const con = [...runs].sort((a, b) => a.peakRss - b.peakRss)[Math.floor(CONSOLE_RUNS / 2)]!;
  const medianRss = con.peakRss;
  const medianP99 = median(runs.map((r) => r.latency.p99));
  log('screen-load: console side again with NODE_ENV unset (React development build), for comparison');
  const prod = await runWorker('console', workDir);
  log('screen-load: bare Ink side (no project code: the newest messages over the whole frame, same render options and feed)');
  const ink = await runWorker('ink', workDir, 'production');
  log(`screen-load: bare Ink side again with the console's Node flags (node ${CONSOLE_FLAGS.join(' ')})`);
  const inkFlags = await runWorker('ink', workDir, 'production', false, CONSOLE_FLAGS);
  log('screen-load: plain side (one line per event to a null stream)');
  const plain = await runWorker('plain', workDir);
  log(`screen-load: keys: the console again, the same stream fed at ${int(KEYS_BATCH)} events per ${TICK_MS} ms tick (~20 s) while keys are pressed, then keys at rest in each pane`);
  const withKeys = await runWorker('console', workDir, 'production', true);
  const k = withKeys.keys;
  if (!k) throw new Error('the keys run reported no key figures');

  const rssMB = medianRss / 1024 / 1024;
  const all = [con, prod, ink, inkFlags, plain];
  const row = (figure: string, f: (r: WorkerResult) => string, target = '', met = ''): string[] => [figure, ...all.map(f), target, met];
  const rows: string[][] = [
    row('events pushed', (r) => int(r.events)),
    row(`feed time (${int(BATCH)} events per ${TICK_MS} ms tick)`, (r) => ms(r.feedMs)),
    row('time until the last event is on screen', (r) => ms(r.totalMs)),
    row('event → screen latency p50', (r) => ms(r.latency.p50)),
    row('event → screen latency p99', (r) => ms(r.latency.p99), `< ${P99_TARGET_MS} ms`, metText(medianP99 < P99_TARGET_MS)),
    row('event → screen latency max', (r) => ms(r.latency.max)),
    row('events never on screen (10 s after the last push)', (r) => int(r.latency.unshown), '0', metText(con.latency.unshown === 0)),
    row('frames rendered (console) / lines written (plain)', (r) => int(r.frames)),
    row('writes to the output stream', (r) => int(r.writes)),
    row('bytes written', (r) => `${int(r.bytes)} (${mb(r.bytes)})`),
    row('RSS after start-up, before the feed', (r) => mb(r.startRss)),
    row('peak RSS (maxRSS of the process)', (r) => mb(r.peakRss), `< ${RSS_TARGET_MB} MB`, metText(rssMB < RSS_TARGET_MB)),
    row('  peak V8 heap used / total', (r) => `${mb(r.memory.heapUsed)} / ${mb(r.memory.heapTotal)}`),
    row('  peak external (Yoga WebAssembly memory, buffers)', (r) => mb(r.memory.external)),
    row('event-loop delay p99 / max', (r) => `${ms(r.loopDelay.p99)} / ${ms(r.loopDelay.max)}`),
  ];
  const text = [
    table(['figure', 'console (as run)', 'console, React dev build', 'bare Ink screen', "bare Ink, console's flags", 'plain lines (bare)', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l']),
    '',
    `  Stream: ${int(TOTAL_EVENTS)} apply events for ${int(RESOURCES)} resources (start, progress every round, provisioner lines, complete; shapes from test/fixtures/tf-json),`,
    '  parsed by the real TfJsonStreamParser on every side, plus operation start/end, version and change_summary. Each side is its own process.',
    `  Console: real Store, Controller (engine constructed, never run) and <App> rendered by Ink 8 into a fake ${COLUMNS}×${ROWS} TTY`,
    '  (maxFps 30, incrementalRendering, alternateScreen, interactive). An event is on screen when Ink has rendered a frame from a',
    '  store state that contains it (written, or unchanged because the event did not change what is visible).',
    `  "as run": NODE_ENV=production, as main.ts sets it for the console (React production build), and Node's flags as the launchers start it`,
    `  (node ${CONSOLE_FLAGS.join(' ')}) and V8's settings it makes once open (src/core/heap-settings.ts: no allocation-site pretenuring);`,
    `  ${CONSOLE_RUNS} runs, each its own process: the column is the run of median peak RSS; the targets are the medians`,
    '  of the runs. The React dev build runs once, with the same flags. "bare Ink, console\'s flags": the bare Ink screen with those flags.',
    `  The console's ${CONSOLE_RUNS} runs (peak RSS / latency p99): ${runs.map((r) => `${mb(r.peakRss)} / ${ms(r.latency.p99)}`).join('; ')}.`,
    `  Bare Ink screen: no project code but the fake TTY; a component draws the newest ${ROWS - 1} messages, one per line, over the whole`,
    '  frame, notified at most every 16 ms (as the Store), Ink with the console\'s options, React production build: the floor of any Ink',
    '  screen under this stream (Node, React, Ink, Yoga).',
    `  Final state check: console ${con.check}; bare Ink ${ink.check}; bare Ink with flags ${inkFlags.check}; plain ${plain.check}.`,
    '',
    table(['keystroke → frame (console as run)', 'presses', 'p50', 'p99', 'max', 'missed'], keyRows(k), ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
    '  A key is pressed as App handles it (`press` with App\'s context), once Ink\'s 30-fps throttle has elapsed since the previous',
    '  frame; the time is to Ink\'s next frame (drawn from a state that holds the key). During the apply: the stream above fed over',
    `  ~20 s, ${int(TOTAL_EVENTS)} events for ${int(RESOURCES)} resources (rows growing to 1,000 and changing). At rest: after it. What the panes held at rest:`,
    `  ${Object.entries(k.restPanes).map(([p, what]) => `${p} ${what}`).join('; ')} (no AWS, cluster or history here: those panes draw their empty state;`,
    '  their keys over real rows are in the instances, large-plan, state and history benchmarks).',
  ].join('\n');
  const targets: TargetCheck[] = [
    { figure: `screen: event → screen latency p99 (median of ${CONSOLE_RUNS})`, value: ms(medianP99), target: `< ${P99_TARGET_MS} ms`, met: medianP99 < P99_TARGET_MS },
    { figure: `screen: peak RSS under 100k events (median of ${CONSOLE_RUNS})`, value: mb(medianRss), target: `< ${RSS_TARGET_MB} MB`, met: rssMB < RSS_TARGET_MB },
  ];
  return { name: 'screen-load', title: `Screen under load: ${int(TOTAL_EVENTS)} events into the console vs plain lines`, text, targets };
}
