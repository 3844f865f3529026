import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';

/**
 * Where and as whom the AWS panes and `--ci` commands talk to AWS: one per open environment.
 * Every SDK v3 client is made from it with {@link clientConfig}.
 */
export interface AwsContext {
  /** The environment name: resources are found by their `Environment` tag (and `KubernetesCluster = kube-ENV`). */
  environment: string;
  region: string;
  /** Credentials from the standard chain as the console resolved them (see credentials.ts). */
  credentials: AwsCredentialIdentityProvider;
  /** An endpoint override (the local emulator, `http://127.0.0.1:PORT`); undefined for AWS itself. */
  endpoint?: string;
  /** The secrets bucket name when known (Terraform output `secrets_bucket`). */
  secretsBucket?: string;
  /** The KMS key (id, ARN or alias) that encrypts secrets: the profile's `kms_master_id`. */
  kmsKeyId: string;
}

/** Common SDK v3 client settings: region, credentials, endpoint (path-style S3 for an emulator), 3 attempts. */
export function clientConfig(ctx: AwsContext): {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  endpoint?: string;
  forcePathStyle?: boolean;
  maxAttempts: number;
} {
  return {
    region: ctx.region,
    credentials: ctx.credentials,
    maxAttempts: 3,
    ...(ctx.endpoint ? { endpoint: ctx.endpoint, forcePathStyle: true } : {}),
  };
}
