import { homedir } from 'node:os';
import { join } from 'node:path';
import { fromIni } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CredentialsError } from '../../core/errors.js';

/** Where credentials came from: environment variables, or a named profile of the shared files. */
export type CredentialSource =
  | { kind: 'environment' }
  | { kind: 'shared-file'; profile: string; credentialsFile: string };

/** Resolved credentials and how to hand the same ones to Terraform. */
export interface ResolvedCredentials {
  source: CredentialSource;
  /** A provider for SDK v3 clients (`credentials:` option). */
  provider: AwsCredentialIdentityProvider;
  /**
   * Variables to set in Terraform's environment so the provider and the S3 backend use the same
   * credentials (`AWS_PROFILE` for a shared-file profile; nothing extra for environment variables).
   */
  terraformEnv: Record<string, string>;
  /** Variables to remove from Terraform's environment (a stale `AWS_PROFILE` when keys come from the environment). */
  terraformUnset: string[];
}

/** Inputs of {@link resolveCredentials}. */
export interface CredentialQuery {
  /** The process environment to read (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`). */
  env: NodeJS.ProcessEnv;
  /** The environment name: the shared-file profile used when `awsProfile` is empty. */
  environment: string;
  /** The profile's `aws_profile` field; empty for "named after the environment". */
  awsProfile: string;
}

/** The shared credentials file the SDK and Terraform read: `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`. */
export function sharedCredentialsFile(env: NodeJS.ProcessEnv): string {
  return env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
}

/**
 * Finds the credentials for an environment, as the seed's scripts did: environment variables
 * first (`AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`); else the shared credentials file (and
 * `~/.aws/config`) with the profile named `awsProfile`, or named after the environment.
 * Only resolves locally (files and variables); no network call.
 * @throws CredentialsError naming both places when neither has credentials.
 */
export async function resolveCredentials(q: CredentialQuery): Promise<ResolvedCredentials> {
  const { env } = q;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const identity: AwsCredentialIdentity = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
    return { source: { kind: 'environment' }, provider: async () => identity, terraformEnv: {}, terraformUnset: ['AWS_PROFILE'] };
  }
  const profile = q.awsProfile || q.environment;
  const credentialsFile = sharedCredentialsFile(env);
  const configFile = env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config');
  const provider = fromIni({ profile, filepath: credentialsFile, configFilepath: configFile, ignoreCache: true });
  try {
    await provider();
  } catch (err) {
    throw new CredentialsError(
      `no AWS credentials for environment "${q.environment}": AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set, and ${credentialsFile} has no usable profile [${profile}] (${(err as Error).message.split('\n')[0]})`,
      `export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a [${profile}] profile to ${credentialsFile}${q.awsProfile ? '' : ' (or name another one in the profile\'s aws_profile field)'}`,
      { cause: err },
    );
  }
  const terraformEnv: Record<string, string> = { AWS_PROFILE: profile };
  if (env.AWS_SHARED_CREDENTIALS_FILE) terraformEnv.AWS_SHARED_CREDENTIALS_FILE = env.AWS_SHARED_CREDENTIALS_FILE;
  return {
    source: { kind: 'shared-file', profile, credentialsFile },
    provider,
    terraformEnv,
    terraformUnset: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
  };
}

/** A one-line description for the header and logs, never showing a secret (e.g. `env vars`, `profile dev`). */
export function describeSource(s: CredentialSource): string {
  return s.kind === 'environment' ? 'environment variables' : `profile ${s.profile} (${s.credentialsFile})`;
}

/**
 * Asks STS who the credentials belong to (GetCallerIdentity).
 * @param endpoint an endpoint URL override (the local emulator), else the SDK's default.
 * @returns the 12-digit account id and the caller's ARN.
 * @throws CredentialsError when AWS refuses the credentials (expired, invalid) or cannot be reached.
 */
export async function callerIdentity(
  creds: ResolvedCredentials,
  region: string,
  endpoint?: string,
): Promise<{ account: string; arn: string }> {
  const sts = new STSClient({ region, credentials: creds.provider, ...(endpoint ? { endpoint } : {}), maxAttempts: 2 });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(10_000) });
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    throw new CredentialsError(
      `AWS did not accept the credentials from ${describeSource(creds.source)}: ${name ? `${name}: ` : ''}${(err as Error).message}`,
      name === 'ExpiredToken' || name === 'ExpiredTokenException' ? 'refresh your session (e.g. aws sso login) and retry' : 'check the keys, the profile and the network, then retry',
      { cause: err },
    );
  } finally {
    sts.destroy();
  }
}
