/**
 * The fleet over 50 environments (issue 17), side by side with what an operator would do without
 * it, on a private moto (the workspace's emulator, started and bootstrapped untimed):
 *
 * - seeded, untimed: 50 profiles `fleet-00` … `fleet-49` (from profiles/local.tfvars), each with a
 *   small state object and 5 history records written with the project's HistoryStore (SSE-KMS),
 *   every tenth with a drift check that found a change, every seventh with its lock object held;
 * - ours, the Fleet screen: `bin.js --local --fleet` in a private tmux server (-L, kept up by an idle
 *   session so its start is not counted) at 160×48, started as the workspace's other CLI calls are
 *   (`env -i TERM=… <the workspace's env> node bin.js`), from `tmux new-session` to the first
 *   `capture-pane -p` (polled every 10 ms) whose title line reads `Fleet  50 environments  K need(s)
 *   attention  read …` (every row read; while reading it says `reading K of N environments`). Each
 *   run is ended with `q` (its session killed if it has not ended 10 s later); the server is killed
 *   at the end, on failure and on interrupt too;
 * - ours, headless: `bin.js --local --ci fleet --json`, spawn to exit (every row read: a listing of the
 *   state and lock objects, the lock's holder, the newest records; 8 environments at a time): the same reading, no Ink;
 * - bare, our own CLI: 50 sequential `bin.js -e ENV --local --ci history --limit 1 --json` (what a
 *   script over the environments would run: each opens its environment);
 * - bare, AWS CLI: a shell loop of one `aws s3api list-objects-v2 --prefix ENV/history/ --max-items 1`
 *   per environment (the newest key only: less than the fleet reads).
 *
 * Each round runs all four, interleaved (one warm-up of each first), 3 rounds, medians.
 *
 * Targets (issue 17), checked for both the screen's first complete frame (the "the fleet's
 * first complete frame") and --ci fleet: ≤ 0.1× the 50 history processes, ≤ 1.5× the AWS CLI loop.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { historyKey, newHistoryId, type HistoryRecord } from '../src/services/history/record.js';
import { HistoryStore } from '../src/services/history/store.js';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { assertNotStopping, check, childrenCpuMs, runTimed, type TimedRun } from './lib/proc.js';
import { median, metText, ms, ratio, table, type Bench, type TargetCheck } from './lib/report.js';
import { envWords, quitSession, shellQuote, startPrivateTmux, tmux, type PrivateTmux } from './lib/tmux.js';
import { CLI, CLI_NODE_FLAGS, makeWorkspace, NODE } from './lib/workspace.js';

const ENVS = 50;
const RECORDS = 5;
const RUNS = 3;
const REGION = 'us-east-1';
const BUCKET = 'platform-console-local-state';
const KMS_ALIAS = 'alias/platform-console-local';
const TARGET_VS_HISTORY = 0.1;
const TARGET_VS_AWS = 1.5;
/** The Fleet screen: its tmux pane's size, the capture poll, how long to wait for its complete frame and for it to quit on q. */
const COLS = 160;
const LINES = 48;
const POLL_MS = 10;
const FRAME_TIMEOUT_MS = 120_000;
const QUIT_WAIT_MS = 10_000;
/** The title line once every row is read (while reading, no attention count and `reading K of N`). */
const COMPLETE_FRAME = new RegExp(`Fleet {2}${ENVS} environments {2}(\\d+) needs? attention {2}read`);

const name = (i: number) => `fleet-${String(i).padStart(2, '0')}`;

/** CPU time (user + system, ms) of process `pid` so far (Linux /proc, 100 ticks a second); NaN when unreadable. */
function processCpuMs(pid: number): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // fields 14 and 15: utime, stime
  } catch {
    return Number.NaN;
  }
}

function record(environment: string, i: number, startedMs: number): HistoryRecord {
  const drift = i % 10 === 3;
  return {
    version: 1,
    id: newHistoryId(new Date(startedMs), drift ? 'drift' : 'apply'),
    environment,
    operation: drift ? 'drift' : 'apply',
    outcome: 'succeeded',
    who: { arn: 'arn:aws:iam::123456789012:user/bench', login: 'bench@fleet' },
    startedAt: new Date(startedMs).toISOString(),
    endedAt: new Date(startedMs + 60_000).toISOString(),
    terraformVersion: '1.11.4',
    profileHash: 'bench',
    resources: [],
    diagnostics: [],
    ...(drift ? { drift: { changed: ['terraform_data.r[0]'], notDrift: 0 } } : {}),
  };
}

