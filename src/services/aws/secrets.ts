/**
 * The environment's secrets bucket (Terraform output `secrets_bucket`): kubeconfigs, tokens and
 * certificates under `secrets/<role>/…`, every object encrypted with SSE-KMS under the
 * environment's key (`ctx.kmsKeyId`, the profile's `kms_master_id`). The services behind the
 * Secrets pane and the `--ci secrets` commands.
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
import { lstat, mkdir, readdir, readFile, chmod } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';

import { errnoOf, isAtomicTempName, writeFileAtomic } from '../../core/atomic-write.js';
import { mapLimit } from '../../core/concurrency.js';
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

/** How a local directory and a key prefix of the secrets bucket compare ({@link diffTree}). */
export interface TreeDiff {
  /** Relative paths (`/`-separated, below the prefix / the directory) of secrets with no local file. */
  onlyRemote: string[];
  /** Relative paths of local files with no secret. */
  onlyLocal: string[];
  /** Relative paths present on both sides with different contents. */
  differ: string[];
  /** Relative paths present on both sides with identical contents. */
  same: string[];
  /**
   * Keys (full) below the prefix that cannot be a local file (an empty, `.` or `..` path
   * segment): never fetched. Folder markers (keys ending in `/`) are ignored silently.
   */
  skipped: string[];
}

/** Options of {@link diffTree}, {@link fetchTree} and {@link uploadTree}. */
export interface TreeOptions {
  /** Key prefix the directory mirrors, e.g. `secrets/` (a missing trailing `/` is added); default the whole bucket. */
  prefix?: string;
  /** Restrict the operation to these relative paths. */
  only?: string[];
  /**
   * Also replace the other side's copy of files that differ: all of them (`true`), or only these
   * relative paths (what a confirmation listed); the others are left alone and listed in `kept`.
   * Default false.
   */
  overwrite?: boolean | readonly string[];
  /**
   * ETags of the bucket's objects as the caller compared them (see {@link compareTree}): an object
   * whose ETag is no longer this one is not fetched, and an upload replaces only this version
   * (`If-Match`), so a change made since the comparison is never overwritten nor taken unseen.
   */
  expected?: Readonly<Record<string, string>>;
  /**
   * Report a file that cannot be copied as it was compared (changed or gone meanwhile, a local
   * file in the way) in `refused` and go on with the others, instead of throwing.
   */
  collect?: boolean;
}

