/**
 * The environment's secrets bucket (Terraform output `secrets_bucket`): kubeconfigs, tokens and
 * certificates under `secrets/<role>/…`, every object encrypted with SSE-KMS under the
 * environment's key (`ctx.kmsKeyId`, the profile's `kms_master_id`). The services behind the
 * Secrets pane and the `--ci secrets` commands: here the listing and the operations on one
 * secret; comparing and syncing a whole directory in `secrets-tree.ts` (re-exported here).
 *
 * Rules kept by every function here:
 * - a secret's body never reaches a log, a message or an error: callers show {@link maskSecret};
 * - every upload asks for SSE-KMS with the environment's key explicitly (the bucket policy refuses
 *   uploads without it) and records the body's SHA-256 as user metadata `x-amz-meta-sha256`;
 * - every local file holding a secret is created mode 0600 (directories 0700) and is never
 *   world-readable, not even between create and chmod: it is written with {@link writeFileAtomic}
 *   (a temp file in the destination directory created with mode 0600, fsynced, then renamed, or
 *   hard-linked when the destination must not be overwritten, into place);
 * - edits are conditional: an upload of an edited secret carries the ETag read before editing
 *   (`If-Match`), a new secret `If-None-Match: *`, so a concurrent change is never overwritten
 *   ({@link SecretConflictError}).
 *
 * ETags here are given and taken without the surrounding double quotes S3 puts on them.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';

import { errnoOf, writeFileAtomic } from '../../core/atomic-write.js';
import { AwsError, ConsoleError } from '../../core/errors.js';
import { clientConfig, type AwsContext } from './context.js';
import { toAwsError } from './errors.js';

/** One object of the secrets bucket, as listed (no body). */
export interface SecretEntry {
  /** The object's key, e.g. `secrets/secure/kubeconfig_admin`. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** The ETag without quotes. For SSE-KMS objects on real S3 it is NOT the MD5 of the body. */
  etag: string;
  /** Last modification, milliseconds since the epoch. */
  lastModified: number;
}

/** A node of {@link secretTree}: a folder (with `children`) or a secret (with `entry`). */
export interface TreeNode {
  /** Last path segment, e.g. `kubeconfig_admin` or `secure`. */
  name: string;
  /** A secret's full key, or a folder's key prefix ending in `/` (e.g. `secrets/secure/`). */
  path: string;
  /** A folder's children: folders first, then secrets, each sorted by name. */
  children?: TreeNode[];
  /** A secret's listing entry. */
  entry?: SecretEntry;
}

/** A secret as read by {@link getSecret}. */
export interface SecretObject {
  /** The decrypted body (S3 decrypts SSE-KMS transparently). */
  body: Buffer;
  /** ETag without quotes: pass it back as `ifMatch` when uploading an edit. */
  etag: string;
  /** The KMS key S3 reports for the object (a key id or ARN; moto echoes what the upload named). */
  kmsKeyId?: string;
  /** Server-side encryption: `aws:kms` for secrets written by the platform or the console. */
  sse?: string;
}

/** Conditions of {@link putSecret}. */
export interface PutSecretOptions {
  /** The ETag (quoted or not) read before editing: the upload happens only if the object still has it. */
  ifMatch?: string;
  /** Create only: the upload happens only if no object has this key. */
  ifNoneMatch?: boolean;
}

/**
 * An upload was refused because the object is not in the state the caller expected: it changed
 * (or was deleted) since it was read (`ifMatch`), or it already exists (`ifNoneMatch`). Nothing
 * was written.
 */
