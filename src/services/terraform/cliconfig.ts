import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
 * Writes the CLI configuration into `dir` (atomically: temp file then rename) and returns its path,
 * to be passed as `TF_CLI_CONFIG_FILE`.
 * @throws the fs error when `dir` cannot be written.
 */
export async function writeCliConfig(dir: string, source: ProviderSource = providerSource()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'terraform.rc');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, cliConfigText(source));
  await rename(tmp, file);
  return file;
}