/** What {@link fetchTree} or {@link uploadTree} did, as relative paths. */
export interface TreeSyncResult {
  /** Fetched (written locally) or uploaded. */
  copied: string[];
  /** Different on both sides and left alone because `overwrite` was not set. */
  kept: string[];
  /** Already identical. */
  same: string[];
  /** With `collect`: the copied files that replaced a differing copy (a subset of `copied`). */
  replaced?: string[];
  /** With `collect`: files not copied, and why. */
  refused?: { path: string; reason: string }[];
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

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

function quote(etag: string): string {
  return `"${unquote(etag)}"`;
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

const NO_BUCKET_HINT = 'apply the platform (Plan/Apply pane: p, then a), then open the Secrets pane again';

function noBucket(ctx: AwsContext, cause?: unknown): AwsError {
  const what = ctx.secretsBucket ? `s3://${ctx.secretsBucket} does not exist` : `known for ${ctx.environment}`;
  return new AwsError(`no secrets bucket ${what}: apply the platform first (it is the Terraform output secrets_bucket)`, NO_BUCKET_HINT, cause === undefined ? undefined : { cause });
}

function bucketOf(ctx: AwsContext): string {
  if (!ctx.secretsBucket) throw noBucket(ctx);
  return ctx.secretsBucket;
}

/** Maps an SDK error: a missing bucket gets its own message, everything else {@link toAwsError}. */
function fail(ctx: AwsContext, err: unknown, what: string): ConsoleError {
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

function noSecret(bucket: string, key: string, cause?: unknown): AwsError {
  return new SecretNotFoundError(bucket, key, cause === undefined ? undefined : { cause });
}

/** Runs `fn` with an S3 client for `ctx`, destroyed afterwards. */
async function withS3<T>(ctx: AwsContext, fn: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = new S3Client(clientConfig(ctx));
  try {
    return await fn(s3);
  } finally {
    s3.destroy();
  }
}

// ————— listing —————

async function listWith(s3: S3Client, ctx: AwsContext, bucket: string, prefix: string): Promise<SecretEntry[]> {
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

async function getWith(s3: S3Client, ctx: AwsContext, bucket: string, key: string): Promise<SecretObject> {
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

async function putWith(s3: S3Client, ctx: AwsContext, bucket: string, key: string, body: Buffer, opts: PutSecretOptions): Promise<{ etag: string }> {
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

function localError(what: string, err: unknown): ConsoleError {
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
async function writeSecretFile(file: string, body: Buffer, overwrite: boolean): Promise<void> {
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

// ————— trees —————


function normalPrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** The relative path of `key` below `prefix`; 'marker' for a folder marker; undefined when unsafe as a local path. */
function relativeKey(key: string, prefix: string): string | 'marker' | undefined {
  const rel = key.slice(prefix.length);
  if (rel === '' || rel.endsWith('/')) return 'marker';
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) return undefined;
  return rel;
}

interface LocalFile {
  path: string;
  size: number;
}

/** Regular files below `dir` by `/`-separated relative path; symlinks and the temp files of {@link writeSecretFile} are skipped. */
async function walkLocal(dir: string): Promise<Map<string, LocalFile>> {
  const out = new Map<string, LocalFile>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw localError(`cannot read the directory ${abs}`, err);
    }
    for (const e of entries) {
      const childAbs = join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(childAbs, childRel);
      else if (e.isFile() && !isAtomicTempName(e.name)) {
        const st = await lstat(childAbs);
        out.set(childRel, { path: childAbs, size: st.size });
      }
    }
  };
  await walk(dir, '');
  return out;
}

interface TreePlan {
  bucket: string;
  prefix: string;
  remote: Map<string, SecretEntry>;
  local: Map<string, LocalFile>;
  diff: TreeDiff;
}

/** SHA-256 of the remote object: its `x-amz-meta-sha256` when present (HeadObject), else by downloading. */
async function remoteSha256(s3: S3Client, ctx: AwsContext, bucket: string, entry: SecretEntry): Promise<string> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: entry.key }));
    const meta = head.Metadata?.['sha256'];
    if (meta && /^[0-9a-f]{64}$/.test(meta) && unquote(head.ETag) === entry.etag) return meta;
  } catch (err) {
    if (statusOf(err) !== 404) throw fail(ctx, err, `reading s3://${bucket}/${entry.key}`);
    throw noSecret(bucket, entry.key, err);
  }
  return sha256((await getWith(s3, ctx, bucket, entry.key)).body);
}

async function planTree(s3: S3Client, ctx: AwsContext, dir: string, opts: TreeOptions): Promise<TreePlan> {
  const bucket = bucketOf(ctx);
  const prefix = normalPrefix(opts.prefix);
  const only = opts.only ? new Set(opts.only) : undefined;
  const [entries, local] = await Promise.all([listWith(s3, ctx, bucket, prefix), walkLocal(resolve(dir))]);
  const remote = new Map<string, SecretEntry>();
  const skipped: string[] = [];
  for (const entry of entries) {
    const rel = relativeKey(entry.key, prefix);
    if (rel === 'marker') continue;
    if (rel === undefined) skipped.push(entry.key);
    else if (!only || only.has(rel)) remote.set(rel, entry);
  }
  if (only) for (const rel of [...local.keys()]) if (!only.has(rel)) local.delete(rel);

  const diff: TreeDiff = { onlyRemote: [], onlyLocal: [], differ: [], same: [], skipped: skipped.sort() };
  const both: string[] = [];
  for (const rel of remote.keys()) (local.has(rel) ? both : diff.onlyRemote).push(rel);
  for (const rel of local.keys()) if (!remote.has(rel)) diff.onlyLocal.push(rel);
  await mapLimit(both, 8, async (rel) => {
    const entry = remote.get(rel) as SecretEntry;
    const file = local.get(rel) as LocalFile;
    if (entry.size !== file.size) {
      diff.differ.push(rel);
      return;
    }
    let localBody: Buffer;
    try {
      localBody = await readFile(file.path);
    } catch (err) {
      throw localError(`cannot read ${file.path}`, err);
    }
    (sha256(localBody) === (await remoteSha256(s3, ctx, bucket, entry)) ? diff.same : diff.differ).push(rel);
  });
  for (const list of [diff.onlyRemote, diff.onlyLocal, diff.differ, diff.same]) list.sort();
  return { bucket, prefix, remote, local, diff };
}

