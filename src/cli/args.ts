import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';
import type { SshCliOptions } from './ci-ssh.js';
import type { RollCliOptions } from './ci-roll.js';

/** Headless commands (`--ci CMD`). */
export const CI_COMMANDS = ['plan', 'apply', 'destroy', 'drift', 'output', 'instances', 'elbs', 'secrets', 'bootstrap', 'ssh', 'exec', 'cluster', 'unlock', 'state-push-errored', 'history', 'state', 'fleet', 'roll'] as const;
export type CiCommand = (typeof CI_COMMANDS)[number];

/** `--ci secrets` sub-commands and their arguments. */
export type SecretsCommand =
  | { op: 'ls' }
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; file: string }
  | { op: 'fetch'; dir: string; overwrite: boolean }
  | { op: 'upload'; dir: string; overwrite: boolean };

/**
 * Refuses a command that changes something without `--auto-approve`: `--ci apply`, `--ci destroy`
 * and the `--ci state` changes. Checked when the command line is parsed, before anything is read or
 * written (the profile, its cache).
 * @throws UsageError naming the command.
 */
export function assertApproved(command: CiCommand, state: StateCommand | undefined, autoApprove: boolean): void {
  if (autoApprove) return;
  if (command === 'apply' || command === 'destroy') {
    throw new UsageError(`--ci ${command} needs --auto-approve: nothing was run`, `review with --ci plan first, then run --ci ${command} --auto-approve`);
  }
  if (command === 'state' && state && STATE_MUTATIONS.has(state.op)) {
    throw new UsageError(`--ci state ${state.op} changes the state and needs --auto-approve: nothing was changed`, `look first (--ci state list / show ADDRESS), then run it again with --auto-approve`);
  }
}

/** The `--ci state` operations that change the state (each needs `--auto-approve`). */
export const STATE_MUTATIONS: ReadonlySet<string> = new Set(['rm', 'mv', 'import-direct', 'push', 'unlock']);

/** `--ci state` sub-commands and their arguments. */
export type StateCommand =
  | { op: 'list' }
  | { op: 'show'; address: string }
  | { op: 'pull' }
  | { op: 'target'; address: string }
  | { op: 'replace'; address: string }
  | { op: 'import'; address: string; id: string }
  | { op: 'import-direct'; address: string; id: string }
  | { op: 'rm'; addresses: string[] }
  | { op: 'mv'; from: string; to: string }
  | { op: 'push'; file: string }
  | { op: 'unlock'; lockId: string };

/** The parsed command line of `play.kube` / `run.kube`. */
export type Invocation =
  | {
      kind: 'console';
      environment?: string;
      play: boolean;
      local: boolean;
      /** `--bastion`, `--user`, `--identity`, `--known-hosts` for the console's SSH (s, :run, t). */
      ssh?: { bastion?: string; user?: string; identity?: string; knownHosts?: string };
      /** `--kubeconfig FILE` for the Cluster pane. */
      kubeconfig?: string;
      /** `--drift-every DURATION`: a drift check this often (ms) while the console is open. */
      driftEveryMs?: number;
      /** `--fleet`: open the Fleet screen (every environment) instead of one environment (no -e then). */
      fleet?: boolean;
      /** With `--fleet`: `--concurrency N`, the Fleet screen's drift checks at once (`:drift-all`). */
      concurrency?: number;
      /** With `--fleet`: `--playground-age DAYS` (ms). */
      playgroundAgeMs?: number;
    }
  | {
      kind: 'ci';
      environment?: string;
      play: boolean;
      local: boolean;
      command: CiCommand;
      json: boolean;
      /** `--ci plan --format markdown`: the plan as one Markdown document on stdout (progress on stderr). */
      markdown?: boolean;
      autoApprove: boolean;
      /** With `--ci bootstrap`: write the bucket and key into the profile. */
      writeProfile: boolean;
      /** With `--ci secrets`. */
      secrets?: SecretsCommand;
      /** With `--ci ssh` and `--ci exec`. */
      ssh?: SshCliOptions;
      /** With `--ci cluster`: `--kubeconfig FILE`. */
      kubeconfig?: string;
      /** With `--ci unlock LOCK_ID`. */
      lockId?: string;
      /** With `--ci state`. */
      state?: StateCommand;
      /** With `--ci history --limit N` (1 to 1000). */
      limit?: number;
      /** With `--ci roll secure|compute`. */
      roll?: RollCliOptions;
    }
  | {
      /** `--ci fleet`: every environment of profiles/, from its state bucket (no -e). */
      kind: 'fleet';
      local: boolean;
      json: boolean;
      /** `--playground-age DAYS`: a playground whose first apply is older needs attention (ms; default 7 days). */
      playgroundAgeMs?: number;
    }
  | { kind: 'local-stop' }
  | { kind: 'help' }
  | { kind: 'version' };

