#!/usr/bin/env node
import { userInfo } from 'node:os';
import { exitCodeOf, formatError, UsageError } from '../core/errors.js';
import { checkEnvironmentName, playgroundName } from '../core/environment-name.js';
import { profilePath, resolvePaths } from '../core/paths.js';
import { loadProfile } from '../core/profile.js';
import { stopEmulator } from '../services/local/emulator.js';
import { parseInvocation, USAGE } from './args.js';
import { runCi } from './ci.js';
import { ensurePlaygroundProfile } from './playground.js';

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
  try {
    const inv = parseInvocation(argv);
    if (inv.kind === 'help') {
      out(USAGE);
      return 0;
    }
    if (inv.kind === 'version') {
      out('platform-console 0.1.0');
      return 0;
    }
    if (inv.kind === 'local-stop') {
      const r = await stopEmulator(env.PLATFORM_LOCAL_DIR ? { stateDir: env.PLATFORM_LOCAL_DIR } : {});
      out(r.stopped ? `stopped the local emulator (pid ${r.pid})` : 'the local emulator was not running');
      return 0;
    }
    const paths = resolvePaths(env);
    const environment = inv.play ? playgroundName(env.USER || env.LOGNAME || safeUserName()) : checkEnvironmentName(inv.environment);
    if (inv.play) {
      const created = await ensurePlaygroundProfile(paths, environment);
      if (created) err(created);
    }
    // Validate the profile before anything starts: a bad profile is one clear line and exit 1.
    await loadProfile(profilePath(paths, environment), environment);
    if (inv.kind === 'ci') {
      return await runCi({ command: inv.command, environment, local: inv.local, json: inv.json, autoApprove: inv.autoApprove, paths, env, out, err });
    }
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw new UsageError('the console needs a terminal (stdin and stdout are not a TTY)', `run headless with --ci plan|apply|destroy|output`);
    }
    const { runConsole } = await import('./console.js');
    return await runConsole({ environment, local: inv.local, paths, env });
  } catch (e) {
    err(formatError(e));
    return exitCodeOf(e);
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(formatError(e) + '\n');
      process.exitCode = 1;
    },
  );
}
