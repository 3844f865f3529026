import { render } from 'ink';
import React from 'react';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { ConsoleError, failureText } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import type { Profile } from '../core/profile.js';
import type { Session } from '../services/session.js';
import type { Store } from '../state/store.js';
import { Opening } from '../ui/Opening.js';
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
  environment: string;
  local: boolean;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** The profile being loaded (parsing started by the caller); a rejection ends the console with its error. */
  profile: Promise<Profile>;
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
}

/**
 * After q while the environment opens, how long (ms) the process may still wait for what is under
 * way (an STS or S3 request to an endpoint that does not answer) before it exits anyway.
 */
export const QUIT_WHILE_OPENING_GRACE_MS = 2_000;

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

/**
 * Runs the full-screen console until the operator quits. Its frame (header, tabs, status bar) is
 * drawn as soon as Ink has loaded, with the steps of opening the environment (profile, Terraform,
 * credentials, emulator) and q to quit; the panes and their keys follow once it is open.
 * @returns the exit code (0 after a normal quit, also a quit while it opens; 1 when the
 * environment could not be opened).
 */
export async function runConsole(o: ConsoleOptions): Promise<number> {
  // Writes to a terminal that has gone away (SIGHUP) fail with EIO/EPIPE: ignore them, the
  // signal handler below is winding down.
  process.stdout.on('error', () => undefined);
  const steps: string[] = ['reading the profile'];
  let since = Date.now();
  let region: string | undefined;
  let quitWhileOpening!: () => void;
  const quitP = new Promise<'quit'>((resolve) => (quitWhileOpening = () => resolve('quit')));
  const opening = () => <Opening environment={o.environment} steps={[...steps]} since={since} onQuit={quitWhileOpening} {...(region ? { region } : {})} />;
  o.splash?.handOver();
  const ink = render(opening(), CONSOLE_RENDER_OPTIONS);
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
    const profile = await o.profile;
    region = profile.aws_region;
    app = import('./console-app.js');
    app.catch(() => undefined);
    const { openSession } = await import('../services/session.js');
    return openSession({ profile, environment: o.environment, local: o.local, paths: o.paths, env: o.env, onProgress: step });
  })();
  let session: Session;
  try {
    const first = await Promise.race([open, quitP]);
    if (first === 'quit') {
      ink.unmount();
      await ink.waitUntilExit().catch(() => {});
      // What was under way finishes (or fails) on its own; an open session is closed. A request
      // that does not answer does not hold the exit for more than the grace.
      open.then((s) => s.close(), () => undefined);
      setTimeout(() => process.exit(process.exitCode ?? 0), QUIT_WHILE_OPENING_GRACE_MS).unref();
      return 0;
    }
    session = first;
  } catch (err) {
    ink.unmount();
    await ink.waitUntilExit().catch(() => {});
    process.stderr.write(failureText(err, o.env));
    return 1;
  }
  if (o.notice) session.notices.unshift(o.notice);
  let m: typeof import('./console-app.js');
  try {
    m = await (app ?? import('./console-app.js'));
  } catch (err) {
    ink.unmount();
    session.close();
    process.stderr.write(failureText(err, o.env));
    return 1;
  }
  const { AwsController, App, ClusterController, Controller, HistoryController, SshController, Store } = m;
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
  const ssh = new SshController(store, {
    environment: session.environment,
    local: o.local,
    ...(o.ssh?.bastion ? { bastion: o.ssh.bastion } : {}),
    ...(o.ssh?.user ? { user: o.ssh.user } : {}),
    ...(o.ssh?.identity ? { identityFile: o.ssh.identity } : {}),
    profileUser: session.profile.ssh_user,
    profileIdentityFile: session.profile.ssh_identity_file,
    knownHostsFile: o.ssh?.knownHosts ?? join(home, '.ssh', 'known_hosts'),
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
    ...(o.kubeconfig ? { kubeconfigFile: o.kubeconfig } : {}),
    kubeapiAccessList: session.profile.kubeapi_access_list,
    kubeconfigTarget: join(home, '.kube', 'config'),
    ssh,
  });
  const controller = new Controller(store, session, aws, ssh, kube, new HistoryController(store, session.history));
  controller.start();
  if (o.driftEveryMs) controller.startDriftEvery(o.driftEveryMs);
  // The Kubernetes client (~85 MB, ~1 s of loading) loads when the Cluster pane is first shown,
  // not at start: the console at rest stays small (issue 16).
  // Terraform runs in its own session with its output in files, so it outlives the console: a
  // closed terminal (SIGHUP) leaves a plan or apply running (the next console follows it). A kill
  // (SIGTERM) of the console that started it interrupts it once, waits for it to write state and
  // release the lock, then exits.
  const onSignal = (sig: NodeJS.Signals) => {
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
  };
  process.on('SIGHUP', onSignal);
  process.on('SIGTERM', onSignal);
  ink.rerender(<App controller={controller} />);
  await ink.waitUntilExit();
  process.off('SIGHUP', onSignal);
  process.off('SIGTERM', onSignal);
  controller.stop();
  session.close();
  return 0;
}
