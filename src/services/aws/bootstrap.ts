/**
 * The prerequisites of an environment, which Terraform cannot create for itself because its
 * backend needs them first (the seed's `kmsctl kms create` and `kmsctl bucket create`):
 *
 * - the KMS key behind the profile's `kms_master_id` alias (symmetric, ENCRYPT_DECRYPT, yearly
 *   rotation on), which encrypts the Terraform state and the secrets bucket;
 * - the state bucket `terraform_bucket_name`: in the context's region, versioned, default
 *   encryption SSE-KMS with that key (bucket key on), public access block all on.
 *
 * Works the same on real AWS and on the emulator (`ctx.endpoint`). Idempotent: every setting is
 * read first and only what differs is written, so a second run changes nothing and says so
 * (`changed: false`). A key that exists but cannot encrypt (disabled, pending deletion,
 * asymmetric) is reported, never re-enabled behind the operator's back.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type BucketLocationConstraint,
  type PublicAccessBlockConfiguration,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';

import { AwsError, ConsoleError, ProfileError } from '../../core/errors.js';
import { clientConfig, type AwsContext } from './context.js';
import { toAwsError } from './errors.js';

/** What to bootstrap: the profile's `terraform_bucket_name` and `kms_master_id` (an alias). */
export interface PrerequisiteOptions {
  /** The Terraform state bucket's name (3-63 lower-case letters, digits, dots, dashes). */
  bucket: string;
  /** The KMS key's alias, `alias/NAME` (not `alias/aws/…`, AWS's own). */
  kmsAlias: string;
}

/** What {@link bootstrapPrerequisites} found or made. */
export interface BootstrapResult {
  bucket: { name: string; created: boolean };
  key: { id: string; arn: string; alias: string; created: boolean };
  /** True when anything was created or any setting written; false on a repeat run. */
  changed: boolean;
  /** One line per write made, for the console's message line and `--ci` (e.g. "enabled versioning on s3://…"). */
  changes: string[];
}

/** What {@link checkPrerequisites} found. */
export interface PrerequisiteCheck {
  /** HeadBucket answered (the bucket exists and these credentials can use it). */
  bucketExists: boolean;
  /** The alias resolves to a key (whatever its state). */
  keyExists: boolean;
  /** The key's state when it exists (`Enabled`, `Disabled`, `PendingDeletion` …). */
  keyState?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

function checkOptions(opts: PrerequisiteOptions): void {
  if (!BUCKET_NAME.test(opts.bucket)) {
    throw new ProfileError(`terraform_bucket_name "${opts.bucket}" is not an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)`, 'fix terraform_bucket_name in the profile');
  }
  if (!ALIAS.test(opts.kmsAlias) || opts.kmsAlias.startsWith('alias/aws/')) {
    throw new ProfileError(
      `kms_master_id "${opts.kmsAlias}" is not a KMS alias the console can create (alias/NAME, not alias/aws/…)`,
      'set kms_master_id to alias/NAME in the profile to have the key created, or create the key yourself and give its id or ARN',
    );
  }
}

async function describe(kms: KMSClient, keyId: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (err) {
    if (nameOf(err) === 'NotFoundException') return undefined;
    throw err;
  }
}

type BucketState = { kind: 'exists'; region?: string } | { kind: 'missing' };

/** HeadBucket: exists (with its region when S3 says), missing, or a typed error for a bucket these credentials cannot use. */
async function headBucket(s3: S3Client, ctx: AwsContext, bucket: string): Promise<BucketState> {
  try {
    const out = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return out.BucketRegion ? { kind: 'exists', region: out.BucketRegion } : { kind: 'exists' };
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || nameOf(err) === 'NotFound' || nameOf(err) === 'NoSuchBucket') return { kind: 'missing' };
    if (status === 301) {
      throw new AwsError(`the state bucket ${bucket} exists in another region than ${ctx.region}`, 'set aws_region to the bucket\'s region, or choose another terraform_bucket_name', { cause: err });
    }
    if (status === 403) {
      throw new AwsError(
        `the state bucket ${bucket} exists but these credentials cannot use it (HTTP 403): bucket names are global, it may belong to another account`,
        'choose another terraform_bucket_name, or use credentials of the account that owns the bucket',
        { cause: err },
      );
    }
    throw err;
  }
}

function wrap(err: unknown, what: string, ctx: AwsContext): ConsoleError {
  return err instanceof ConsoleError ? err : toAwsError(err, what, ctx.endpoint);
}

/**
 * Resolves `kmsAlias` or creates the key: CreateKey (symmetric ENCRYPT_DECRYPT), CreateAlias,
 * EnableKeyRotation. When another run created the alias meanwhile, our key is scheduled for
 * deletion (7 days) and theirs is used.
 */
