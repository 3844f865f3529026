/**
 * The console side of the state benchmark, in a process of its own so that its peak RSS is its
 * own (bench/state.ts forks one per measured round):
 *
 * 1. start-up, untimed: a real Session (`openSession`, local mode: the benchmark's private moto,
 *    found through PLATFORM_LOCAL_DIR; the workspace's profile, root module and work dir), a Store,
 *    a Controller over that session (as the console builds it, without the AWS, SSH, Cluster and
 *    History controllers, which the State pane does not use) and `<App>` rendered by Ink into a
 *    fake 160×48 TTY with the console's render options; everything Ink writes also goes into a
 *    virtual screen (bench/lib/vt.ts), so the checks are on what is on screen;
 * 2. timed: `7` pressed (the registry's `press`, as a key does: `showPane('state')`), until Ink
 *    has written the first frame whose screen shows the State pane's rows: the title with 10,000
 *    resources, 50 modules and the state's serial, and the table's first screenful exactly as the
 *    state holds it (module headers and addresses, the `1-N of 10050` footer). The split comes
 *    from wrappers on this session's own objects (no change to src/): `engine.init` (the console's
 *    init check before every Terraform command), `engine.statePull` (`terraform state pull`
 *    through the console's runner) and `StateService.read` (pull + parseState);
 * 3. with `keys`: the `/` filter: `/`, then a filter typed character by character (a module name,
 *    then part of an address), 8 Backspaces, Esc, over again until 200 characters have been typed;
 *    each key pressed once Ink's 30-fps render throttle (34 ms) has elapsed since the last frame,
 *    timed from `press(ctx, key)` (ctx built as App's) to the first frame whose screen shows the
 *    right result: the filter line, the title's count, and the table's rows compared with the
 *    matches computed here from the generated configuration (not from the console's own filter).
 *    A frame that does not show it does not count: the wait goes on to the next frame (counted as
 *    late); a key whose right frame never comes counts as wrong.
 *
 * Sends its figures to the parent over IPC.
 */
import { writeFile } from 'node:fs/promises';
import { Session as Inspector } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyContextFor, renderHeadless } from './lib/headless-console.js';
import { addressOf, idOf, MODULES, modName, PER_MODULE, RESOURCES } from './lib/large-config.js';
import { childrenCpuMs } from './lib/proc.js';
import { percentiles } from './lib/report.js';
import { VirtualScreen } from './lib/vt.js';
import { workerMain } from './lib/worker-main.js';

export const COLUMNS = 160;
export const ROWS = 48;
/** Ink's render throttle at maxFps 30 is 34 ms; keys are pressed this long after the last frame. */
const KEY_GAP_MS = 36;
/** A key whose right frame has not come after this long counts as wrong. */
const KEY_FRAME_TIMEOUT_MS = 5_000;
/** Characters typed into the filter line (measured). */
export const TYPED = 200;
/** Backspaces after each filter (they widen it: no narrowing from the previous result). */
const BACKSPACES = 8;
/** Width of the RESOURCE column at 160 columns (the Table's flex column: 160 − 98 fixed − 1). */
const RESOURCE_WIDTH = COLUMNS - (31 + 17 + 37 + 13) - 1;

/** What the parent asks for. */
export interface WorkerArgs {
  environment: string;
  /** The state's serial and lineage as the backend holds it (Terraform gives a pushed state the backend's lineage). */
  serial: number;
  lineage: string;
  /** Also measure the filter keys. */
  keys: boolean;
  /** Write a CPU profile of the timed first frame (showPane → frame) into this directory. */
  profileDir?: string;
  round: number;
}

export type FilterKey = 'type' | 'Backspace' | 'open' | 'Esc';

/** Latency of one kind of key (ms): press → the first frame that shows its result; `sync` is press() alone. */
export interface KeyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  syncP50: number;
  syncP99: number;
  /** Ink's own render time (layout + output) of those frames, p99. */
  inkP99: number;
  /** CPU time (user + system, all threads) of the console process from the press to that frame, p50 / p99. */
  cpuP50: number;
  cpuP99: number;
  /** Presses whose first frame after the press did not show the result yet (a later one did). */
  late: number;
  /** Presses whose action was not the expected one, or whose right frame never came. */
  wrong: number;
}

