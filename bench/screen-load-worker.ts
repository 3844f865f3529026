/**
 * One side of the screen-load benchmark, in a process of its own so that its peak RSS is its own
 * (bench/screen-load.ts forks it twice and prints the two side by side):
 *
 * - `console`: the real console screen: a Store, a Controller whose engine is a real (never run)
 *   Engine, and `<App>` rendered by Ink into a fake 160×48 TTY with the console's render options;
 * - `ink`: the floor of any Ink screen under this stream: a bare Ink program (no project code but
 *   the fake TTY) drawing the newest events' messages, one per line, over the whole 160×48 frame,
 *   with the console's render options, fed and measured exactly as the console;
 * - `plain`: what the bare tool costs to show: one line per event (Terraform's own `@message`
 *   rendering) written to a null stream.
 *
 * With `keys` (console only), the feed is slower (~20 s) and keys are pressed during it and at
 * rest after it, each timed to Ink's next frame ({@link KeyFigures}).
 *
 * All sides get the same events: a synthetic `apply -json` stream (bench/lib/tf-stream.ts) parsed
 * by the real TfJsonStreamParser, 1,000 events per 10 ms tick. Sends its figures to the parent
 * over IPC.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineEvent } from '../src/services/terraform/engine.js';
import { TfJsonStreamParser } from '../src/services/terraform/events.js';
import { keyContextFor, renderHeadless } from './lib/headless-console.js';
import { percentiles } from './lib/report.js';
import { ApplyStream, TOTAL_EVENTS } from './lib/tf-stream.js';
import { workerMain } from './lib/worker-main.js';
import { idleEngine } from './lib/idle-engine.js';

export const BATCH = 1_000;
/**
 * With `keys`: events per tick, so that the same 100,000-event apply of 1,000 resources lasts
 * ~20 s (5,000 events a second: still far more than Terraform sends) while keys are pressed.
 */
export const KEYS_BATCH = 50;
/** Ink's render throttle at maxFps 30 is 34 ms; a key is pressed this long after the previous key's frame. */
const KEY_GAP_MS = 36;
/** A key whose frame has not come after this long counts as missed. */
const KEY_FRAME_TIMEOUT_MS = 5_000;
/** At rest: presses of each pane's number key (each from another pane), and of Down in the Plan pane. */
export const REST_PRESSES = 40;
export const TICK_MS = 10;
export const COLUMNS = 160;
export const ROWS = 48;
/** How long to wait after the last push for every event to reach the screen. */
const DRAIN_TIMEOUT_MS = 10_000;

export type Side = 'console' | 'ink' | 'plain';

/** What a worker reports. Times in ms, sizes in bytes. */
export interface WorkerResult {
  side: Side;
  events: number;
  /** From the first push to the last push. */
  feedMs: number;
  /** From the first push until the last event was on screen (written). */
  totalMs: number;
  latency: { p50: number; p99: number; max: number; shown: number; unshown: number };
  /** console: Ink render passes (onRender); plain: lines written. */
  frames: number;
  /** Writes to the output stream (console: without the bare synchronized-update markers). */
  writes: number;
  bytes: number;
  /** process.resourceUsage().maxRSS over the whole worker. */
  peakRss: number;
  /** RSS after start-up and the first frame, before the feed. */
  startRss: number;
  /** Peaks of memoryUsage() fields during the feed and the drain. */
  memory: MemoryPeaks;
  loopDelay: { p99: number; max: number };
  /** A check that the final state is what the stream says (console: rows done). */
  check: string;
  /** With `keys`: press → next frame latencies (ms) by what was pressed where. */
  keys?: KeyFigures;
}

/** Latency (ms) of key presses, press → Ink's next frame; `missed`: no frame within 5 s. */
export interface KeyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  missed: number;
}

/** What the keys mode measures. */
export interface KeyFigures {
  /** During the apply: Down in the Plan pane (its rows growing to 1,000 and changing). */
  duringApplyDown: KeyStats;
  /** During the apply: the number keys, a pane switch each. */
  duringApplySwitch: KeyStats;
  /** At rest after the apply: each pane's number key (switching to it from the previous pane), by pane title. */
  restSwitch: Record<string, KeyStats>;
  /** At rest: Down in the Plan pane over its 1,000 rows. */
  restDown: KeyStats;
  /** What each pane shows at rest (rows or its message), so the reader knows what was drawn. */
  restPanes: Record<string, string>;
}


