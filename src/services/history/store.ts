/**
 * The history records of one environment in its state bucket (`ENV/history/`, SSE-KMS with the
 * state's key), written with conditional writes (S3 `If-None-Match: *` to create, `If-Match: ETAG`
 * to complete: source, the S3 PutObject API reference, "conditional writes"), and the local
 * fallback: a record that cannot be written to the bucket (denied, unreachable) is kept as a file
 * under the environment's work dir and uploaded by the next run. Plain TypeScript, no Ink.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { mapLimit } from '../../core/concurrency.js';
import { toAwsError } from '../aws/errors.js';
import { historyKey, historyPrefix, parseHistoryRecord, type HistoryRecord } from './record.js';

/** One S3 request of the history may take this long (ms) before it counts as unreachable. */
export const HISTORY_REQUEST_TIMEOUT_MS = 10_000;
/** Records read at once when listing. */
const READ_CONCURRENCY = 16;

/** Where an environment's history lives. */
export interface HistoryStoreOptions {
  /** A client with the session's credentials and endpoint. The store never destroys it. */
  s3: S3Client;
  /** The state bucket: the profile's `terraform_bucket_name`. */
  bucket: string;
  /** The KMS key of the state (the backend's `kms_key_id`): every record is written SSE-KMS with it. */
  kmsKeyId: string;
  environment: string;
  /** Records not yet in the bucket: `WORK/ENV/history-pending/` (created 0700, files 0600). */
  pendingDir: string;
  /** The endpoint override in use (the local emulator), named when it does not answer. */
  endpoint?: string;
}

/**
 * The result of a write: in the bucket (with its new ETag), kept locally (with why the bucket
 * refused), or not written because another writer changed the record first (`conflict`: nothing
 * was overwritten).
 */
export type HistoryWrite =
  | { stored: 'bucket'; key: string; etag: string }
  | { stored: 'local'; key: string; path: string; reason: string }
  | { stored: 'conflict'; key: string; current?: HistoryRecord };

/** A record read from the bucket with its key and ETag. */
export interface StoredRecord {
  key: string;
  etag: string;
  record: HistoryRecord;
}