async function ensureKey(kms: KMSClient, opts: PrerequisiteOptions, changes: string[]): Promise<{ key: KeyMetadata; created: boolean }> {
  const found = await describe(kms, opts.kmsAlias);
  if (found) return { key: found, created: false };
  const made = (
    await kms.send(
      new CreateKeyCommand({
        Description: `platform-console: Terraform state and secrets (${opts.bucket})`,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        Tags: [{ TagKey: 'ManagedBy', TagValue: 'platform-console' }],
      }),
    )
  ).KeyMetadata;
  if (!made?.KeyId) throw new AwsError('KMS created a key without an id', 'try again');
  try {
    await kms.send(new CreateAliasCommand({ AliasName: opts.kmsAlias, TargetKeyId: made.KeyId }));
  } catch (err) {
    if (nameOf(err) !== 'AlreadyExistsException') throw err;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: made.KeyId, PendingWindowInDays: 7 })).catch(() => undefined);
    const theirs = await describe(kms, opts.kmsAlias);
    if (!theirs) throw err;
    return { key: theirs, created: false };
  }
  changes.push(`created the KMS key ${made.KeyId} with alias ${opts.kmsAlias}`);
  try {
    await kms.send(new EnableKeyRotationCommand({ KeyId: made.KeyId }));
  } catch (err) {
    throw new AwsError(
      `created the KMS key ${made.KeyId} (${opts.kmsAlias}) but could not turn on its yearly rotation: ${nameOf(err)}: ${(err as Error).message?.split('\n')[0] ?? ''}`,
      `turn it on by hand: aws kms enable-key-rotation --key-id ${made.KeyId}`,
      { cause: err },
    );
  }
  return { key: made, created: true };
}

function usable(key: KeyMetadata, alias: string): void {
  if (key.KeyState !== 'Enabled') {
    throw new AwsError(
      `the KMS key ${key.KeyId} behind ${alias} is ${key.KeyState ?? 'not enabled'}: it cannot encrypt the state`,
      key.KeyState === 'PendingDeletion'
        ? `cancel its deletion (aws kms cancel-key-deletion --key-id ${key.KeyId}, then aws kms enable-key) or point kms_master_id at another alias`
        : `enable it (aws kms enable-key --key-id ${key.KeyId}) or point kms_master_id at another alias`,
    );
  }
  if ((key.KeyUsage && key.KeyUsage !== 'ENCRYPT_DECRYPT') || (key.KeySpec && key.KeySpec !== 'SYMMETRIC_DEFAULT')) {
    throw new AwsError(`the KMS key ${key.KeyId} behind ${alias} is ${key.KeySpec}/${key.KeyUsage}: S3 needs a symmetric ENCRYPT_DECRYPT key`, 'point kms_master_id at a symmetric key');
  }
}

/** Whether the bucket's default encryption rule already is SSE-KMS with this key and the bucket key on. */
function encryptionMatches(rules: ServerSideEncryptionRule[] | undefined, key: KeyMetadata, alias: string): boolean {
  const rule = rules?.[0];
  const by = rule?.ApplyServerSideEncryptionByDefault;
  if (!rule || !by || by.SSEAlgorithm !== 'aws:kms' || rule.BucketKeyEnabled !== true) return false;
  const id = by.KMSMasterKeyID ?? '';
  return id === key.Arn || id === key.KeyId || id === alias || (id.startsWith('arn:') && id.endsWith(`:${alias}`));
}

/**
 * Makes sure the state bucket and its KMS key exist and are configured (see the module comment).
 * Reads before writing: the key by its alias (DescribeKey), the bucket (HeadBucket), then its
 * versioning, default encryption and public access block; creates or writes only what is missing
 * or different. The bucket is created in `ctx.region` (with a LocationConstraint outside us-east-1).
 * @returns the bucket and key (`created` true for what this call created) and `changed`/`changes`.
 * @throws ProfileError when the bucket name or alias is malformed; AwsError when the key is not
 *   usable (disabled, pending deletion, asymmetric), when the bucket exists in another region or
 *   belongs to someone else, or when AWS refuses a call (as {@link toAwsError}: cannot reach, access
 *   denied, credentials).
 */
