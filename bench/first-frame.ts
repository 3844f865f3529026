/**
 * Time to the first frame of the real console in a pseudo-terminal (tmux, 160×48), side by side
 * with the bare tools' start-up: `terraform version` and `node -e 0`.
 *
 * The console runs as an operator starts it (`bin.js -e bench --local`, the esbuild bundle's entry) with an isolated
 * workspace; its private local emulator is started beforehand, so moto's own start-up is not
 * counted (the console still checks it, bootstraps the bucket and key idempotently, asks STS and
 * `terraform version`). `tmux capture-pane -p` is polled every 10 ms: the boot screen is the first
 * capture showing "platform-console" (the splash), the full console frame the first one showing
 * the status bar's "quit", ready the first one whose status bar offers "p plan" (the environment
 * open). A bare Ink program bundled the same way (bench/fixtures/ink-hello.tsx) is started after
 * each run: the floor of any Ink frame. Each run is ended with `q`; the tmux server is a private
 * one (-L) of this process.
 */
import { readFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { ensureEmulator } from '../src/services/local/emulator.js';
import { assertNotStopping, BENCH_NODE_FLAGS, check, isStopping, onCleanup, runTimed } from './lib/proc.js';
import { median, metText, ms, table, type Bench, type TargetCheck } from './lib/report.js';
import { shellQuote, tmux } from './lib/tmux.js';
import { CLI, CLI_NODE_FLAGS, makeWorkspace, NODE, ROOT, TERRAFORM, writeModule } from './lib/workspace.js';

const RUNS = 5;
const POLL_MS = 10;
/** Issue 16's targets: the boot screen, the full console frame, the console at rest. */
const BOOT_TARGET_MS = 150;
const FULL_TARGET_MS = 300;
const REST_CPU_TARGET_PCT = 1;
const REST_RSS_TARGET_MB = 120;
const ENV = 'bench';

interface FrameRun {
  boot?: number;
  full?: number;
  /** The environment open: the status bar offers p plan (the console only). */
  ready?: number;
  lastScreen: string;
  /** With `restMs`: the console's CPU (% of one core) and RSS (bytes) over that time after the full frame. */
  rest?: { cpuPct: number; rssBytes: number };
}

/** How long the console is watched at rest after its full frame (one run). */
const REST_MS = 30_000;

/** utime + stime (clock ticks) and VmRSS (bytes) of a process, from /proc. */
async function procUsage(pid: number): Promise<{ ticks: number; rssBytes: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  // Fields after the name: state is f[0]; utime and stime are fields 14 and 15 of the whole line.
  return { ticks: Number(f[11]) + Number(f[12]), rssBytes: rss };
}

export const firstFrame: Bench = async (log) => {
  const which = await runTimed('tmux', ['-V'], { env: process.env, timeoutMs: 10_000 }).catch(() => undefined);
  if (!which || which.code !== 0) throw new Error('tmux is not installed: the first-frame benchmark needs it (apt-get install tmux)');
  const ws = await makeWorkspace('frame');
  const socket = `pc-bench-${process.pid}`;
  let serverStarted = false;
  let socketPath = '';
  const stopServer = onCleanup(async () => {
    if (!serverStarted) return;
    await tmux(socket, ['kill-server'], true);
    // tmux may leave its socket file behind: remove ours.
    if (socketPath.endsWith(`/${socket}`)) await rm(socketPath, { force: true });
  });
  try {
    await writeModule(ws.terraform, 3);
    await ws.profile(ENV);
    log('first-frame: starting the private local emulator (not counted)');
    assertNotStopping();
    await ensureEmulator({ stateDir: ws.local });
    if (isStopping()) await ws.stopEmulatorNow(); // interrupted while it started: the cleanup may have missed it
    assertNotStopping();

    // A private tmux server, kept alive by an idle session so its start-up is not counted either.
    const idle = await tmux(socket, ['new-session', '-d', '-s', 'idle', '-x', '80', '-y', '24', 'sleep 86400']);
    if (idle.code !== 0) throw new Error(`tmux new-session failed: ${idle.stderr.trim()}`);
    serverStarted = true;
    socketPath = (await tmux(socket, ['display-message', '-p', '-t', 'idle', '#{socket_path}'])).stdout.trim();

    const envWords = Object.entries(ws.env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(v as string)}`)
      .join(' ');
    const command = `exec env -i TERM="$TERM" ${envWords} ${shellQuote(NODE)} ${[...CLI_NODE_FLAGS, ...BENCH_NODE_FLAGS].map(shellQuote).join(' ')} ${shellQuote(CLI)} -e ${ENV} --local 2>>${shellQuote(`${ws.dir}/console.stderr`)}`;

    // The floor of any Ink console: a bare Ink program (bench/fixtures/ink-hello.tsx), bundled with
    // the console's own esbuild options, started the same way in the same tmux server.
    const hello = join(ws.dir, 'ink-hello');
    const { build } = await import('esbuild');
    const { BUNDLE_OPTIONS } = (await import(pathToFileURL(join(ROOT, 'scripts', 'bundle-options.mjs')).href)) as { BUNDLE_OPTIONS: Record<string, unknown> };
    await build({ ...BUNDLE_OPTIONS, absWorkingDir: ROOT, entryPoints: { hello: join(ROOT, 'bench', 'fixtures', 'ink-hello.tsx'), 'ink-import': join(ROOT, 'bench', 'fixtures', 'ink-import.ts') }, outdir: hello, sourcemap: false });
    const helloCommand = `exec env -i TERM="$TERM" NODE_ENV=production NODE_COMPILE_CACHE=${shellQuote(join(ws.dir, 'ink-hello-cache'))} ${shellQuote(NODE)} ${shellQuote(join(hello, 'hello.js'))} 2>>${shellQuote(`${ws.dir}/console.stderr`)}`;

    /**
     * One start in a new tmux session: the console (`untilReady`: until the environment is open and
     * its status bar offers p plan) or the bare Ink program (until its frame with "quit").
     */
    const once = async (name: string, o: { command: string; untilReady: boolean; restMs?: number }): Promise<FrameRun> => {
      const restMs = o.restMs ?? 0;
      const t0 = performance.now();
      const started = await tmux(socket, ['new-session', '-d', '-s', name, '-x', '160', '-y', '48', o.command]);
      if (started.code !== 0) throw new Error(`tmux new-session failed: ${started.stderr.trim()}`);
      const run: FrameRun = { lastScreen: '' };
      const deadline = t0 + 30_000;
      try {
        while (performance.now() < deadline) {
          assertNotStopping();
          const cap = await tmux(socket, ['capture-pane', '-p', '-t', name]);
          const at = performance.now() - t0;
          if (cap.code !== 0) {
            const err = await readFile(`${ws.dir}/console.stderr`, 'utf8').catch(() => '');
            throw new Error(`the console ended before its first full frame:\n${err.trim() || run.lastScreen.trim()}`);
          }
          run.lastScreen = cap.stdout;
          if (run.boot === undefined && /platform-console|bare-ink hello/.test(cap.stdout)) run.boot = at;
          if (run.full === undefined && /\bquit\b/.test(cap.stdout)) {
            run.boot ??= at;
            run.full = at;
          }
          if (/ p {2}plan /.test(cap.stdout)) {
            run.boot ??= at;
            run.full ??= at;
            run.ready = at;
          }
          if (o.untilReady ? run.ready !== undefined : run.full !== undefined) break;
          await sleep(POLL_MS);
        }
        if (run.full === undefined || (o.untilReady && run.ready === undefined)) throw new Error(`no ${o.untilReady ? 'ready console' : 'full frame'} within 30 s; last screen:\n${run.lastScreen.trim()}`);
        if (restMs) {
          // The pane's process is the console itself (`exec env … node`).
          const pid = Number((await tmux(socket, ['display-message', '-p', '-t', name, '#{pane_pid}'])).stdout.trim());
          // Let the start-up's own work settle (the lock, the prerequisites) before watching.
          await sleep(5_000);
          const a = await procUsage(pid);
          const t = performance.now();
          await sleep(restMs);
          const b = await procUsage(pid);
          const hz = 100;
          run.rest = { cpuPct: ((b.ticks - a.ticks) / hz / ((performance.now() - t) / 1000)) * 100, rssBytes: b.rssBytes };
        }
        return run;
      } finally {
        // End it as an operator would: q, then wait for the session to close; kill it if it does not.
        await tmux(socket, ['send-keys', '-t', name, 'q']);
        const end = performance.now() + 5_000;
        while (performance.now() < end && (await tmux(socket, ['has-session', '-t', name])).code === 0) await sleep(20);
        if ((await tmux(socket, ['has-session', '-t', name])).code === 0) {
          log(`first-frame: ${name} did not quit on q within 5 s: killing its tmux session`);
          await tmux(socket, ['kill-session', '-t', name]);
        }
      }
    };

    log('first-frame: one untimed warm-up run (bootstraps the state bucket and key, warms the file cache)');
    await once('warmup', { command, untilReady: true });
    await once('hello-warmup', { command: helloCommand, untilReady: false });
    const boots: number[] = [];
    const fulls: number[] = [];
    const readies: number[] = [];
    const helloFulls: number[] = [];
    let rest: FrameRun['rest'];
    // Interleaved: the bare Ink program's start right after each of the console's.
    for (let i = 0; i < RUNS; i++) {
      const r = await once(`run${i}`, { command, untilReady: true, restMs: i === RUNS - 1 ? REST_MS : 0 });
      boots.push(r.boot!);
      fulls.push(r.full!);
      readies.push(r.ready!);
      if (r.rest) rest = r.rest;
      const h = await once(`hello${i}`, { command: helloCommand, untilReady: false });
      helloFulls.push(h.full!);
      log(`first-frame: run ${i + 1}/${RUNS}: boot screen ${ms(r.boot!)}, full frame ${ms(r.full!)}, ready ${ms(r.ready!)}; bare Ink frame ${ms(h.full!)}${r.rest ? `; at rest ${r.rest.cpuPct.toFixed(2)}% CPU, RSS ${(r.rest.rssBytes / 1e6).toFixed(0)} MB` : ''}`);
    }

    const timeIt = async (what: string, file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> => {
      const out: number[] = [];
      check(`${what} (warm-up)`, await runTimed(file, args, { env, timeoutMs: 30_000 }));
      for (let i = 0; i < RUNS; i++) out.push(check(what, await runTimed(file, args, { env, timeoutMs: 30_000 })).ms);
      return out;
    };
    log('first-frame: bare start-up: terraform version, node -e 0; ours: bin.js --version, module imports');
    const tfEnv = { ...ws.env, CHECKPOINT_DISABLE: '1' };
    const tfVersion = await timeIt('terraform version', TERRAFORM, ['version'], tfEnv);
    const nodeZero = await timeIt('node -e 0', NODE, ['-e', '0'], ws.env);
    const cliVersion = await timeIt('bin.js --version', NODE, [...CLI_NODE_FLAGS, CLI, '--version'], ws.env);
    // The bundle's main.js and console.js entries (beside bin.js), or a tsc build's when BENCH_CLI names one.
    const mainModule = join(dirname(CLI), 'main.js');
    const consoleModule = join(dirname(CLI), 'console.js');
    const importScript = `await import(${JSON.stringify(pathToFileURL(mainModule).href)}); await import(${JSON.stringify(pathToFileURL(consoleModule).href)});`;
    // With the compile cache the console uses (bin.js turns it on before loading main.js).
    const imports = await timeIt('import main.js + console.js', NODE, ['--input-type=module', '-e', importScript], { ...ws.env, NODE_COMPILE_CACHE: join(ROOT, '.cache', 'node-compile-cache') });
    const inkImport = await timeIt('import ink + react (bare, bundled as ours)', NODE, [join(hello, 'ink-import.js')], { ...ws.env, NODE_ENV: 'production', NODE_COMPILE_CACHE: join(ws.dir, 'ink-hello-cache') });

    const runs = (xs: number[]) => xs.map((x) => Math.round(x)).join(' / ');
    const mBoot = median(boots);
    const mFull = median(fulls);
    const text = [
      table(
        ['start-up (160×48 tmux pane)', 'median', 'runs (ms)', 'target', 'met'],
        [
          ['console: boot screen (the splash, "platform-console")', ms(mBoot), runs(boots), `< ${BOOT_TARGET_MS} ms`, metText(mBoot < BOOT_TARGET_MS)],
          ['console: full console frame (header, tabs, status bar with "quit"; the environment opening)', ms(mFull), runs(fulls), `< ${FULL_TARGET_MS} ms`, metText(mFull < FULL_TARGET_MS)],
          ['console: ready (environment open, status bar offers "p plan")', ms(median(readies)), runs(readies), '', ''],
          ['bare: Ink program, one Box of two Texts, bundled as ours (its frame)', ms(median(helloFulls)), runs(helloFulls), '', ''],
          ...(rest
            ? [
                [`console at rest: CPU (Plan/Apply pane, ${REST_MS / 1000} s from 5 s after the full frame; last run)`, `${rest.cpuPct.toFixed(2)} %`, '', `< ${REST_CPU_TARGET_PCT} %`, metText(rest.cpuPct < REST_CPU_TARGET_PCT)],
                ['console at rest: RSS (same run, at the end)', `${(rest.rssBytes / 1e6).toFixed(0)} MB`, '', `< ${REST_RSS_TARGET_MB} MB`, metText(rest.rssBytes / 1e6 < REST_RSS_TARGET_MB)],
              ]
            : []),
          ['bare: terraform version (spawn to exit)', ms(median(tfVersion)), runs(tfVersion), '', ''],
          ['bare: node -e 0 (spawn to exit)', ms(median(nodeZero)), runs(nodeZero), '', ''],
          ['ours: bin.js --version (spawn to exit: bin.js, main.js and their static imports, no Ink)', ms(median(cliVersion)), runs(cliVersion), '', ''],
          ['ours: import main.js + console.js (Ink, React, Yoga; compile cache on), nothing run', ms(median(imports)), runs(imports), '', ''],
          ['bare: import ink + react, bundled as ours (compile cache on), nothing run', ms(median(inkImport)), runs(inkImport), '', ''],
        ],
        ['l', 'r', 'r', 'r', 'l'],
      ),
      '',
      `  ${RUNS} timed runs after one untimed warm-up; the private local emulator was already running (moto start-up not counted).`,
      '  Console times are from spawning `tmux new-session` to the first `capture-pane` showing the text, polled every 10 ms',
      '  (each poll is a tmux client process: resolution ~10-15 ms). The full frame is drawn as soon as Ink has loaded, while',
      '  the environment opens; "ready" needs it open: emulator check, idempotent bootstrap of the state bucket and KMS key,',
      '  STS, `terraform version`, the CLI config. The bare Ink program is the floor of any Ink frame here (Node, Ink, React, Yoga).',
      `  The console ran as its launchers start it${CLI_NODE_FLAGS.length ? `, with Node's flags from scripts/node-flags: node ${CLI_NODE_FLAGS.join(' ')}` : ' (no scripts/node-flags in its checkout)'}.`,
      ...(BENCH_NODE_FLAGS.length ? [`  The console ran with BENCH_NODE_FLAGS: node ${BENCH_NODE_FLAGS.join(' ')}.`] : []),
    ].join('\n');
    const targets: TargetCheck[] = [
      { figure: 'start-up: first frame (boot screen)', value: ms(mBoot), target: `< ${BOOT_TARGET_MS} ms`, met: mBoot < BOOT_TARGET_MS },
      { figure: 'start-up: first full console frame', value: ms(mFull), target: `< ${FULL_TARGET_MS} ms`, met: mFull < FULL_TARGET_MS },
      ...(rest
        ? [
            { figure: 'console at rest: CPU', value: `${rest.cpuPct.toFixed(2)} %`, target: `< ${REST_CPU_TARGET_PCT} %`, met: rest.cpuPct < REST_CPU_TARGET_PCT },
            { figure: 'console at rest: RSS', value: `${(rest.rssBytes / 1e6).toFixed(0)} MB`, target: `< ${REST_RSS_TARGET_MB} MB`, met: rest.rssBytes / 1e6 < REST_RSS_TARGET_MB },
          ]
        : []),
    ];
    return { name: 'first-frame', title: 'First frame: the console in a pseudo-terminal vs bare start-up', text, targets };
  } finally {
    await stopServer();
    await ws.dispose();
  }
};
