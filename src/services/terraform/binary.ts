import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { TofuError } from '../../core/errors.js';

const run = promisify(execFile);

/** The engine binary found and its version. */
export interface TerraformBinary {
  /** Absolute path of the binary. */
  path: string;
  /** `terraform` or `tofu`, for display. */
  flavour: 'terraform' | 'tofu';
  /** Version string as the binary reports it, e.g. `1.11.4`. */
  version: string;
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Finds the engine: `$TF_BINARY`, else `terraform` on PATH, else `tofu` on PATH, and asks its
 * version with `version -json` (`terraform_version` field; OpenTofu answers the same shape).
 * @param onStarted called once the `version` process has been spawned (or the search ended without
 *   one), so that a caller can do CPU work while the process runs.
 * @throws TofuError when none is found or the binary does not answer.
 */
export async function findTerraform(env: NodeJS.ProcessEnv = process.env, onStarted?: () => void): Promise<TerraformBinary> {
  try {
    return await findAndAsk(env, onStarted);
  } finally {
    onStarted?.();
  }
}

async function findAndAsk(env: NodeJS.ProcessEnv, onStarted: (() => void) | undefined): Promise<TerraformBinary> {
  let path: string | undefined;
  if (env.TF_BINARY) {
    path = env.TF_BINARY.includes('/') ? env.TF_BINARY : await onPath(env.TF_BINARY, env);
    if (!path) throw new TofuError(`TF_BINARY=${env.TF_BINARY} is not an executable`, 'point TF_BINARY at terraform or tofu, or unset it');
  } else {
    path = (await onPath('terraform', env)) ?? (await onPath('tofu', env));
  }
  if (!path) {
    throw new TofuError('neither terraform nor tofu is on PATH', 'install Terraform 1.11 (or OpenTofu), or set TF_BINARY to its path');
  }
  try {
    const asked = run(path, ['version', '-json'], { env: { ...env, CHECKPOINT_DISABLE: '1' }, timeout: 15_000 });
    onStarted?.();
    const { stdout } = await asked;
    const v = JSON.parse(stdout) as { terraform_version?: string };
    const flavour = /tofu[^/]*$/.test(path) ? 'tofu' : 'terraform';
    return { path, flavour, version: v.terraform_version ?? 'unknown' };
  } catch (err) {
    throw new TofuError(`${path} did not report its version: ${(err as Error).message.split('\n')[0]}`, 'check that the binary runs: ' + path + ' version');
  }
}
