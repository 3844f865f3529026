/**
 * The first apply of the whole platform (terraform/) on a workspace's emulator, for the suites
 * that need an applied platform: `--ci apply --auto-approve` through the real CLI, Terraform and
 * provider.
 *
 * One failure of the emulator's, not ours, is retried once: moto, under load, answers a create
 * with `InvalidPermission.Duplicate` for a rule that the same apply was creating for the first
 * time (once in CI, `state.test.ts`; twice in 4 runs here of the three platform suites side by
 * side with two busy loops loading the CPU). The provider's debug log shows why: the AWS SDK sent
 * the request again (`retrying request EC2/AuthorizeSecurityGroupIngress, attempt 2`) after the
 * first attempt got no answer, although moto had carried it out (its log has the 200). moto's
 * server (werkzeug's development server) closes the connection after every answer; 6 of 6,900
 * requests lost their answer that way in those runs, mostly reads, which a retry repairs.
 * Terraform's state then lacks what moto has, and neither a second apply nor a destroy repairs
 * that (a launch template's fixed name stays taken; a VPC made twice stays), so the retry stops
 * the workspace's emulator, which forgets everything, and applies anew on a fresh one (the
 * console bootstraps it again, as after any restart of the emulator).
 * Every other failure, and a second one, fails the caller.
 */
import type { TestContext } from 'node:test';
import { stopEmulator } from '../../src/services/local/emulator.js';
import type { CliResult, Workspace } from './workspace.js';

/** The emulator's answers to a create it had already done: the only failure retried. */
export const EMULATOR_DUPLICATE = /InvalidPermission\.Duplicate|InvalidLaunchTemplateName\.AlreadyExistsException/;

/** What {@link applyPlatform} ran: the apply that counts and, when it was retried, the first. */
export interface PlatformApply {
  result: CliResult;
  /** The end of the first apply's output when it failed on {@link EMULATOR_DUPLICATE} and was retried. */
  retriedAfter?: string;
}

/**
 * `--ci apply --auto-approve` of `environment` (its profile written by the caller) in `ws`, with
 * `--local` and `opts.extra` (e.g. `--json`); timeout 900,000 ms per command. Resolves with the
 * result that counts: the first apply's, or, after a failure on {@link EMULATOR_DUPLICATE}, the
 * apply's on a fresh emulator. Says so, with the emulator's log, through `opts.t.diagnostic`, or
 * on stderr without `opts.t` (a hook).
 */
export async function applyPlatform(ws: Workspace, environment: string, opts: { t?: TestContext; extra?: string[] } = {}): Promise<PlatformApply> {
  const { t, extra = [] } = opts;
  const run = (args: string[]) => ws.cli(['-e', environment, '--local', '--ci', ...args, ...extra], { timeoutMs: 900_000 });
  const first = await run(['apply', '--auto-approve']);
  if (first.code === 0 || !EMULATOR_DUPLICATE.test(first.stdout + first.stderr)) return { result: first };
  const why = (first.stdout + first.stderr).split('\n').find((l) => EMULATOR_DUPLICATE.test(l))?.trim() ?? '';
  const note = `the emulator refused a create as a duplicate; applying once more on a fresh emulator. ${why}\n${await ws.emulatorLog()}`;
  if (t) t.diagnostic(note);
  else process.stderr.write(`# ${note.replace(/\n/g, '\n# ')}\n`);
  await stopEmulator({ stateDir: ws.local });
  return { result: await run(['apply', '--auto-approve']), retriedAfter: first.stdout.slice(-3000) + first.stderr };
}

/**
 * The text for an assertion on a failed apply: its stderr, the end of its stdout, the emulator's
 * log, and, when it was the retry, what the first apply said.
 */
export async function applyFailure(ws: Workspace, a: PlatformApply): Promise<string> {
  const r = a.result;
  return [
    `${r.stderr}${r.stdout.slice(-5000)}`,
    await ws.emulatorLog(),
    ...(a.retriedAfter ? [`(this was the retry; the first apply, on the emulator before, ended:)\n${a.retriedAfter}`] : []),
  ].join('\n');
}