/**
 * Compares a local directory with the secrets below a key prefix, by content. Relative paths are
 * `/`-separated and relative to both `dir` and `prefix`.
 *
 * Content comparison: an ETag is not an MD5 of the body for SSE-KMS objects (nor for multipart
 * uploads), so ETags are never compared with local hashes. Instead: different sizes differ at
 * once (from the listing); for equal sizes the local file's SHA-256 is compared with the object's
 * `x-amz-meta-sha256` (written by every console upload; read with HeadObject, no KMS call, and
 * trusted only while the object's ETag is the listed one); objects without it (written by the
 * nodes' `aws s3 cp`) are downloaded, decrypted and hashed in memory. S3 drops user metadata on
 * every overwrite, so a stale checksum cannot survive another tool's write.
 *
 * A missing `dir` counts as empty. Symlinks and other non-regular files in `dir` are ignored.
 * @param prefix key prefix (default: the whole bucket); `secrets` and `secrets/` are the same.
 * @throws the errors of {@link listSecrets} and {@link getSecret}; ConsoleError when `dir` cannot be read.
 */
export async function diffTree(ctx: AwsContext, dir: string, prefix?: string): Promise<TreeDiff> {
  bucketOf(ctx);
  return withS3(ctx, async (s3) => (await planTree(s3, ctx, dir, prefix === undefined ? {} : { prefix })).diff);
}

/**
 * {@link diffTree}, plus the ETag of each object below the prefix as it was compared (relative
 * path → ETag), to pass as `expected` to {@link fetchTree} / {@link uploadTree}.
 */
export async function compareTree(ctx: AwsContext, dir: string, prefix?: string): Promise<TreeDiff & { etags: Record<string, string> }> {
  bucketOf(ctx);
  return withS3(ctx, async (s3) => {
    const plan = await planTree(s3, ctx, dir, prefix === undefined ? {} : { prefix });
    const etags: Record<string, string> = {};
    for (const [rel, e] of plan.remote) if (e.etag) etags[rel] = e.etag;
    return { ...plan.diff, etags };
  });
}

/** Why a file of a tree sync was not copied, in the words of a tree sync (not of an edit). */
function refusalReason(err: ConsoleError): string {
  if (err instanceof SecretConflictError) {
    if (err.expectedEtag === undefined) return `appeared in the bucket since it was compared (ETag ${err.currentEtag ?? 'unknown'})`;
    return `changed in the bucket since it was compared (ETag ${err.expectedEtag}, now ${err.currentEtag ?? 'deleted'})`;
  }
  return err.message;
}

/** What a tree fetch or upload did: `replaced` and `refused` only with `collect`. */
function syncResult(diff: TreeDiff, opts: TreeOptions, copied: string[], refused: { path: string; reason: string }[]): TreeSyncResult {
  const result: TreeSyncResult = { copied: copied.sort(), kept: diff.differ.filter((rel) => !allowOverwrite(opts, rel)), same: diff.same };
  if (opts.collect) Object.assign(result, { replaced: result.copied.filter((rel) => diff.differ.includes(rel)), refused: refused.sort((a, b) => a.path.localeCompare(b.path)) });
  return result;
}

function allowOverwrite(opts: TreeOptions, rel: string): boolean {
  return opts.overwrite === true || (Array.isArray(opts.overwrite) && opts.overwrite.includes(rel));
}

/** Creates `dir` and its missing parents below `root` with mode 0700 (exactly: chmod after mkdir). */
async function mkdirPrivate(root: string, rel: string): Promise<void> {
  const parts = rel === '' ? [] : rel.split('/');
  let at = root;
  for (const part of ['', ...parts]) {
    at = part === '' ? at : join(at, part);
    try {
      await mkdir(at, { mode: 0o700 });
      await chmod(at, 0o700);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && part === '') {
        await mkdir(at, { recursive: true, mode: 0o700 });
        await chmod(at, 0o700);
        continue;
      }
      throw localError(`cannot create the directory ${at}`, err);
    }
  }
}

/**
 * Fetches the secrets below `prefix` into `dir` (the seed's `fetch-secrets`): those with no local
 * file, and, with `overwrite`, those whose local file differs. Every file is written mode 0600
 * (see {@link fetchSecretToFile}); every directory it creates (`dir` included) mode 0700. Never
 * deletes a local file.
 * @param opts.only restrict to these relative paths; each must be a secret below the prefix.
 * @throws AwsError "no secret KEY in s3://BUCKET" for an `only` path with no secret; the errors of
 *   {@link diffTree}; a local file that appeared meanwhile is not overwritten (ConsoleError).
 */
