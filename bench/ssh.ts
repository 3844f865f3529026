/**
 * SSH through the bastion, side by side with OpenSSH's own `ssh` with ProxyJump (`ssh -J`), in
 * the same run, against real sshd's on 127.0.0.1 (test/support/sshd.ts: a bastion with TCP
 * forwarding and one node behind it; the OpenSSH client reads the ssh_config `sshConfigFor`
 * writes, `Host node0` with `ProxyJump bastion`; same user, key and known_hosts for both).
 *
 * 1. Set-up time to a command's output: `main.js --ci ssh 127.0.0.1:NODE --bastion … -- echo ok`
 *    vs `ssh -F CFG node0 echo ok`, {@link SETUP_RUNS} runs each after one untimed warm-up of
 *    each, the order alternating. Wall time from spawn to exit, output checked ("ok"); the
 *    arrival of the "ok" line is shown too. Beside them, the same connect + exec in this process
 *    (the service's `connect()` + `runCommand()`, no process start) and the Node start-up alone
 *    (`node -e 0`, importing main.js + ci-ssh.js, loading the profile), so the reader sees how
 *    much of the CLI's time is Node and how much is SSH.
 * 2. Throughput: {@link BYTES} bytes of `head -c … /dev/zero` on the node, through the bastion,
 *    into a pipe read by this process and counted (the count is checked), {@link BULK_RUNS} runs
 *    each of three clients, the order rotating: ours, a bare ssh2 client
 *    (bench/fixtures/ssh2-bare.ts: only `ssh2` and Node's built-ins, the same hop, default
 *    algorithm offer and host-key check as connection.ts, stdout piped out; checked once with
 *    `echo ok` first), the floor any ssh2-based client in Node pays, and OpenSSH. MB/s (MiB)
 *    from the first byte to the exit (the transfer), and from spawn to exit (set-up included).
 *    CPU time of the client processes (ssh and its ProxyJump ssh; our node; the bare node) is
 *    from this process's cutime/cstime, their peak RSS from /proc (VmHWM, sampled), with the CPU
 *    ratios ours / bare ssh2 / OpenSSH. Beside them the peak RSS of a bare Node process
 *    (`node -e 0`, kept alive 300 ms by a timer so the sampler sees it), and our in-process
 *    figure.
 *
 * The ciphers each side negotiates with this sshd are printed under the table (OpenSSH from
 * `ssh -v`, ssh2 from its `handshake` event with the algorithms connection.ts offers).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ssh2 from 'ssh2';

import { connect, type SshSettings } from '../src/services/ssh/connection.js';
import { runCommand } from '../src/services/ssh/exec.js';
import { resolveIdentity } from '../src/services/ssh/identity.js';
import { SSH, sshConfigFor, startSshHosts, type SshHosts } from '../test/support/sshd.js';
import { assertNotStopping, check, onCleanup, runTimed, tail, track, type TimedRun } from './lib/proc.js';
import { int, mb, median, metText, ms, percentile, ratio, table, type Bench, type TargetCheck } from './lib/report.js';
import { CLI, makeWorkspace, NODE } from './lib/workspace.js';

const SETUP_RUNS = 10;
const BULK_RUNS = 3;
const BYTES = 100 * 1024 * 1024;
const SETUP_TARGET = 1.2;
const BULK_TARGET = 0.8;
const ENV = 'sshbench';
const TIMEOUT_MS = 120_000;
/** The bare ssh2 client (bench/fixtures/ssh2-bare.ts, compiled by tsc beside this file). */
const BARE_SSH2 = fileURLToPath(new URL('./fixtures/ssh2-bare.js', import.meta.url));
/** Runs of `node -e 0` for its peak RSS. */
const NODE_RSS_RUNS = 3;
/** How long that bare Node process stays up so the 50 ms sampler reads its VmHWM, ms. */
const NODE_RSS_HOLD_MS = 300;

