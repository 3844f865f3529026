import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { consoleNodeFlags, projectRoot } from '../../src/core/paths.js';
import { emulatorLogPath, stopEmulator } from '../../src/services/local/emulator.js';

/** An isolated place to run the console: its own profiles, module copy, work dir and local emulator. */
export interface Workspace {
  dir: string;
  profiles: string;
  terraform: string;
  work: string;
  local: string;
  /** Environment for the CLI child (PLATFORM_* overrides, no AWS credentials of the developer). */
  env: NodeJS.ProcessEnv;
  /** Writes profiles/NAME.tfvars from profiles/local.tfvars with environment = NAME (and optional line edits). */
  profile(name: string, edit?: (text: string) => string): Promise<string>;
  /** Runs the CLI ({@link CLI}) to completion. */
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  /** Starts the CLI and returns the child (for concurrent runs and signals). */
  spawnCli(args: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof spawn>;
  /**
   * What the workspace's emulator (moto) logged that explains a failure: its tracebacks and the
   * requests it answered with a 5xx (werkzeug's access lines), then its last 20 lines.
   * Empty when it has logged nothing (no `local/moto.log`).
   */
  emulatorLog(): Promise<string>;
  /**
   * Stops the workspace's emulator and removes the directory. With `PC_TEST_KEEP_LOGS=DIR` set,
   * first copies the emulator's log there (`moto-<workspace>.log`), for a failure seen only in CI.
   */
  dispose(): Promise<void>;
}

/** Exit code and output of a CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const ROOT = projectRoot();
/** The console as operators run it: the esbuild bundle's entry (scripts/bundle.mjs). */
export const CLI = join(ROOT, 'dist', 'bundle', 'bin.js');
/** The Node flags the launchers start the console with (scripts/node-flags), read once. */
const CLI_NODE_FLAGS = consoleNodeFlags();

/**
 * Makes a workspace. `module` is `'platform'` for the real terraform/ root module, or the name of
 * a fixture under test/fixtures/modules (copied with terraform/variables.tf beside it).
 */
export async function makeWorkspace(module: string): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-ws-'));
  const profiles = join(dir, 'profiles');
  const terraform = join(dir, 'terraform');
  const work = join(dir, 'work');
  const local = join(dir, 'local');
  await mkdir(profiles);
  if (module === 'platform') {
    await cp(join(ROOT, 'terraform'), terraform, { recursive: true, filter: (src) => !src.includes('/.terraform') });
  } else {
    await cp(join(ROOT, 'test', 'fixtures', 'modules', module), terraform, { recursive: true });
    await cp(join(ROOT, 'terraform', 'variables.tf'), join(terraform, 'variables.tf'));
  }
  await cp(join(ROOT, 'profiles', 'default.tfvars'), join(profiles, 'default.tfvars'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    USER: 'tester',
    LANG: 'C.UTF-8',
    PLATFORM_PROFILES_DIR: profiles,
    PLATFORM_TERRAFORM_DIR: terraform,
    PLATFORM_WORK_DIR: work,
    PLATFORM_LOCAL_DIR: local,
    ...(process.env.PLATFORM_PROVIDER_MIRROR ? { PLATFORM_PROVIDER_MIRROR: process.env.PLATFORM_PROVIDER_MIRROR } : {}),
    ...(process.env.TF_BINARY ? { TF_BINARY: process.env.TF_BINARY } : {}),
    ...tfLogEnv(),
  };
  const spawnCli = (args: string[], extra?: NodeJS.ProcessEnv) =>
    spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    dir,
    profiles,
    terraform,
    work,
    local,
    env,
    async profile(name, edit) {
      let text = await readFile(join(ROOT, 'profiles', 'local.tfvars'), 'utf8');
      text = text.replace(/^(\s*environment\s*=\s*)"[^"]*"/m, `$1"${name}"`);
      if (edit) text = edit(text);
      const file = join(profiles, `${name}.tfvars`);
      await writeFile(file, text);
      return file;
    },
    cli(args, opts = {}) {
      return new Promise((resolve, reject) => {
        const child = spawnCli(args, opts.env);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`CLI ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 300_000} ms\n${stdout}\n${stderr}`));
        }, opts.timeoutMs ?? 300_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    spawnCli,
    emulatorLog: () => emulatorLogOf(local, 20),
    async dispose() {
      await stopEmulator({ stateDir: local }).catch(() => undefined);
      const keep = process.env.PC_TEST_KEEP_LOGS;
      if (keep) {
        await mkdir(keep, { recursive: true });
        await cp(emulatorLogPath(local), join(keep, `moto-${basename(dir)}.log`)).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Parses NDJSON output into objects (lines that are not JSON are an error). */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every path below `dir` (files and folders), sorted: to prove a command wrote nothing. */
export async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * The lines of `stateDir/moto.log` that explain a failure: tracebacks (a line starting with
 * `Traceback` and what follows it up to the exception line) and werkzeug access lines with a 5xx
 * status, at most 60; then the log's last `tail` lines. Empty when the log does not exist.
 */
async function emulatorLogOf(stateDir: string, tail: number): Promise<string> {
  let text: string;
  try {
    text = await readFile(emulatorLogPath(stateDir), 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n');
  const telling: string[] = [];
  let inTrace = false;
  for (const line of lines) {
    if (line.startsWith('Traceback')) inTrace = true;
    if (inTrace || /" 5\d\d /.test(line)) telling.push(line);
    if (inTrace && /^\w[\w.]*(Error|Exception)\b/.test(line)) inTrace = false;
  }
  const last = lines.filter(Boolean).slice(-tail);
  return [
    `emulator log (${emulatorLogPath(stateDir)}): ${telling.length ? `${telling.length} lines of tracebacks and 5xx answers` : 'no traceback or 5xx answer'}`,
    ...telling.slice(0, 60),
    `… its last ${last.length} lines:`,
    ...last,
  ].join('\n');
}

/**
 * Terraform's own logging settings of the test run (`TF_LOG`, `TF_LOG_CORE`, `TF_LOG_PROVIDER`,
 * `TF_LOG_PATH`), passed to the children the tests start, for a failure seen only under load:
 * e.g. `TF_LOG_PROVIDER=DEBUG TF_LOG_PATH=/tmp/tf.log` shows each AWS request and its attempt.
 * Only with `TF_LOG_PATH` set: without it Terraform logs to stderr, into the output the tests read.
 */
export function tfLogEnv(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  if (!process.env.TF_LOG_PATH) return out;
  for (const k of ['TF_LOG', 'TF_LOG_CORE', 'TF_LOG_PROVIDER', 'TF_LOG_PATH']) if (process.env[k]) out[k] = process.env[k];
  return out;
}
