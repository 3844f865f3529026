import { render, Text, type Instance } from 'ink';
import React from 'react';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { ConsoleError, failureText, messageOf } from '../core/errors.js';
import { profileCacheDir, profilePath, type Paths } from '../core/paths.js';
import type { Profile } from '../core/profile.js';
import type { FleetController } from '../panes/fleet/controller.js';
import type { ProgramPath } from '../services/fleet/child.js';
import type { FleetRoute } from './fleet-app.js';
import type { Session } from '../services/session.js';
import type { Store } from '../state/store.js';
import { Opening } from '../ui/Opening.js';
import { tuneHeapForTheConsole } from '../core/heap-settings.js';
import { releaseWhenQuiet } from '../core/idle-memory.js';
import type { Splash } from './splash.js';

/**
 * Ink's render options for the console: the alternate screen, keys handled by the console (Ctrl-C
 * is a key, not an exit), at most 30 frames a second, only changed lines redrawn, interactive even
 * where CI=true is set (the console only starts on a TTY).
 */
export const CONSOLE_RENDER_OPTIONS = {
  alternateScreen: true,
  exitOnCtrlC: false,
  maxFps: 30,
  incrementalRendering: true,
  interactive: true,
  patchConsole: false,
} as const;

/** Options of {@link runConsole}. */
export interface ConsoleOptions {
  /** The environment to open first; absent: the console starts on the Fleet screen (`--fleet`). */
  environment?: string;
  local: boolean;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** With `environment`: its profile being loaded (parsing started by the caller); a rejection ends the console with its error. */
  profile?: Promise<Profile>;
  /** A message to show once the console is up (e.g. "created profiles/play-…tfvars"). */
  notice?: string;
  /** SSH options of the command line. */
  ssh?: { bastion?: string; user?: string; identity?: string; knownHosts?: string };
  /** `--kubeconfig FILE` for the Cluster pane. */
  kubeconfig?: string;
  /** `--drift-every`: a periodic drift check (ms); off when absent. */
  driftEveryMs?: number;
  /** The splash main wrote before Ink loaded; handed over to Ink's first frame. */
  splash?: Splash;
  /** This program, for the Fleet screen's child runs; default `process.execPath` and `process.argv[1]`. */
  program?: ProgramPath;
  /**
   * The Fleet screen made (and reading) before Ink loaded, with `--fleet`'s `--concurrency` and
   * `--playground-age`; else made with the defaults when first shown (`0`).
   */
  fleetStart?: { fleet: FleetController; route: FleetRoute };
}

/**
 * After q while the environment opens, how long (ms) the process may still wait for what is under
 * way (an STS or S3 request to an endpoint that does not answer) before it exits anyway.
 */
export const QUIT_WHILE_OPENING_GRACE_MS = 2_000;

/**
 * Memory goes back to the operating system once the console has been quiet this long (ms: no
 * state change, so no key and no event) and its RSS has grown by {@link IDLE_RELEASE_GROWTH_BYTES}
 * since the last time (see core/idle-memory.ts; issue 16's RSS at rest).
 */
export const IDLE_RELEASE_QUIET_MS = 3_000;
/** See {@link IDLE_RELEASE_QUIET_MS} (bytes). */
export const IDLE_RELEASE_GROWTH_BYTES = 8 * 1024 * 1024;
const IDLE_RELEASE = { quietMs: IDLE_RELEASE_QUIET_MS, growthBytes: IDLE_RELEASE_GROWTH_BYTES };

/** Builds the store's header from an open session. */
export function headerOf(s: Session): Store['state']['header'] {
  const b = s.backend;
  return {
    environment: s.environment,
    account: s.account,
    region: s.region,
    backend: `s3://${b.bucket}/${b.key} (kms ${b.kmsKeyId}, lockfile)`,
    engine: `${s.binary.flavour} ${s.binary.version}`,
    credentials: s.credentials,
    ...(s.local ? { local: `local emulator ${s.local.endpoint}` } : {}),
  };
}

/** What an environment's console ended with: quit, `0` (the Fleet screen), or it could not be opened (the error). */
type EnvironmentEnd = { kind: 'quit' } | { kind: 'quit-while-opening' } | { kind: 'fleet' } | { kind: 'failed'; error: unknown };

/** The environment a console opens next. */
interface Opening_ {
  environment: string;
  profile: Promise<Profile>;
  notice?: string;
}