/** Usage text printed by --help. */
export const USAGE = `usage:
  ./play.kube [--local]                          console on your playground play-$USER
  ./run.kube -e ENV [--local] [SSH OPTIONS]      console on profiles/ENV.tfvars (SSH OPTIONS: --bastion --user --identity --known-hosts; --kubeconfig FILE)
  ./run.kube -e ENV [--local] --ci plan|apply|destroy|output [--json] [--auto-approve]
  ./run.kube -e ENV [--local] --ci plan --format markdown    the plan as a Markdown document for a pull-request comment
  ./run.kube -e ENV [--local] --ci drift [--auto-approve] [--json]   drift check (plan -refresh-only): exit 0 none, 2 drift; --auto-approve writes the real values into the state
  ./run.kube -e ENV [--local] --ci instances|elbs [--json]
  ./run.kube -e ENV [--local] --ci secrets ls|get KEY|put KEY FILE|fetch DIR|upload DIR [--overwrite] [--json]
  ./run.kube -e ENV [--local] --ci bootstrap [--write-profile] [--json]
  ./run.kube -e ENV [--local] --ci cluster [--kubeconfig FILE] [--json]
  ./run.kube -e ENV [--local] --ci unlock LOCK_ID [--json]       the old name of --ci state unlock LOCK_ID --auto-approve
  ./run.kube -e ENV [--local] --ci state-push-errored [--json]   push the state Terraform could not write (errored.tfstate)
  ./run.kube -e ENV [--local] --ci history [--limit N] [--json]   the newest operations (records in the state bucket)
  ./run.kube -e ENV [--local] --ci state list|show ADDR|pull [--json]      read the state (pull: the raw state on stdout)
  ./run.kube -e ENV [--local] --ci state target ADDR|replace ADDR|import ADDR ID [--auto-approve] [--json]
                                                 a plan for one resource (-target), a forced replacement (-replace), an import block; --auto-approve applies it
  ./run.kube -e ENV [--local] --ci state rm ADDR...|mv FROM TO|import-direct ADDR ID|push FILE|unlock LOCK_ID --auto-approve [--json]
                                                 state repairs: refused while the lock is held, a copy of the state kept first, recorded in the history
  ./run.kube -e ENV --ci ssh TARGET [SSH OPTIONS] [-- COMMAND]
  ./run.kube -e ENV --ci exec (--role ROLE | TARGET...) [--concurrency N] [SSH OPTIONS] [--json] -- COMMAND
  ./run.kube -e ENV --ci roll secure|compute [--auto-approve] [--force] [--batch N] [--settle S] [--drain-timeout S] [--disable-eviction] [--kubeconfig FILE] [SSH OPTIONS] [--json]
                                                 replace the group's instances on an old launch template version, a node (or batch) at a time, gated
                                                 on health (etcd through SSH for secure); without --auto-approve: the plan and the gates, exit 2
  ./run.kube [--local] --fleet [--concurrency N] [--playground-age DAYS]   the Fleet screen: every environment of profiles/ (Enter opens one)
  ./run.kube [--local] --ci fleet [--playground-age DAYS] [--json]   every environment of profiles/: lock, last operation, drift, playground age;
                                                 exit 0 all clear, 2 something needs attention, 1 error
  ./run.kube --local stop                        stop the local AWS emulator

options:
  -e, --env ENV        environment (profiles/ENV.tfvars)
      --play           the playground play-$USER (what ./play.kube passes)
      --local          use the embedded local AWS emulator (moto) instead of AWS
      --ci CMD         run headless: ${CI_COMMANDS.join(', ')}
      --json           with --ci: NDJSON events, the last one {"type":"summary",…}
      --auto-approve   with --ci apply/destroy: required, nothing is applied without it; with --ci drift: write the drifted values into the state;
                       with --ci state: required for every change, and applies a target/replace/import plan
      --write-profile  with --ci bootstrap: write terraform_bucket_name and kms_master_id into the profile
      --overwrite      with --ci secrets fetch/upload: also replace files that differ (default: kept and listed)
      --format FORMAT  with --ci plan: text (default) or markdown (one document on stdout, progress on stderr)
      --limit N        with --ci history: the newest N records (1 to 1000, default 20)
      --fleet          the console on the Fleet screen: every environment's row (0 shows it from any environment's console)
      --playground-age DAYS  with --fleet and --ci fleet: a playground whose first apply is older needs attention (default 7)
      --drift-every D    console: a drift check every D (e.g. 30m; 1m to 24h), never while an operation runs, the lock is held or a plan awaits apply; the result and its age in the header
      --kubeconfig FILE  the cluster's kubeconfig (default: the admin kubeconfig in the secrets bucket)
      --force            with --ci roll: every instance, also those on the current version
      --batch N          with --ci roll compute: workers replaced together (default 1; secure is always 1)
      --settle S         with --ci roll: seconds to wait after each node before the next (default 60)
      --drain-timeout S  with --ci roll: seconds a drain may take; a pod still not evicted stops the roll (default 300)
      --disable-eviction with --ci roll: delete pods instead of evicting them (PodDisruptionBudgets are not asked)
  -h, --help           this text

SSH OPTIONS (TARGET: an instance id, a Name tag or HOST[:PORT]; always through the bastion):
      --bastion H[:P]        the bastion (default: the output bastion_public_ip)
      --user U               login user (default: the profile's ssh_user, else ubuntu)
      --identity FILE        private key (default: ssh_identity_file, ~/.ssh/kube-ENV, the SSH agent)
      --known-hosts FILE     OpenSSH known_hosts (default ~/.ssh/known_hosts)
      --accept-new-host-key  accept and remember an unknown host key (a changed one is always refused)
      --role ROLE            with --ci exec: every running bastion|secure|compute instance
      --concurrency N        with --ci exec: nodes at once (default 8); with --fleet: :drift-all's checks at once (default 2)
      --connect-timeout S    seconds for each hop's connect, handshake and login (default 10)
exit codes (--ci): 0 success and no changes, 2 plan has changes, 1 any error;
  ssh: the remote command's status, 255 when the connection, host key or login fails;
  exec: 0 when every node exited 0, else 1;
  cluster: 0 all nodes Ready and no unhealthy pod, 2 something unhealthy, 1 API unreachable (10 s), TLS or auth failure;
  roll: 0 rolled (or nothing to roll), 2 something to roll and no --auto-approve, 1 a gate or step said no, interrupted, or an error`;

