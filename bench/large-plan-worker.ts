/**
 * The console side of the large-plan benchmark, in a process of its own so that its peak RSS is
 * its own (bench/large-plan.ts forks it once per measured run):
 *
 * 1. start-up, untimed: a Store, a Controller over a FAKE target (a real Engine that is never run,
 *    the lock always free) and `<App>` rendered by Ink into a fake 160×48 TTY with the console's
 *    render options; the pane is told that a plan ran (operation-start / operation-end, as the
 *    engine reports the `terraform plan` process; its streamed messages are not fed, so the
 *    pane's rows come from the saved plan's model below);
 * 2. timed: `terraform show -json -no-color PLANFILE` through the console's own runner
 *    (runTerraform, as Engine.plan runs it), `parsePlanJson`, the `plan` engine event into the
 *    Store, until Ink has written the first frame that holds the rows (the first row's address
 *    and "saved plan ready");
 * 3. with `keys`: per-key latency on that pane: `press(ctx, key)` with a context built as App's
 *    `ctx` builds it, until Ink's next frame. Keys are pressed once Ink's 30-fps render throttle
 *    has elapsed since the previous frame, so the figure is the handling and the render, not the
 *    throttle's wait (keys arriving faster than 30/s would wait for it too).
 *
 * Sends its figures to the parent over IPC.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyContextFor, renderHeadless } from './lib/headless-console.js';
import { percentiles } from './lib/report.js';
import { workerMain } from './lib/worker-main.js';
import { idleEngine } from './lib/idle-engine.js';

export const COLUMNS = 160;
export const ROWS = 48;
/** Ink's render throttle at maxFps 30 is 34 ms; keys are pressed this long after the last frame. */
const KEY_GAP_MS = 36;
/** A key whose frame has not come after this long counts as missed. */
const KEY_FRAME_TIMEOUT_MS = 5_000;
/** Measured presses of each key. */
export const PRESSES = 200;

/** What the parent asks for. */
export interface WorkerArgs {
  terraform: string;
  /** The root module (cwd of `terraform show`). */
  cwd: string;
  planFile: string;
  /** The environment of `terraform show` (the same as the bare runs'). */
  tfEnv: Record<string, string>;
  /** A temp dir for the (never run) engine's directories. */
  workDir: string;
  /** Resource changes the model must have, and the address of the first row. */
  expectChanges: number;
  firstAddress: string;
  /** Also measure the per-key latency. */
  keys: boolean;
}

export type KeyId = 'Down' | 'Enter' | 'Esc' | 'n';

/** Latency of one key (ms): press → Ink's next frame; `sync` is press() alone. */
export interface KeyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  syncP50: number;
  syncP99: number;
  /** Ink's own render time (layout + output) of those frames, p99. */
  inkP99: number;
  /** Presses whose action was not the expected one, or whose frame never came. */
  wrong: number;
}

/** What a worker reports. Times in ms, sizes in bytes. */
export interface WorkerResult {
  /** Spawn of `terraform show` → its close (all output read), in the console's runner. */
  showMs: number;
  /** Characters of show's stdout (ASCII: bytes). */
  showBytes: number;
  parseMs: number;
  /** The `plan` engine event → the first frame with the rows (store notification, React, Ink). */
  toFrameMs: number;
  /** Spawn → first frame with the rows. */
  totalMs: number;
  /** maxRSS when the first frame with the rows was written. */
  rssAtFrame: number;
  /** maxRSS at the end (after the keys, when measured). */
  rssEnd: number;
  /** V8 heap used just after the frame. */
  heapAtFrame: number;
  keys?: Record<KeyId, KeyStats>;
  /** Check of the state: rows, changes, summary, checks of the keys. */
  check: string;
}


const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

/** `p`, or `fallback` after `ms` (the timer is cleared either way). */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}