export async function bootstrapPrerequisites(ctx: AwsContext, opts: PrerequisiteOptions): Promise<BootstrapResult> {
  checkOptions(opts);
  const { bucket, kmsAlias } = opts;
  const s3 = new S3Client(clientConfig(ctx));
  const kms = new KMSClient(clientConfig(ctx));
  try {
    // The key and the bucket are looked up at once (reads); what is missing is then made in the
    // order of the steps (the key first, and nothing is made when a look-up failed or the key is
    // unusable). The bucket's settings are then read (and set where they differ) at once. Errors
    // are reported in the order of the steps, and the changes listed in that order.
    const [keyLook, bucketLook] = await Promise.allSettled([
      describe(kms, kmsAlias).catch((err: unknown) => {
        throw wrap(err, `creating the KMS key ${kmsAlias}`, ctx);
      }),
      headBucket(s3, ctx, bucket).catch((err: unknown) => {
        throw wrap(err, `creating the state bucket ${bucket}`, ctx);
      }),
    ]);
    if (keyLook.status === 'rejected') throw keyLook.reason;
    if (keyLook.value) usable(keyLook.value, kmsAlias);
    if (bucketLook.status === 'rejected') throw bucketLook.reason;
    const state = bucketLook.value;
    if (state.kind === 'exists' && state.region && state.region !== ctx.region) {
      throw new AwsError(`the state bucket ${bucket} is in ${state.region}, not ${ctx.region}`, `set aws_region = "${state.region}" in the profile, or choose another terraform_bucket_name`);
    }
    const changes: string[] = [];
    let key: KeyMetadata;
    let createdKey: boolean;
    try {
      ({ key, created: createdKey } = keyLook.value ? { key: keyLook.value, created: false } : await ensureKey(kms, opts, changes));
    } catch (err) {
      throw wrap(err, `creating the KMS key ${kmsAlias}`, ctx);
    }
    usable(key, kmsAlias);
    const keyId = key.KeyId ?? '';
    const keyArn = key.Arn ?? '';

    let createdBucket = false;
    if (state.kind === 'missing') {
      try {
        await s3.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ...(ctx.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: ctx.region as BucketLocationConstraint } }),
          }),
        );
        createdBucket = true;
        changes.push(`created the bucket s3://${bucket} in ${ctx.region}`);
      } catch (err) {
        if (nameOf(err) === 'BucketAlreadyExists') {
          throw new AwsError(`the bucket name ${bucket} is taken by another AWS account (bucket names are global)`, 'choose another terraform_bucket_name', { cause: err });
        }
        if (nameOf(err) !== 'BucketAlreadyOwnedByYou') throw wrap(err, `creating the state bucket ${bucket}`, ctx);
      }
    }

    const settings = await Promise.allSettled([
      (async (): Promise<string | undefined> => {
        try {
          const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
          if (versioning.Status === 'Enabled') return undefined;
          await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
          return `enabled versioning on s3://${bucket}`;
        } catch (err) {
          throw wrap(err, `turning on versioning of s3://${bucket}`, ctx);
        }
      })(),
      (async (): Promise<string | undefined> => {
        try {
          let rules: ServerSideEncryptionRule[] | undefined;
          try {
            rules = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules;
          } catch (err) {
            if (nameOf(err) !== 'ServerSideEncryptionConfigurationNotFoundError') throw err;
          }
          if (encryptionMatches(rules, key, kmsAlias)) return undefined;
          await s3.send(
            new PutBucketEncryptionCommand({
              Bucket: bucket,
              ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }] },
            }),
          );
          return `set the default encryption of s3://${bucket} to SSE-KMS with ${kmsAlias}`;
        } catch (err) {
          throw wrap(err, `setting the default encryption of s3://${bucket}`, ctx);
        }
      })(),
      (async (): Promise<string | undefined> => {
        try {
          let block: PublicAccessBlockConfiguration | undefined;
          try {
            block = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration;
          } catch (err) {
            if (nameOf(err) !== 'NoSuchPublicAccessBlockConfiguration') throw err;
          }
          const fields = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
          if (fields.every((f) => block?.[f] === true)) return undefined;
          await s3.send(
            new PutPublicAccessBlockCommand({
              Bucket: bucket,
              PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
            }),
          );
          return `blocked all public access to s3://${bucket}`;
        } catch (err) {
          throw wrap(err, `blocking public access to s3://${bucket}`, ctx);
        }
      })(),
    ]);
    for (const step of settings) if (step.status === 'rejected') throw step.reason;
    for (const step of settings) if (step.status === 'fulfilled' && step.value !== undefined) changes.push(step.value);

    return {
      bucket: { name: bucket, created: createdBucket },
      key: { id: keyId, arn: keyArn, alias: kmsAlias, created: createdKey },
      changed: changes.length > 0,
      changes,
    };
  } finally {
    s3.destroy();
    kms.destroy();
  }
}

/**
 * Cheap check for the console to offer the bootstrap: HeadBucket on the bucket and DescribeKey on
 * the alias (two calls, nothing written, options not validated beyond what AWS says).
 * @throws AwsError when the bucket exists but these credentials cannot use it (403) or is in another
 *   region (301); otherwise as {@link toAwsError} (cannot reach, access denied, credentials).
 */
export async function checkPrerequisites(ctx: AwsContext, opts: PrerequisiteOptions): Promise<PrerequisiteCheck> {
  const s3 = new S3Client(clientConfig(ctx));
  const kms = new KMSClient(clientConfig(ctx));
  try {
    const [bucket, key] = await Promise.all([
      headBucket(s3, ctx, opts.bucket).catch((err: unknown) => {
        throw wrap(err, `checking the state bucket ${opts.bucket}`, ctx);
      }),
      describe(kms, opts.kmsAlias).catch((err: unknown) => {
        throw wrap(err, `checking the KMS key ${opts.kmsAlias}`, ctx);
      }),
    ]);
    return {
      bucketExists: bucket.kind === 'exists',
      keyExists: key !== undefined,
      ...(key?.KeyState ? { keyState: key.KeyState } : {}),
    };
  } finally {
    s3.destroy();
    kms.destroy();
  }
}
