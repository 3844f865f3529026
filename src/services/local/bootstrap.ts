/**
 * Bootstrap of the local emulator: the Terraform state bucket and its KMS key, created
 * in moto the way `services/aws/bootstrap` creates them in a real account, and the
 * detection of an emulator whose in-memory state is gone.
 *
 * The reset marker, `stateDir/bootstrap.json`:
 *
 * ```json
 * { "version": 1,
 *   "buckets": { "BUCKET": { "region": "…", "kmsAlias": "alias/…", "kmsKeyId": "…", "endpoint": "http://127.0.0.1:PORT",
 *                            "emulator": { "pid": 123, "startedAt": 1700000000000 }, "bootstrappedAt": 1700000000000 } } }
 * ```
 *
 * - It is written (atomically) only after a bootstrap fully succeeded, so a bootstrap
 *   interrupted half-way never makes the next one claim a reset.
 * - It is read and written only when `endpoint` is the state directory's own emulator
 *   (the one `emulator.json` records), so pointing `bootstrapLocal` at some other moto
 *   (a test server, a port given by hand) neither triggers nor pollutes it.
 * - It is keyed by bucket name, so switching between local profiles with different
 *   buckets does not look like a reset.
 * - `emulatorWasReset` is true when the marker has an entry for this bucket and the bucket
 *   is gone now. moto keeps everything in memory, so a restarted emulator (new pid and
 *   `startedAt`, usually a new port) always lacks the bucket; an emulator wiped in place
 *   (`POST /moto-api/reset`) does too, and is reported the same way, since either way the
 *   Terraform state is gone. The recorded `{ pid, startedAt }` is replaced by the current
 *   emulator's after every successful bootstrap, so the message is given once per restart.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  KMSClient,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ConsoleError, LocalEmulatorError } from '../../core/errors.js';
import { readEmulatorRecord, resolveStateDir, writeJsonAtomic } from './emulator.js';

const MARKER_FILE = 'bootstrap.json';
const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Options of {@link bootstrapLocal}. */
export interface BootstrapLocalOptions {
  /** The emulator's base URL, `http://127.0.0.1:PORT` (from {@link ensureEmulator}). */
  endpoint: string;
  /** AWS region the bucket and key live in, e.g. `us-east-1`. */
  region: string;
  /** Name of the Terraform state bucket. */
  bucket: string;
  /** Alias of the state KMS key, starting with `alias/`. */
  kmsAlias: string;
  /**
   * State directory holding `emulator.json` and the reset marker `bootstrap.json`;
   * default as in {@link resolveStateDir} (`$PLATFORM_LOCAL_DIR`, else `~/.cache/platform-console/local`).
   */
  stateDir?: string;
}

/** What {@link bootstrapLocal} found or made. */
export interface BootstrapLocalResult {
  /** The state bucket's name (as given). */
  bucket: string;
  /** The KMS key's id (a UUID in moto). */
  kmsKeyId: string;
  /** The KMS key's ARN; the bucket's default encryption uses it. */
  kmsKeyArn: string;
  /** Whether this call created the bucket / the key (with its alias). Both false on a repeat call. */
  created: { bucket: boolean; key: boolean };
  /**
   * True when this state directory's emulator had been bootstrapped before (see the marker
   * above) but the bucket is gone now: the emulator was restarted or wiped and its state,
   * Terraform's included, is lost. The console says "the local emulator was restarted: its
   * state is gone, planning from scratch".
   */
  emulatorWasReset: boolean;
}

interface MarkerEntry {
  region: string;
  kmsAlias: string;
  kmsKeyId: string;
  endpoint: string;
  emulator: { pid: number; startedAt: number };
  bootstrappedAt: number;
}

interface Marker {
  version: 1;
  buckets: Record<string, MarkerEntry>;
}

async function readMarker(stateDir: string): Promise<Marker> {
  try {
    const parsed = JSON.parse(await readFile(join(stateDir, MARKER_FILE), 'utf8')) as Partial<Marker>;
    if (parsed.version === 1 && typeof parsed.buckets === 'object' && parsed.buckets !== null) {
      return { version: 1, buckets: parsed.buckets };
    }
  } catch {
    // missing or unreadable: no marker
  }
  return { version: 1, buckets: {} };
}

function originOf(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    throw new LocalEmulatorError(`not a valid emulator endpoint: ${endpoint}`, 'expected http://127.0.0.1:PORT');
  }
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && '$metadata' in err) {
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return meta?.httpStatusCode;
  }
  return undefined;
}

function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

function wrap(step: string, endpoint: string, err: unknown): ConsoleError {
  if (err instanceof ConsoleError) return err;
  const msg = err instanceof Error ? err.message || err.name : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const unreachable = code === 'ECONNREFUSED' || /ECONNREFUSED|socket hang up|ECONNRESET/.test(msg);
  if (unreachable) {
    return new LocalEmulatorError(`the local AWS emulator at ${endpoint} does not answer (${step})`, 'run `./run.kube --local stop`, then start the console again', { cause: err });
  }
  return new LocalEmulatorError(`bootstrapping the local emulator failed while ${step}: ${msg}`, 'run `./run.kube --local stop`, then start the console again', { cause: err });
}

