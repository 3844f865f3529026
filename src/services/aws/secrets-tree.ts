/**
 * Comparing and syncing a local directory with a key prefix of the secrets bucket (the seed's
 * `fetch-secrets` and `upload-secrets`): {@link diffTree}, {@link compareTree}, {@link fetchTree},
 * {@link uploadTree}. The Secrets pane's `F` / `U` and `--ci secrets fetch|upload` use them
 * (through `secrets.ts`, which re-exports this module).
 *
 * Every object is read and written with the single-object operations of `secrets.ts`, so the
 * rules kept there hold here too: bodies never reach a message, uploads are SSE-KMS with the
 * environment's key and carry `x-amz-meta-sha256`, local files are written mode 0600 (directories
 * 0700) and atomically, and writes are conditional so that a change made meanwhile is never
 * overwritten nor taken unseen.
 */
import { chmod, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { isAtomicTempName } from '../../core/atomic-write.js';
import { mapLimit } from '../../core/concurrency.js';
import { ConsoleError } from '../../core/errors.js';
import type { AwsContext } from './context.js';
import {
  bucketOf,
  fail,
  getWith,
  listWith,
  localError,
  noSecret,
  putWith,
  SecretConflictError,
  sha256,
  statusOf,
  unquote,
  withS3,
  writeSecretFile,
  type PutSecretOptions,
  type SecretEntry,
} from './secrets.js';

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

// ————— comparing —————

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
