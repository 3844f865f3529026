import { join } from 'node:path';
import { CredentialsError } from '../core/errors.js';
import { profileCacheDir, profilePath, type Paths } from '../core/paths.js';
import { loadProfile, type Profile } from '../core/profile.js';
import type { ResolvedCredentials } from './aws/credentials.js';
import type { LockState } from './aws/state-lock.js';
import type { AwsContext } from './aws/context.js';
import { applyEmulatorEnv, ensureEmulator } from './local/emulator.js';
import { backendFor, type BackendSettings } from './terraform/backend.js';
import { findTerraform, type TerraformBinary } from './terraform/binary.js';
import { providerSource, writeCliConfig } from './terraform/cliconfig.js';
import { Engine } from './terraform/engine.js';
import { HistoryRecorder } from './history/recorder.js';
import type { HistoryStore } from './history/store.js';
import type { StateService } from './state/service.js';

/** An Ubuntu image moto 5.2 knows in every region, used in local mode when the profile leaves ami_id empty. */
export const LOCAL_AMI = 'ami-785db401';

/** How to open an environment. */
export interface SessionOptions {
  environment: string;
  /** The profile when the caller has loaded it already; else it is loaded from profiles/ENV.tfvars. */
  profile?: Profile;
  /** Use the embedded local emulator instead of AWS. */
  local: boolean;
  paths: Paths;
  /** The process environment (credentials, TF_BINARY, overrides). */
  env: NodeJS.ProcessEnv;
  /** Progress lines while opening ("starting the local emulator", …), for a spinner or the --ci log. */
  onProgress?: (step: string) => void;
}

/** An open environment: its profile, where AWS is, who we are there, and its engine. */
export interface Session {
  environment: string;
  profile: Profile;
  profileFile: string;
  region: string;
  /** The account the credentials belong to (STS GetCallerIdentity). */
  account: string;
  /** The caller's ARN (STS GetCallerIdentity), for the history records. */
  callerArn: string;
  /** Where the credentials come from, for the header (never the secret itself). */
  credentials: string;
  /** Set in local mode. */
  local?: { endpoint: string; pid: number; startedNow: boolean; wasReset: boolean };
  binary: TerraformBinary;
  backend: BackendSettings;
  engine: Engine;
  /** How the AWS panes and `--ci` AWS commands reach AWS (same credentials and endpoint as Terraform). */
  aws: AwsContext;
  /** Notices to show once (e.g. "the local emulator was restarted"). */
  notices: string[];
  /**
   * The environment's history (`ENV/history/` in the state bucket, SSE-KMS with the state's key;
   * records the bucket refused wait in `WORK/ENV/history-pending/`).
   */
  history: HistoryStore;
  /**
   * A recorder of this session's applies and destroys into {@link history}; its warnings and
   * notices go to the given sinks. The caller attaches it and flushes it before exiting.
   */
  historyRecorder(sinks: { onWarning: (text: string) => void; onNotice: (text: string) => void }): HistoryRecorder;
  /** Reads the state lock object; never throws. */
  readLock(): Promise<LockState>;
  /** The environment's state: read, and the repairs (rm, mv, push, import, force-unlock), each recorded in {@link history}. */
  state: StateService;
  /**
   * Releases clients and lets go of a run the engine follows (it goes on). Does not stop the local
   * emulator (it is shared and reused), nor a run this session started.
   */
  close(): void;
}