/** The options of `play.kube` / `run.kube` (node's util.parseArgs); each may be given once. */
const OPTIONS = {
  env: { type: 'string', short: 'e' },
  play: { type: 'boolean' },
  local: { type: 'boolean' },
  ci: { type: 'string' },
  json: { type: 'boolean' },
  'auto-approve': { type: 'boolean' },
  'write-profile': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  format: { type: 'string' },
  bastion: { type: 'string' },
  user: { type: 'string' },
  identity: { type: 'string' },
  'known-hosts': { type: 'string' },
  'accept-new-host-key': { type: 'boolean' },
  role: { type: 'string' },
  concurrency: { type: 'string' },
  'connect-timeout': { type: 'string' },
  kubeconfig: { type: 'string' },
  limit: { type: 'string' },
  'drift-every': { type: 'string' },
  'playground-age': { type: 'string' },
  fleet: { type: 'boolean' },
  force: { type: 'boolean' },
  batch: { type: 'string' },
  settle: { type: 'string' },
  'drain-timeout': { type: 'string' },
  'disable-eviction': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** `--playground-age DAYS` → ms (undefined when not given). @throws UsageError outside 0 to 3650 days. */
function parsePlaygroundAge(age: string | boolean | undefined): number | undefined {
  if (typeof age !== 'string') return undefined;
  const days = Number(age);
  if (!/^\d+(\.\d+)?$/.test(age) || days <= 0 || days > 3650) throw new UsageError(`--playground-age "${age.slice(0, 40)}" is not a number of days from 0 to 3650`, 'e.g. --playground-age 7');
  return Math.round(days * 24 * 60 * 60_000);
}

/** `--concurrency N` → N (undefined when not given). @throws UsageError outside 1 to 64. */
function parseConcurrency(text: string | boolean | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) throw new UsageError(`--concurrency "${text.slice(0, 40)}" is not a number from 1 to 64`, 'e.g. --concurrency 8');
  return n;
}