/** A run whose stdout is counted, not kept. */
interface CountedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Spawn to exit, ms. */
  ms: number;
  /** Spawn to the first stdout byte, ms. */
  firstByteMs: number;
  bytes: number;
  stderr: string;
  /** CPU time (user + system) of the process and the children it waited for, ms (cutime/cstime: 10 ms ticks). */
  cpuMs: number;
  /** Peak RSS (VmHWM) of the process plus that of each of its descendants, bytes (sampled every 50 ms). */
  peakRss: number;
}

/** The process and its descendants (from /proc). */
function treeOf(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parent) if (p === out[i]) out.push(c);
  return out;
}

/** VmHWM of a process, bytes; 0 when it cannot be read (gone, or a zombie). */
function hwmOf(pid: number): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) of this process's waited-for children so far, ms (Linux /proc, 100 ticks a second). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // fields 16 and 17: cutime, cstime
}

/** Spawns `file args…`, counts its stdout bytes (discarding them), keeps its stderr. */
function runCounted(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CountedRun> {
  assertNotStopping();
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let bytes = 0;
    let firstByteMs = Number.NaN;
    let stderr = '';
    let exitAt = 0;
    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    // VmHWM only grows: the last sample of each process is its peak, but for the last 50 ms of it.
    const hwm = new Map<number, number>();
    const sample = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      for (const p of treeOf(child.pid)) hwm.set(p, Math.max(hwm.get(p) ?? 0, hwmOf(p)));
    };
    const sampler = setInterval(sample, 50);
    child.stdout.on('data', (b: Buffer) => {
      if (!bytes) firstByteMs = performance.now() - t0;
      bytes += b.length;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-8_000)));
    const timer = setTimeout(() => child.pid !== undefined && child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(err);
    });
    child.on('exit', (c, s) => {
      exitAt = performance.now();
      code = c;
      signal = s;
    });
    child.on('close', () => {
      clearTimeout(timer);
      clearInterval(sampler);
      if (!exitAt) exitAt = performance.now();
      const peakRss = [...hwm.values()].reduce((a, b) => a + b, 0);
      resolve({ code, signal, ms: exitAt - t0, firstByteMs, bytes, stderr, cpuMs: childrenCpuMs() - cpu0, peakRss });
    });
  });
}

function checkCounted(what: string, r: CountedRun, bytes = BYTES): CountedRun {
  if (r.code !== 0) throw new Error(`${what} ${r.code === null ? `was killed by ${r.signal}` : `exited ${r.code}`}:\n${tail(r.stderr)}`);
  if (r.bytes !== bytes) throw new Error(`${what} delivered ${int(r.bytes)} bytes, expected ${int(bytes)}:\n${tail(r.stderr)}`);
  return r;
}

/** Arrival of the "ok" line, ms since spawn (NaN when it never came). */
function okAt(r: TimedRun): number {
  return r.lines.find((l) => l.text === 'ok')?.at ?? Number.NaN;
}

function checkOk(what: string, r: TimedRun): TimedRun {
  check(what, r);
  if (r.stdout !== 'ok\n') throw new Error(`${what} printed ${JSON.stringify(r.stdout.slice(0, 200))}, expected "ok\\n":\n${tail(r.stderr)}`);
  return r;
}

