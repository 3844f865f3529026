import { realpathSync } from 'node:fs';
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { exitCodeOf, failureText, UsageError } from '../core/errors.js';
import { checkEnvironmentName, playgroundName } from '../core/environment-name.js';
import { profileCacheDir, profilePath, resolvePaths } from '../core/paths.js';
import { parseInvocation, USAGE } from './args.js';
import { ensurePlaygroundProfile } from './playground.js';
import { showSplash, type Splash } from './splash.js';

// Start-up matters (time to the first frame): only what every path needs is imported statically;
// the AWS SDK, the HCL parser, Ink and React are loaded by the path that uses them.

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/**
 * Entry point of `play.kube` and `run.kube`. Returns the process exit code; prints errors as
 * one or two lines (`error: …`, `hint: …`), never a stack trace.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (l: string) => process.stdout.write(l + '\n');
  const err = (l: string) => process.stderr.write(l + '\n');
  let splash: Splash | undefined;
  try {
    const inv = parseInvocation(argv);
    if (inv.kind === 'help') {
      // The console's keys and : commands come from the registry (no Ink is loaded).
      const { consoleUsage } = await import('../ui/keys/registry.js');
      out(`${USAGE}\n\n${consoleUsage()}`);
      return 0;
    }
    if (inv.kind === 'version') {
      out('platform-console 0.1.0');
      return 0;
    }
    if (inv.kind === 'local-stop') {
      const { stopEmulator } = await import('../services/local/emulator.js');
      const r = await stopEmulator(env.PLATFORM_LOCAL_DIR ? { stateDir: env.PLATFORM_LOCAL_DIR } : {});
      out(r.stopped ? `stopped the local emulator (pid ${r.pid})` : 'the local emulator was not running');
      return 0;
    }
    const paths = resolvePaths(env);
    if (inv.kind === 'fleet') {
      // `--ci fleet | head`: a reader that goes away is not an error with a stack trace.
      for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
      const { runCiFleet } = await import('./ci-fleet.js');
      return await runCiFleet({ local: inv.local, json: inv.json, ...(inv.playgroundAgeMs ? { playgroundAgeMs: inv.playgroundAgeMs } : {}), paths, env, out, err });
    }
    if (inv.kind === 'console' && inv.fleet) {
      if (!process.stdout.isTTY || !process.stdin.isTTY) throw new UsageError('the Fleet screen needs a terminal (stdin and stdout are not a TTY)', 'run headless with ./run.kube [--local] --ci fleet');
      splash = showSplash(process.stdout, 'fleet');
      env.NODE_ENV ??= 'production';
      process.env.NODE_ENV ??= env.NODE_ENV;
      // The rows are read from here on: the requests are under way while Ink and React load.
      const { makeFleet } = await import('./fleet-app.js');
      const fleetStart = makeFleet({
        local: inv.local,
        paths,
        env,
        program: { node: process.execPath, script: process.argv[1] ?? '' },
        ...(inv.concurrency ? { concurrency: inv.concurrency } : {}),
        ...(inv.playgroundAgeMs ? { playgroundAgeMs: inv.playgroundAgeMs } : {}),
      });
      fleetStart.fleet.resume();
      const { runConsole } = await import('./console.js');
      return await runConsole({ local: inv.local, paths, env, fleetStart, splash });
    }
    const environment = inv.play ? playgroundName(env.USER || env.LOGNAME || safeUserName()) : checkEnvironmentName(inv.environment);
    const created = inv.play ? await ensurePlaygroundProfile(paths, environment) : undefined;
    if (created) err(created);
    if (inv.kind === 'ci') {
      // A reader that goes away (the Fleet screen that started this run and was killed, `| head`)
      // must not stop a run half-way: writes to the closed pipe are dropped, and the run ends as
      // it would have (the state written, the lock released, the history record finished).
      for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
      // Validate the profile before anything starts: a bad profile is one clear line and exit 1.
      const { loadProfile } = await import('../core/profile.js');
      const profile = await loadProfile(profilePath(paths, environment), environment, { cacheDir: profileCacheDir(paths) });
      if (inv.ssh && (inv.command === 'ssh' || inv.command === 'exec')) {
        const { runCiSsh } = await import('./ci-ssh.js');
        return await runCiSsh({ command: inv.command, environment, profile, local: inv.local, json: inv.json, ssh: inv.ssh, paths, env, out, err });
      }
      if (inv.command === 'roll' && inv.roll && inv.ssh) {
        const { runCiRoll } = await import('./ci-roll.js');
        const { targets: _t, command: _c, ...ssh } = inv.ssh;
        return await runCiRoll({ environment, profile, local: inv.local, json: inv.json, autoApprove: inv.autoApprove, roll: inv.roll, ssh, ...(inv.kubeconfig ? { kubeconfig: inv.kubeconfig } : {}), paths, env, out, err });
      }
      if (inv.command === 'cluster') {
        const { runCiClusterCommand } = await import('./ci-kube.js');
        return await runCiClusterCommand({ environment, profile, local: inv.local, json: inv.json, ...(inv.kubeconfig ? { kubeconfig: inv.kubeconfig } : {}), paths, env, out, err });
      }
      const { runCi } = await import('./ci.js');
      return await runCi({
        command: inv.command,
        environment,
        profile,
        local: inv.local,
        json: inv.json,
        markdown: inv.markdown === true,
        autoApprove: inv.autoApprove,
        writeProfile: inv.writeProfile,
        ...(inv.secrets ? { secrets: inv.secrets } : {}),
        ...(inv.lockId !== undefined ? { lockId: inv.lockId } : {}),
        ...(inv.state ? { state: inv.state } : {}),
        ...(inv.limit !== undefined ? { limit: inv.limit } : {}),
        paths,
        env,
        out,
        err,
      });
    }
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw new UsageError('the console needs a terminal (stdin and stdout are not a TTY)', `run headless with --ci plan|apply|destroy|output|instances|elbs|secrets|bootstrap`);
    }
    // Something on the screen at once: Ink, React and Yoga take ~0.1 s more to load.
    splash = showSplash(process.stdout, environment);
    // React's production build: the development build costs memory and time under load.
    env.NODE_ENV ??= 'production';
    process.env.NODE_ENV ??= env.NODE_ENV;
    // Parse the profile (WebAssembly HCL parser) while Ink and React load; errors surface in the console's start.
    const profile = import('../core/profile.js').then((m) => m.loadProfile(profilePath(paths, environment), environment, { cacheDir: profileCacheDir(paths) }));
    profile.catch(() => undefined);
    const { runConsole } = await import('./console.js');
    return await runConsole({ environment, profile, local: inv.local, paths, env, ...(created ? { notice: created } : {}), ...(inv.ssh ? { ssh: inv.ssh } : {}), ...(inv.kubeconfig ? { kubeconfig: inv.kubeconfig } : {}), ...(inv.driftEveryMs ? { driftEveryMs: inv.driftEveryMs } : {}), splash });
  } catch (e) {
    splash?.leave();
    process.stderr.write(failureText(e, env));
    return exitCodeOf(e);
  }
}

/**
 * Runs {@link main} and sets `process.exitCode` from it (the entry, bin.ts, calls this). An error
 * that escapes main (never expected) is printed as one line, with its stack trace only under
 * `PLATFORM_DEBUG=1`.
 */
export function runMain(argv: readonly string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(failureText(e));
      process.exitCode = 1;
    },
  );
}

/** Whether this module was started as the program (`node dist/src/cli/main.js`), not imported by bin.ts. */
function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    // Compare real paths: a symlink (node_modules/.bin, npm link) must still run main().
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
// Started directly (tsc's build, without bin.ts's compile cache): still runs.
if (isEntryPoint()) runMain(process.argv.slice(2));