/**
 * `--fleet`: the console on the Fleet screen. No environment (Enter there opens one; `--play`,
 * which play.kube passes, is ignored); `--concurrency` and `--playground-age` set its drift
 * checks at once and its playground age; no other option.
 */
function parseFleetConsole(v: Record<string, string | boolean | undefined>, pos: readonly string[]): Invocation {
  if (v.ci !== undefined) throw new UsageError('--fleet opens the console on the Fleet screen and does not work with --ci', 'for pipelines: ./run.kube [--local] --ci fleet');
  if (v.env !== undefined) throw new UsageError('--fleet shows every environment: it takes no -e ENV', 'run ./run.kube [--local] --fleet, then Enter on a row opens that environment');
  if (pos.length) throw new UsageError(`unexpected argument "${pos[0]}"`, 'see --help');
  const other = ['json', 'auto-approve', 'write-profile', 'overwrite', 'format', 'limit', 'kubeconfig', 'drift-every', 'bastion', 'user', 'identity', 'known-hosts', 'accept-new-host-key', 'role', 'connect-timeout'].find((k) => v[k] !== undefined);
  if (other) throw new UsageError(`--${other} does not work with --fleet`, 'see --help');
  const concurrency = parseConcurrency(v.concurrency);
  const playgroundAgeMs = parsePlaygroundAge(v['playground-age']);
  return { kind: 'console', play: false, local: v.local === true, fleet: true, ...(concurrency !== undefined ? { concurrency } : {}), ...(playgroundAgeMs !== undefined ? { playgroundAgeMs } : {}) };
}

/** `--ci fleet`: no environment (it lists them all), no other command's options. */
function parseFleet(v: Record<string, string | boolean | undefined>, pos: readonly string[]): Invocation {
  if (v.env !== undefined || v.play) throw new UsageError('--ci fleet lists every environment: it takes no -e ENV or --play', 'run ./run.kube [--local] --ci fleet');
  if (pos.length) throw new UsageError(`unexpected argument "${pos[0]}"`, 'see --help');
  const other = ['auto-approve', 'write-profile', 'overwrite', 'format', 'limit', 'kubeconfig', 'drift-every'].find((k) => v[k] !== undefined);
  if (other) throw new UsageError(`--${other} does not work with --ci fleet`, 'see --help');
  const playgroundAgeMs = parsePlaygroundAge(v['playground-age']);
  return { kind: 'fleet', local: v.local === true, json: v.json === true, ...(playgroundAgeMs !== undefined ? { playgroundAgeMs } : {}) };
}