/** Peaks of process.memoryUsage() fields, sampled once per tick of the feed and at its end. */
export interface MemoryPeaks {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** external (includes arrayBuffers: Yoga's WebAssembly memory, Buffers). */
  external: number;
}

function sampleMemory(m: MemoryPeaks): void {
  const u = process.memoryUsage();
  m.rss = Math.max(m.rss, u.rss);
  m.heapUsed = Math.max(m.heapUsed, u.heapUsed);
  m.heapTotal = Math.max(m.heapTotal, u.heapTotal);
  m.external = Math.max(m.external, u.external);
}

/** The feed: pushes the stream's events in batches on a fixed 10 ms cadence (catching up when late). */
async function feed(deliver: (e: EngineEvent) => void, mem: MemoryPeaks, batch = BATCH): Promise<void> {
  const stream = new ApplyStream();
  const parser = new TfJsonStreamParser();
  deliver({ kind: 'operation-start', operation: 'apply', at: Date.now() });
  const t0 = performance.now();
  let k = 0;
  let tick = 0;
  await new Promise<void>((resolve, reject) => {
    const step = (): void => {
      try {
        const ts = new Date().toISOString();
        const lines: string[] = [];
        if (k === 0) lines.push(stream.versionLine(ts));
        const end = Math.min(TOTAL_EVENTS, k + batch);
        for (; k < end; k++) lines.push(stream.line(k, ts));
        if (k >= TOTAL_EVENTS) lines.push(stream.summaryLine(ts));
        for (const event of parser.push(lines.join('\n') + '\n')) deliver({ kind: 'tf', operation: 'apply', event });
        sampleMemory(mem);
        if (k >= TOTAL_EVENTS) {
          for (const event of parser.end()) deliver({ kind: 'tf', operation: 'apply', event });
          const durationMs = Math.round(performance.now() - t0);
          deliver({ kind: 'operation-end', operation: 'apply', ok: true, exitCode: 0, cancelled: false, durationMs, at: Date.now() });
          resolve();
          return;
        }
        tick++;
        setTimeout(step, Math.max(0, t0 + tick * TICK_MS - performance.now()));
      } catch (err) {
        reject(err as Error);
      }
    };
    setTimeout(step, 0);
  });
}

const CAPACITY = TOTAL_EVENTS + 16;

/**
 * What the two Ink sides measure alike: each event's push time; the store's (or the component's)
 * notification, which hands the events pushed so far to React; Ink's frames, each of which shows
 * the events of the last notification before it (their latency); the output, RSS, heap and
 * event-loop delay over the feed and the drain.
 */
class ScreenMeter {
  private readonly push = new Float64Array(CAPACITY);
  private readonly lat = new Float64Array(CAPACITY);
  pushed = 0;
  /** Events handed to React by the last notification. */
  private notified = 0;
  private shown = 0;
  private lastShownAt = 0;
  private frames = 0;
  lastFrameAt = 0;
  private waiters: ((at: number) => void)[] = [];
  private before = { frames: 0, writes: 0, bytes: 0, rss: 0 };
  private t0 = 0;
  private feedEnd = 0;
  private loop = monitorEventLoopDelay({ resolution: 5 });
  readonly memory: MemoryPeaks = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };

