import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { ProfileError } from '../core/errors.js';
import { profilePath, type Paths } from '../core/paths.js';
import { profileFromTemplate } from '../core/profile.js';

/**
 * Makes sure the playground profile `profiles/play-USER.tfvars` exists: on first use it is copied
 * from `profiles/default.tfvars` with `environment` set to the playground's name (written
 * atomically with {@link writeFileAtomic}, so an interrupted copy leaves nothing half-written).
 * @returns the message to show when the profile was created now, else undefined.
 * @throws ProfileError when the template is missing; ConsoleError "cannot write FILE: …" as
 *   {@link writeFileAtomic}.
 */
export async function ensurePlaygroundProfile(paths: Paths, environment: string): Promise<string | undefined> {
  const target = profilePath(paths, environment);
  if (existsSync(target)) return undefined;
  const template = join(paths.profiles, 'default.tfvars');
  let text: string;
  try {
    text = await readFile(template, 'utf8');
  } catch {
    throw new ProfileError(`the playground template ${template} is missing`, 'restore profiles/default.tfvars from git');
  }
  await writeFileAtomic(target, profileFromTemplate(text, environment));
  return `created ${target} from profiles/default.tfvars for your playground ${environment}; edit it to change sizes or access lists`;
}