/**
 * Parses the command line (node's util.parseArgs, strict).
 * @throws UsageError for unknown options, a missing value, an option given twice ("-e/--env was
 *   given twice"), or a forbidden combination.
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  // Everything after the first `--` is the remote command of --ci ssh / exec, passed on untouched.
  const dd = argv.indexOf('--');
  const remote = dd >= 0 ? argv.slice(dd + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({
      args: dd >= 0 ? argv.slice(0, dd) : [...argv],
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: OPTIONS,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify.*$/s, ''), 'see --help');
  }
  // parseArgs keeps the last of a repeated option; none of ours is meant to repeat, so say so.
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) {
      const short = (OPTIONS as Record<string, { short?: string }>)[t.name]?.short;
      throw new UsageError(`${short ? `-${short}/` : ''}--${t.name} was given twice`, 'give each option once; see --help');
    }
    seen.add(t.name);
  }
  const v = parsed.values;
  const pos = parsed.positionals;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  if (pos[0] === 'stop' && v.ci === undefined) {
    if (!v.local) throw new UsageError('"stop" stops the local emulator and needs --local', 'run ./run.kube --local stop');
    return { kind: 'local-stop' };
  }
  if (v.fleet) return parseFleetConsole(v, pos);
  const rollOnly = (['force', 'batch', 'settle', 'drain-timeout', 'disable-eviction'] as const).filter((k) => v[k] !== undefined);
  if (rollOnly.length && v.ci !== 'roll') throw new UsageError(`--${rollOnly[0]} only works with --ci roll`, 'see --help');
  if (v.ci === 'roll') return parseRoll(v, pos);
  const sshLike = v.ci === 'ssh' || v.ci === 'exec';
  const sshOnly = (['bastion', 'user', 'identity', 'known-hosts', 'accept-new-host-key', 'role', 'concurrency', 'connect-timeout'] as const).filter((k) => v[k] !== undefined);
  const consoleSsh = ['bastion', 'user', 'identity', 'known-hosts'];
  const misplaced = sshOnly.filter((k) => !(v.ci === undefined && consoleSsh.includes(k)));
  if (misplaced.length && !sshLike) throw new UsageError(`--${misplaced[0]} only works with --ci ssh or --ci exec${consoleSsh.includes(misplaced[0]!) ? ', or in the console' : misplaced[0] === 'concurrency' ? ', or with --fleet' : ''}`, 'see --help');
  if (dd >= 0 && !sshLike) throw new UsageError('"--" (a remote command) only works with --ci ssh or --ci exec', 'see --help');
  if (pos.length && v.ci !== 'secrets' && v.ci !== 'unlock' && v.ci !== 'state' && !sshLike) throw new UsageError(`unexpected argument "${pos[0]}"`, 'see --help');
  if (v['playground-age'] !== undefined && v.ci !== 'fleet') throw new UsageError('--playground-age only works with --fleet or --ci fleet', 'see --help');
  if (v.ci === 'fleet') return parseFleet(v, pos);
  const play = v.play === true;
  if (play && v.env !== undefined) throw new UsageError('--play and -e ENV cannot be used together', 'use ./play.kube, or ./run.kube -e ENV');
  if (!play && v.env === undefined) throw new UsageError('no environment given', 'pass -e ENV (profiles/ENV.tfvars), or use ./play.kube for your playground');
  const base = { ...(v.env !== undefined ? { environment: v.env } : {}), play, local: v.local === true };
  if (v.ci !== undefined && v['drift-every'] !== undefined) throw new UsageError('--drift-every only works in the console', 'for pipelines, schedule --ci drift');
  if (v.ci === undefined) {
    if (v.json || v['auto-approve'] || v['write-profile'] || v.overwrite || v.format !== undefined || v.limit !== undefined) throw new UsageError('--json, --auto-approve, --write-profile, --overwrite, --format and --limit only work with --ci', 'see --help');
    const ssh = {
      ...(v.bastion !== undefined ? { bastion: v.bastion } : {}),
      ...(v.user !== undefined ? { user: v.user } : {}),
      ...(v.identity !== undefined ? { identity: v.identity } : {}),
      ...(v['known-hosts'] !== undefined ? { knownHosts: v['known-hosts'] } : {}),
    };
    const driftEveryMs = v['drift-every'] !== undefined ? parseDriftEvery(v['drift-every']) : undefined;
    return { kind: 'console', ...base, ...(Object.keys(ssh).length ? { ssh } : {}), ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}), ...(driftEveryMs !== undefined ? { driftEveryMs } : {}) };
  }
  if (!(CI_COMMANDS as readonly string[]).includes(v.ci)) {
    throw new UsageError(`unknown --ci command "${v.ci}"`, `use one of: ${CI_COMMANDS.join(', ')}`);
  }
  if (v.kubeconfig !== undefined && v.ci !== 'cluster') throw new UsageError('--kubeconfig only works with --ci cluster, or in the console', 'see --help');
  if (v.format !== undefined) {
    if (v.ci !== 'plan') throw new UsageError('--format only works with --ci plan', 'see --help');
    if (v.format !== 'text' && v.format !== 'markdown') throw new UsageError(`--format "${v.format.slice(0, 40)}" is not text or markdown`, 'e.g. --ci plan --format markdown > plan.md');
    if (v.json) throw new UsageError('--format and --json cannot be used together', '--json is NDJSON; --format markdown is one document');
  }
  let limit: number | undefined;
  if (v.limit !== undefined) {
    if (v.ci !== 'history') throw new UsageError('--limit only works with --ci history', 'see --help');
    limit = Number(v.limit);
    if (!/^\d+$/.test(v.limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit "${v.limit.slice(0, 40)}" is not a number from 1 to 1000`, 'e.g. --ci history --limit 50');
  }
  if (v['write-profile'] && v.ci !== 'bootstrap') throw new UsageError('--write-profile only works with --ci bootstrap', 'see --help');
  const secrets = v.ci === 'secrets' ? parseSecretsCommand(pos, v.overwrite === true) : undefined;
  if (v.overwrite && secrets?.op !== 'fetch' && secrets?.op !== 'upload') throw new UsageError('--overwrite only works with --ci secrets fetch DIR or upload DIR', 'see --help');
  const state = v.ci === 'state' ? parseStateCommand(pos) : undefined;
  assertApproved(v.ci as CiCommand, state, v['auto-approve'] === true);
  if (state?.op === 'pull' && v.json) throw new UsageError('--json does not go with --ci state pull: it prints the state itself', 'e.g. ./run.kube -e ENV --ci state pull > state.json');
  if (v.ci === 'unlock' && pos.length !== 1) throw new UsageError('--ci unlock needs the lock ID (and nothing else)', 'the ID is shown with the lock: ./run.kube -e ENV --ci unlock LOCK_ID');
  let ssh: SshCliOptions | undefined;
  if (sshLike) {
    const concurrency = parseConcurrency(v.concurrency);
    let connectTimeoutMs: number | undefined;
    if (v['connect-timeout'] !== undefined) {
      const n = Number(v['connect-timeout']);
      if (!/^\d+(\.\d+)?$/.test(v['connect-timeout']) || n <= 0 || n > 600) throw new UsageError(`--connect-timeout "${v['connect-timeout']}" is not a number of seconds from 0 to 600`, 'e.g. --connect-timeout 5');
      connectTimeoutMs = Math.round(n * 1000);
    }
    if (v.role !== undefined && v.ci !== 'exec') throw new UsageError('--role only works with --ci exec', 'see --help');
    ssh = {
      ...(v.bastion !== undefined ? { bastion: v.bastion } : {}),
      ...(v.user !== undefined ? { user: v.user } : {}),
      ...(v.identity !== undefined ? { identity: v.identity } : {}),
      ...(v['known-hosts'] !== undefined ? { knownHosts: v['known-hosts'] } : {}),
      acceptNewHostKey: v['accept-new-host-key'] === true,
      ...(v.role !== undefined ? { role: v.role } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      targets: [...pos],
      command: remote,
    };
  }
  return {
    kind: 'ci',
    ...base,
    command: v.ci as CiCommand,
    json: v.json === true,
    ...(v.format === 'markdown' ? { markdown: true } : {}),
    autoApprove: v['auto-approve'] === true,
    writeProfile: v['write-profile'] === true,
    ...(secrets ? { secrets } : {}),
    ...(ssh ? { ssh } : {}),
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(v.ci === 'unlock' ? { lockId: pos[0]! } : {}),
    ...(state ? { state } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** Seconds given on the command line → ms. @throws UsageError outside `min`..`max` seconds. */