/** One measured press, for the list of the slowest. */
export interface PressRecord {
  kind: FilterKey;
  /** The filter after the press. */
  text: string;
  /** Resources it matches. */
  matches: number;
  lat: number;
  ink: number;
  cpu: number;
  /** GC pause time (PerformanceObserver 'gc') inside press → frame. */
  gc: number;
}

/** What a worker reports. Times in ms, sizes in bytes. */
export interface WorkerResult {
  /** openSession (emulator found, bucket and key checked, STS): untimed, for context. */
  sessionMs: number;
  /** `7` pressed → first frame with the rows. */
  totalMs: number;
  /** The press → the console's `terraform state pull` call (pane switch, activate). */
  startMs: number;
  /** engine.init() inside the read: the init check (module links, hash of the module tree, marker), no terraform init. */
  initMs: number;
  /** The console's read of the state: the state object with the SDK (or `terraform state pull` through the console's runner when that fails), call → text. */
  pullMs: number;
  /** Characters of the state text. */
  pullChars: number;
  /** CPU time of `terraform state pull` (the worker's children's CPU across the timed part: it is the only child). */
  pullChildCpuMs: number;
  /** CPU time of the console process itself during the pull (chunks, spinner frames, lock poll). */
  pullOwnCpuMs: number;
  /** CPU time of the console process over the whole timed part. */
  ownCpuMs: number;
  /** StateRead.readMs as the service measures it (Date.now; init + pull). */
  readMs: number;
  /** parseState (read resolved − pull returned). */
  parseMs: number;
  /** The read resolved → the first frame with the rows (store, React, Ink). */
  toFrameMs: number;
  /** Frames written between the press and the one with the rows. */
  framesBefore: number;
  /** Ink's render time of the frame with the rows. */
  inkMs: number;
  rssAtFrame: number;
  rssEnd: number;
  heapAtFrame: number;
  /** Lines on screen in the table and the footer's total, as the first frame showed them. */
  tableRows: number;
  keys?: Record<FilterKey, KeyStats>;
  /** The slowest presses. */
  slowest?: PressRecord[];
  /** Presses with a GC pause inside their window / GC pauses during the keys: count, total ms, longest ms. */
  gc?: { presses: number; count: number; totalMs: number; maxMs: number };
  keysProfile?: string;
  /** The filters typed (each in full) and their matches. */
  filters?: string[];
  profile?: string;
  check: string;
}

/** One resource as generated (independent of the console's parse). */
interface Gen {
  m: number;
  address: string;
  id: string;
  hay: string;
}

const GENERATED: Gen[] = [];
for (let m = 0; m < MODULES; m++) {
  for (let r = 0; r < PER_MODULE; r++) {
    const address = addressOf(m, r);
    const id = idOf(m, r);
    GENERATED.push({ m, address, id, hay: `${address}\nterraform_data\n${id}\n`.toLowerCase() });
  }
}

/** An expected table line: the RESOURCE cell's text, and the id shown in the row (resources). */
interface ExpectedLine {
  text: string;
  id?: string;
}

/** What the State pane must show for `filter`: the count and the table's lines (module tree, all unfolded). */
function expectedFor(filter: string): { count: number; lines: ExpectedLine[] } {
  const f = filter.toLowerCase();
  const hits = f ? GENERATED.filter((g) => g.hay.includes(f)) : GENERATED;
  const lines: ExpectedLine[] = [];
  for (let m = 0; m < MODULES; m++) {
    const mine = hits.filter((g) => g.m === m);
    if (!mine.length) continue;
    lines.push({ text: `▾ module.${modName(m)}  (${mine.length !== PER_MODULE ? `${mine.length} of ${PER_MODULE}` : PER_MODULE} resources)` });
    for (const g of mine) lines.push({ text: `  ${g.address}`, id: g.id });
  }
  return { count: hits.length, lines };
}