export class SecretConflictError extends AwsError {
  constructor(
    message: string,
    hint: string,
    readonly bucket: string,
    readonly key: string,
    /** The ETag the caller expected (`ifMatch`), without quotes; undefined for a create. */
    readonly expectedEtag: string | undefined,
    /** The object's ETag now, without quotes; undefined when it does not exist (or could not be read). */
    readonly currentEtag: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

// ————— helpers —————
// Exported ones (and listWith, getWith, putWith, localError, writeSecretFile below) are shared
// with secrets-tree.ts; other modules use the operations, not these.

export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

export function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

function quote(etag: string): string {
  return `"${unquote(etag)}"`;
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

const NO_BUCKET_HINT = 'apply the platform (Plan/Apply pane: p, then a), then open the Secrets pane again';

function noBucket(ctx: AwsContext, cause?: unknown): AwsError {
  const what = ctx.secretsBucket ? `s3://${ctx.secretsBucket} does not exist` : `known for ${ctx.environment}`;
  return new AwsError(`no secrets bucket ${what}: apply the platform first (it is the Terraform output secrets_bucket)`, NO_BUCKET_HINT, cause === undefined ? undefined : { cause });
}

export function bucketOf(ctx: AwsContext): string {
  if (!ctx.secretsBucket) throw noBucket(ctx);
  return ctx.secretsBucket;
}

/** Maps an SDK error: a missing bucket gets its own message, everything else {@link toAwsError}. */
export function fail(ctx: AwsContext, err: unknown, what: string): ConsoleError {
  if (err instanceof ConsoleError) return err;
  if (nameOf(err) === 'NoSuchBucket') return noBucket(ctx, err);
  return toAwsError(err, what, ctx.endpoint);
}

/**
 * "no secret KEY in s3://BUCKET": the key does not exist (or no longer). The hint is the console's
 * (its Secrets pane refreshes with `r`); a headless caller gives its own wording from `key` and `bucket`.
 */
export class SecretNotFoundError extends AwsError {
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`no secret ${key} in s3://${bucket}`, 'refresh the list (r): it may have been deleted or renamed', options);
  }
}

export function noSecret(bucket: string, key: string, cause?: unknown): AwsError {
  return new SecretNotFoundError(bucket, key, cause === undefined ? undefined : { cause });
}

/** Runs `fn` with an S3 client for `ctx`, destroyed afterwards. */
export async function withS3<T>(ctx: AwsContext, fn: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = new S3Client(clientConfig(ctx));
  try {
    return await fn(s3);
  } finally {
    s3.destroy();
  }
}

// ————— listing —————

export async function listWith(s3: S3Client, ctx: AwsContext, bucket: string, prefix: string): Promise<SecretEntry[]> {
  const out: SecretEntry[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}) })) {
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({ key: o.Key, size: o.Size ?? 0, etag: unquote(o.ETag), lastModified: o.LastModified?.getTime() ?? 0 });
      }
    }
  } catch (err) {
    throw fail(ctx, err, `listing s3://${bucket}/${prefix}`);
  }
  return out;
}

/**
 * Every object of the secrets bucket (ListObjectsV2, all pages), in key order. No bodies are read.
 * @throws AwsError "no secrets bucket …" when `ctx.secretsBucket` is undefined or the bucket does
 *   not exist; otherwise as {@link toAwsError} (cannot reach, access denied, credentials …).
 */
export async function listSecrets(ctx: AwsContext): Promise<SecretEntry[]> {
  const bucket = bucketOf(ctx);
  return withS3(ctx, (s3) => listWith(s3, ctx, bucket, ''));
}

/**
 * The listing as a tree for the Secrets pane: `secrets/secure/kubeconfig_admin` becomes folder
 * `secrets/` → folder `secrets/secure/` → secret `kubeconfig_admin`. At every level folders come
 * first, then secrets, each sorted by name (code-unit order). Keys ending in `/` (folder markers)
 * make a folder and no secret. Pure.
 */