/** Transfer rate from the first byte to the exit, MiB/s. */
const transferRate = (r: CountedRun) => BYTES / 1024 / 1024 / ((r.ms - r.firstByteMs) / 1000);
/** Rate from spawn to exit (set-up included), MiB/s. */
const wallRate = (r: CountedRun) => BYTES / 1024 / 1024 / (r.ms / 1000);
const mbs = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} MB/s` : 'n/a');

/** The negotiated algorithms as `ssh -v` prints them ("kex: server->client cipher: …"), per hop. */
async function opensshCiphers(cfg: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runTimed(SSH, ['-v', '-F', cfg, 'node0', 'true'], { env, timeoutMs: 30_000 });
  const found = [...r.stderr.matchAll(/kex: server->client cipher: (\S+) MAC: (\S+)/g)].map((m) => (m[2] === '<implicit>' ? m[1]! : `${m[1]} + ${m[2]}`));
  const kex = [...r.stderr.matchAll(/kex: algorithm: (\S+)/g)].map((m) => m[1]);
  return found.length ? `${found.join(' (bastion), ')} (node); kex ${[...new Set(kex)].join(', ')}` : 'not found in ssh -v';
}

/** What ssh2 negotiates with this sshd with its default offer, as connection.ts uses it (direct, to the bastion). */
function ssh2Ciphers(hosts: SshHosts, privateKey: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    let text = 'not reported';
    c.on('handshake', (n) => (text = `${n.sc.cipher}${n.sc.mac ? ` + ${n.sc.mac}` : ''}; kex ${n.kex}`));
    c.on('ready', () => c.end());
    c.on('error', (e) => (text = `error: ${e.message}`));
    c.on('close', () => resolve(text));
    c.connect({ host: hosts.bastion.host, port: hosts.bastion.port, username: hosts.user, privateKey, hostVerifier: () => true });
  });
}

export const ssh: Bench = async (log) => {
  log('ssh: starting sshd bastion + node on 127.0.0.1 (not counted)');
  assertNotStopping();
  const hosts = await startSshHosts({ nodes: 1 });
  const stopHosts = onCleanup(() => hosts.stop());
  const ws = await makeWorkspace('ssh');
  try {
    const profileFile = await ws.profile(ENV);
    const kh = await hosts.knownHostsFile();
    const cfg = await sshConfigFor(hosts, { knownHostsFile: kh });
    const node = hosts.nodes[0]!;
    const ours = (cmd: string) => [
      CLI, '--ci', 'ssh', `127.0.0.1:${node.port}`, '-e', ENV,
      '--bastion', `127.0.0.1:${hosts.bastion.port}`, '--user', hosts.user, '--identity', hosts.identityFile, '--known-hosts', kh,
      '--', cmd,
    ];
    const openssh = (cmd: string) => ['-F', cfg, 'node0', cmd];
    const bare = (cmd: string) => [BARE_SSH2, JSON.stringify({
      bastion: { host: '127.0.0.1', port: hosts.bastion.port }, node: { host: '127.0.0.1', port: node.port },
      user: hosts.user, identityFile: hosts.identityFile, knownHostsFile: kh, command: cmd,
    })];
    const env = ws.env;

    // ---- 1. set-up time to a command's output -------------------------------------------------
    log('ssh: set-up: warm-up of each (untimed)');
    checkOk('ours --ci ssh (warm-up)', await runTimed(NODE, ours('echo ok'), { env, timeoutMs: TIMEOUT_MS }));
    checkOk('ssh -J (warm-up)', await runTimed(SSH, openssh('echo ok'), { env, timeoutMs: TIMEOUT_MS }));
    const setup: Record<'ours' | 'openssh', TimedRun[]> = { ours: [], openssh: [] };
    for (let i = 0; i < SETUP_RUNS; i++) {
      for (const side of i % 2 ? (['openssh', 'ours'] as const) : (['ours', 'openssh'] as const)) {
        const r = side === 'ours'
          ? checkOk('ours --ci ssh -- echo ok', await runTimed(NODE, ours('echo ok'), { env, timeoutMs: TIMEOUT_MS }))
          : checkOk('ssh -F CFG node0 echo ok', await runTimed(SSH, openssh('echo ok'), { env, timeoutMs: TIMEOUT_MS }));
        setup[side].push(r);
      }
      log(`ssh: set-up run ${i + 1}/${SETUP_RUNS}: ours ${ms(setup.ours.at(-1)!.ms)}, openssh ${ms(setup.openssh.at(-1)!.ms)}`);
    }

    // In this process: the service alone (identity read once, outside the timing).
    const identity = await resolveIdentity({ identityFile: hosts.identityFile, environment: ENV, agentSocket: '' });
    const settings: SshSettings = {
      bastion: { host: '127.0.0.1', port: hosts.bastion.port },
      user: hosts.user,
      identity,
      knownHostsFile: kh,
      onUnknownHost: async () => false,
    };
    const target = { host: '127.0.0.1', port: node.port, label: `127.0.0.1:${node.port}` };
    const sink = (count: (n: number) => void) => new Writable({ write(chunk: Buffer, _e, cb) { count(chunk.length); cb(); } });
    const inProcess = async (cmd: string): Promise<{ ms: number; firstByteMs: number; bytes: number; code: number }> => {
      assertNotStopping();
      const t0 = performance.now();
      let bytes = 0;
      let firstByteMs = Number.NaN;
      const conn = await connect(target, settings);
      try {
        const out = sink((n) => {
          if (!bytes) firstByteMs = performance.now() - t0;
          bytes += n;
        });
        const exit = await runCommand(conn.client, cmd, { stdout: out, stderr: sink(() => undefined) });
        return { ms: performance.now() - t0, firstByteMs, bytes, code: exit.code };
      } finally {
        conn.close();
      }
    };
    log('ssh: set-up in this process: connect() + runCommand()');
    await inProcess('echo ok'); // warm-up (JIT, first key parse)
    const inProc: number[] = [];
    for (let i = 0; i < SETUP_RUNS; i++) {
      const r = await inProcess('echo ok');
      if (r.code !== 0 || r.bytes !== 3) throw new Error(`in-process echo ok: exit ${r.code}, ${r.bytes} bytes`);
      inProc.push(r.ms);
    }

    log('ssh: Node start-up: node -e 0; import main.js + ci-ssh.js');
    const timeIt = async (what: string, file: string, args: string[]): Promise<number[]> => {
      check(`${what} (warm-up)`, await runTimed(file, args, { env, timeoutMs: 30_000 }));
      const out: number[] = [];
      for (let i = 0; i < SETUP_RUNS; i++) out.push(check(what, await runTimed(file, args, { env, timeoutMs: 30_000 })).ms);
      return out;
    };
    const nodeZero = await timeIt('node -e 0', NODE, ['-e', '0']);
    // The bundle's main.js, ci-ssh.js and profile.js entries (beside bin.js), or a tsc build's
    // (dist/src/cli/, dist/src/core/) when BENCH_CLI names its main.js.
    const bundled = basename(CLI) === 'bin.js';
    const mainModule = join(dirname(CLI), 'main.js');
    const ciSshModule = join(dirname(CLI), 'ci-ssh.js');
    const importScript = `await import(${JSON.stringify(pathToFileURL(mainModule).href)}); await import(${JSON.stringify(pathToFileURL(ciSshModule).href)});`;
    const imports = await timeIt('import main.js + ci-ssh.js', NODE, ['--input-type=module', '-e', importScript]);
    // main.js loads the profile before --ci ssh runs (its ssh_user / ssh_identity_file): hcl2json's WebAssembly.
    const profileModule = bundled ? join(dirname(CLI), 'profile.js') : join(dirname(dirname(CLI)), 'core', 'profile.js');
    const profileScript = `const { loadProfile } = await import(${JSON.stringify(pathToFileURL(profileModule).href)}); await loadProfile(${JSON.stringify(profileFile)}, ${JSON.stringify(ENV)});`;
    const profileLoad = await timeIt('import profile.js + loadProfile', NODE, ['--input-type=module', '-e', profileScript]);

    // ---- 2. throughput -----------------------------------------------------------------------------
    const bulkCmd = `head -c ${BYTES} /dev/zero`;
    checkOk('bare ssh2 (warm-up)', await runTimed(NODE, bare('echo ok'), { env, timeoutMs: TIMEOUT_MS }));
    log(`ssh: throughput: ${int(BYTES)} bytes, ${BULK_RUNS} runs each`);
    const sides = ['ours', 'bare', 'openssh'] as const;
    const bulk: Record<(typeof sides)[number], CountedRun[]> = { ours: [], bare: [], openssh: [] };
    for (let i = 0; i < BULK_RUNS; i++) {
      for (const side of [...sides.slice(i % 3), ...sides.slice(0, i % 3)]) {
        const r = side === 'ours'
          ? checkCounted('ours --ci ssh -- head -c', await runCounted(NODE, ours(bulkCmd), env))
          : side === 'bare'
            ? checkCounted('bare ssh2 head -c', await runCounted(NODE, bare(bulkCmd), env))
            : checkCounted('ssh -F CFG node0 head -c', await runCounted(SSH, openssh(bulkCmd), env));
        bulk[side].push(r);
      }
      log(`ssh: throughput run ${i + 1}/${BULK_RUNS}: ${sides.map((s) => `${s} ${mbs(transferRate(bulk[s].at(-1)!))}`).join(', ')}`);
    }
    // The same clients connected with (almost) nothing to carry: the floor of each one's peak RSS.
    // The command stays NODE_RSS_HOLD_MS on the node so that a 50 ms sample sees each client's peak.
    const idleCmd = `echo ok; sleep ${NODE_RSS_HOLD_MS / 1000}`;
    log(`ssh: peak RSS with nothing transferred (${idleCmd}), ${NODE_RSS_RUNS} runs each`);
    const idle: Record<(typeof sides)[number], CountedRun[]> = { ours: [], bare: [], openssh: [] };
    for (let i = 0; i < NODE_RSS_RUNS; i++) {
      idle.ours.push(checkCounted('ours --ci ssh -- echo ok', await runCounted(NODE, ours(idleCmd), env), 3));
      idle.bare.push(checkCounted('bare ssh2 echo ok', await runCounted(NODE, bare(idleCmd), env), 3));
      idle.openssh.push(checkCounted('ssh -F CFG node0 echo ok', await runCounted(SSH, openssh(idleCmd), env), 3));
    }
    log(`ssh: node -e 0 peak RSS, ${NODE_RSS_RUNS} runs`);
    const nodeRss: number[] = [];
    for (let i = 0; i < NODE_RSS_RUNS; i++) {
      const r = await runCounted(NODE, ['-e', `setTimeout(() => {}, ${NODE_RSS_HOLD_MS})`], env);
      if (r.code !== 0 || !r.peakRss) throw new Error(`node -e 0 (held ${NODE_RSS_HOLD_MS} ms): exit ${r.code}, peak RSS ${r.peakRss}:\n${tail(r.stderr)}`);
      nodeRss.push(r.peakRss);
    }
    const bulkIn: { rate: number; wall: number }[] = [];
    for (let i = 0; i < BULK_RUNS; i++) {
      const r = await inProcess(bulkCmd);
      if (r.code !== 0 || r.bytes !== BYTES) throw new Error(`in-process ${bulkCmd}: exit ${r.code}, ${int(r.bytes)} bytes`);
      bulkIn.push({ rate: BYTES / 1024 / 1024 / ((r.ms - r.firstByteMs) / 1000), wall: BYTES / 1024 / 1024 / (r.ms / 1000) });
    }

    log('ssh: negotiated ciphers');
    const cipherOpenssh = await opensshCiphers(cfg, env);
    const cipherOurs = await ssh2Ciphers(hosts, identity.privateKey!);

    // ---- report ------------------------------------------------------------------------------------
    const wall = (rs: TimedRun[]) => rs.map((r) => r.ms);
    const oursMed = median(wall(setup.ours));
    const sshMed = median(wall(setup.openssh));
    const setupRatio = oursMed / sshMed;
    const p90 = (xs: number[]) => percentile(xs, 90);
    const rateOurs = median(bulk.ours.map(transferRate));
    const rateSsh = median(bulk.openssh.map(transferRate));
    const rateBare = median(bulk.bare.map(transferRate));
    const bulkRatio = rateOurs / rateSsh;
    const runsMs = (xs: number[]) => xs.map((x) => Math.round(x)).join(' / ');
    const runsOf = (rs: CountedRun[]) => rs.map((r) => mbs(transferRate(r))).join(' / ');
    const cpu = (rs: CountedRun[]) => median(rs.map((r) => r.cpuMs));
    const peak = (rs: CountedRun[]) => mb(Math.max(...rs.map((r) => r.peakRss)));

    // Columns: figure, ours, bare ssh2, OpenSSH, target, met (the set-up part has no bare ssh2 figure).
    const rows: string[][] = [
      [`set-up to a command's output (echo ok), median of ${SETUP_RUNS}`, ms(oursMed), '', ms(sshMed), `≤ ${SETUP_TARGET}× ssh`, metText(setupRatio <= SETUP_TARGET)],
      ['  ratio ours / openssh', ratio(setupRatio), '', '', '', ''],
      ['  p90', ms(p90(wall(setup.ours))), '', ms(p90(wall(setup.openssh))), '', ''],
      ['  "ok" line arrives, median', ms(median(setup.ours.map(okAt))), '', ms(median(setup.openssh.map(okAt))), '', ''],
      ['  in this process: connect() + runCommand(), median / p90', `${ms(median(inProc))} / ${ms(p90(inProc))}`, '', '', '', ''],
      ['  node -e 0, median', ms(median(nodeZero)), '', '', '', ''],
      ['  node: import main.js + ci-ssh.js, nothing run, median', ms(median(imports)), '', '', '', ''],
      ['  node: import profile.js + loadProfile (hcl2json WebAssembly), median', ms(median(profileLoad)), '', '', '', ''],
      [`throughput, ${int(BYTES / 1024 / 1024)} MB node → bastion → us, median of ${BULK_RUNS} (first byte to exit)`, mbs(rateOurs), mbs(rateBare), mbs(rateSsh), `≥ ${BULK_TARGET}× ssh`, metText(bulkRatio >= BULK_TARGET)],
      ['  ratio ours / openssh', ratio(bulkRatio), '', '', '', ''],
      ['  spawn to exit (set-up included), median', mbs(median(bulk.ours.map(wallRate))), mbs(median(bulk.bare.map(wallRate))), mbs(median(bulk.openssh.map(wallRate))), '', ''],
      ['  client CPU (user + system) per run, median', ms(cpu(bulk.ours)), ms(cpu(bulk.bare)), ms(cpu(bulk.openssh)), '', ''],
      ['    ratio ours / openssh', ratio(cpu(bulk.ours) / cpu(bulk.openssh)), '', '', '', ''],
      ['    ratio ours / bare ssh2', ratio(cpu(bulk.ours) / cpu(bulk.bare)), '', '', '', ''],
      ['    ratio bare ssh2 / openssh', '', ratio(cpu(bulk.bare) / cpu(bulk.openssh)), '', '', ''],
      ['  client peak RSS (all its processes), max', peak(bulk.ours), peak(bulk.bare), peak(bulk.openssh), '', ''],
      [`  the same, connected with nothing transferred (\`${idleCmd}\`), max of ${NODE_RSS_RUNS}`, peak(idle.ours), peak(idle.bare), peak(idle.openssh), '', ''],
      [`  node -e 0 peak RSS (a bare Node process), max of ${NODE_RSS_RUNS}`, mb(Math.max(...nodeRss)), '', '', '', ''],
      ['  in this process: connect() + runCommand(), first byte to end / with set-up', `${mbs(median(bulkIn.map((r) => r.rate)))} / ${mbs(median(bulkIn.map((r) => r.wall)))}`, '', '', '', ''],
    ];
    const text = [
      table(['figure', 'ours (--ci ssh)', 'bare ssh2', 'OpenSSH ssh -J', 'target', 'met'], rows, ['l', 'r', 'r', 'r', 'r', 'l']),
      '',
      `  OpenSSH ${hosts.bastion.hostKeyType} host keys, sshd's on 127.0.0.1 (bastion with AllowTcpForwarding, one node); same user, key and known_hosts.`,
      `  ours:    node main.js --ci ssh 127.0.0.1:NODE -e ${ENV} --bastion 127.0.0.1:BASTION --user U --identity F --known-hosts KH -- CMD`,
      '  openssh: ssh -F CFG node0 CMD   (CFG: Host node0 … ProxyJump bastion, BatchMode, StrictHostKeyChecking yes; -J runs a second ssh for the hop)',
      '  bare ssh2: node bench/fixtures/ssh2-bare.js JSON   (only ssh2 + Node built-ins: bastion, forwardOut, a second Client over it, exec, pipe to stdout;',
      '           ssh2\'s default algorithms and TCP_NODELAY as connection.ts, host keys compared with KH; throughput part only)',
      `  Set-up: wall time from spawn to exit, after one untimed warm-up of each, the order alternating; the in-process line is the service alone`,
      '  (warm: identity read once, JIT warmed up). The node lines are fresh processes, spawn to exit, each on its own (not additive:',
      '  they share Node start-up and modules).',
      `    runs (ms), ours: ${runsMs(wall(setup.ours))}`,
      `    runs (ms), OpenSSH: ${runsMs(wall(setup.openssh))}`,
      `  Throughput: \`head -c ${BYTES} /dev/zero\` on the node, stdout piped into this process and counted (exactly ${int(BYTES)} bytes each),`,
      '  the order of the three clients rotating; MB = MiB. Client CPU comes from cutime/cstime (10 ms ticks): ours and bare ssh2 one',
      '  node process each (both encryption layers on one thread), OpenSSH two ssh processes (the outer hop in the ProxyJump ssh, the',
      '  inner in the main one). Peak RSS: VmHWM of the client process and its descendants, sampled every 50 ms, summed; node -e 0 is',
      `  measured the same way (held ${NODE_RSS_HOLD_MS} ms by a timer so a sample sees it).`,
      `    runs, ours: ${runsOf(bulk.ours)}; bare ssh2: ${runsOf(bulk.bare)}; OpenSSH: ${runsOf(bulk.openssh)} (first byte to exit)`,
      `    CPU per run (ms), ours: ${runsMs(bulk.ours.map((r) => r.cpuMs))}; bare ssh2: ${runsMs(bulk.bare.map((r) => r.cpuMs))}; OpenSSH: ${runsMs(bulk.openssh.map((r) => r.cpuMs))}`,
      `  Ciphers negotiated: OpenSSH ${cipherOpenssh}; ours and bare ssh2 (ssh2, the same default offer) ${cipherOurs}.`,
    ].join('\n');
    const targets: TargetCheck[] = [
      { figure: 'ssh: set-up to output, ours / ssh -J (median)', value: ratio(setupRatio), target: `≤ ${SETUP_TARGET}×`, met: setupRatio <= SETUP_TARGET },
      { figure: 'ssh: 100 MB throughput, ours / ssh -J (median)', value: ratio(bulkRatio), target: `≥ ${BULK_TARGET}×`, met: bulkRatio >= BULK_TARGET },
    ];
    return { name: 'ssh', title: 'SSH through the bastion: --ci ssh vs OpenSSH ssh -J (ProxyJump), with a bare ssh2 client, real sshd on 127.0.0.1', text, targets };
  } finally {
    await ws.dispose();
    await stopHosts();
  }
};