  /** An event is about to be delivered (call before delivering it). */
  pushing(): void {
    this.push[this.pushed++] = performance.now();
  }
  /** The events pushed so far are handed to React (the next frame is rendered from them). */
  notify(): void {
    this.notified = this.pushed;
  }
  /** Ink's onRender: the tree was rendered and the frame written (or found unchanged). */
  readonly frame = (): void => {
    this.frames++;
    const now = performance.now();
    if (this.shown < this.notified) {
      for (; this.shown < this.notified; this.shown++) this.lat[this.shown] = now - this.push[this.shown]!;
      this.lastShownAt = now;
    }
    this.lastFrameAt = now;
    for (const w of this.waiters.splice(0)) w(now);
  };
  /** The time of Ink's next frame. */
  nextFrame(): Promise<number> {
    return new Promise((r) => this.waiters.push(r));
  }
  /** Starts the measured part (after the first frame): counters, RSS, the event-loop monitor. */
  begin(stdout: { writes: number; bytes: number }): void {
    this.before = { frames: this.frames, writes: stdout.writes, bytes: stdout.bytes, rss: process.memoryUsage().rss };
    this.loop.enable();
    this.t0 = performance.now();
  }
  /** The feed has ended: waits (sampling memory) until every event is on screen, at most {@link DRAIN_TIMEOUT_MS}. */
  async drain(): Promise<void> {
    this.feedEnd = performance.now();
    const deadline = this.feedEnd + DRAIN_TIMEOUT_MS;
    while (this.shown < this.pushed && performance.now() < deadline) {
      await sleep(5);
      sampleMemory(this.memory);
    }
    this.loop.disable();
  }
  /** The side's figures (call after {@link drain}, before unmounting). */
  result(side: Side, stdout: { writes: number; bytes: number }, check: string): WorkerResult {
    const [p50, p99, max] = percentiles(this.lat.subarray(0, this.shown), [50, 99, 100]);
    return {
      side,
      events: this.pushed,
      feedMs: this.feedEnd - this.t0,
      totalMs: (this.shown === this.pushed ? this.lastShownAt : performance.now()) - this.t0,
      latency: { p50: p50!, p99: p99!, max: max!, shown: this.shown, unshown: this.pushed - this.shown },
      frames: this.frames - this.before.frames,
      writes: stdout.writes - this.before.writes,
      bytes: stdout.bytes - this.before.bytes,
      peakRss: process.resourceUsage().maxRSS * 1024,
      startRss: this.before.rss,
      memory: this.memory,
      loopDelay: { p99: this.loop.percentile(99) / 1e6, max: this.loop.max / 1e6 },
      check,
    };
  }
}

async function runConsole(workDir: string, withKeys = false): Promise<WorkerResult> {
  const { Store } = await import('../src/state/store.js');
  const { Controller } = await import('../src/state/controller.js');
  // The engine's (never used) directories live in a temp dir the parent made and removes.
  const engine = await idleEngine(workDir, { environment: 'bench' });
  const backend = engine.config.backend;
  const store = new Store({
    environment: 'bench',
    account: '123456789012',
    region: 'us-east-1',
    backend: `s3://${backend.bucket}/${backend.key} (kms ${backend.kmsKeyId}, lockfile)`,
    engine: 'terraform 1.11.4',
    credentials: 'local emulator (dummy credentials)',
    local: 'local emulator http://127.0.0.1:5000',
  });

  const meter = new ScreenMeter();
  // Subscribed before the App mounts, so it runs first in every notification: no event is pushed
  // between this and the React render that follows it (both run in the store's timer callback).
  store.subscribe(() => meter.notify());
  const controller = new Controller(store, { environment: 'bench', engine, readLock: async () => ({ kind: 'free' }) });
  controller.start();
  const { ink, stdout } = await renderHeadless(controller, { columns: COLUMNS, rows: ROWS, onRender: meter.frame });
  // As the console does once an environment is open (src/cli/console.tsx).
  const { tuneHeapForTheConsole } = await import('../src/core/heap-settings.js');
  tuneHeapForTheConsole();
  await sleep(300); // the first frame and the controller's "Ready" message
  meter.begin(stdout);
  const keys = withKeys ? await keyPresser(controller, () => meter.lastFrameAt, () => meter.nextFrame()) : undefined;
  let feeding = true;
  const fed = feed(
    (e) => {
      meter.pushing();
      store.onEngineEvent(e);
    },
    meter.memory,
    withKeys ? KEYS_BATCH : BATCH,
  ).finally(() => (feeding = false));
  const during = keys?.duringApply(() => feeding);
  await fed;
  await meter.drain();
  const keyFigures = keys ? { ...(await during)!, ...(await keys.atRest()) } : undefined;

  const s = store.state;
  const done = s.plan.rows.filter((r) => r.status === 'done').length;
  const result = meter.result('console', stdout, `${s.plan.rows.length} rows, ${done} done, summary ${s.plan.summary ? `+${s.plan.summary.add}` : 'missing'}, log ${s.log.pushed} lines pushed (${s.log.length} kept)`);
  ink.unmount();
  await ink.waitUntilExit().catch(() => {});
  controller.stop();
  return { ...result, ...(keyFigures ? { keys: keyFigures } : {}) };
}