export function secretTree(entries: readonly SecretEntry[]): TreeNode[] {
  interface Folder {
    node: TreeNode;
    folders: Map<string, Folder>;
    files: TreeNode[];
  }
  const root: Folder = { node: { name: '', path: '' }, folders: new Map(), files: [] };
  for (const entry of entries) {
    const parts = entry.key.split('/');
    const leaf = parts.pop() as string;
    let at = root;
    let path = '';
    for (const part of parts) {
      path += `${part}/`;
      let sub = at.folders.get(part);
      if (!sub) {
        sub = { node: { name: part, path }, folders: new Map(), files: [] };
        at.folders.set(part, sub);
      }
      at = sub;
    }
    if (leaf !== '') at.files.push({ name: leaf, path: entry.key, entry });
  }
  const byName = (a: TreeNode, b: TreeNode): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const build = (f: Folder): TreeNode[] => [
    ...[...f.folders.values()].map((sub) => ({ ...sub.node, children: build(sub) })).sort(byName),
    ...f.files.sort(byName),
  ];
  return build(root);
}

// ————— one secret —————

export async function getWith(s3: S3Client, ctx: AwsContext, bucket: string, key: string): Promise<SecretObject> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    return {
      body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      etag: unquote(out.ETag),
      ...(out.SSEKMSKeyId !== undefined ? { kmsKeyId: out.SSEKMSKeyId } : {}),
      ...(out.ServerSideEncryption !== undefined ? { sse: out.ServerSideEncryption } : {}),
    };
  } catch (err) {
    if (nameOf(err) === 'NoSuchKey') throw noSecret(bucket, key, err);
    throw fail(ctx, err, `reading s3://${bucket}/${key}`);
  }
}

/**
 * Reads and decrypts one secret (GetObject; S3 decrypts SSE-KMS transparently).
 * @returns the body, its ETag (for {@link putSecret}'s `ifMatch`), the KMS key and SSE algorithm S3 reports.
 * @throws AwsError "no secret KEY in s3://BUCKET" when the key does not exist; "no secrets bucket …"
 *   when the bucket does not; otherwise as {@link toAwsError} (a KMS denial shows as access denied).
 */
export async function getSecret(ctx: AwsContext, key: string): Promise<SecretObject> {
  const bucket = bucketOf(ctx);
  return withS3(ctx, (s3) => getWith(s3, ctx, bucket, key));
}

async function currentEtag(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    return unquote((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag);
  } catch {
    return undefined;
  }
}

export async function putWith(s3: S3Client, ctx: AwsContext, bucket: string, key: string, body: Buffer, opts: PutSecretOptions): Promise<{ etag: string }> {
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: ctx.kmsKeyId,
        Metadata: { sha256: sha256(body) },
        ...(opts.ifMatch !== undefined ? { IfMatch: quote(opts.ifMatch) } : {}),
        ...(opts.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
    );
    return { etag: unquote(out.ETag) };
  } catch (err) {
    const name = nameOf(err);
    const status = statusOf(err);
    const where = `s3://${bucket}/${key}`;
    const conditional = opts.ifMatch !== undefined || opts.ifNoneMatch === true;
    // 412: a condition failed. 409 ConditionalRequestConflict: a concurrent conditional write won.
    // 404 NoSuchKey on If-Match: the object was deleted meanwhile.
    const refused = name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict' || (opts.ifMatch !== undefined && name === 'NoSuchKey');
    if (conditional && refused) {
      const now = await currentEtag(s3, bucket, key);
      if (opts.ifMatch !== undefined) {
        const expected = unquote(opts.ifMatch);
        throw new SecretConflictError(
          `${where} changed since you opened it (ETag ${expected}, now ${now ?? 'deleted'}): your edit was not uploaded`,
          'fetch it again (r) and redo the edit',
          bucket,
          key,
          expected,
          now,
          { cause: err },
        );
      }
      throw new SecretConflictError(
        `${where} already exists (ETag ${now ?? 'unknown'}): your upload was not made`,
        'choose another key, or open the existing secret (Enter) and edit it',
        bucket,
        key,
        undefined,
        now,
        { cause: err },
      );
    }
    throw fail(ctx, err, `uploading ${where}`);
  }
}