function seconds(name: string, text: string | boolean | undefined, dflt: number, min: number, max: number): number {
  if (typeof text !== 'string') return dflt * 1000;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < min || n > max) throw new UsageError(`--${name} "${text.slice(0, 40)}" is not a number of seconds from ${min} to ${max}`, `e.g. --${name} ${dflt}`);
  return Math.round(n * 1000);
}

/** `--ci roll secure|compute [options]`. */
function parseRoll(v: Record<string, string | boolean | undefined>, pos: readonly string[]): Invocation {
  if (pos.length !== 1 || (pos[0] !== 'secure' && pos[0] !== 'compute')) {
    throw new UsageError(`--ci roll takes the node group to roll, secure or compute${pos.length ? ` (not ${pos.map((p) => `"${p.slice(0, 40)}"`).join(' ')})` : ''}`, 'e.g. ./run.kube -e ENV --ci roll compute --batch 2');
  }
  const layer = pos[0];
  for (const k of ['role', 'concurrency', 'format', 'limit', 'write-profile', 'overwrite', 'drift-every', 'playground-age'] as const) {
    if (v[k] !== undefined) throw new UsageError(`--${k} does not go with --ci roll`, 'see --help');
  }
  const play = v.play === true;
  if (play && v.env !== undefined) throw new UsageError('--play and -e ENV cannot be used together', 'use ./play.kube, or ./run.kube -e ENV');
  if (!play && v.env === undefined) throw new UsageError('no environment given', 'pass -e ENV (profiles/ENV.tfvars), or use ./play.kube for your playground');
  let batch = 1;
  if (typeof v.batch === 'string') {
    batch = Number(v.batch);
    if (!/^\d+$/.test(v.batch) || batch < 1 || batch > 100) throw new UsageError(`--batch "${v.batch.slice(0, 40)}" is not a number from 1 to 100`, 'e.g. --batch 2');
    if (layer === 'secure' && batch > 1) throw new UsageError('--batch is for compute: the control plane (secure) is rolled one node at a time, so that etcd keeps its quorum', 'drop --batch, or roll compute');
  }
  let connectTimeoutMs: number | undefined;
  if (v['connect-timeout'] !== undefined) connectTimeoutMs = seconds('connect-timeout', v['connect-timeout'], 10, 1, 600);
  return {
    kind: 'ci',
    ...(v.env !== undefined ? { environment: v.env as string } : {}),
    play,
    local: v.local === true,
    command: 'roll',
    json: v.json === true,
    autoApprove: v['auto-approve'] === true,
    writeProfile: false,
    ssh: {
      ...(typeof v.bastion === 'string' ? { bastion: v.bastion } : {}),
      ...(typeof v.user === 'string' ? { user: v.user } : {}),
      ...(typeof v.identity === 'string' ? { identity: v.identity } : {}),
      ...(typeof v['known-hosts'] === 'string' ? { knownHosts: v['known-hosts'] } : {}),
      acceptNewHostKey: v['accept-new-host-key'] === true,
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      targets: [],
      command: [],
    },
    ...(typeof v.kubeconfig === 'string' ? { kubeconfig: v.kubeconfig } : {}),
    roll: {
      layer,
      force: v.force === true,
      batch,
      settleMs: seconds('settle', v.settle, 60, 0, 3600),
      drainTimeoutMs: seconds('drain-timeout', v['drain-timeout'], 300, 1, 86_400),
      disableEviction: v['disable-eviction'] === true,
    },
  };
}