async function run(a: WorkerArgs): Promise<WorkerResult> {
  const { Store, topOverlay } = await import('../src/state/store.js');
  const { Controller } = await import('../src/state/controller.js');
  const { runTerraform } = await import('../src/services/terraform/runner.js');
  const { parsePlanJson } = await import('../src/services/terraform/plan-model.js');
  const { press } = await import('../src/ui/keys/input.js');
  const { planLines } = await import('../src/panes/plan/slice.js');

  // The fake target: a real Engine that is never run (the Controller subscribes to it), the lock free.
  const dir = a.workDir;
  const engine = await idleEngine(dir, { environment: 'bench', terraform: a.terraform });
  const store = new Store({
    environment: 'bench',
    account: '123456789012',
    region: 'us-east-1',
    backend: 'local state (benchmark)',
    engine: 'terraform 1.11.4',
    credentials: 'none (benchmark)',
  });
  const controller = new Controller(store, { environment: 'bench', engine, readLock: async () => ({ kind: 'free' }) });
  controller.start();

  let lastFrameAt = 0;
  let lastInkMs = 0;
  let waiters: ((at: number) => void)[] = [];
  let onFrameCheck: (() => void) | undefined;
  const onFrame = ({ renderTime }: { renderTime: number }): void => {
    lastFrameAt = performance.now();
    lastInkMs = renderTime;
    onFrameCheck?.();
    const w = waiters;
    waiters = [];
    for (const f of w) f(lastFrameAt);
  };
  const nextFrame = (): Promise<number> => new Promise((resolve) => waiters.push(resolve));

  const { ink, stdout } = await renderHeadless(controller, { columns: COLUMNS, rows: ROWS, onRender: onFrame });
  await sleep(300); // the first frame and the controller's "Ready" message

  // The plan process as the engine reports it (its streamed messages are not fed).
  const planStart = Date.now();
  store.onEngineEvent({ kind: 'operation-start', operation: 'plan', at: planStart });
  store.onEngineEvent({ kind: 'operation-end', operation: 'plan', ok: true, exitCode: 2, cancelled: false, durationMs: 1, at: planStart + 1 });
  await sleep(200);

  // ---- timed: show -json → model → store → first frame with the rows
  stdout.captured = '';
  stdout.capturing = true;
  let frameAt = 0;
  const framed = new Promise<void>((resolve) => {
    onFrameCheck = () => {
      if (frameAt) return;
      const text = stdout.captured.replace(ANSI, '');
      if (text.includes(a.firstAddress) && text.includes('saved plan ready')) {
        frameAt = lastFrameAt;
        onFrameCheck = undefined;
        resolve();
      }
    };
  });
  const t0 = performance.now();
  const proc = runTerraform(a.terraform, ['show', '-json', '-no-color', a.planFile], {
    cwd: a.cwd,
    env: a.tfEnv,
    json: false,
    onStderr: (line) => store.onEngineEvent({ kind: 'stderr', operation: 'plan', line }),
  });
  const show = await proc.done;
  const tShow = performance.now();
  if (show.exitCode !== 0) throw new Error(`terraform show -json exited ${show.exitCode}: ${show.stderr.slice(-2000)}`);
  const plan = parsePlanJson(show.stdout, false);
  const tParse = performance.now();
  store.onEngineEvent({ kind: 'plan', plan });
  if (!(await within(framed.then(() => true), 120_000, false))) throw new Error(`no frame with the rows (${a.firstAddress}, "saved plan ready") within 120 s of the plan event`);
  stdout.capturing = false;
  stdout.captured = '';
  const rssAtFrame = process.resourceUsage().maxRSS * 1024;
  const heapAtFrame = process.memoryUsage().heapUsed;
  const showBytes = show.stdout.length;

  const s = store.state;
  const checks: string[] = [`${s.plan.rows.length} rows`, `${plan.changes.length} changes (+${plan.summary.add} ~${plan.summary.change} -${plan.summary.destroy}, ${plan.summary.replace} replaced)`];
  if (plan.changes.length !== a.expectChanges) throw new Error(`the plan has ${plan.changes.length} resource changes, ${a.expectChanges} expected`);
  if (plan.changes[0]?.address !== a.firstAddress) throw new Error(`the first change is ${plan.changes[0]?.address}, ${a.firstAddress} expected`);

  let keys: Record<KeyId, KeyStats> | undefined;
  if (a.keys) {
    // As App's ctx (src/ui/App.tsx).
    const ctx = await keyContextFor(controller, COLUMNS, ROWS);
    const samples: Record<KeyId, { lat: number[]; sync: number[]; ink: number[]; wrong: number }> = {
      Down: { lat: [], sync: [], ink: [], wrong: 0 },
      Enter: { lat: [], sync: [], ink: [], wrong: 0 },
      Esc: { lat: [], sync: [], ink: [], wrong: 0 },
      n: { lat: [], sync: [], ink: [], wrong: 0 },
    };
    const expected: Record<KeyId, string> = { Down: 'global.down', Enter: 'plan.diff', Esc: 'view.close', n: 'diff.next' };
    /** Presses `key` once the render throttle has elapsed; records it when `record`. */
    const key = async (k: KeyId, record: boolean): Promise<void> => {
      const wait = lastFrameAt + KEY_GAP_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const frame = nextFrame();
      const k0 = performance.now();
      const id = press(ctx, k);
      const k1 = performance.now();
      const at = await within(frame, KEY_FRAME_TIMEOUT_MS, Number.NaN);
      if (!record) return;
      const x = samples[k];
      if (id !== expected[k] || !Number.isFinite(at)) x.wrong++;
      if (Number.isFinite(at)) {
        x.lat.push(at - k0);
        x.ink.push(lastInkMs);
      }
      x.sync.push(k1 - k0);
    };
    // Enter opens the selected row's diff (a new one each time: Down between), Esc closes it.
    // On a module's header Enter folds it (and Esc has nothing to close): the timed Enter is always
    // pressed on a resource row, the headers stepped over by untimed Downs.
    const onHeader = () => planLines(store.state)[store.state.selected]?.kind === 'module';
    let diffsOpened = 0;
    for (let i = 0; i < PRESSES; i++) {
      while (onHeader()) await key('Down', false);
      await key('Enter', true);
      const top = topOverlay(store.state);
      if (top?.kind === 'diff') diffsOpened++;
      await key('Esc', true);
      await key('Down', true);
    }
    const selectedAfterDown = store.state.selected;
    // n in the diff: the next changed resource, 200 times.
    while (onHeader()) await key('Down', false);
    await key('Enter', false);
    const from = (topOverlay(store.state) as { address?: string } | undefined)?.address ?? '?';
    for (let i = 0; i < PRESSES; i++) await key('n', true);
    const to = (topOverlay(store.state) as { address?: string } | undefined)?.address ?? '?';
    const selectedAfterN = store.state.selected;
    await key('Esc', false);
    checks.push(`keys: ${diffsOpened} diffs opened, selection ${selectedAfterDown} after the Downs, n from ${from} to ${to} (row ${selectedAfterN})`);
    const stats = (x: { lat: number[]; sync: number[]; ink: number[]; wrong: number }): KeyStats => {
      const [p50, p99, max] = percentiles(x.lat, [50, 99, 100]);
      const [s50, s99] = percentiles(x.sync, [50, 99]);
      const [i99] = percentiles(x.ink, [99]);
      return { count: x.sync.length, p50: p50!, p99: p99!, max: max!, syncP50: s50!, syncP99: s99!, inkP99: i99!, wrong: x.wrong };
    };
    keys = { Down: stats(samples.Down), Enter: stats(samples.Enter), Esc: stats(samples.Esc), n: stats(samples.n) };
  }

  ink.unmount();
  await ink.waitUntilExit().catch(() => {});
  controller.stop();
  return {
    showMs: tShow - t0,
    showBytes,
    parseMs: tParse - tShow,
    toFrameMs: frameAt - tParse,
    totalMs: frameAt - t0,
    rssAtFrame,
    rssEnd: process.resourceUsage().maxRSS * 1024,
    heapAtFrame,
    ...(keys ? { keys } : {}),
    check: checks.join('; '),
  };
}

workerMain<WorkerArgs, WorkerResult>(import.meta.url, 'large-plan-worker.js JSON-ARGS (forked by bench/large-plan)', run);