export async function fetchTree(ctx: AwsContext, dir: string, opts: TreeOptions = {}): Promise<TreeSyncResult> {
  return withS3(ctx, async (s3) => {
    const plan = await planTree(s3, ctx, dir, opts);
    const refused: { path: string; reason: string }[] = [];
    for (const rel of opts.only ?? []) {
      if (plan.remote.has(rel)) continue;
      if (opts.collect) refused.push({ path: rel, reason: 'no longer in the bucket' });
      else throw noSecret(plan.bucket, plan.prefix + rel);
    }
    const root = resolve(dir);
    const wanted = [...plan.diff.onlyRemote.map((rel) => ({ rel, overwrite: false })), ...plan.diff.differ.filter((rel) => allowOverwrite(opts, rel)).map((rel) => ({ rel, overwrite: true }))];
    await mkdirPrivate(root, '');
    const copied: string[] = [];
    await mapLimit(wanted, 4, async ({ rel, overwrite }) => {
      const target = join(root, ...rel.split('/'));
      if (!target.startsWith(root + sep)) throw new ConsoleError(`refusing to write outside ${root}: ${rel}`);
      const entry = plan.remote.get(rel) as SecretEntry;
      const expected = opts.expected?.[rel];
      try {
        if (expected !== undefined && entry.etag !== expected) {
          throw new SecretConflictError(`${plan.prefix + rel} changed in the bucket since it was compared: not fetched`, 'compare again, then fetch', plan.bucket, plan.prefix + rel, unquote(expected), entry.etag ? unquote(entry.etag) : undefined);
        }
        await mkdirPrivate(root, rel.split('/').slice(0, -1).join('/'));
        const { body } = await getWith(s3, ctx, plan.bucket, entry.key);
        await writeSecretFile(target, body, overwrite);
        copied.push(rel);
      } catch (err) {
        if (!opts.collect || !(err instanceof ConsoleError)) throw err;
        refused.push({ path: rel, reason: refusalReason(err) });
      }
    });
    return syncResult(plan.diff, opts, copied, refused);
  });
}

/**
 * Uploads the files of `dir` below `prefix` (the seed's `upload-secrets`): those with no secret
 * (create-only, `If-None-Match: *`), and, with `overwrite`, those whose secret differs (with
 * `If-Match` on the ETag seen while comparing, so a change made meanwhile is never overwritten).
 * Each upload as {@link putSecret} (SSE-KMS with `ctx.kmsKeyId`). Never deletes a secret.
 * @param opts.only restrict to these relative paths; each must be a file in `dir`.
 * @throws ConsoleError for an `only` path with no local file; SecretConflictError when a secret
 *   changed or appeared meanwhile (uploads already made stay made); the errors of {@link diffTree}.
 */
export async function uploadTree(ctx: AwsContext, dir: string, opts: TreeOptions = {}): Promise<TreeSyncResult> {
  return withS3(ctx, async (s3) => {
    const plan = await planTree(s3, ctx, dir, opts);
    const refused: { path: string; reason: string }[] = [];
    for (const rel of opts.only ?? []) {
      if (plan.local.has(rel)) continue;
      const message = `no file ${join(resolve(dir), ...rel.split('/'))} to upload`;
      if (opts.collect) refused.push({ path: rel, reason: message });
      else throw new ConsoleError(message, 'check the name');
    }
    const wanted = [
      ...plan.diff.onlyLocal.map((rel) => ({ rel, cond: { ifNoneMatch: true } as PutSecretOptions })),
      ...plan.diff.differ.filter((rel) => allowOverwrite(opts, rel)).map((rel) => ({ rel, cond: { ifMatch: opts.expected?.[rel] ?? (plan.remote.get(rel) as SecretEntry).etag } as PutSecretOptions })),
    ];
    const copied: string[] = [];
    await mapLimit(wanted, 4, async ({ rel, cond }) => {
      const file = plan.local.get(rel) as LocalFile;
      try {
        let body: Buffer;
        try {
          body = await readFile(file.path);
        } catch (err) {
          throw localError(`cannot read ${file.path}`, err);
        }
        await putWith(s3, ctx, plan.bucket, plan.prefix + rel, body, cond);
        copied.push(rel);
      } catch (err) {
        if (!opts.collect || !(err instanceof ConsoleError)) throw err;
        refused.push({ path: rel, reason: refusalReason(err) });
      }
    });
    return syncResult(plan.diff, opts, copied, refused);
  });
}

// ————— masking —————

export { maskSecret } from '../../core/mask.js';
