/**
 * `--ci ssh` and `--ci exec`: SSH through the bastion, headless. The AWS session is opened only
 * when something must be looked up (an instance id or Name tag, a role, the bastion's address);
 * `--ci ssh HOST[:PORT] --bastion H[:P]` needs no AWS at all.
 *
 * Exit codes (OpenSSH's): `ssh` returns the remote exit status; connection, host-key or
 * authentication failure is 255; a usage, profile or AWS error is 1. `exec` returns 0 when every
 * node exited 0, 1 when any failed or could not be reached.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConsoleError, exitCodeOf, formatError, SshError, UsageError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import type { Profile } from '../core/profile.js';
import type { InstanceRow } from '../services/aws/instances.js';
import type { Session } from '../services/session.js';
import { connect, type SshSettings } from '../services/ssh/connection.js';
import { runCommand, runOnMany, type NodeResult } from '../services/ssh/exec.js';
import { resolveIdentity } from '../services/ssh/identity.js';
import { DEFAULT_USER, resolveBastion, resolveTarget, targetsOfRole, type SshTarget } from '../services/ssh/targets.js';

/** The SSH options of the command line. */
export interface SshCliOptions {
  /** `--bastion HOST[:PORT]`. */
  bastion?: string;
  user?: string;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKey: boolean;
  /** `--ci exec --role R`. */
  role?: string;
  /** `--ci exec --concurrency N` (default 8). */
  concurrency?: number;
  /** `--connect-timeout S`, in ms (default 10,000). */
  connectTimeoutMs?: number;
  /** TARGET (ssh: exactly one; exec: any number, added to the role's). */
  targets: string[];
  /** The remote command: the words after `--`, joined by spaces as OpenSSH does; empty for a shell. */
  command: string[];
}