/**
 * Whether the screen shows the State pane with `filter` applied (`line`: the filter line is open
 * with that text; else the status bar is back). Returns '' when it does, else what differs.
 */
function screenShows(screen: string[], filter: string, line: boolean, exp: { count: number; lines: ExpectedLine[] }, ident: { serial: number; lineage: string }): string {
  const title = screen.findIndex((r) => r.startsWith('State  '));
  if (title < 0) return 'no State title';
  const count = exp.count === RESOURCES ? String(RESOURCES) : `${exp.count} of ${RESOURCES}`;
  const want = `State  ${count} resources in ${MODULES} modules  serial ${ident.serial}  lineage ${ident.lineage}`;
  if (!screen[title]!.startsWith(want)) return `title "${screen[title]!.trimEnd().slice(0, 100)}", want "${want}"`;
  const filterRow = screen.findIndex((r) => r.startsWith('/'));
  if (line) {
    const wantLine = `/${filter}   Enter keep, Esc clear`;
    if (filterRow < 0 || screen[filterRow]!.trimEnd() !== wantLine) return `filter line "${filterRow < 0 ? '(none)' : screen[filterRow]!.trimEnd()}", want "${wantLine}"`;
  } else if (filterRow >= 0) return `a filter line is still shown: "${screen[filterRow]!.trimEnd()}"`;
  const head = screen.findIndex((r, i) => i > title && r.startsWith('RESOURCE'));
  if (head < 0) return 'no table header';
  if (!exp.lines.length) {
    const empty = `no resource matches "${filter}"`;
    return screen[head + 1]!.trimEnd() === empty ? '' : `row 1 "${screen[head + 1]!.trimEnd()}", want "${empty}"`;
  }
  let i = head + 1;
  let n = 0;
  for (; i < screen.length && n < exp.lines.length; i++, n++) {
    const row = screen[i]!;
    if (/^ {2}\d+-\d+ of \d+\s*$/.test(row)) break;
    const e = exp.lines[n]!;
    const cell = row.slice(0, RESOURCE_WIDTH).trimEnd();
    if (cell !== e.text) return `row ${n + 1} "${cell}", want "${e.text}"`;
    if (e.id && !row.includes(e.id)) return `row ${n + 1} has not the id ${e.id}`;
  }
  const footer = /^ {2}(\d+)-(\d+) of (\d+)\s*$/.exec(screen[i] ?? '');
  if (n < exp.lines.length) {
    // A window of the lines: the footer says which.
    if (!footer) return `${n} rows shown of ${exp.lines.length} and no footer`;
    if (footer[1] !== '1' || Number(footer[2]) !== n || Number(footer[3]) !== exp.lines.length) return `footer "${screen[i]!.trim()}", want "1-${n} of ${exp.lines.length}"`;
  } else if (footer) return `footer "${screen[i]!.trim()}" but all ${n} lines fit`;
  else if ((screen[i] ?? '').trim() !== '' && !(screen[i] ?? '').startsWith('/')) return `row after the last line: "${screen[i]!.trimEnd()}"`;
  return '';
}

/** `p`, or `fallback` after `ms` (the timer is cleared either way). */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}

/** The filters typed: a module name, then part of an address in it (every one lower case). */
function filterText(i: number): string {
  const m = (17 + 13 * i) % MODULES;
  const r = (i * 7) % 10;
  return `${modName(m)}.terraform_data.r1${r}`;
}

