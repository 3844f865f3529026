/**
 * The lock a roll holds: the environment's Terraform state lock, the S3 lock object
 * `ENV/terraform.tfstate.tflock` (S3-native locking, `use_lockfile = true`), written the way
 * Terraform writes it (its JSON LockInfo: `ID`, `Operation`, `Info`, `Who`, `Version`, `Created`,
 * `Path`) with `If-None-Match: *`. While a roll runs, Terraform (any console's or pipeline's plan
 * or apply) refuses to start and names it ("Operation: roll"), so no apply changes a node group
 * under a roll, two rolls never run at once, and the fleet and the header show who rolls.
 *
 * A roll that died (kill -9, a crash) leaves its lock. The next roll on the same host takes it
 * over when the process named in its `Info` (`pid N on HOST`) is gone, with `If-Match` on the
 * object's ETag so that only one taker wins; any other holder is refused, named.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { ConsoleError } from '../../core/errors.js';
import { processAlive } from '../../core/process.js';
import { lockKey, parseLockObject, type BackendSettings, type LockInfo } from '../terraform/backend.js';

/** A lock this process holds. */
export interface RollLock {
  id: string;
  /** The lock this one replaced (a dead roll's), when it was taken over. */
  tookOver?: LockInfo;
  /** Deletes the lock object when it is still this lock. Never throws: a failure is returned as text. */
  release(): Promise<string | undefined>;
}

const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** `pid N on HOST` in a roll lock's Info. */
function ownerOf(info: string): { pid: number; host: string } | undefined {
  const m = /\bpid (\d+) on ([^\s)]+)/.exec(info);
  return m ? { pid: Number(m[1]), host: m[2]! } : undefined;
}

/**
 * Takes the state lock for a roll.
 * @param o.who `user@host`; o.what e.g. `roll secure`; o.terraformVersion for the `Version` field.
 * @throws ConsoleError when another holds it (its ID, who, operation and age named, with how to
 *   free it), or when the bucket cannot be written.
 */
export async function takeRollLock(s3: S3Client, backend: BackendSettings, o: { who: string; what: string; terraformVersion: string }): Promise<RollLock> {
  const key = lockKey(backend);
  const id = randomUUID();
  const info = `platform-console ${o.what} (pid ${process.pid} on ${hostname()})`;
  const body = JSON.stringify({ ID: id, Operation: 'roll', Info: info, Who: o.who, Version: o.terraformVersion, Created: new Date().toISOString(), Path: `${backend.bucket}/${backend.key}` });
  const put = (cond: { IfNoneMatch: string } | { IfMatch: string }) =>
    s3.send(new PutObjectCommand({ Bucket: backend.bucket, Key: key, Body: body, ContentType: 'application/json', ...cond }), { abortSignal: AbortSignal.timeout(10_000) });
  const release = async (): Promise<string | undefined> => {
    try {
      const cur = await s3.send(new GetObjectCommand({ Bucket: backend.bucket, Key: key }), { abortSignal: AbortSignal.timeout(10_000) });
      const held = parseLockObject((await cur.Body?.transformToString()) ?? '');
      if (held?.id !== id) return `the state lock is no longer this roll's (${held ? `now ${held.id} of ${held.who}` : 'unreadable'}): left as it is`;
      await s3.send(new DeleteObjectCommand({ Bucket: backend.bucket, Key: key }), { abortSignal: AbortSignal.timeout(10_000) });
      return undefined;
    } catch (err) {
      if (statusOf(err) === 404 || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      return `the state lock ${id} could not be released (${(err as Error).message.split('\n')[0]}): release it with :state-unlock ${id} (or --ci state unlock ${id})`;
    }
  };
  try {
    await put({ IfNoneMatch: '*' });
    return { id, release };
  } catch (err) {
    if (statusOf(err) !== 412) throw new ConsoleError(`the state lock cannot be taken for the roll: ${(err as Error).message.split('\n')[0]}`, 'check that the state bucket answers and these credentials may write it, then try again', { cause: err });
  }
  // Held: by whom?
  const cur = await s3.send(new GetObjectCommand({ Bucket: backend.bucket, Key: key }), { abortSignal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  const text = (await cur?.Body?.transformToString()) ?? '';
  const held = parseLockObject(text);
  let rawInfo = '';
  try {
    rawInfo = String((JSON.parse(text) as { Info?: unknown }).Info ?? '');
  } catch {
    /* not JSON: parseLockObject said so */
  }
  const owner = held?.operation === 'roll' ? ownerOf(rawInfo) : undefined;
  if (held && cur?.ETag && owner && owner.host === hostname() && !processAlive(owner.pid)) {
    try {
      await put({ IfMatch: cur.ETag });
      return { id, tookOver: held, release };
    } catch (err) {
      if (statusOf(err) !== 412) throw new ConsoleError(`the state lock of a roll that died (pid ${owner.pid}) cannot be taken over: ${(err as Error).message.split('\n')[0]}`, 'try again', { cause: err });
    }
  }
  const what = held ? `${held.id} of ${held.who} (${held.operation}, since ${held.created})` : 'an unreadable lock object';
  throw new ConsoleError(
    `the state is locked by ${what}: nothing was rolled`,
    held ? `wait for it to end; if its process is gone, release it with :state-unlock ${held.id} (or --ci state unlock ${held.id})` : `look at s3://${backend.bucket}/${key}`,
  );
}
