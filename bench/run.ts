/**
 * Runs the benchmarks and prints their figures side by side with the bare tool's, then a summary
 * of the targets. Targets are informational: a missed target never fails the run. The exit code
 * is 1 only when a benchmark could not run (and 2 for an unknown benchmark name).
 *
 *   npm run bench                       # all (builds first)
 *   node dist/bench/run.js [NAME...]    # some: apply-overhead, platform, screen-load, first-frame, instances, cluster, ssh, large-plan, history, state, fleet
 */
import { applyOverhead } from './apply-overhead.js';
import { cluster } from './cluster.js';
import { firstFrame } from './first-frame.js';
import { fleet } from './fleet.js';
import { history } from './history.js';
import { instances } from './instances.js';
import { largePlan } from './large-plan.js';
import { runCleanups } from './lib/proc.js';
import { platform } from './platform.js';
import { metText, table, type Bench, type BenchResult } from './lib/report.js';
import { screenLoad } from './screen-load.js';
import { ssh } from './ssh.js';
import { state } from './state.js';

const BENCHES: Record<string, { bench: Bench; what: string }> = {
  'apply-overhead': { bench: applyOverhead, what: '--ci apply of 200 terraform_data vs bare terraform apply (local moto, S3 backend)' },
  platform: { bench: platform, what: 'the real root module: --ci apply / plan / destroy vs bare terraform (local moto, S3 backend)' },
  'screen-load': { bench: screenLoad, what: '100,000 apply events into the console screen vs plain lines: latency, RSS' },
  'first-frame': { bench: firstFrame, what: 'time to the console\'s first frame in tmux vs terraform version / node -e 0' },
  instances: { bench: instances, what: 'listInstances over 5,000 instances vs a bare SDK v3 pagination loop (private moto); filter keystroke cost, RSS' },
  cluster: { bench: cluster, what: 'the Cluster pane\'s first snapshot of 200 nodes and 1,000 pods vs kubectl get nodes,pods -A -o json (stand-in API server)' },
  ssh: { bench: ssh, what: '--ci ssh through a bastion vs OpenSSH ssh -J (real sshd on 127.0.0.1): set-up to output, 100 MB throughput' },
  'large-plan': { bench: largePlan, what: 'a 10,000-resource saved plan into the Plan/Apply pane vs bare terraform show -json: time to the rows, RSS, per-key latency' },
  history: { bench: history, what: 'the History pane over 1,000 records (~90 resources each) vs bare SDK v3 / AWS CLI (private moto); the ETA predicted vs actual of a real apply, destroy, apply' },
  fleet: { bench: fleet, what: '--ci fleet over 50 environments with history (private moto) vs 50 --ci history processes and an aws s3api loop' },
  state: { bench: state, what: 'the State pane over a 10,000-resource state (S3 backend, private moto) vs bare terraform state list: first frame, / filter key latency, RSS' },
};

const USAGE = `usage: node dist/bench/run.js [NAME...]   (default: all)\n${Object.entries(BENCHES)
  .map(([n, b]) => `  ${n.padEnd(15)} ${b.what}`)
  .join('\n')}`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const unknown = argv.filter((a) => !(a in BENCHES));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const names = argv.length ? argv : Object.keys(BENCHES);
  const out = (s: string) => process.stdout.write(s + '\n');
  const log = (s: string) => process.stderr.write(`  · ${s}\n`);
  out(`platform-console benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  out('Figures are printed side by side with the bare tool; targets are informational (a miss never fails the run).');
  const results: BenchResult[] = [];
  const failed: { name: string; error: string }[] = [];
  for (const name of names) {
    const started = Date.now();
    out('');
    out(`=== ${name}: ${BENCHES[name]!.what}`);
    try {
      const r = await BENCHES[name]!.bench(log);
      results.push(r);
      out(r.title);
      out('');
      out(r.text);
      out(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      const error = (err as Error).message ?? String(err);
      failed.push({ name, error });
      out(`!!! ${name} could not run: ${error}`);
    }
  }
  out('');
  out('=== summary of targets');
  const rows = results.flatMap((r) => r.targets.map((t) => [t.figure, t.value, t.target, metText(t.met)]));
  for (const f of failed) rows.push([`${f.name}: could not run`, '', '', '']);
  out(table(['figure', 'value', 'target', 'met'], rows, ['l', 'r', 'r', 'l']));
  return failed.length ? 1 : 0;
}

let stopping = false;
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: cleaning up (ending the benchmark's children, stopping its emulator and tmux server, removing temp dirs)…\n`);
    void runCleanups({ interrupt: true }).finally(() => process.exit(code));
  });
}

main(process.argv.slice(2))
  .then(async (code) => {
    await runCleanups();
    process.exitCode = code;
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    await runCleanups();
    process.exitCode = 1;
  });