/**
 * `--drift-every`: `90s`, `30m`, `2h` → ms, from 1 minute to 24 hours.
 * @throws UsageError for anything else.
 */
export function parseDriftEvery(text: string): number {
  const m = /^(\d{1,6})(s|m|h)$/.exec(text);
  const ms = m ? Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 60_000 && ms <= 86_400_000)) throw new UsageError(`--drift-every "${text.slice(0, 40)}" is not a duration from 1m to 24h`, 'e.g. --drift-every 30m (also 90s, 2h)');
  return ms;
}

function parseSecretsCommand(pos: readonly string[], overwrite: boolean): SecretsCommand {
  const [op, a, b, ...rest] = pos;
  const need = (n: number, usage: string) => {
    if (pos.length !== n + 1) throw new UsageError(`--ci secrets ${op ?? ''}: expected ${usage}`, 'see --help');
  };
  void rest;
  switch (op) {
    case 'ls':
      need(0, 'no argument');
      return { op: 'ls' };
    case 'get':
      need(1, 'KEY');
      return { op: 'get', key: a! };
    case 'put':
      need(2, 'KEY FILE');
      return { op: 'put', key: a!, file: b! };
    case 'fetch':
      need(1, 'DIR');
      return { op: 'fetch', dir: a!, overwrite };
    case 'upload':
      need(1, 'DIR');
      return { op: 'upload', dir: a!, overwrite };
    default:
      throw new UsageError(op ? `unknown --ci secrets command "${op}"` : '--ci secrets needs a command', 'use one of: ls, get KEY, put KEY FILE, fetch DIR, upload DIR');
  }
}