async function run(a: WorkerArgs): Promise<WorkerResult> {
  const { resolvePaths } = await import('../src/core/paths.js');
  const { openSession } = await import('../src/services/session.js');
  const { Store } = await import('../src/state/store.js');
  const { Controller } = await import('../src/state/controller.js');
  const { headerOf } = await import('../src/cli/console.js');
  const { press } = await import('../src/ui/keys/input.js');

  const s0 = performance.now();
  const session = await openSession({ environment: a.environment, local: true, paths: resolvePaths(process.env), env: process.env });
  const sessionMs = performance.now() - s0;

  // The split: wrappers on this session's own objects (the service and engine call them as usual).
  const engine = session.engine;
  const svc = session.state;
  const marks = { pullCalled: 0, pullReturned: 0, readResolved: 0, initMs: 0, pullChars: 0, readMs: 0, pullOwnCpu: 0 };
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  let pullCpu0: NodeJS.CpuUsage | undefined;
  const init = engine.init.bind(engine);
  engine.init = async () => {
    const t = performance.now();
    try {
      return await init();
    } finally {
      marks.initMs += performance.now() - t;
    }
  };
  const pull = engine.statePull.bind(engine);
  engine.statePull = async () => {
    marks.pullCalled ||= performance.now();
    pullCpu0 ??= process.cpuUsage();
    const text = await pull();
    if (!marks.pullReturned) marks.pullOwnCpu = cpuMs(process.cpuUsage(pullCpu0));
    marks.pullReturned ||= performance.now();
    marks.pullChars ||= text.length;
    return text;
  };
  // The pane reads the state object with the SDK (terraform state pull only when that fails): the same marks.
  const obj = svc.d.readObject;
  if (obj) {
    svc.d.readObject = async () => {
      marks.pullCalled ||= performance.now();
      pullCpu0 ??= process.cpuUsage();
      const text = await obj();
      if (!marks.pullReturned) marks.pullOwnCpu = cpuMs(process.cpuUsage(pullCpu0));
      marks.pullReturned ||= performance.now();
      marks.pullChars ||= text.length;
      return text;
    };
  }
  const read = svc.read.bind(svc);
  svc.read = async () => {
    const r = await read();
    marks.readResolved ||= performance.now();
    marks.readMs ||= r.readMs;
    return r;
  };

  const store = new Store(headerOf(session));
  const controller = new Controller(store, session);
  controller.start();

  const screen = new VirtualScreen(COLUMNS, ROWS);
  const chunks: string[] = [];
  let lastFrameAt = 0;
  let lastInkMs = 0;
  let frames = 0;
  /** Called on every frame with its time, once the screen has taken what was written. */
  let onFrame: ((at: number) => void) | undefined;
  const { ink, stdout } = await renderHeadless(controller, {
    columns: COLUMNS,
    rows: ROWS,
    onRender: ({ renderTime }) => {
      const at = performance.now();
      lastFrameAt = at;
      lastInkMs = renderTime;
      frames++;
      for (const c of chunks.splice(0)) screen.write(c);
      onFrame?.(at);
    },
  });
  // Kept cheap inside Ink's render: the screen takes the chunks after the frame's time is noted.
  stdout.sink = (c) => void chunks.push(c);
  await sleep(1_000); // the first frame, the controller's start (lock read, "Ready")

  /** Resolves with the time of the first frame (after now) whose screen passes `ok`; counts the frames before it. */
  const frameWhere = (ok: () => string, timeoutMs: number): Promise<{ at: number; before: number; why: string }> => {
    let before = 0;
    let why = '';
    const p = new Promise<{ at: number; before: number; why: string }>((resolve) => {
      onFrame = (at) => {
        why = ok();
        if (!why) {
          onFrame = undefined;
          resolve({ at, before, why: '' });
        } else before++;
      };
    });
    return within(p, timeoutMs, { at: Number.NaN, before, why: '' }).then((r) => {
      onFrame = undefined;
      return Number.isNaN(r.at) ? { ...r, why: why || 'no frame' } : r;
    });
  };

  // As App's ctx (src/ui/App.tsx).
  const ctx = await keyContextFor(controller, COLUMNS, ROWS);

  // ---- timed: 7 → the first frame with the rows
  const all = expectedFor('');
  const lines = () => screen.lines();
  let inspector: Inspector | undefined;
  const startProfile = async (): Promise<void> => {
    if (!a.profileDir) return;
    inspector = new Inspector();
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
    await inspector.post('Profiler.start');
  };
  const stopProfile = async (name: string): Promise<string | undefined> => {
    if (!inspector) return undefined;
    const { profile: p } = await inspector.post('Profiler.stop');
    const file = join(a.profileDir!, name);
    await writeFile(file, JSON.stringify(p));
    inspector.disconnect();
    inspector = undefined;
    return file;
  };
  await startProfile();
  // Before the read is in the store no frame can show the rows: those frames (the spinner's) are not read off the screen, to keep
  // the benchmark's own work out of the way while Terraform runs.
  const shown = frameWhere(() => (store.state.tfstate.read ? screenShows(lines(), '', false, all, a) : 'not read yet'), 120_000);
  const children0 = childrenCpuMs();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const id = press(ctx, '7');
  const first = await shown;
  const ownCpuMs = cpuMs(process.cpuUsage(own0));
  const pullChildCpuMs = childrenCpuMs() - children0;
  const profile = await stopProfile(`state-first-frame-round${a.round}.cpuprofile`);
  if (Number.isNaN(first.at)) {
    const st = store.state.tfstate;
    process.stderr.write(`the screen:\n${screen.text()}\n`);
    throw new Error(`no frame with the State pane's rows within 120 s of pressing 7 (action ${id}; pane ${store.state.pane}; read ${st.read ? `${st.read.doc.resources.length} resources` : 'none'}; error ${JSON.stringify(st.error ?? null)}; last check: ${first.why})`);
  }
  const frameAt = first.at;
  const inkMs = lastInkMs;
  const rssAtFrame = process.resourceUsage().maxRSS * 1024;
  const heapAtFrame = process.memoryUsage().heapUsed;
  const tableRows = lines().filter((r) => /^(▾|▸| {2}module\.)/.test(r)).length;

  const doc = store.state.tfstate.read!.doc;
  if (id !== 'global.pane' || store.state.pane !== 'state') throw new Error(`7 ran ${id}, the pane is ${store.state.pane}`);
  if (doc.resources.length !== RESOURCES || doc.serial !== a.serial || doc.lineage !== a.lineage) throw new Error(`the state read has ${doc.resources.length} resources, serial ${doc.serial}, lineage ${doc.lineage}`);
  const checks = [`${doc.resources.length} resources, serial ${doc.serial}, ${doc.bytes} B; ${tableRows} table rows on screen`];

  let keys: Record<FilterKey, KeyStats> | undefined;
  let filters: string[] | undefined;
  let slowest: PressRecord[] | undefined;
  let gc: WorkerResult['gc'];
  let keysProfile: string | undefined;
  if (a.keys) {
    type Sample = { lat: number[]; sync: number[]; ink: number[]; cpu: number[]; late: number; wrong: number; whys: string[] };
    const sample = (): Sample => ({ lat: [], sync: [], ink: [], cpu: [], late: 0, wrong: 0, whys: [] });
    const samples: Record<FilterKey, Sample> = { type: sample(), Backspace: sample(), open: sample(), Esc: sample() };
    const presses: (PressRecord & { from: number })[] = [];
    const pauses: { start: number; duration: number }[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) pauses.push({ start: e.startTime, duration: e.duration });
    });
    obs.observe({ entryTypes: ['gc'] });
    await startProfile();
    const expectedId: Record<FilterKey, string> = { type: 'text', Backspace: 'filter.backspace', open: 'global.filter', Esc: 'filter.clear' };
    /** Presses `key` once the render throttle has elapsed; `text` is the filter after it, `line` whether the filter line is open. */
    const key = async (kind: FilterKey, k: string, text: string, line: boolean): Promise<void> => {
      while (performance.now() < lastFrameAt + KEY_GAP_MS) await sleep(lastFrameAt + KEY_GAP_MS - performance.now());
      const exp = expectedFor(text);
      const frame = frameWhere(() => screenShows(lines(), text, line, exp, a), KEY_FRAME_TIMEOUT_MS);
      const c0 = process.cpuUsage();
      const k0 = performance.now();
      const got = press(ctx, k);
      const k1 = performance.now();
      const f = await frame;
      const cpu = cpuMs(process.cpuUsage(c0));
      const x = samples[kind];
      x.sync.push(k1 - k0);
      if (got !== expectedId[kind] || Number.isNaN(f.at)) {
        x.wrong++;
        if (x.whys.length < 3) x.whys.push(`${k} → ${got}: ${f.why || 'no frame'}`);
        return;
      }
      if (f.before) x.late++;
      x.lat.push(f.at - k0);
      x.ink.push(lastInkMs);
      x.cpu.push(cpu);
      presses.push({ kind, text, matches: exp.count, lat: f.at - k0, ink: lastInkMs, cpu, gc: 0, from: k0 });
    };
    filters = [];
    let typed = 0;
    for (let i = 0; typed < TYPED; i++) {
      const full = filterText(i);
      await key('open', '/', '', true);
      let t = '';
      for (const ch of full) {
        if (typed >= TYPED) break;
        t += ch;
        await key('type', ch, t, true);
        typed++;
      }
      filters.push(`${t} (${expectedFor(t).count})`);
      for (let b = 0; b < BACKSPACES && t; b++) {
        t = t.slice(0, -1);
        await key('Backspace', 'Backspace', t, true);
      }
      await key('Esc', 'Esc', '', false);
    }
    keysProfile = await stopProfile('state-filter-keys.cpuprofile');
    await sleep(50); // the last GC entries
    obs.disconnect();
    for (const p of presses) {
      const to = p.from + p.lat;
      for (const g of pauses) p.gc += Math.max(0, Math.min(to, g.start + g.duration) - Math.max(p.from, g.start));
    }
    const during = pauses.filter((g) => g.start >= (presses[0]?.from ?? 0));
    gc = { presses: presses.filter((p) => p.gc > 0).length, count: during.length, totalMs: during.reduce((n, g) => n + g.duration, 0), maxMs: Math.max(0, ...during.map((g) => g.duration)) };
    slowest = [...presses].sort((x, y) => y.lat - x.lat).slice(0, 6).map(({ from: _from, ...r }) => r);
    const stats = (x: Sample): KeyStats => {
      const [p50, p99, max] = percentiles(x.lat, [50, 99, 100]);
      const [s50, s99] = percentiles(x.sync, [50, 99]);
      const [i99] = percentiles(x.ink, [99]);
      const [c50, c99] = percentiles(x.cpu, [50, 99]);
      return { count: x.sync.length, p50: p50!, p99: p99!, max: max!, syncP50: s50!, syncP99: s99!, inkP99: i99!, cpuP50: c50!, cpuP99: c99!, late: x.late, wrong: x.wrong };
    };
    keys = { type: stats(samples.type), Backspace: stats(samples.Backspace), open: stats(samples.open), Esc: stats(samples.Esc) };
    const whys = Object.entries(samples).flatMap(([k, x]) => x.whys.map((w) => `${k}: ${w}`));
    checks.push(`keys: every frame compared with the matches computed from the generated configuration${whys.length ? `; wrong: ${whys.join(' | ')}` : ''}`);
  }

  ink.unmount();
  await ink.waitUntilExit().catch(() => {});
  controller.stop();
  session.close();
  return {
    sessionMs,
    totalMs: frameAt - t0,
    startMs: marks.pullCalled - t0,
    initMs: marks.initMs,
    pullMs: marks.pullReturned - marks.pullCalled - marks.initMs,
    pullChars: marks.pullChars,
    pullChildCpuMs,
    pullOwnCpuMs: marks.pullOwnCpu,
    ownCpuMs,
    readMs: marks.readMs,
    parseMs: marks.readResolved - marks.pullReturned,
    toFrameMs: frameAt - marks.readResolved,
    framesBefore: first.before,
    inkMs,
    rssAtFrame,
    rssEnd: process.resourceUsage().maxRSS * 1024,
    heapAtFrame,
    tableRows,
    ...(keys ? { keys } : {}),
    ...(slowest ? { slowest } : {}),
    ...(gc ? { gc } : {}),
    ...(keysProfile ? { keysProfile } : {}),
    ...(filters ? { filters } : {}),
    ...(profile ? { profile } : {}),
    check: checks.join('; '),
  };
}

workerMain<WorkerArgs, WorkerResult>(import.meta.url, 'state-worker.js JSON-ARGS (forked by bench/state)', run);
