import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

/** Headless commands (`--ci CMD`). */
export const CI_COMMANDS = ['plan', 'apply', 'destroy', 'output', 'instances', 'elbs', 'secrets', 'bootstrap'] as const;
export type CiCommand = (typeof CI_COMMANDS)[number];

/** `--ci secrets` sub-commands and their arguments. */
export type SecretsCommand =
  | { op: 'ls' }
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; file: string }
  | { op: 'fetch'; dir: string }
  | { op: 'upload'; dir: string };

/** The parsed command line of `play.kube` / `run.kube`. */
export type Invocation =
  | { kind: 'console'; environment?: string; play: boolean; local: boolean }
  | {
      kind: 'ci';
      environment?: string;
      play: boolean;
      local: boolean;
      command: CiCommand;
      json: boolean;
      autoApprove: boolean;
      /** With `--ci bootstrap`: write the bucket and key into the profile. */
      writeProfile: boolean;
      /** With `--ci secrets`. */
      secrets?: SecretsCommand;
    }
  | { kind: 'local-stop' }
  | { kind: 'help' }
  | { kind: 'version' };

/** Usage text printed by --help. */
export const USAGE = `usage:
  ./play.kube [--local]                          console on your playground play-$USER
  ./run.kube -e ENV [--local]                    console on profiles/ENV.tfvars
  ./run.kube -e ENV [--local] --ci plan|apply|destroy|output [--json] [--auto-approve]
  ./run.kube -e ENV [--local] --ci instances|elbs [--json]
  ./run.kube -e ENV [--local] --ci secrets ls|get KEY|put KEY FILE|fetch DIR|upload DIR [--json]
  ./run.kube -e ENV [--local] --ci bootstrap [--write-profile] [--json]
  ./run.kube --local stop                        stop the local AWS emulator

options:
  -e, --env ENV        environment (profiles/ENV.tfvars)
      --play           the playground play-$USER (what ./play.kube passes)
      --local          use the embedded local AWS emulator (moto) instead of AWS
      --ci CMD         run headless: plan, apply, destroy or output
      --json           with --ci: NDJSON events, the last one {"type":"summary",…}
      --auto-approve   with --ci apply/destroy: required, nothing is applied without it
      --write-profile  with --ci bootstrap: write terraform_bucket_name and kms_master_id into the profile
  -h, --help           this text
exit codes (--ci): 0 success and no changes, 2 plan has changes, 1 any error`;

/**
 * Parses the command line (node's util.parseArgs, strict).
 * @throws UsageError for unknown options, a missing value, or a forbidden combination.
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        env: { type: 'string', short: 'e' },
        play: { type: 'boolean' },
        local: { type: 'boolean' },
        ci: { type: 'string' },
        json: { type: 'boolean' },
        'auto-approve': { type: 'boolean' },
        'write-profile': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify.*$/s, ''), 'see --help');
  }
  const v = parsed.values;
  const pos = parsed.positionals;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  if (pos[0] === 'stop' && v.ci === undefined) {
    if (!v.local) throw new UsageError('"stop" stops the local emulator and needs --local', 'run ./run.kube --local stop');
    return { kind: 'local-stop' };
  }
  if (pos.length && v.ci !== 'secrets') throw new UsageError(`unexpected argument "${pos[0]}"`, 'see --help');
  const play = v.play === true;
  if (play && v.env !== undefined) throw new UsageError('--play and -e ENV cannot be used together', 'use ./play.kube, or ./run.kube -e ENV');
  if (!play && v.env === undefined) throw new UsageError('no environment given', 'pass -e ENV (profiles/ENV.tfvars), or use ./play.kube for your playground');
  const base = { ...(v.env !== undefined ? { environment: v.env } : {}), play, local: v.local === true };
  if (v.ci === undefined) {
    if (v.json || v['auto-approve'] || v['write-profile']) throw new UsageError('--json, --auto-approve and --write-profile only work with --ci', 'see --help');
    return { kind: 'console', ...base };
  }
  if (!(CI_COMMANDS as readonly string[]).includes(v.ci)) {
    throw new UsageError(`unknown --ci command "${v.ci}"`, `use one of: ${CI_COMMANDS.join(', ')}`);
  }
  if (v['write-profile'] && v.ci !== 'bootstrap') throw new UsageError('--write-profile only works with --ci bootstrap', 'see --help');
  const secrets = v.ci === 'secrets' ? parseSecretsCommand(pos) : undefined;
  return {
    kind: 'ci',
    ...base,
    command: v.ci as CiCommand,
    json: v.json === true,
    autoApprove: v['auto-approve'] === true,
    writeProfile: v['write-profile'] === true,
    ...(secrets ? { secrets } : {}),
  };
}

function parseSecretsCommand(pos: readonly string[]): SecretsCommand {
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
      return { op: 'fetch', dir: a! };
    case 'upload':
      need(1, 'DIR');
      return { op: 'upload', dir: a! };
    default:
      throw new UsageError(op ? `unknown --ci secrets command "${op}"` : '--ci secrets needs a command', 'use one of: ls, get KEY, put KEY FILE, fetch DIR, upload DIR');
  }
}
