import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lockKey, parseLockObject, type BackendSettings, type LockInfo } from '../terraform/backend.js';

/** Lock state shown in the header: free, held (by whom), or unknown (with why). */
export type LockState = { kind: 'free' } | { kind: 'held'; lock: LockInfo } | { kind: 'unknown'; reason: string };

/**
 * Reads the state object itself (`ENV/terraform.tfstate`, the backend's key), as Terraform's S3
 * backend stores it (SSE-KMS is decrypted by S3 for a caller allowed to use the key).
 * @returns its text, or '' when there is no state object yet.
 * @throws the SDK's error (denied, unreachable: no answer in 30 s).
 */
export async function readStateObject(s3: S3Client, backend: BackendSettings): Promise<string> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: backend.bucket, Key: backend.key }), { abortSignal: AbortSignal.timeout(30_000) });
    return (await out.Body?.transformToString()) ?? '';
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return '';
    throw err;
  }
}

/**
 * Reads the S3-native state lock: the `ENV/terraform.tfstate.tflock` object beside the state
 * (Terraform's S3 backend with `use_lockfile = true`).
 * Never throws: failures come back as `{kind: 'unknown', reason}`.
 */
export async function readStateLock(s3: S3Client, backend: BackendSettings): Promise<LockState> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: backend.bucket, Key: lockKey(backend) }), { abortSignal: AbortSignal.timeout(5_000) });
    const body = (await out.Body?.transformToString()) ?? '';
    const lock = parseLockObject(body);
    return lock ? { kind: 'held', lock } : { kind: 'unknown', reason: 'lock object is not Terraform JSON' };
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return { kind: 'free' };
    return { kind: 'unknown', reason: `${name ?? 'error'}: ${(err as Error).message.split('\n')[0]}` };
  }
}