/**
 * Runs the full-screen console until the operator quits: an environment's console, or the Fleet
 * screen (every environment), switching between them in place (`0` shows the Fleet screen and
 * closes the environment; `Enter` there opens another). An environment's frame (header, tabs,
 * status bar) is drawn as soon as Ink has loaded, with the steps of opening it and q to quit.
 * @returns the exit code (0 after a normal quit, also a quit while an environment opens; 1 when
 * the environment given on the command line could not be opened; one opened from the Fleet screen
 * that cannot be opened brings the Fleet screen back with the error).
 */
export async function runConsole(o: ConsoleOptions): Promise<number> {
  // Writes to a terminal that has gone away (SIGHUP) fail with EIO/EPIPE: ignore them, the
  // signal handler below is winding down.
  process.stdout.on('error', () => undefined);
  o.splash?.handOver();
  const first: Opening_ | undefined = o.environment && o.profile ? { environment: o.environment, profile: o.profile, ...(o.notice ? { notice: o.notice } : {}) } : undefined;
  const ink = render(first ? <Opening environment={first.environment} steps={['reading the profile']} since={Date.now()} onQuit={() => undefined} /> : <Text>platform-console fleet: loading the Fleet screen...</Text>, CONSOLE_RENDER_OPTIONS);
  // A view that throws ends Ink with its error: the console then ends with it (exit 1), said once the screen is back.
  let inkError: unknown;
  const exited = ink.waitUntilExit().then(
    () => 'exit' as const,
    (err: unknown) => {
      inkError = err;
      return 'exit' as const;
    },
  );
  // SIGTERM and SIGHUP: the environment open now handles them (its run), else the console ends.
  let onSignalNow: (sig: NodeJS.Signals) => void = () => ink.unmount();
  const onSignal = (sig: NodeJS.Signals) => onSignalNow(sig);
  process.on('SIGHUP', onSignal);
  process.on('SIGTERM', onSignal);
  let made = o.fleetStart;
  let fleet: FleetController | undefined = made?.fleet;
  let fleetChoice: (r: { kind: 'open'; environment: string } | { kind: 'quit' }) => void = () => undefined;
  let next: Opening_ | undefined = first;
  let code = 0;
  let quitWhileOpening = false;
  try {
    for (;;) {
      if (next) {
        const end = await runEnvironment(ink, exited, next, o, (h) => (onSignalNow = h));
        onSignalNow = () => ink.unmount();
        if (end.kind === 'quit') break;
        if (end.kind === 'quit-while-opening') {
          quitWhileOpening = true;
          break;
        }
        if (end.kind === 'failed') {
          if (!fleet) {
            // The environment of the command line: the console ends with its error.
            ink.unmount();
            await exited;
            process.stderr.write(failureText(end.error, o.env));
            code = 1;
            break;
          }
          const { text, hint } = messageOf(end.error);
          fleet.store.say('error', `${next.environment} could not be opened: ${text}`, hint);
        }
        if (end.kind === 'fleet') fleet?.store.say('info', `Closed ${next.environment}: its console's work has stopped.`);
        next = undefined;
      }
      // The Fleet screen (made the first time it is shown, unless main made it to read early).
      made ??= (await import('./fleet-app.js')).makeFleet({
        local: o.local,
        paths: o.paths,
        env: o.env,
        program: o.program ?? { node: process.execPath, script: process.argv[1] ?? '' },
      });
      fleet = made.fleet;
      made.route.open = (environment) => fleetChoice({ kind: 'open', environment });
      made.route.quit = () => fleetChoice({ kind: 'quit' });
      const { FleetApp } = await import('../ui/FleetApp.js');
      const choice = new Promise<{ kind: 'open'; environment: string } | { kind: 'quit' }>((resolve) => (fleetChoice = resolve));
      fleet.store.update((s) => {
        s.overlays = [];
      });
      ink.rerender(<FleetApp fleet={fleet} where={o.local ? 'local emulator' : 'AWS'} />);
      fleet.resume();
      // The Fleet screen at rest gives memory back as an environment's console does.
      const stopRelease = releaseWhenQuiet(fleet.store.subscribe, IDLE_RELEASE);
      tuneHeapForTheConsole();
      const r = await Promise.race([choice, exited]);
      stopRelease();
      fleet.pause();
      if (r === 'exit' || r.kind === 'quit') break;
      next = { environment: r.environment, profile: import('../core/profile.js').then((p) => p.loadProfile(profilePath(o.paths, r.environment), r.environment, { cacheDir: profileCacheDir(o.paths) })) };
      next.profile.catch(() => undefined);
    }
  } finally {
    process.off('SIGHUP', onSignal);
    process.off('SIGTERM', onSignal);
  }
  ink.unmount();
  await exited;
  if (fleet) {
    // Runs started from the Fleet screen and still running get one interrupt each (Terraform
    // writes the state and releases the lock); the console waits for them to stop.
    const running = fleet.running();
    const n = running.drift + running.destroy;
    if (n) {
      const what = [running.drift ? `${running.drift} drift check${running.drift === 1 ? '' : 's'}` : '', running.destroy ? `${running.destroy} destroy${running.destroy === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
      process.stderr.write(`platform-console: interrupting ${what} started from the Fleet screen and waiting for ${n === 1 ? 'it' : 'them'} to stop…\n`);
    }
    await fleet.stop();
  }
  if (quitWhileOpening || fleet) {
    // What was under way finishes (or fails) on its own (an environment being opened, a read of
    // the fleet: reads only, no run): a request that does not answer does not hold the exit for
    // more than the grace.
    setTimeout(() => process.exit(process.exitCode ?? code), QUIT_WHILE_OPENING_GRACE_MS).unref();
  }
  if (inkError !== undefined) {
    process.stderr.write(failureText(inkError, o.env));
    return 1;
  }
  return code;
}

/**
 * One environment's console: opens it (the opening frame), runs its App until the operator quits
 * or asks for the Fleet screen, then stops its work and closes it.
 */
async function runEnvironment(ink: Instance, exited: Promise<'exit'>, next: Opening_, o: ConsoleOptions, setSignalHandler: (h: (sig: NodeJS.Signals) => void) => void): Promise<EnvironmentEnd> {
  const steps: string[] = ['reading the profile'];
  let since = Date.now();
  let region: string | undefined;
  let quitWhileOpening!: () => void;
  const quitP = new Promise<'quit'>((resolve) => (quitWhileOpening = () => resolve('quit')));
  const opening = () => <Opening environment={next.environment} steps={[...steps]} since={since} onQuit={quitWhileOpening} {...(region ? { region } : {})} />;
  ink.rerender(opening());
  const step = (text: string) => {
    steps.push(text);
    since = Date.now();
    ink.rerender(opening());
  };
  // The controllers and the App load while the environment opens (the first frame needs only Ink).
  let app: Promise<typeof import('./console-app.js')> | undefined;
  const open = (async () => {
    // The profile is validated first (a bad one ends the console with one clear line, nothing
    // written), then the environment is opened.
    const profile = await next.profile;
    region = profile.aws_region;
    app = import('./console-app.js');
    app.catch(() => undefined);
    const { openSession } = await import('../services/session.js');
    return openSession({ profile, environment: next.environment, local: o.local, paths: o.paths, env: o.env, onProgress: step });
  })();
  let session: Session;
  try {
    const first = await Promise.race([open, quitP, exited]);
    if (first === 'quit' || first === 'exit') {
      // An open session is closed once it is open.
      open.then((s) => s.close(), () => undefined);
      return { kind: 'quit-while-opening' };
    }
    session = first;
  } catch (err) {
    return { kind: 'failed', error: err };
  }
  if (next.notice) session.notices.unshift(next.notice);
  let m: typeof import('./console-app.js');
  try {
    m = await (app ?? import('./console-app.js'));
  } catch (err) {
    session.close();
    return { kind: 'failed', error: err };
  }
  const { AwsController, App, ClusterController, Controller, HistoryController, RollController, SshController, Store } = m;
  const store = new Store(headerOf(session));
  const engine = session.engine;
  const aws = new AwsController(store, {
    ctx: session.aws,
    resolveSecretsBucket: async () => {
      if (engine.busy) throw new ConsoleError(`terraform is busy (${engine.busy}): the secrets bucket is read from its outputs`, 'try again when it has finished (r)');
      const out = (await engine.outputs()).find((x) => x.name === 'secrets_bucket');
      return typeof out?.value === 'string' ? out.value : undefined;
    },
    secretsDir: o.env.PLATFORM_SECRETS_DIR || join(process.cwd(), 'secrets'),
    editor: o.env.VISUAL || o.env.EDITOR || 'vi',
    // In local mode the emulator's prerequisites are made at start; on AWS they are checked and offered.
    ...(o.local
      ? {}
      : {
          prerequisites: {
            bucket: session.profile.terraform_bucket_name,
            kmsAlias: session.profile.kms_master_id.startsWith('alias/') ? session.profile.kms_master_id : `alias/platform-console-${session.environment}`,
            profileFile: session.profileFile,
            profileKmsId: session.profile.kms_master_id,
          },
        }),
  });
  const home = o.env.HOME || homedir();
  // The command line's SSH options and --kubeconfig name the environment it opened, not others opened from the Fleet screen.
  const own = next.environment === o.environment;
  const ssh = new SshController(store, {
    environment: session.environment,
    local: o.local,
    ...(own && o.ssh?.bastion ? { bastion: o.ssh.bastion } : {}),
    ...(own && o.ssh?.user ? { user: o.ssh.user } : {}),
    ...(own && o.ssh?.identity ? { identityFile: o.ssh.identity } : {}),
    profileUser: session.profile.ssh_user,
    profileIdentityFile: session.profile.ssh_identity_file,
    knownHostsFile: (own ? o.ssh?.knownHosts : undefined) ?? join(home, '.ssh', 'known_hosts'),
    home,
    agentSocket: o.env.SSH_AUTH_SOCK ?? '',
    outputs: async () => (engine.busy ? [] : engine.outputs()),
  });
  const kube = new ClusterController(store, {
    environment: session.environment,
    local: o.local,
    ctx: session.aws,
    outputs: async () => {
      if (engine.busy) throw new ConsoleError(`terraform is busy (${engine.busy}): the kubeconfig's place is read from its outputs`, 'try again when it has finished (r)');
      return engine.outputs();
    },
    ...(own && o.kubeconfig ? { kubeconfigFile: o.kubeconfig } : {}),
    kubeapiAccessList: session.profile.kubeapi_access_list,
    kubeconfigTarget: join(home, '.kube', 'config'),
    ssh,
  });
  const roll = new RollController(store, {
    target: { environment: session.environment, aws: session.aws, backend: session.backend, history: session.history, callerArn: session.callerArn, terraformVersion: session.binary.version, profileFile: session.profileFile },
    kubeConfig: () => kube.kubeConfig(),
    sshSettings: () => ssh.settings(),
  });
  const controller = new Controller(store, session, aws, ssh, kube, new HistoryController(store, session.history), roll);
  controller.start();
  if (o.driftEveryMs) controller.startDriftEvery(o.driftEveryMs);
  const stopRelease = releaseWhenQuiet(store.subscribe, IDLE_RELEASE);
  // Start-up is over: V8's settings for a console under bursts of events (core/heap-settings.ts).
  tuneHeapForTheConsole();
  // The Kubernetes client (~85 MB, ~1 s of loading) loads when the Cluster pane is first shown,
  // not at start: the console at rest stays small (issue 16).
  // Terraform runs in its own session with its output in files, so it outlives the console: a
  // closed terminal (SIGHUP) leaves a plan or apply running (the next console follows it). A kill
  // (SIGTERM) of the console that started it interrupts it once, waits for it to write state and
  // release the lock, then exits.
  setSignalHandler((sig: NodeJS.Signals) => {
    const engine = session.engine;
    if (!engine.busy || engine.attached || (sig as string) === 'SIGHUP') {
      ink.unmount();
      return;
    }
    engine.cancel();
    const off = engine.on((e) => {
      if (e.kind === 'operation-end') {
        off();
        ink.unmount();
        process.exitCode = sig === 'SIGHUP' ? 129 : 143;
      }
    });
  });
  ink.rerender(<App controller={controller} />);
  const end = await Promise.race([controller.quitRequested.then(() => 'quit' as const), controller.fleetRequested.then(() => 'fleet' as const), exited.then(() => 'quit' as const)]);
  stopRelease();
  // q and 0 are refused while a roll runs; a signal (SIGTERM, SIGHUP) is not: the roll is told to
  // stop at its next wait, and the console's SSH, the cluster's tunnel and the session's clients
  // stay open until it has released the state lock and recorded where it stopped (a :roll later
  // resumes it). A second signal ends the process at once (a later roll takes over its lock).
  if (roll.busy) {
    process.stderr.on('error', () => undefined); // a terminal that has gone away (SIGHUP)
    process.stderr.write(`platform-console: the roll on ${session.environment} stops at its next wait; waiting for it to release the state lock and record where it stopped (:roll resumes it; a second signal exits now)…\n`);
    setSignalHandler((sig) => {
      process.stderr.write(`platform-console: ${sig}: exiting now; the roll's state lock stays until a later roll on this machine takes it over (:roll resumes)\n`);
      process.exit(sig === 'SIGHUP' ? 129 : 143);
    });
  }
  await roll.stop();
  controller.stop();
  session.close();
  return { kind: end };
}