/** The HTTP status of an SDK error, if it has one. */
function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** A short reason for an SDK error: `AccessDenied (HTTP 403)`, `ECONNREFUSED`, `no answer in 10 s`. */
export function historyErrorReason(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  const status = statusOf(err);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer in ${HISTORY_REQUEST_TIMEOUT_MS / 1000} s`;
  if (status) return `${e.name ?? 'error'} (HTTP ${status})`;
  return e.code ?? (e.name && e.name !== 'Error' ? e.name : (e.message ?? String(err)).split('\n')[0]!);
}

/**
 * Reads, creates and completes the history records of one environment. Remembers the ETag of each
 * record it wrote or read, for the `If-Match` of the next write.
 */
export class HistoryStore {
  private etags = new Map<string, string>();

  constructor(readonly o: HistoryStoreOptions) {}

  /** The file a record waits in when the bucket cannot be written. */
  pendingPath(rec: HistoryRecord): string {
    return join(this.o.pendingDir, historyKey(rec).slice(historyPrefix(rec.environment).length));
  }

  private async put(rec: HistoryRecord, cond: { ifNoneMatch: true } | { ifMatch: string }): Promise<string> {
    const out = await this.o.s3.send(
      new PutObjectCommand({
        Bucket: this.o.bucket,
        Key: historyKey(rec),
        Body: JSON.stringify(rec, null, 1) + '\n',
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: this.o.kmsKeyId,
        ...('ifNoneMatch' in cond ? { IfNoneMatch: '*' } : { IfMatch: cond.ifMatch }),
      }),
      { abortSignal: AbortSignal.timeout(HISTORY_REQUEST_TIMEOUT_MS) },
    );
    const etag = out.ETag ?? '';
    this.etags.set(historyKey(rec), etag);
    return etag;
  }

  private async keepLocally(rec: HistoryRecord, err: unknown): Promise<HistoryWrite> {
    const path = this.pendingPath(rec);
    await mkdir(this.o.pendingDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, JSON.stringify(rec, null, 1) + '\n', { mode: 0o600 });
    return { stored: 'local', key: historyKey(rec), path, reason: historyErrorReason(err) };
  }

  /**
   * Reads one record and remembers its ETag.
   * @returns undefined when the object does not exist or is not a record.
   * @throws the SDK's error for anything else (denied, unreachable).
   */
  async read(key: string): Promise<StoredRecord | undefined> {
    try {
      const out = await this.o.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }), { abortSignal: AbortSignal.timeout(HISTORY_REQUEST_TIMEOUT_MS) });
      const record = parseHistoryRecord(await out.Body!.transformToString());
      if (!record) return undefined;
      this.etags.set(key, out.ETag ?? '');
      return { key, etag: out.ETag ?? '', record };
    } catch (err) {
      if (statusOf(err) === 404 || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /**
   * Writes a new record (`running`) with `If-None-Match: *`, so an existing object is never
   * replaced. When the bucket cannot be written, the record is kept in {@link pendingPath}.
   * Never throws for the bucket's failure.
   * @throws ConsoleError only when the local fallback file cannot be written either.
   */
  async create(rec: HistoryRecord): Promise<HistoryWrite> {
    try {
      return { stored: 'bucket', key: historyKey(rec), etag: await this.put(rec, { ifNoneMatch: true }) };
    } catch (err) {
      if (statusOf(err) === 412) return { stored: 'conflict', key: historyKey(rec) };
      return this.keepLocally(rec, err);
    }
  }

  /**
   * Completes a record this process created (or a later run marks): `If-Match` on the ETag it last
   * saw. When that ETag is stale (HTTP 412), the record is read again: a record still `running` or
   * marked `interrupted` meanwhile is replaced (this writer knows how its own operation ended), one
   * that another writer completed is left alone (`conflict`). A record that never reached the bucket
   * is created now; when the bucket cannot be written, the record is kept locally (replacing the
   * pending `running` one). Never throws for the bucket's failure.
   * @throws ConsoleError only when the local fallback file cannot be written either.
   */
  async complete(rec: HistoryRecord, opts: { replaceInterrupted?: boolean } = {}): Promise<HistoryWrite> {
    const key = historyKey(rec);
    try {
      let etag = this.etags.get(key);
      if (etag === undefined) {
        try {
          const e = await this.put(rec, { ifNoneMatch: true });
          await rm(this.pendingPath(rec), { force: true });
          return { stored: 'bucket', key, etag: e };
        } catch (err) {
          if (statusOf(err) !== 412) throw err;
          etag = (await this.read(key))?.etag;
          if (etag === undefined) throw err;
        }
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const e = await this.put(rec, { ifMatch: etag });
          await rm(this.pendingPath(rec), { force: true });
          return { stored: 'bucket', key, etag: e };
        } catch (err) {
          if (statusOf(err) !== 412) throw err;
          const current = await this.read(key);
          if (!current) return { stored: 'conflict', key };
          const replaceable = current.record.outcome === 'running' || (current.record.outcome === 'interrupted' && opts.replaceInterrupted !== false);
          if (!replaceable) return { stored: 'conflict', key, current: current.record };
          etag = current.etag;
        }
      }
      return { stored: 'conflict', key };
    } catch (err) {
      return this.keepLocally(rec, err);
    }
  }

  /**
   * The newest `limit` records (newest first, by key order: one prefix listing, then a read of
   * each, 16 at a time); objects that are not records are skipped.
   * @throws AwsError (or CredentialsError) when the bucket cannot be listed or read (denied,
   *   unreachable, no such bucket), naming `s3://BUCKET/ENV/history/`.
   */
  async list(limit: number): Promise<StoredRecord[]> {
    try {
      return await this.listRaw(limit);
    } catch (err) {
      throw toAwsError(err, `reading the history s3://${this.o.bucket}/${historyPrefix(this.o.environment)}`, this.o.endpoint);
    }
  }

  /**
   * The newest `limit` keys under `ENV/history/`, newest first (the keys' order), without reading
   * the records (one ListObjectsV2 per 1,000 keys).
   * @throws AwsError when the bucket cannot be listed.
   */
  async listKeys(limit: number): Promise<string[]> {
    try {
      return await this.keysRaw(limit);
    } catch (err) {
      throw toAwsError(err, `listing the history s3://${this.o.bucket}/${historyPrefix(this.o.environment)}`, this.o.endpoint);
    }
  }

  /**
   * Reads the records of `keys` (16 at a time), in their order; a key gone meanwhile or not a
   * record is left out. @throws AwsError when a read fails.
   */
  async readMany(keys: readonly string[]): Promise<StoredRecord[]> {
    try {
      const read = await mapLimit(keys, READ_CONCURRENCY, (k) => this.read(k));
      return read.filter((r): r is StoredRecord => r !== undefined);
    } catch (err) {
      throw toAwsError(err, `reading the history s3://${this.o.bucket}/${historyPrefix(this.o.environment)}`, this.o.endpoint);
    }
  }

  private async keysRaw(limit: number): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.o.s3.send(
        new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: historyPrefix(this.o.environment), MaxKeys: Math.min(1000, limit - keys.length), ...(token ? { ContinuationToken: token } : {}) }),
        { abortSignal: AbortSignal.timeout(HISTORY_REQUEST_TIMEOUT_MS) },
      );
      for (const c of out.Contents ?? []) if (c.Key?.endsWith('.json') && keys.length < limit) keys.push(c.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token && keys.length < limit);
    return keys;
  }

  private async listRaw(limit: number): Promise<StoredRecord[]> {
    const keys = await this.keysRaw(limit);
    const read = await mapLimit(keys, READ_CONCURRENCY, (k) => this.read(k));
    return read.filter((r): r is StoredRecord => r !== undefined);
  }

  /** The records waiting under the work dir (unreadable files skipped), oldest first. */
  async pending(): Promise<{ path: string; record: HistoryRecord }[]> {
    const names = await readdir(this.o.pendingDir).catch(() => [] as string[]);
    const out: { path: string; record: HistoryRecord }[] = [];
    for (const n of names.filter((x) => x.endsWith('.json')).sort().reverse()) {
      const path = join(this.o.pendingDir, n);
      const record = parseHistoryRecord(await readFile(path, 'utf8').catch(() => ''));
      if (record) out.push({ path, record });
    }
    return out;
  }

  /**
   * Uploads the records kept locally by earlier runs: each is created, or completes the `running`
   * (or `interrupted`) record of the same key; the local file is removed once the bucket has it (or
   * has a completed record of that key already). The records of `own` (ids of this process's
   * records, which its own writes complete) are left alone.
   * @returns what was uploaded and what is still waiting (with why). Never throws.
   */
  async uploadPending(own: ReadonlySet<string> = new Set()): Promise<{ uploaded: HistoryRecord[]; waiting: { path: string; reason: string }[] }> {
    const uploaded: HistoryRecord[] = [];
    const waiting: { path: string; reason: string }[] = [];
    for (const p of await this.pending()) {
      if (own.has(p.record.id)) continue;
      const w = await this.complete(p.record).catch((err: unknown) => ({ stored: 'local' as const, key: '', path: p.path, reason: historyErrorReason(err) }));
      if (w.stored === 'bucket') uploaded.push(p.record);
      else if (w.stored === 'conflict') await rm(p.path, { force: true }).catch(() => undefined);
      else waiting.push({ path: p.path, reason: w.reason });
    }
    return { uploaded, waiting };
  }
}
