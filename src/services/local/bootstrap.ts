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
 * - It also lets a repeat bootstrap on the same emulator process be one request: when the entry
 *   for the bucket names this emulator (`pid`, `startedAt`, `endpoint`), the same region and alias,
 *   and the key's ARN, a `HeadBucket` that finds the bucket is enough (the key and the bucket's
 *   settings were made by that same process, which keeps everything until it stops or is wiped,
 *   and a wipe takes the bucket too). Anything else (no entry, another emulator, the bucket gone,
 *   any error) takes the full bootstrap. `--ci bootstrap` always checks everything.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { reasonOf } from '../../core/atomic-write.js';
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
   * What was checked: `all` (the key, the bucket and its settings: the full bootstrap), or `bucket`
   * (one `HeadBucket`: the reset marker shows this very emulator process made the rest).
   */
  checked: 'all' | 'bucket';
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
  /** Written since the one-request repeat bootstrap; an entry without it takes the full bootstrap. */
  kmsKeyArn?: string;
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

function wrap(endpoint: string, err: unknown): ConsoleError {
  const msg = err instanceof Error ? err.message || err.name : String(err);
  if (/cannot reach|ECONNREFUSED|socket hang up|ECONNRESET/.test(msg)) {
    return new LocalEmulatorError(`the local AWS emulator at ${endpoint} does not answer (bootstrapping the state bucket and key)`, 'run `./run.kube --local stop`, then start the console again', { cause: err });
  }
  if (err instanceof ConsoleError) return err;
  return new LocalEmulatorError(`bootstrapping the local emulator failed: ${msg}`, 'run `./run.kube --local stop`, then start the console again', { cause: err });
}

/**
 * Makes sure the local emulator at `endpoint` has the Terraform state bucket and its KMS key:
 *
 * the same prerequisites as on AWS, made by {@link bootstrapPrerequisites} (the key with its
 * alias; the bucket versioned, SSE-KMS with the key, public access blocked; only what is missing
 * or different is written), with dummy credentials against `endpoint` only. Idempotent: a second
 * call creates nothing (`created` both false). Writes the reset marker after success.
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

  if (own && record) {
    const entry = (await readMarker(stateDir)).buckets[bucket];
    if (
      entry?.kmsKeyArn &&
      entry.emulator.pid === record.pid &&
      entry.emulator.startedAt === record.startedAt &&
      entry.endpoint === endpoint &&
      entry.region === region &&
      entry.kmsAlias === kmsAlias &&
      (await bucketExists(endpoint, region, bucket))
    ) {
      return { bucket, kmsKeyId: entry.kmsKeyId, kmsKeyArn: entry.kmsKeyArn, created: { bucket: false, key: false }, checked: 'bucket', emulatorWasReset: false };
    }
  }

  // The full bootstrap loads the KMS client too: only when it runs.
  const { bootstrapPrerequisites } = await import('../aws/bootstrap.js');
  let kmsKeyId: string;
  let kmsKeyArn: string;
  let created: { bucket: boolean; key: boolean };
  try {
    const r = await bootstrapPrerequisites(
      { environment: 'local', region, credentials: async () => DUMMY_CREDENTIALS, endpoint, kmsKeyId: kmsAlias },
      { bucket, kmsAlias },
    );
    kmsKeyId = r.key.id;
    kmsKeyArn = r.key.arn;
    created = { bucket: r.bucket.created, key: r.key.created };
  } catch (err) {
    throw wrap(endpoint, err);
  }

  let emulatorWasReset = false;
  if (own && record) {
    const marker = await readMarker(stateDir);
    emulatorWasReset = created.bucket && marker.buckets[bucket] !== undefined;
    marker.buckets[bucket] = {
      region,
      kmsAlias,
      kmsKeyId,
      kmsKeyArn,
      endpoint,
      emulator: { pid: record.pid, startedAt: record.startedAt },
      bootstrappedAt: Date.now(),
    };
    try {
      await writeJsonAtomic(join(stateDir, MARKER_FILE), marker);
    } catch (err) {
      throw new LocalEmulatorError(`cannot write ${join(stateDir, MARKER_FILE)}: ${reasonOf(err)}`, `check the permissions of ${stateDir}`, { cause: err });
    }
  }

  return { bucket, kmsKeyId, kmsKeyArn, created, checked: 'all', emulatorWasReset };
}

/**
 * Whether `bucket` exists in the emulator at `endpoint` (`HeadBucket` with the dummy credentials).
 * False on any error (missing, refused, no answer): the caller then runs the full bootstrap, which
 * says what is wrong. Never throws.
 */
async function bucketExists(endpoint: string, region: string, bucket: string): Promise<boolean> {
  const s3 = new S3Client({ region, endpoint, forcePathStyle: true, credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(5_000) });
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}
