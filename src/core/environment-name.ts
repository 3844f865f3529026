import { ProfileError } from './errors.js';

/**
 * Environment names: lower-case letters, digits and dashes, starting with a letter, at most 32
 * characters. The same rule is enforced by `variable "environment"` in terraform/variables.tf,
 * because the name becomes part of S3 keys, resource names and tags.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Checks an environment name given on the command line (`-e ENV`).
 * @returns the name, unchanged.
 * @throws ProfileError naming the rule when the name is empty, has a path separator, a space,
 *   upper case or any other character the rule does not allow.
 */
export function checkEnvironmentName(name: string | undefined): string {
  if (name === undefined || name === '') {
    throw new ProfileError('no environment given', 'pass one with -e ENV, e.g. -e dev (profiles/dev.tfvars)');
  }
  if (!ENVIRONMENT_NAME.test(name)) {
    throw new ProfileError(
      `invalid environment name ${JSON.stringify(name)}: use lower-case letters, digits and dashes, starting with a letter, at most 32 characters`,
      'e.g. -e dev or -e play-alice',
    );
  }
  return name;
}

/**
 * The playground environment of a user: `play-USER`, with the user name lower-cased and any
 * character outside [a-z0-9-] replaced by a dash (so `Jane.Doe` gives `play-jane-doe`).
 * @throws ProfileError when nothing usable is left of the user name.
 */
export function playgroundName(user: string | undefined): string {
  const cleaned = (user ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 26);
  if (!cleaned) {
    throw new ProfileError('cannot name the playground: $USER is empty', 'set USER, or use ./run.kube -e ENV');
  }
  return checkEnvironmentName(`play-${cleaned}`);
}
