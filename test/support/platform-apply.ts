/**
 * The first apply of the whole platform (terraform/) on a workspace's emulator, for the suites
 * that need an applied platform: `--ci apply --auto-approve` through the real CLI, Terraform and
 * provider.
 *
 * One failure of the emulator's, not ours, is retried (twice at most): moto, under load, answers
 * a create with `InvalidPermission.Duplicate` for a rule that the same apply was creating for the
 * first time (once in CI, `state.test.ts`; twice in 4 runs here of the three platform suites side
 * by side with two busy loops loading the CPU). The provider's debug log shows why: the AWS SDK
 * sent the request again (`retrying request EC2/AuthorizeSecurityGroupIngress, attempt 2`) after
 * the first attempt got no answer, although moto had carried it out (its log has the 200). In
 * those runs 6 of 6,900 requests lost their answer (why, neither log says; moto's server opens a
 * connection per request), mostly reads, which a retry repairs.
 * Terraform's state then lacks what moto has, and neither a second apply nor a destroy repairs
 * that (a launch template's fixed name stays taken; a VPC made twice stays), so the retry stops
 * the workspace's emulator, which forgets everything, and applies anew on a fresh one (the
 * console bootstraps it again, as after any restart of the emulator).
 * In CI, the apply on a fresh emulator once lost an answer too (the default egress rule of a new
 * security group revoked twice: InvalidPermission.NotFound), hence two retries. Every other
 * failure, and a third one of these, fails the caller.
 */
import type { TestContext } from 'node:test';
import { stopEmulator } from '../../src/services/local/emulator.js';
import { EMULATOR_REDONE } from '../../src/services/terraform/engine.js';
import type { CliResult, Workspace } from './workspace.js';

/** How many times an apply is retried on a fresh emulator after {@link emulatorRedid}. */
export const PLATFORM_APPLY_RETRIES = 2;

/**
 * Whether `output` (a CLI's or `terraform test`'s, whose lines Terraform may wrap) shows the
 * emulator refusing a request it had already carried out: the API errors of
 * {@link EMULATOR_REDONE}, the console's own test in local mode.
 */
export function emulatorRedid(output: string): boolean {
  return EMULATOR_REDONE.test(output.replace(/\s+/g, ' '));
}

/** What {@link applyPlatform} ran: the apply that counts and, when it was retried, the first. */
export interface PlatformApply {
  result: CliResult;
  /** How many times the apply was retried on a fresh emulator (0 to {@link PLATFORM_APPLY_RETRIES}). */
  retries: number;
  /** The end of the first apply's output when it failed on {@link emulatorRedid} and was retried. */
  retriedAfter?: string;
}

/**
 * `--ci apply --auto-approve` of `environment` (its profile written by the caller) in `ws`, with
 * `--local` and `opts.extra` (e.g. `--json`); timeout 900,000 ms per command. Resolves with the
 * result that counts: the first apply's, or, after a failure that {@link emulatorRedid}, the
 * apply's on a fresh emulator (at most {@link PLATFORM_APPLY_RETRIES} times). Says so, with the
 * emulator's log, through `opts.t.diagnostic`, or on stderr without `opts.t` (a hook); with
 * `opts.t`, also the exit code and time of the whole.
 */
export async function applyPlatform(ws: Workspace, environment: string, opts: { t?: TestContext; extra?: string[] } = {}): Promise<PlatformApply> {
  const { t, extra = [] } = opts;
  const run = () => ws.cli(['-e', environment, '--local', '--ci', 'apply', '--auto-approve', ...extra], { timeoutMs: 900_000 });
  const t0 = Date.now();
  const first = await run();
  let result = first;
  let retries = 0;
  while (result.code !== 0 && emulatorRedid(result.stdout + result.stderr) && retries < PLATFORM_APPLY_RETRIES) {
    const why = (result.stdout + result.stderr).split('\n').find((l) => emulatorRedid(l))?.trim() ?? '';
    const note = `the emulator refused a request it had carried out; applying once more on a fresh emulator. ${why}\n${await ws.emulatorLog()}`;
    if (t) t.diagnostic(note);
    else process.stderr.write(`# ${note.replace(/\n/g, '\n# ')}\n`);
    await stopEmulator({ stateDir: ws.local });
    retries++;
    result = await run();
  }
  t?.diagnostic(`apply --auto-approve: exit ${result.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s${retries ? ` (retried ${retries}× on a fresh emulator)` : ''}`);
  return { result, retries, ...(retries ? { retriedAfter: first.stdout.slice(-3000) + first.stderr } : {}) };
}

/**
 * The text for an assertion on a failed apply: its stderr, the end of its stdout, the emulator's
 * log, and, when it was a retry, what the first apply said.
 */
export async function applyFailure(ws: Workspace, a: PlatformApply): Promise<string> {
  const r = a.result;
  return [
    `${r.stderr}${r.stdout.slice(-5000)}`,
    await ws.emulatorLog(),
    ...(a.retriedAfter ? [`(this was retry ${a.retries}; the first apply, on the first emulator, ended:)\n${a.retriedAfter}`] : []),
  ].join('\n');
}