/**
 * Presses keys in the headless console as App would (`press` with App's context), each once Ink's
 * render throttle has elapsed since the previous frame, and times press → Ink's next frame (the
 * first frame after a press is drawn from a state that holds it: the press changes the store
 * synchronously).
 */
async function keyPresser(controller: import('../src/state/controller.js').Controller, lastFrameAt: () => number, nextFrame: () => Promise<number>) {
  const { press } = await import('../src/ui/keys/input.js');
  const { PANE_LIST } = await import('../src/panes/ids.js');
  const { paneOf } = await import('../src/panes/index.js');
  const ctx = await keyContextFor(controller, COLUMNS, ROWS);
  const store = controller.store;
  type Sample = { lat: number[]; missed: number };
  const sample = (): Sample => ({ lat: [], missed: 0 });
  const timed = async (key: string, into: Sample): Promise<void> => {
    const wait = lastFrameAt() + KEY_GAP_MS - performance.now();
    if (wait > 0) await sleep(wait);
    const frame = nextFrame();
    const t = performance.now();
    press(ctx, key);
    const at = await Promise.race([frame, sleep(KEY_FRAME_TIMEOUT_MS).then(() => Number.NaN)]);
    if (Number.isFinite(at)) into.lat.push(at - t);
    else into.missed++;
  };
  const stats = (x: Sample): KeyStats => {
    const [p50, p99, max] = x.lat.length ? percentiles(x.lat, [50, 99, 100]) : [Number.NaN, Number.NaN, Number.NaN];
    return { count: x.lat.length + x.missed, p50: p50!, p99: p99!, max: max!, missed: x.missed };
  };
  const numberKey = (id: string) => String(PANE_LIST.findIndex((p) => p.id === id) + 1);
  return {
    /** While `on()`: Down in the Plan pane; every tenth time, a switch to Instances and back (both timed). */
    async duringApply(on: () => boolean): Promise<Pick<KeyFigures, 'duringApplyDown' | 'duringApplySwitch'>> {
      const down = sample();
      const sw = sample();
      for (let i = 0; on(); i++) {
        if (i % 10 === 9) {
          await timed(numberKey('instances'), sw);
          await timed(numberKey('plan'), sw);
        } else await timed('Down', down);
      }
      return { duringApplyDown: stats(down), duringApplySwitch: stats(sw) };
    },
    /** Each pane's number key from the previous pane, {@link REST_PRESSES} rounds; then Down ×5·REST_PRESSES in the Plan pane from its top. */
    async atRest(): Promise<Pick<KeyFigures, 'restSwitch' | 'restDown' | 'restPanes'>> {
      const per = new Map(PANE_LIST.map((p) => [p.title, sample()]));
      const restPanes: Record<string, string> = {};
      for (let round = 0; round < REST_PRESSES; round++) {
        for (const p of PANE_LIST) {
          await timed(numberKey(p.id), per.get(p.title)!);
          if (store.state.pane !== p.id) throw new Error(`the ${p.title} pane's key did not switch to it`);
          if (round === 0) restPanes[p.title] = `${paneOf(p.id).rowCount(store.state)} rows`;
        }
      }
      await timed(numberKey('plan'), sample());
      const down = sample();
      for (let i = 0; i < 5 * REST_PRESSES; i++) await timed('Down', down);
      restPanes['Plan/Apply'] += `, Down went to row ${store.state.selected}`;
      return { restSwitch: Object.fromEntries([...per].map(([t, x]) => [t, stats(x)])), restDown: stats(down), restPanes };
    },
  };
}

/**
 * The bare Ink side: the newest {@link ROWS}−1 messages (a ring) drawn one per line by a component
 * that subscribes to them, notified at most every 16 ms as the console's Store does; Ink renders at
 * most 30 frames a second into the same fake TTY. Latency as the console's: an event is on screen
 * when a frame rendered from a notification that included it.
 */