function withoutKeys(env: NodeJS.ProcessEnv, keys: readonly string[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * Opens an environment: loads and validates `profiles/ENV.tfvars`; in local mode starts (or reuses)
 * the emulator and bootstraps the state bucket and KMS key in it; resolves credentials and checks
 * them with STS (and against the profile's `aws_account`); finds Terraform and writes the CLI config.
 * Nothing is written into the profile or the module.
 * @throws ProfileError, CredentialsError, LocalEmulatorError, TofuError: each with what to do next.
 */
export async function openSession(o: SessionOptions): Promise<Session> {
  const progress = o.onProgress ?? (() => {});
  const profileFile = profilePath(o.paths, o.environment);
  const profile = o.profile ?? (await loadProfile(profileFile, o.environment, { cacheDir: profileCacheDir(o.paths) }));
  const notices: string[] = [];
  progress(o.local ? 'opening the environment: Terraform, the local AWS emulator' : 'opening the environment: Terraform, credentials');
  // The AWS SDK's modules (~0.1 s to evaluate, blocking) load once `terraform version` has been
  // spawned, so that the two overlap.
  let spawned!: () => void;
  const versionStarted = new Promise<void>((resolve) => (spawned = resolve));
  const binaryP = findTerraform(o.env, spawned);
  binaryP.catch(() => {});
  const sdkP = versionStarted.then(() => import('./session-aws.js'));
  sdkP.catch(() => {});

  let childEnv: NodeJS.ProcessEnv;
  let creds: ResolvedCredentials;
  let endpoint: string | undefined;
  let local: Session['local'];
  let backend = backendFor(o.environment, profile, o.local);
  let extraVars: Record<string, string> = {};
  let whoP: Promise<{ account: string; arn: string }>;
  let sdk: typeof import('./session-aws.js');
  if (o.local) {
    const emu = await ensureEmulator({ ...(o.env.PLATFORM_LOCAL_DIR ? { stateDir: o.env.PLATFORM_LOCAL_DIR } : {}), onStarting: () => progress('starting the local AWS emulator (moto)') });
    sdk = await sdkP;
    if (!emu.startedNow) progress(`using the local AWS emulator already running at ${emu.endpoint} (pid ${emu.pid})`);
    endpoint = emu.endpoint;
    childEnv = applyEmulatorEnv(emu, profile.aws_region, o.env);
    creds = await sdk.resolveCredentials({ env: childEnv, environment: o.environment, awsProfile: '' });
    whoP = sdk.callerIdentity(creds, profile.aws_region, endpoint);
    whoP.catch(() => undefined);
    progress('checking the state bucket and KMS key in the emulator');
    const kmsAlias = profile.kms_master_id.startsWith('alias/') ? profile.kms_master_id : 'alias/platform-console-local';
    const boot = await sdk.bootstrapLocal({ endpoint, region: profile.aws_region, bucket: profile.terraform_bucket_name, kmsAlias, ...(o.env.PLATFORM_LOCAL_DIR ? { stateDir: o.env.PLATFORM_LOCAL_DIR } : {}) });
    if (!profile.kms_master_id.startsWith('alias/')) {
      // A real key id cannot exist in the emulator: use the emulator's key for state and secrets.
      extraVars = { ...extraVars, kms_master_id: boot.kmsKeyArn };
      backend = { ...backend, kmsKeyId: boot.kmsKeyArn };
    }
    // Emulator limits (documented in the README): moto's images are old, so an empty ami_id gets
    // an image moto knows; moto treats conditional Deny statements as unconditional, so the
    // secrets bucket's policy is left off there.
    if (!profile.ami_id) extraVars = { ...extraVars, ami_id: LOCAL_AMI };
    childEnv.TF_VAR_enforce_secrets_bucket_policy = 'false';
    local = { endpoint, pid: emu.pid, startedNow: emu.startedNow, wasReset: boot.emulatorWasReset };
    if (boot.emulatorWasReset) notices.push('the local emulator was restarted: its state is gone, so the plan starts from scratch');
  } else {
    sdk = await sdkP;
    creds = await sdk.resolveCredentials({ env: o.env, environment: o.environment, awsProfile: profile.aws_profile });
    childEnv = withoutKeys(o.env, creds.terraformUnset);
    Object.assign(childEnv, creds.terraformEnv);
    childEnv.AWS_REGION = profile.aws_region;
    progress('checking credentials');
    whoP = sdk.callerIdentity(creds, profile.aws_region, endpoint);
  }
  const who = await whoP;
  if (profile.aws_account && who.account !== profile.aws_account && !o.local) {
    throw new CredentialsError(
      `the credentials belong to account ${who.account}, but ${profileFile} is for account ${profile.aws_account}`,
      `use credentials for ${profile.aws_account} (profile [${profile.aws_profile || o.environment}]), or correct aws_account`,
    );
  }
  const binary = await binaryP;
  const dataDir = join(o.paths.work, o.local ? `${o.environment}.local` : o.environment);
  const cliConfigFile = await writeCliConfig(o.paths.work, providerSource(o.env));
  const s3 = new sdk.S3Client({ region: profile.aws_region, credentials: creds.provider, ...(endpoint ? { endpoint, forcePathStyle: true } : {}), maxAttempts: 2 });
  const probeS3 = new sdk.S3Client({ region: profile.aws_region, credentials: creds.provider, ...(endpoint ? { endpoint, forcePathStyle: true } : {}), maxAttempts: 1 });
  const engine = new Engine({
    binary,
    terraformDir: o.paths.terraform,
    dataDir,
    cliConfigFile,
    varFile: profileFile,
    extraVars,
    backend,
    env: childEnv,
    environment: o.environment,
    local: o.local,
    probe: () => sdk.probeBackend(probeS3, backend.bucket, endpoint ?? `https://s3.${profile.aws_region}.amazonaws.com`),
  });
  const readLock = () => sdk.readStateLock(s3, backend);
  const history = new sdk.HistoryStore({ s3, bucket: backend.bucket, kmsKeyId: backend.kmsKeyId, environment: o.environment, pendingDir: join(dataDir, 'history-pending'), ...(endpoint ? { endpoint } : {}) });
  return {
    environment: o.environment,
    profile,
    profileFile,
    region: profile.aws_region,
    account: who.account,
    callerArn: who.arn,
    credentials: o.local ? 'local emulator (dummy credentials)' : sdk.describeSource(creds.source),
    ...(local ? { local } : {}),
    binary,
    backend,
    engine,
    aws: {
      environment: o.environment,
      region: profile.aws_region,
      credentials: creds.provider,
      ...(endpoint ? { endpoint } : {}),
      kmsKeyId: extraVars.kms_master_id ?? profile.kms_master_id,
    },
    notices,
    history,
    historyRecorder: (sinks) =>
      new HistoryRecorder(engine, history, { environment: o.environment, callerArn: who.arn, profileFile, terraformDir: o.paths.terraform, terraformVersion: binary.version, ...sinks }),
    readLock,
    state: new sdk.StateService({ engine, environment: o.environment, readLock, history, callerArn: who.arn, profileFile, terraformVersion: binary.version, readObject: () => sdk.readStateObject(s3, backend) }),
    close: () => {
      // A run this session follows goes on without it (its poller would keep the process alive).
      engine.detach();
      s3.destroy();
      probeS3.destroy();
    },
  };
}
