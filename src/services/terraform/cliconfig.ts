import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsWriteError, writeFileAtomic } from '../../core/atomic-write.js';

/** Where providers come from: a filesystem mirror directory, or the public registry. */
export type ProviderSource = { kind: 'mirror'; path: string } | { kind: 'registry' };

/** The default mirror on the build machines; `PLATFORM_PROVIDER_MIRROR` overrides it. */
export const DEFAULT_PROVIDER_MIRROR = '/opt/tf-plugins';

/** The provider source for this machine: `$PLATFORM_PROVIDER_MIRROR`, else /opt/tf-plugins when it exists, else the registry. */
export function providerSource(env: NodeJS.ProcessEnv = process.env): ProviderSource {
  const path = env.PLATFORM_PROVIDER_MIRROR || DEFAULT_PROVIDER_MIRROR;
  return existsSync(path) ? { kind: 'mirror', path } : { kind: 'registry' };
}

/**
 * The text of the project's Terraform CLI configuration (Terraform's "CLI Configuration File"
 * format): with a mirror, `provider_installation { filesystem_mirror { path } direct { exclude } }`
 * so hashicorp/* providers never reach the network; else an empty configuration (public registry).
 */
export function cliConfigText(source: ProviderSource): string {
  const header = '# Written by platform-console; Terraform reads it through TF_CLI_CONFIG_FILE.\n';
  if (source.kind === 'registry') return header;
  return `${header}provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(source.path)}
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`;
}

/**
 * Writes the CLI configuration into `dir` (atomically, see {@link writeFileAtomic}) and returns its
 * path, to be passed as `TF_CLI_CONFIG_FILE`.
 * @throws ConsoleError "cannot create DIR: …" when the directory cannot be made, or "cannot write
 *   DIR/terraform.rc: …" with what to do (e.g. free space on a full disk); no temp file is left.
 */
export async function writeCliConfig(dir: string, source: ProviderSource = providerSource()): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fsWriteError('create', dir, dirname(dir), err);
  }
  const file = join(dir, 'terraform.rc');
  await writeFileAtomic(file, cliConfigText(source));
  return file;
}