/** What `--ci ssh|exec` needs. */
export interface CiSshOptions {
  command: 'ssh' | 'exec';
  environment: string;
  profile: Profile;
  local: boolean;
  json: boolean;
  ssh: SshCliOptions;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Raw remote output (default process.stdout / process.stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * The SSH settings of the command line's options: the bastion (`--bastion`, else the Terraform
 * output `bastion_public_ip`, else the bastion instance), the user, the identity (`--identity`,
 * the profile's `ssh_identity_file`, `~/.ssh/kube-ENV`, the agent), known_hosts, and what an
 * unknown host key gets (`--accept-new-host-key` adds it, with a warning on `err`).
 * @throws SshError (no bastion, no identity) or what opening the session throws.
 */
export async function resolveSshSettings(o: {
  ssh: Omit<SshCliOptions, 'targets' | 'command'>;
  profile: Profile;
  environment: string;
  env: NodeJS.ProcessEnv;
  err: (line: string) => void;
  session: () => Promise<Session>;
  instances: () => Promise<InstanceRow[]>;
}): Promise<SshSettings> {
  const s = o.ssh;
  // Bastion: --bastion, else the output, else the bastion instance.
  let bastionOutput: string | undefined;
  if (!s.bastion) {
    const sess = await o.session();
    const out = (await sess.engine.outputs()).find((x) => x.name === 'bastion_public_ip');
    bastionOutput = typeof out?.value === 'string' && out.value ? out.value : undefined;
  }
  const bastion = resolveBastion(s.bastion, bastionOutput, bastionOutput || s.bastion ? [] : await o.instances());
  const home = o.env.HOME || homedir();
  const identity = await resolveIdentity({
    ...(s.identity ? { identityFile: s.identity } : {}),
    profileIdentityFile: o.profile.ssh_identity_file,
    environment: o.environment,
    home,
    agentSocket: o.env.SSH_AUTH_SOCK ?? '',
  });
  const knownHostsFile = s.knownHosts ?? join(home, '.ssh', 'known_hosts');
  return {
    bastion,
    user: s.user || o.profile.ssh_user || DEFAULT_USER,
    identity,
    knownHostsFile,
    ...(s.connectTimeoutMs ? { timeoutMs: s.connectTimeoutMs } : {}),
    onUnknownHost: async (k) => {
      if (!s.acceptNewHostKey) return false;
      o.err(`warning: permanently added the ${k.keyType} host key of ${k.label} (${k.name}, ${k.fingerprint}) to ${knownHostsFile}`);
      return true;
    },
  };
}

/** True when TARGET needs the environment's instances to resolve (an id or a bare Name tag). */
export function needsInstances(spec: string): boolean {
  return /^i-[0-9a-f]{8,17}$/.test(spec) || !/[.:[]/.test(spec);
}

const localNoHosts = (): SshError => new SshError(
  'the local emulator\'s instances have no hosts behind them: there is nothing to SSH into',
  'SSH works against a real environment; to try it locally give a reachable HOST[:PORT] target and --bastion HOST[:PORT]',
);

/** Runs `--ci ssh` or `--ci exec` and returns the exit code. Never throws. */
export async function runCiSsh(o: CiSshOptions): Promise<number> {
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  let session: Session | undefined;
  let instances: InstanceRow[] | undefined;
  const opened = async (): Promise<Session> => {
    if (o.local) throw localNoHosts();
    if (!session) {
      const { openSession } = await import('../services/session.js');
      session = await openSession({ environment: o.environment, profile: o.profile, local: o.local, paths: o.paths, env: o.env });
    }
    return session;
  };
  const listed = async (): Promise<InstanceRow[]> => {
    if (!instances) {
      const { listInstances } = await import('../services/aws/instances.js');
      instances = await listInstances((await opened()).aws);
    }
    return instances;
  };
  const started = Date.now();
  try {
    const s = o.ssh;
    if (o.command === 'ssh' && s.targets.length !== 1) throw new UsageError(`--ci ssh takes one TARGET (got ${s.targets.length})`, 'usage: --ci ssh TARGET [-- COMMAND]; TARGET is an instance id, a Name tag or HOST[:PORT]');
    if (o.command === 'exec' && !s.role && !s.targets.length) throw new UsageError('--ci exec needs --role ROLE or TARGETs', 'usage: --ci exec --role compute -- COMMAND');
    if (o.command === 'exec' && !s.command.length) throw new UsageError('--ci exec needs a command after --', 'usage: --ci exec --role compute -- uptime');
    if (s.role && o.command === 'ssh') throw new UsageError('--role works with --ci exec', 'use --ci exec --role ROLE -- COMMAND');
    // Targets.
    const targets: SshTarget[] = [];
    if (s.role) {
      const rows = await listed();
      const t = targetsOfRole(s.role, rows);
      if (!t.length) throw new SshError(`no running ${s.role} instances in ${o.environment}`, 'list them with --ci instances; roles are bastion, secure, compute');
      targets.push(...t);
    }
    for (const spec of s.targets) targets.push(resolveTarget(spec, needsInstances(spec) ? await listed() : []));
    const settings = await resolveSshSettings({ ssh: s, profile: o.profile, environment: o.environment, env: o.env, err: o.err, session: opened, instances: listed });
    if (o.command === 'ssh') {
      const target = targets[0]!;
      const conn = await connect(target, settings);
      try {
        if (!s.command.length) {
          if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('an interactive shell needs a terminal', 'give a command after --, e.g. --ci ssh TARGET -- uptime');
          const { interactiveShell } = await import('../services/ssh/shell.js');
          return (await interactiveShell(conn.client, { stdin: process.stdin, stdout: process.stdout })).code;
        }
        const exit = await runCommand(conn.client, s.command.join(' '), { stdout: stdout as never, stderr: stderr as never });
        if (exit.signal) o.err(`${target.label}: the remote command was killed by signal ${exit.signal}`);
        return exit.code;
      } finally {
        conn.close();
      }
    }
    const results = await runOnMany(targets, s.command.join(' '), settings, {
      concurrency: s.concurrency ?? 8,
      onResult: (r) => printResult(r, o),
    });
    const failed = results.filter((r) => r.code !== 0);
    const summary = { type: 'summary', command: 'exec', environment: o.environment, ok: failed.length === 0, exit_code: failed.length ? 1 : 0, nodes: results.length, failed: failed.length, duration_ms: Date.now() - started };
    if (o.json) o.out(JSON.stringify(summary));
    else o.err(`${results.length - failed.length}/${results.length} nodes succeeded${failed.length ? `; failed: ${failed.map((r) => `${r.target.label} (${r.error ? 'unreachable' : `exit ${r.code}`})`).join(', ')}` : ''}`);
    return failed.length ? 1 : 0;
  } catch (err) {
    o.err(formatError(err));
    if (o.json) {
      const ce = err instanceof ConsoleError ? err : undefined;
      o.out(JSON.stringify({ type: 'summary', command: o.command, environment: o.environment, ok: false, exit_code: exitCodeOf(err), error: ce ? ce.message : (err as Error).message, ...(ce?.hint ? { hint: ce.hint } : {}), duration_ms: Date.now() - started }));
    }
    return exitCodeOf(err);
  } finally {
    session?.close();
  }
}

/** One node's output, grouped: a header line, its stdout, its stderr (prefixed), in finishing order. */
function printResult(r: NodeResult, o: CiSshOptions): void {
  if (o.json) {
    o.out(JSON.stringify({ type: 'node_result', target: r.target.label, host: r.target.host, port: r.target.port, exit_code: r.code, ...(r.signal ? { signal: r.signal } : {}), stdout: r.stdout, stderr: r.stderr, truncated: r.truncated, ...(r.error ? { error: r.error.message } : {}), duration_ms: r.ms }));
    return;
  }
  const status = r.error ? `unreachable: ${r.error.message}` : `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`;
  o.out(`── ${r.target.label}  ${status}  ${(r.ms / 1000).toFixed(1)} s`);
  for (const l of r.stdout.replace(/\n$/, '').split('\n')) if (r.stdout) o.out(`   ${l}`);
  for (const l of r.stderr.replace(/\n$/, '').split('\n')) if (r.stderr) o.out(` ! ${l}`);
  if (r.truncated) o.out('   … output truncated (1 MiB per node and stream)');
}
