/**
 * The parts of opening a session that load the AWS SDK, in one module that {@link openSession}
 * imports only once `terraform version` is running (so their ~0.1 s of module evaluation overlaps
 * it), and that a command which never opens a session never loads.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';

export { S3Client } from '@aws-sdk/client-s3';
export { callerIdentity, describeSource, resolveCredentials } from './aws/credentials.js';
export { readStateLock, readStateObject } from './aws/state-lock.js';
export { bootstrapLocal } from './local/bootstrap.js';
export { HistoryStore } from './history/store.js';
export { StateService } from './state/service.js';

/** How long one reachability probe of the state backend may take (ms). */
const PROBE_TIMEOUT_MS = 4_000;

/**
 * Whether the state backend answers: `HeadBucket` of the state bucket within PROBE_TIMEOUT_MS.
 * Any HTTP answer (even 403) counts as reachable; no answer (refused, reset, timed out, DNS) does not.
 * @returns undefined when it answers, else a short reason naming the endpoint.
 */
export async function probeBackend(s3: S3Client, bucket: string, endpoint: string): Promise<string | undefined> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return undefined;
  } catch (err) {
    const e = err as { $metadata?: { httpStatusCode?: number }; code?: string; name?: string; message?: string };
    if (e.$metadata?.httpStatusCode) return undefined;
    const why = e.code ?? (e.name === 'AbortError' || e.name === 'TimeoutError' ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s` : e.name ?? 'error');
    return `${endpoint}: ${why}`;
  }
}