async function runInk(): Promise<WorkerResult> {
  const React = await import('react');
  const { Box, render, Text } = await import('ink');
  const { FakeTty } = await import('./lib/headless-console.js');
  const { CONSOLE_RENDER_OPTIONS } = await import('../src/cli/console.js');
  const { PassThrough } = await import('node:stream');
  const height = ROWS - 1;
  const ring: string[] = new Array<string>(height).fill('');
  let next = 0;
  let version = 0;
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let added = 0;
  const meter = new ScreenMeter();
  const notify = () => {
    timer = undefined;
    meter.notify();
    version++;
    for (const l of listeners) l();
  };
  function Screen(): React.ReactElement {
    const v = React.useSyncExternalStore(
      (l) => (listeners.add(l), () => listeners.delete(l)),
      () => version,
    );
    const lines: React.ReactElement[] = [];
    for (let i = 0; i < height; i++) lines.push(React.createElement(Text, { key: i, wrap: 'truncate' }, `${String(v).padStart(6)} ${ring[(next + i) % height]}`));
    return React.createElement(Box, { flexDirection: 'column', width: COLUMNS, height: ROWS }, ...lines);
  }
  const stdout = new FakeTty(COLUMNS, ROWS);
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
  const ink = render(React.createElement(Screen), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream,
    ...CONSOLE_RENDER_OPTIONS,
    onRender: meter.frame,
  });
  await sleep(300);
  meter.begin(stdout);
  await feed((e) => {
    meter.pushing();
    let line: string;
    if (e.kind === 'tf') {
      line = e.event.message;
      if (e.event.type === 'change_summary') added = e.event.add;
    } else line = `── ${e.kind}`;
    ring[next] = line;
    next = (next + 1) % height;
    timer ??= setTimeout(notify, 16);
  }, meter.memory);
  await meter.drain();
  const result = meter.result('ink', stdout, '');
  ink.unmount();
  await ink.waitUntilExit().catch(() => {});
  return { ...result, check: `${result.frames} frames, summary +${added}` };
}

async function runPlain(): Promise<WorkerResult> {
  let bytes = 0;
  let writes = 0;
  const out = new Writable({
    decodeStrings: false,
    write(chunk: string, _e, cb) {
      writes++;
      bytes += Buffer.byteLength(chunk);
      cb();
    },
  });
  const lat = new Float64Array(CAPACITY);
  let pushed = 0;
  let added = 0;
  await sleep(300);
  const startRss = process.memoryUsage().rss;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const memory: MemoryPeaks = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  const t0 = performance.now();
  let lastAt = t0;
  await feed((e) => {
    const at = performance.now();
    let line: string;
    if (e.kind === 'tf') {
      line = e.event.message;
      if (e.event.type === 'change_summary') added = e.event.add;
    } else if (e.kind === 'operation-start') line = `── ${e.operation}`;
    else if (e.kind === 'operation-end') line = `── ${e.operation} done`;
    else line = e.kind;
    out.write(line + '\n');
    lastAt = performance.now();
    lat[pushed++] = lastAt - at;
  }, memory);
  const feedEnd = performance.now();
  loop.disable();
  const [p50, p99, max] = percentiles(lat.subarray(0, pushed), [50, 99, 100]);
  return {
    side: 'plain',
    events: pushed,
    feedMs: feedEnd - t0,
    totalMs: lastAt - t0,
    latency: { p50: p50!, p99: p99!, max: max!, shown: pushed, unshown: 0 },
    frames: writes,
    writes,
    bytes,
    peakRss: process.resourceUsage().maxRSS * 1024,
    startRss,
    memory,
    loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    check: `${writes} lines, summary +${added}`,
  };
}

/** The worker's arguments (JSON, argv[2]), as bench/screen-load passes them. */
export interface WorkerArgs {
  side: Side;
  workDir: string;
  /** console only: the keys mode (a ~20 s feed of the same stream while keys are pressed, then keys at rest). */
  keys?: boolean;
}

workerMain<WorkerArgs, WorkerResult>(import.meta.url, 'screen-load-worker.js \'{"side":"console"|"ink"|"plain","workDir":DIR}\' (forked by bench/screen-load)', async ({ side, workDir, keys }) => {
  if ((side !== 'console' && side !== 'ink' && side !== 'plain') || !workDir) throw new Error(`bad arguments: side ${String(side)}, workDir ${String(workDir)}`);
  return side === 'console' ? runConsole(workDir, keys === true) : side === 'ink' ? runInk() : runPlain();
});