/**
 * Makes sure the local emulator at `endpoint` has the Terraform state bucket and its KMS key:
 *
 * - the key: resolved through `kmsAlias`; when the alias does not resolve, a symmetric
 *   ENCRYPT_DECRYPT key is created and the alias pointed at it (a disabled or
 *   pending-deletion key is re-enabled);
 * - the bucket: created when missing; then, every call, versioning `Enabled`, default
 *   encryption SSE-KMS with the key's ARN (bucket key on), and a public access block with
 *   all four settings on (these puts are idempotent and create nothing).
 *
 * SDK v3 clients talk to `endpoint` only, path-style, with dummy credentials. Idempotent:
 * a second call creates nothing (`created` both false). Writes the reset marker after success.
 *
 * @returns the bucket, the key's id and ARN, what was created, and whether the emulator lost
 *   its state since the last bootstrap (see {@link BootstrapLocalResult.emulatorWasReset}).
 * @throws LocalEmulatorError when the emulator does not answer or refuses a call, or when
 *   `kmsAlias` does not start with `alias/`.
 */
export async function bootstrapLocal(opts: BootstrapLocalOptions): Promise<BootstrapLocalResult> {
  const { region, bucket, kmsAlias } = opts;
  const endpoint = originOf(opts.endpoint);
  if (!kmsAlias.startsWith('alias/') || kmsAlias.length <= 'alias/'.length) {
    throw new LocalEmulatorError(`the KMS alias must start with "alias/": ${kmsAlias}`, 'fix kms alias in the local profile');
  }
  const stateDir = resolveStateDir(opts.stateDir);
  const record = await readEmulatorRecord({ stateDir });
  const own = record !== undefined && originOf(record.endpoint) === endpoint;

  const common = { endpoint, region, credentials: DUMMY_CREDENTIALS, maxAttempts: 2 } as const;
  const s3 = new S3Client({
    ...common,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const kms = new KMSClient(common);
  try {
    // Key first: the bucket's encryption needs its ARN.
    let key: KeyMetadata | undefined;
    let createdKey = false;
    try {
      key = await describeKey(kms, kmsAlias);
      if (!key) {
        const made = await kms.send(
          new CreateKeyCommand({
            Description: `platform-console local state key (${bucket})`,
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeySpec: 'SYMMETRIC_DEFAULT',
          }),
        );
        const id = made.KeyMetadata?.KeyId;
        if (!id) throw new LocalEmulatorError('the local emulator created a KMS key without an id', 'run `./run.kube --local stop`, then try again');
        try {
          await kms.send(new CreateAliasCommand({ AliasName: kmsAlias, TargetKeyId: id }));
          key = made.KeyMetadata;
          createdKey = true;
        } catch (err) {
          // Another console created the alias meanwhile: use its key.
          if (nameOf(err) !== 'AlreadyExistsException') throw err;
          key = await describeKey(kms, kmsAlias);
        }
      } else if (key.KeyState === 'PendingDeletion') {
        await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
        await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      } else if (key.KeyState === 'Disabled') {
        await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      }
    } catch (err) {
      throw wrap(`creating the KMS key ${kmsAlias}`, endpoint, err);
    }
    const kmsKeyId = key?.KeyId;
    const kmsKeyArn = key?.Arn;
    if (!kmsKeyId || !kmsKeyArn) {
      throw new LocalEmulatorError(`the KMS alias ${kmsAlias} does not resolve to a key in the local emulator`, 'run `./run.kube --local stop`, then try again');
    }

    let createdBucket = false;
    try {
      if (!(await bucketExists(s3, bucket))) {
        try {
          await s3.send(
            new CreateBucketCommand({
              Bucket: bucket,
              ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
            }),
          );
          createdBucket = true;
        } catch (err) {
          if (nameOf(err) !== 'BucketAlreadyOwnedByYou') throw err;
        }
      }
    } catch (err) {
      throw wrap(`creating the state bucket ${bucket}`, endpoint, err);
    }
    try {
      // Configured once, when created: an existing bucket was configured by an earlier bootstrap
      // (this is the emulator's own bucket), and skipping three calls keeps start-up quick.
      if (createdBucket) await Promise.all([
      s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })),
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn }, BucketKeyEnabled: true }],
          },
        }),
      ),
      s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        }),
      ),
      ]);
    } catch (err) {
      throw wrap(`configuring the state bucket ${bucket}`, endpoint, err);
    }

    let emulatorWasReset = false;
    if (own && record) {
      const marker = await readMarker(stateDir);
      emulatorWasReset = createdBucket && marker.buckets[bucket] !== undefined;
      marker.buckets[bucket] = {
        region,
        kmsAlias,
        kmsKeyId,
        endpoint,
        emulator: { pid: record.pid, startedAt: record.startedAt },
        bootstrappedAt: Date.now(),
      };
      try {
        await writeJsonAtomic(join(stateDir, MARKER_FILE), marker);
      } catch (err) {
        throw new LocalEmulatorError(`cannot write ${join(stateDir, MARKER_FILE)}: ${(err as Error).message}`, `check the permissions of ${stateDir}`, { cause: err });
      }
    }

    return { bucket, kmsKeyId, kmsKeyArn, created: { bucket: createdBucket, key: createdKey }, emulatorWasReset };
  } finally {
    s3.destroy();
    kms.destroy();
  }
}

async function describeKey(kms: KMSClient, keyId: string): Promise<KeyMetadata | undefined> {
  try {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    return out.KeyMetadata;
  } catch (err) {
    if (nameOf(err) === 'NotFoundException') return undefined;
    throw err;
  }
}

async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    if (statusOf(err) === 404 || nameOf(err) === 'NotFound' || nameOf(err) === 'NoSuchBucket') return false;
    throw err;
  }
}
