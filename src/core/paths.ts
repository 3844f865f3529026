import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directories the console works with. */
export interface Paths {
  /** The project checkout (where package.json is). */
  root: string;
  /** Profiles: `ENV.tfvars` files (`$PLATFORM_PROFILES_DIR`, else ROOT/profiles). */
  profiles: string;
  /** The Terraform root module (`$PLATFORM_TERRAFORM_DIR`, else ROOT/terraform). */
  terraform: string;
  /** Per-environment working data: TF_DATA_DIR, saved plans, CLI config (`$PLATFORM_WORK_DIR`, else ROOT/.cache). */
  work: string;
}

let root: string | undefined;

/**
 * The project root: the nearest directory above this module's file that holds both `package.json`
 * and `terraform/` (the module runs from dist/src/core/ when compiled by tsc, from dist/bundle/
 * when bundled by esbuild). Falls back to three levels up (the tsc layout) when none is found.
 */
export function projectRoot(): string {
  if (root !== undefined) return root;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'terraform'))) return (root = dir);
    if (dirname(dir) === dir) break;
  }
  return (root = resolve(here, '..', '..', '..'));
}

/**
 * Node's flags for the console's process, from `scripts/node-flags` (its first line, words split on
 * whitespace): what `play.kube` and `run.kube` start Node with (checked by a unit test). Today `--max-semi-space-size=8` (MiB: V8's young generation grows to
 * 64 MiB under a burst of Terraform events otherwise; bench/screen-load). The console's run-time
 * settings are in core/heap-settings.ts. The benchmarks and the tests start the console with these.
 * Throws what `readFileSync` throws when the file is missing.
 */
export function consoleNodeFlags(): string[] {
  return (readFileSync(join(projectRoot(), 'scripts', 'node-flags'), 'utf8').split('\n')[0] ?? '').split(/\s+/).filter(Boolean);
}

/** The paths for this process, from the environment overrides or the project layout. */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const root = projectRoot();
  return {
    root,
    profiles: resolve(env.PLATFORM_PROFILES_DIR || join(root, 'profiles')),
    terraform: resolve(env.PLATFORM_TERRAFORM_DIR || join(root, 'terraform')),
    work: resolve(env.PLATFORM_WORK_DIR || join(root, '.cache')),
  };
}

/** `profiles/ENV.tfvars` */
/** Where the parsed profiles are cached (`WORK/profile-cache/`, see core/profile.ts). */
export function profileCacheDir(paths: Paths): string {
  return join(paths.work, 'profile-cache');
}

export function profilePath(paths: Paths, environment: string): string {
  return join(paths.profiles, `${environment}.tfvars`);
}