/** One Fleet screen run: ms from `tmux new-session` to its first complete frame, and what that frame says. */
interface ScreenRun {
  ms: number;
  /** The attention count on the title line. */
  attention: number;
  /** The console's CPU (user + system, ms, 10 ms ticks) right after the frame was seen; NaN when unreadable. */
  cpuMs: number;
}

export const fleet: Bench = async (log) => {
  const ws = await makeWorkspace('fleet');
  let server: PrivateTmux | undefined;
  try {
    for (let i = 0; i < ENVS; i++) await ws.profile(name(i));
    log(`fleet: starting a private emulator, bootstrapping the state bucket and KMS key (not counted)`);
    check('--ci bootstrap', await ws.cli([...['-e', name(0)], '--local', '--ci', 'bootstrap'], 120_000));
    const emu = await ws.emulator();
    const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const s3 = new S3Client({ region: REGION, endpoint: emu.endpoint, forcePathStyle: true, credentials: creds });
    log(`fleet: seeding ${ENVS} environments: a state object and ${RECORDS} history records each (not counted)`);
    const now = Date.now();
    try {
      for (let i = 0; i < ENVS; i++) {
        const env = name(i);
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${env}/terraform.tfstate`, Body: JSON.stringify({ version: 4, serial: 1, lineage: env, resources: [] }), ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_ALIAS }));
        if (i % 7 === 5) {
          const lock = { ID: `lock-${i}`, Operation: 'OperationTypeApply', Info: '', Who: 'bench@fleet', Version: '1.11.4', Created: new Date(now - 30 * 60_000).toISOString(), Path: `${BUCKET}/${env}/terraform.tfstate` };
          await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${env}/terraform.tfstate.tflock`, Body: JSON.stringify(lock) }));
        }
        const store = new HistoryStore({ s3, bucket: BUCKET, kmsKeyId: KMS_ALIAS, environment: env, pendingDir: join(ws.work, env, 'history-pending'), endpoint: emu.endpoint });
        for (let k = 0; k < RECORDS; k++) {
          const rec = record(env, i + k, now - (RECORDS - k) * 3_600_000);
          const w = await store.create(rec);
          if (w.stored !== 'bucket') throw new Error(`seeding ${historyKey(rec)}: ${JSON.stringify(w)}`);
        }
      }
    } finally {
      s3.destroy();
    }

    const awsEnv: NodeJS.ProcessEnv = { ...ws.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: REGION, AWS_CONFIG_FILE: join(ws.dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(ws.dir, 'no-credentials'), AWS_PAGER: '' };
    const loop = `for e in ${Array.from({ length: ENVS }, (_, i) => name(i)).join(' ')}; do aws s3api list-objects-v2 --bucket ${BUCKET} --prefix "$e/history/" --max-items 1 --endpoint-url ${emu.endpoint} --output json > /dev/null || exit 1; done`;

    log(`fleet: starting a private tmux server (not counted)`);
    const which = await runTimed('tmux', ['-V'], { env: process.env, timeoutMs: 10_000 }).catch(() => undefined);
    if (!which || which.code !== 0) throw new Error('tmux is not installed: the Fleet screen\'s frame needs it (apt-get install tmux)');
    server = await startPrivateTmux(`pc-bench-fleet-${process.pid}`);
    const socket = server.socket;
    const screenStderr = join(ws.dir, 'fleet-screen.stderr');
    // `exec`: the pane's process is the console itself (its pid for /proc).
    const screenCommand = `exec env -i TERM="$TERM" ${envWords(ws.env)} ${[NODE, ...CLI_NODE_FLAGS, CLI].map(shellQuote).join(' ')} --local --fleet 2>>${shellQuote(screenStderr)}`;
    /** One start of the Fleet screen in a new tmux session, until its first complete frame; then q. */
    const screenOnce = async (session: string): Promise<ScreenRun> => {
      assertNotStopping();
      const t0 = performance.now();
      const started = await tmux(socket, ['new-session', '-d', '-s', session, '-x', String(COLS), '-y', String(LINES), '-c', ws.dir, screenCommand]);
      if (started.code !== 0) throw new Error(`tmux new-session failed: ${started.stderr.trim()}`);
      let last = '';
      try {
        while (performance.now() - t0 < FRAME_TIMEOUT_MS) {
          assertNotStopping();
          const cap = await tmux(socket, ['capture-pane', '-p', '-t', session]);
          const at = performance.now() - t0;
          if (cap.code !== 0) {
            const err = await readFile(screenStderr, 'utf8').catch(() => '');
            throw new Error(`the Fleet screen ended before its first complete frame:\n${err.trim() || last.trim()}`);
          }
          last = cap.stdout;
          const m = COMPLETE_FRAME.exec(cap.stdout);
          if (m) {
            const pid = Number((await tmux(socket, ['display-message', '-p', '-t', session, '#{pane_pid}'])).stdout.trim());
            return { ms: at, attention: Number(m[1]), cpuMs: pid > 0 ? processCpuMs(pid) : Number.NaN };
          }
          await sleep(POLL_MS);
        }
        throw new Error(`no complete Fleet frame within ${FRAME_TIMEOUT_MS / 1000} s; last screen:\n${last.trim()}`);
      } finally {
        // End it as an operator would: q; its session killed if it has not ended within 10 s.
        if (!(await quitSession(socket, session, QUIT_WAIT_MS))) log(`fleet: ${session} did not quit on q within ${QUIT_WAIT_MS / 1000} s: killed its tmux session`);
      }
    };

    const screen: ScreenRun[] = [];
    const ours: TimedRun[] = [];
    /** Per fleet run: the CPU of our process and of moto meanwhile (ms). */
    const cpu: { ours: number; moto: number }[] = [];
    const history: number[] = [];
    const aws: TimedRun[] = [];
    let rows = 0;
    let attention = 0;
    // Warm-ups: the fleet once (profile parse cache, compile cache), the Fleet screen once, one history process, one aws call.
    check('--ci fleet (warm-up)', await ws.cli(['--local', '--ci', 'fleet', '--json'], 120_000), [0, 2]);
    await screenOnce('warmup');
    check('--ci history (warm-up)', await ws.cli(['-e', name(0), '--local', '--ci', 'history', '--limit', '1', '--json'], 120_000));
    for (let r = 0; r < RUNS; r++) {
      log(`fleet: round ${r + 1}/${RUNS}: --ci fleet; the Fleet screen's first complete frame; ${ENVS} × --ci history --limit 1; the aws s3api loop`);
      const c0 = childrenCpuMs();
      const m0 = processCpuMs(emu.pid);
      const f = check('--ci fleet', await ws.cli(['--local', '--ci', 'fleet', '--json'], 120_000), [0, 2]);
      cpu.push({ ours: childrenCpuMs() - c0, moto: processCpuMs(emu.pid) - m0 });
      ours.push(f);
      const lines = f.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; attention?: unknown });
      rows = lines.filter((l) => l.type === 'fleet_row').length;
      attention = (lines.at(-1) as { attention?: number }).attention ?? -1;
      const sr = await screenOnce(`screen${r}`);
      screen.push(sr);
      log(`fleet: round ${r + 1}/${RUNS}: --ci fleet ${ms(f.ms)}; the Fleet screen's complete frame ${ms(sr.ms)} (${sr.attention} need attention)`);
      let total = 0;
      for (let i = 0; i < ENVS; i++) total += check('--ci history', await ws.cli(['-e', name(i), '--local', '--ci', 'history', '--limit', '1', '--json'], 120_000)).ms;
      history.push(total);
      aws.push(check('aws s3api loop', await runTimed('bash', ['-c', loop], { env: awsEnv, timeoutMs: 300_000 })));
    }
    if (rows !== ENVS) throw new Error(`--ci fleet listed ${rows} environments, ${ENVS} expected`);
    const screenAttention = [...new Set(screen.map((s) => s.attention))].join(' / ');
    const mScreen = median(screen.map((s) => s.ms));
    const mOurs = median(ours.map((r) => r.ms));
    const mHist = median(history);
    const mAws = median(aws.map((r) => r.ms));
    const runs = (xs: number[]) => xs.map((x) => Math.round(x)).join(' / ');
    const text = [
      table(
        [`${ENVS} environments (${RECORDS} records each, private moto)`, 'median', 'runs (ms)', 'screen / this', '--ci fleet / this', 'target', 'met (screen / --ci)'],
        [
          [`ours: the Fleet screen's first complete frame (--fleet, tmux ${COLS}×${LINES})`, ms(mScreen), runs(screen.map((s) => s.ms)), '', '', '', ''],
          ['  its CPU (user + system) at that frame', ms(median(screen.map((s) => s.cpuMs))), runs(screen.map((s) => s.cpuMs)), '', '', '', ''],
          ['ours: --ci fleet --json (every row: state and lock listing, newest records)', ms(mOurs), runs(ours.map((r) => r.ms)), '', '', '', ''],
          ['  its CPU (user + system) / moto\'s CPU meanwhile', `${ms(median(cpu.map((c) => c.ours)))} / ${ms(median(cpu.map((c) => c.moto)))}`, runs(cpu.map((c) => c.ours)), '', '', '', ''],
          [`bare: ${ENVS} sequential --ci history --limit 1 --json processes`, ms(mHist), runs(history), ratio(mScreen / mHist), ratio(mOurs / mHist), `≤ ${TARGET_VS_HISTORY}×`, `${metText(mScreen / mHist <= TARGET_VS_HISTORY)} / ${metText(mOurs / mHist <= TARGET_VS_HISTORY)}`],
          [`bare: a shell loop of ${ENVS} aws s3api list-objects-v2 --max-items 1`, ms(mAws), runs(aws.map((r) => r.ms)), ratio(mScreen / mAws), ratio(mOurs / mAws), `≤ ${TARGET_VS_AWS}×`, `${metText(mScreen / mAws <= TARGET_VS_AWS)} / ${metText(mOurs / mAws <= TARGET_VS_AWS)}`],
        ],
        ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
      ),
      '',
      `  ${RUNS} rounds after one warm-up of each, interleaved. Every tenth environment has a drift check that found a change, every seventh a lock`,
      `  held for 30 minutes: --ci fleet listed ${rows} rows, ${attention} needing attention; the Fleet screen's title said ${screenAttention} need attention.`,
      '  The aws loop reads less than the fleet (the newest key only; no lock, no state, no record body).',
      `  The screen's frame: from \`tmux new-session\` (a private server, already up) to the first \`capture-pane -p\` (polled every ${POLL_MS} ms: each poll`,
      `  is a tmux client process, ~10-15 ms resolution) whose title reads "Fleet  ${ENVS} environments  K need(s) attention  read …", i.e. every row read`,
      '  and drawn: process start, Ink, the same reading as --ci fleet, the frame. Each run then quit on q. Its CPU is the console\'s own (/proc) when',
      '  that frame was seen.',
      `  CPU from /proc (10 ms ticks): ours from this process's cutime/cstime across the run, moto's (pid ${emu.pid}) utime/stime meanwhile`,
      '  (a LIST of the state and lock objects, a lock GET where one is held, a LIST of the history, and a GET of each record a row needs: 3 to 4 requests per environment here). Their sum against the wall time on 2 cores says how CPU-bound the reading is on each side.',
    ].join('\n');
    const targets: TargetCheck[] = [
      { figure: `fleet: the Fleet screen's first complete frame vs ${ENVS} --ci history processes`, value: ratio(mScreen / mHist), target: `≤ ${TARGET_VS_HISTORY}×`, met: mScreen / mHist <= TARGET_VS_HISTORY },
      { figure: `fleet: the Fleet screen's first complete frame vs ${ENVS} aws s3api calls`, value: ratio(mScreen / mAws), target: `≤ ${TARGET_VS_AWS}×`, met: mScreen / mAws <= TARGET_VS_AWS },
      { figure: `fleet: --ci fleet vs ${ENVS} --ci history processes`, value: ratio(mOurs / mHist), target: `≤ ${TARGET_VS_HISTORY}×`, met: mOurs / mHist <= TARGET_VS_HISTORY },
      { figure: `fleet: --ci fleet vs ${ENVS} aws s3api calls`, value: ratio(mOurs / mAws), target: `≤ ${TARGET_VS_AWS}×`, met: mOurs / mAws <= TARGET_VS_AWS },
    ];
    return { name: 'fleet', title: `Fleet: ${ENVS} environments from their state buckets (the Fleet screen, --ci fleet) vs ${ENVS} processes and an aws s3api loop`, text, targets };
  } finally {
    await server?.stop();
    await ws.dispose();
  }
};
