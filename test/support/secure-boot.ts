/**
 * The control-plane bootstrap's own `attach_free volume|interface` (terraform/modules/bootstrap/
 * scripts/secure.sh, with lib.sh), run off a node by bash with the real AWS CLI against an
 * emulator: what a new control-plane node does first when it boots. Shared by the attach_free test
 * and the roll's harness, which plays the replacement node's boot with it.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { projectRoot } from '../../src/core/paths.js';

/** The bootstrap scripts of the platform. */
export const SCRIPTS = join(projectRoot(), 'terraform', 'modules', 'bootstrap', 'scripts');

/**
 * A new node: lib.sh sourced (settings from PLATFORM_BOOTSTRAP_ENV), secure.sh's attach_free taken
 * verbatim, then called as secure.sh's boot calls it (in a command substitution with `|| die`, so
 * errexit is off inside it as on a node) and the id printed.
 */
export const NODE_SCRIPT = `
. "$1"
eval "$(sed -n '/^attach_free() {/,/^}/p' "$2")"
declare -F attach_free >/dev/null || die "no attach_free() in $2"
# The harness's only change: attach_free's retry pause (5-15 s) is 0.2 s here.
sleep() { command sleep 0.2; }
id=$(attach_free "$3") || die "no free $3 of $CLUSTER_NAME in $AZ"
echo "$id"
`;

/** A running `attach_free` (its own process group: bash and its aws children). */
export interface AttachFreeRun {
  stdout: () => string;
  stderr: () => string;
  /** The exit status (null when killed). */
  done: Promise<number | null>;
  /** SIGKILL to the process group. */
  kill(): void;
}

/** What {@link startAttachFree} runs. */
export interface AttachFreeOptions {
  cluster: string;
  az: string;
  instanceId: string;
  kind: 'volume' | 'interface';
  /** The EC2 endpoint (`AWS_ENDPOINT_URL`): an attach guard in front of moto. */
  endpoint: string;
  region: string;
  /** A scratch directory (the settings file, HOME). */
  dir: string;
  /** Killed after this long, ms (default 120,000). */
  timeoutMs?: number;
}

/** Starts `attach_free KIND` as a node in `az` with instance id `instanceId` would run it. */
export async function startAttachFree(o: AttachFreeOptions): Promise<AttachFreeRun> {
  const settings = join(o.dir, `${o.cluster}.env`);
  // What cloud-init writes to /etc/platform/bootstrap.env; attach_free reads two settings.
  await writeFile(settings, `AWS_REGION='${o.region}'\nCLUSTER_NAME='${o.cluster}'\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: o.dir,
    LANG: 'C.UTF-8',
    PLATFORM_BOOTSTRAP_ENV: settings,
    AZ: o.az,
    INSTANCE_ID: o.instanceId,
    AWS_ENDPOINT_URL: o.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(o.dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(o.dir, 'no-aws-credentials'),
  };
  const child = spawn('bash', ['-c', NODE_SCRIPT, '_', join(SCRIPTS, 'lib.sh'), join(SCRIPTS, 'secure.sh'), o.kind], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  const timer = setTimeout(kill, o.timeoutMs ?? 120_000);
  return {
    stdout: () => out,
    stderr: () => err,
    kill,
    done: new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    }),
  };
}
