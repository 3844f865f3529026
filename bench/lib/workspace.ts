/**
 * An isolated place to run the real console for a benchmark: its own profiles, root module,
 * work dir and local emulator state dir, all in one temp dir that is removed afterwards. The
 * private moto it starts is stopped with `main.js --local stop` (same PLATFORM_LOCAL_DIR).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../src/core/paths.js';
import { readEmulatorRecord, type EmulatorRecord } from '../../src/services/local/emulator.js';
import { onCleanup, runTimed, tail, type TimedRun } from './proc.js';

export const ROOT = projectRoot();
/** The console's entry as operators run it (the esbuild bundle), or $BENCH_CLI (e.g. another checkout's, for a before/after run). */
export const CLI = process.env.BENCH_CLI || join(ROOT, 'dist', 'bundle', 'bin.js');
/**
 * Node's flags for {@link CLI}, as the launchers start it: its checkout's `scripts/node-flags`
 * (none when that checkout has no such file, e.g. an older one given as $BENCH_CLI).
 */
export const CLI_NODE_FLAGS: readonly string[] = ((): string[] => {
  // The checkout is the nearest folder above CLI with a package.json (dist/bundle/bin.js or dist/src/cli/bin.js).
  for (let dir = dirname(CLI); dirname(dir) !== dir; dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const file = join(dir, 'scripts', 'node-flags');
    return existsSync(file) ? (readFileSync(file, 'utf8').split('\n')[0] ?? '').split(/\s+/).filter(Boolean) : [];
  }
  return [];
})();
/** The Node binary running the benchmark (Node 24 from node_modules/.bin when run as documented). */
export const NODE = process.execPath;
/** Terraform as the console finds it: $TF_BINARY, else the machine's 1.11.4. */
export const TERRAFORM = process.env.TF_BINARY && process.env.TF_BINARY.includes('/') ? process.env.TF_BINARY : '/usr/local/bin/terraform';

/** A generated root module: `backend "s3" {}`, terraform/variables.tf, and `count` terraform_data resources. */
export async function writeModule(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(join(ROOT, 'terraform', 'variables.tf'), join(dir, 'variables.tf'));
  await writeFile(
    join(dir, 'main.tf'),
    `terraform {\n  backend "s3" {}\n}\n\nresource "terraform_data" "r" {\n  count = ${count}\n  input = "v\${count.index}"\n}\n`,
  );
}

export interface BenchWorkspace {
  dir: string;
  profiles: string;
  terraform: string;
  work: string;
  local: string;
  /** The CLI child's environment: PLATFORM_* overrides, HOME in the temp dir, no developer AWS settings. */
  env: NodeJS.ProcessEnv;
  /** Writes profiles/NAME.tfvars from profiles/local.tfvars with `environment = "NAME"`; returns its path. */
  profile(name: string): Promise<string>;
  /** Runs `node dist/src/cli/main.js args…` to completion, timed. */
  cli(args: readonly string[], timeoutMs?: number): Promise<TimedRun>;
  /** The private emulator's record (endpoint, pid), once started. */
  emulator(): Promise<EmulatorRecord>;
  /** Stops the private emulator now (`main.js --local stop`), if one is recorded; also while interrupted. */
  stopEmulatorNow(): Promise<void>;
  /** Stops the private emulator (`main.js --local stop`) and removes the temp dir. Runs once. */
  dispose(): Promise<void>;
}

/** Makes a workspace under the system temp dir; it is disposed on cleanup as well. */
export async function makeWorkspace(prefix: string): Promise<BenchWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), `pc-bench-${prefix}-`));
  const profiles = join(dir, 'profiles');
  const terraform = join(dir, 'terraform');
  const work = join(dir, 'work');
  const local = join(dir, 'local');
  const home = join(dir, 'home');
  await Promise.all([mkdir(profiles), mkdir(terraform), mkdir(work), mkdir(local), mkdir(home)]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    USER: process.env.USER || 'bench',
    LANG: process.env.LANG || 'C.UTF-8',
    PLATFORM_PROFILES_DIR: profiles,
    PLATFORM_TERRAFORM_DIR: terraform,
    PLATFORM_WORK_DIR: work,
    PLATFORM_LOCAL_DIR: local,
    ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
    ...(process.env.PLATFORM_PROVIDER_MIRROR ? { PLATFORM_PROVIDER_MIRROR: process.env.PLATFORM_PROVIDER_MIRROR } : {}),
    ...(process.env.PLATFORM_MOTO_SERVER ? { PLATFORM_MOTO_SERVER: process.env.PLATFORM_MOTO_SERVER } : {}),
    ...(process.env.TF_BINARY ? { TF_BINARY: process.env.TF_BINARY } : {}),
  };
  const cli = (args: readonly string[], timeoutMs?: number) => runTimed(NODE, [...CLI_NODE_FLAGS, CLI, ...args], { env, cwd: dir, ...(timeoutMs ? { timeoutMs } : {}) });
  const stopEmulatorNow = async (): Promise<void> => {
    if (!(await readEmulatorRecord({ stateDir: local }))) return;
    const r = await runTimed(NODE, [...CLI_NODE_FLAGS, CLI, '--local', 'stop'], { env, cwd: dir, timeoutMs: 30_000, duringCleanup: true });
    if (r.code !== 0) process.stderr.write(`stopping the benchmark's emulator failed:\n${tail(r.stderr || r.stdout)}\n`);
  };
  const dispose = onCleanup(async () => {
    await stopEmulatorNow();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    profiles,
    terraform,
    work,
    local,
    env,
    async profile(name) {
      let text = await readFile(join(ROOT, 'profiles', 'local.tfvars'), 'utf8');
      text = text.replace(/^(\s*environment\s*=\s*)"[^"]*"/m, `$1"${name}"`);
      const file = join(profiles, `${name}.tfvars`);
      await writeFile(file, text);
      return file;
    },
    cli,
    async emulator() {
      const r = await readEmulatorRecord({ stateDir: local });
      if (!r) throw new Error(`no emulator recorded in ${local}`);
      return r;
    },
    stopEmulatorNow,
    dispose,
  };
}