/**
 * Uploads one secret: PutObject with `ServerSideEncryption: 'aws:kms'`, `SSEKMSKeyId: ctx.kmsKeyId`,
 * user metadata `sha256` (hex SHA-256 of `body`, used by {@link diffTree}), and the conditions
 * asked for (`If-Match: "ETAG"`, `If-None-Match: *`).
 * @returns the new ETag (without quotes).
 * @throws SecretConflictError (nothing written) when `ifMatch` is given and the object changed or
 *   was deleted: "s3://BUCKET/KEY changed since you opened it (ETag X, now Y): your edit was not
 *   uploaded", hint "fetch it again (r) and redo the edit"; or when `ifNoneMatch` is set and the
 *   object exists. AwsError "no secrets bucket …" when the bucket is unknown or missing; otherwise
 *   as {@link toAwsError}.
 */
export async function putSecret(ctx: AwsContext, key: string, body: Buffer, opts: PutSecretOptions = {}): Promise<{ etag: string }> {
  const bucket = bucketOf(ctx);
  return withS3(ctx, (s3) => putWith(s3, ctx, bucket, key, body, opts));
}

// ————— local files —————

export function localError(what: string, err: unknown): ConsoleError {
  // Node's message already names the code and the path: "ENOENT: no such file or directory, open '…'".
  return new ConsoleError(`${what}: ${err instanceof Error ? err.message : String(err)}`, 'check the path and its permissions', { cause: err });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw localError(`cannot check ${path}`, err);
  }
}

function fileExists(file: string): ConsoleError {
  return new ConsoleError(`${file} already exists: not overwritten`, 'choose another file name, or ask to overwrite it');
}

/**
 * Writes `body` to `file` with mode 0600 from the first byte ({@link writeFileAtomic}: a temp file
 * in the same directory created with mode 0600, fsynced, then renamed over `file` (`overwrite`)
 * or hard-linked to it (no overwrite: fails if `file` appeared meanwhile)).
 * @throws ConsoleError "FILE already exists: not overwritten" (no overwrite); ConsoleError
 *   "cannot write FILE: …" as {@link writeFileAtomic}.
 */
export async function writeSecretFile(file: string, body: Buffer, overwrite: boolean): Promise<void> {
  try {
    await writeFileAtomic(file, body, { mode: 0o600, exclusive: !overwrite });
  } catch (err) {
    if (!overwrite && errnoOf(err) === 'EEXIST') throw fileExists(file);
    throw err;
  }
}

/**
 * Fetches one secret into a local file, mode 0600 from the start (never world-readable, not even
 * briefly; see {@link writeSecretFile}). The file's directory must exist.
 * @param opts.overwrite replace an existing file (atomically, by rename); default false.
 * @throws ConsoleError "FILE already exists: not overwritten" (checked before downloading, and again
 *   atomically when the file is put in place); ConsoleError when the directory cannot be written;
 *   the errors of {@link getSecret}.
 */
export async function fetchSecretToFile(ctx: AwsContext, key: string, file: string, opts: { overwrite?: boolean } = {}): Promise<void> {
  const overwrite = opts.overwrite === true;
  if (!overwrite && (await exists(file))) throw fileExists(file);
  const { body } = await getSecret(ctx, key);
  await writeSecretFile(file, body, overwrite);
}

/**
 * Reads a local file and uploads it as secret `key` ({@link putSecret}, same options).
 * @returns the new ETag.
 * @throws ConsoleError when the file cannot be read; the errors of {@link putSecret}.
 */
export async function uploadSecretFile(ctx: AwsContext, key: string, file: string, opts: PutSecretOptions = {}): Promise<{ etag: string }> {
  bucketOf(ctx);
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch (err) {
    throw localError(`cannot read ${file}`, err);
  }
  return putSecret(ctx, key, body, opts);
}

// ————— trees, masking —————

// The tree diff and sync live in secrets-tree.ts, which builds on the helpers exported above;
// it uses them only inside its functions, so this re-export's import cycle is harmless.
export { compareTree, diffTree, fetchTree, uploadTree, type TreeDiff, type TreeOptions, type TreeSyncResult } from './secrets-tree.js';
export { maskSecret } from '../../core/mask.js';