/**
 * `--ci state OP ARGS…` → a {@link StateCommand}.
 * @throws UsageError for an unknown operation or the wrong number of arguments.
 */
export function parseStateCommand(pos: readonly string[]): StateCommand {
  const [op, ...args] = pos;
  const need = (n: number, usage: string) => {
    if (args.length !== n) throw new UsageError(`--ci state ${op ?? ''}: expected ${usage}`, 'see --help');
  };
  switch (op) {
    case 'list':
    case 'pull':
      need(0, 'no argument');
      return { op };
    case 'show':
    case 'target':
    case 'replace':
      need(1, 'one resource address, e.g. module.bastion.aws_instance.bastion');
      return { op, address: args[0]! };
    case 'import':
    case 'import-direct':
      need(2, 'ADDRESS ID, e.g. module.bastion.aws_instance.bastion i-0abc123');
      return { op, address: args[0]!, id: args[1]! };
    case 'rm':
      if (!args.length) throw new UsageError('--ci state rm: expected one or more resource addresses', 'see --help');
      return { op, addresses: [...args] };
    case 'mv':
      need(2, 'FROM TO (two resource addresses)');
      return { op, from: args[0]!, to: args[1]! };
    case 'push':
      need(1, 'FILE (a state written by --ci state pull)');
      return { op, file: args[0]! };
    case 'unlock':
      need(1, 'LOCK_ID (shown with the lock)');
      return { op, lockId: args[0]! };
    default:
      throw new UsageError(op ? `unknown --ci state command "${op}"` : '--ci state needs a command', 'use one of: list, show ADDR, pull, target ADDR, replace ADDR, import ADDR ID, import-direct ADDR ID, rm ADDR..., mv FROM TO, push FILE, unlock LOCK_ID');
  }
}
