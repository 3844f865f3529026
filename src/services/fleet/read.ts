/**
 * Reads the fleet: every environment of `profiles/*.tfvars`, from its state bucket only (no
 * Terraform process): one listing of `ENV/terraform.tfstate*` (the state's size; whether a lock
 * object is there, read only when it is), and the newest history records (one ListObjectsV2, then a
 * GET of each record the row needs: the keys name their operations). Each environment with its profile's credentials,
 * as the console would open it; environments in parallel, at most `concurrency` at once. Plain
 * TypeScript, no Ink.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../../core/concurrency.js';
import { ConsoleError } from '../../core/errors.js';
import { profileCacheDir, type Paths } from '../../core/paths.js';
import { loadProfile, type Profile } from '../../core/profile.js';
import { parseState } from '../../core/tf-state.js';
import { resolveCredentials } from '../aws/credentials.js';
import { toAwsError } from '../aws/errors.js';
import { operationOfKey, type HistoryRecord } from '../history/record.js';
import { HistoryStore } from '../history/store.js';
import { readStateLock } from '../aws/state-lock.js';
import { applyEmulatorEnv } from '../local/emulator.js';
import { backendFor, lockKey } from '../terraform/backend.js';
import { attentionOf, DEFAULT_RULES, historyPart, sortRows, type AttentionRules, type FleetLock, type FleetRow } from './rows.js';

/** Environments read at once (issue 17: bounded concurrency 8). */
export const FLEET_CONCURRENCY = 8;
/** The newest history records read per environment (for the last operation, the last drift check and a playground's age). */
export const FLEET_RECORDS = 20;
/** One S3 request of the fleet may take this long (ms). */
const REQUEST_TIMEOUT_MS = 10_000;

/** How to read the fleet. */
export interface FleetReadOptions {
  paths: Paths;
  /** The process environment (credentials, AWS_CONFIG_FILE, …). */
  env: NodeJS.ProcessEnv;
  /** The local emulator's endpoint in local mode (every environment is read there, with its credentials). */
  emulator?: { endpoint: string };
  concurrency?: number;
  rules?: AttentionRules;
  /** The clock (ms since the epoch), for ages. */
  now?: () => number;
  /** Called once the environments are known (`done` 0) and after each one is read. */
  onProgress?: (done: number, total: number) => void;
}

/** The environments of `profiles/`: every `NAME.tfvars` but the playground template `default.tfvars`, in name order. */
export async function fleetEnvironments(paths: Paths): Promise<string[]> {
  const names = await readdir(paths.profiles).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.tfvars') && n !== 'default.tfvars')
    .map((n) => n.slice(0, -'.tfvars'.length))
    .sort();
}

/**
 * Why a row's reads failed, in one line: the console's own errors (profile, credentials) say it in
 * their first line; an SDK error is named as the console names it (what was read, access denied,
 * cannot reach the endpoint, …).
 */
function reasonOf(err: unknown, what: string, endpoint?: string): string {
  const e = err instanceof ConsoleError ? err : toAwsError(err, what, endpoint);
  return e.message.split('\n')[0]!;
}

/** The state bucket does not exist (S3's NoSuchBucket, possibly wrapped by toAwsError). */
function noSuchBucket(err: unknown): boolean {
  const e = err as { name?: string; cause?: { name?: string } };
  return e.name === 'NoSuchBucket' || e.cause?.name === 'NoSuchBucket';
}

function lockOf(l: Awaited<ReturnType<typeof readStateLock>>, now: number): FleetLock {
  if (l.kind === 'free') return { state: 'free' };
  if (l.kind === 'unknown') return { state: 'unknown', reason: l.reason };
  const created = Date.parse(l.lock.created);
  return { state: 'held', who: l.lock.who, operation: l.lock.operation.replace(/^OperationType/, '').toLowerCase(), created: l.lock.created, ageMs: Number.isFinite(created) ? Math.max(0, now - created) : 0 };
}

/**
 * Reads one environment's row. Never throws: a failure (profile, credentials, access, no answer)
 * is the row's `error`.
 * @returns undefined in local mode for an environment with neither state nor history in the emulator.
 */
async function readRow(environment: string, o: FleetReadOptions, rules: AttentionRules, now: number, clients: Clients): Promise<FleetRow | undefined> {
  const base = { environment, account: '', region: '', playground: environment.startsWith('play-'), lock: { state: 'unknown', reason: 'not read' } as FleetLock, state: { exists: false } };
  let profile: Profile;
  try {
    profile = await loadProfile(join(o.paths.profiles, `${environment}.tfvars`), environment, { cacheDir: profileCacheDir(o.paths) });
  } catch (err) {
    const row = { ...base, error: reasonOf(err, `reading profiles/${environment}.tfvars`) };
    return { ...row, attention: attentionOf(row, rules, now) };
  }
  const head = { ...base, account: profile.aws_account, region: profile.aws_region };
  try {
    const local = o.emulator;
    const client = await clients.get(environment, profile);
    const backend = backendFor(environment, profile, Boolean(local));
    const history = new HistoryStore({ s3: client, bucket: backend.bucket, kmsKeyId: backend.kmsKeyId, environment, pendingDir: '', ...(local ? { endpoint: local.endpoint } : {}) });
    // One listing of ENV/terraform.tfstate* gives the state's size and whether a lock object is
    // there; the lock is read (its holder) only when it is.
    const stateP = client.send(new ListObjectsV2Command({ Bucket: backend.bucket, Prefix: backend.key, MaxKeys: 10 }), { abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).then(async (out) => {
      const stateObj = out.Contents?.find((c) => c.Key === backend.key);
      const locked = out.Contents?.some((c) => c.Key === lockKey(backend)) ?? false;
      return {
        state: stateObj ? { exists: true, ...(stateObj.Size !== undefined ? { bytes: stateObj.Size } : {}) } : { exists: false },
        lock: locked ? await readStateLock(client, backend) : ({ kind: 'free' } as const),
      };
    });
    const [{ state, lock }, records] = await Promise.all([stateP, history.listKeys(FLEET_RECORDS).then((keys) => readNeeded(history, keys, head.playground))]);
    if (local && !state.exists && records.length === 0) return undefined;
    const part = historyPart(records);
    // A playground's age: only its rows read every apply since the last destroy (readNeeded).
    if (!head.playground) delete part.firstApplyAt;
    const row = { ...head, lock: lockOf(lock, now), state, ...part };
    return { ...row, attention: attentionOf(row, rules, now) };
  } catch (err) {
    // Local mode lists the environments with state in the emulator: no bucket, no state.
    if (o.emulator && noSuchBucket(err)) return undefined;
    const row = { ...head, error: reasonOf(err, `reading s3://${profile.terraform_bucket_name}/${environment}/`, o.emulator?.endpoint) };
    return { ...row, attention: attentionOf(row, rules, now) };
  }
}

/**
 * The records a row needs, of `keys` (newest first): when every key names its operation (ids since
 * they carry it), only the newest record, the newest apply or destroy, the drift checks up to the
 * newest that succeeded, and for a playground every apply and destroy (its age runs from the first
 * apply after the last destroy); else every record (keys written before). In key order, so
 * {@link historyPart} reads them as it reads all. @throws AwsError when a read fails.
 */
async function readNeeded(history: HistoryStore, keys: readonly string[], playground: boolean): Promise<HistoryRecord[]> {
  const ops = keys.map(operationOfKey);
  if (!keys.length) return [];
  if (ops.some((o) => o === undefined)) return (await history.readMany(keys)).map((r) => r.record);
  const change = (o: string | undefined) => o === 'apply' || o === 'destroy';
  const firstChange = ops.findIndex(change);
  const drifts = keys.filter((_, i) => ops[i] === 'drift');
  const want = new Set(keys.filter((_, i) => i === 0 || i === firstChange || (playground && change(ops[i]))));
  if (drifts[0]) want.add(drifts[0]);
  const byKey = new Map((await history.readMany([...want])).map((r) => [r.key, r.record]));
  // The newest record, or the newest apply or destroy, could not be read (gone meanwhile, not a
  // record): the row is what reading every record makes of it.
  if (!byKey.has(keys[0]!) || (firstChange >= 0 && !byKey.has(keys[firstChange]!))) return (await history.readMany(keys)).map((r) => r.record);
  // The newest drift check did not succeed (failed, running): the older ones, for the newest that did.
  if (drifts[0] && byKey.get(drifts[0])?.outcome !== 'succeeded' && drifts.length > 1) for (const r of await history.readMany(drifts.slice(1))) byKey.set(r.key, r.record);
  return keys.flatMap((k) => byKey.get(k) ?? []);
}

/**
 * The S3 clients of a fleet read: one per region and credentials (the profile's `aws_profile`, or
 * the environment's name when it names none; in local mode one per region), shared by the
 * environments that have the same, so their requests reuse connections. Destroyed by {@link close}.
 */
class Clients {
  private readonly byKey = new Map<string, Promise<S3Client>>();
  constructor(private readonly o: Pick<FleetReadOptions, 'env' | 'emulator'>) {}

  /** The client for `environment` with `profile`. @throws CredentialsError when its credentials cannot be resolved. */
  get(environment: string, profile: Profile): Promise<S3Client> {
    const local = this.o.emulator;
    // Credentials from the environment variables are the same for every profile; else the shared profile decides.
    const who = local || (this.o.env.AWS_ACCESS_KEY_ID && this.o.env.AWS_SECRET_ACCESS_KEY) ? '' : profile.aws_profile || environment;
    const key = `${profile.aws_region}\u0000${who}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = (async () => {
        const env = local ? applyEmulatorEnv(local, profile.aws_region, this.o.env) : this.o.env;
        const creds = await resolveCredentials({ env, environment, awsProfile: local ? '' : profile.aws_profile });
        return new S3Client({ region: profile.aws_region, credentials: creds.provider, ...(local ? { endpoint: local.endpoint, forcePathStyle: true } : {}), maxAttempts: 2 });
      })();
      this.byKey.set(key, c);
    }
    return c;
  }

  /** Destroys every client made. */
  async close(): Promise<void> {
    for (const c of this.byKey.values()) (await c.catch(() => undefined))?.destroy();
  }
}

/**
 * The fleet's rows, those that need attention first (see {@link attentionOf} and {@link sortRows}).
 * In local mode only the environments with state or history in the emulator are listed.
 * Never throws for one environment's failure: that row says why, and the others fill.
 */
export async function readFleet(o: FleetReadOptions): Promise<FleetRow[]> {
  const rules = o.rules ?? DEFAULT_RULES;
  const now = (o.now ?? Date.now)();
  const envs = await fleetEnvironments(o.paths);
  const clients = new Clients(o);
  try {
    let done = 0;
    o.onProgress?.(0, envs.length);
    const rows = await mapLimit(envs, o.concurrency ?? FLEET_CONCURRENCY, async (e) => {
      const row = await readRow(e, o, rules, now, clients);
      o.onProgress?.(++done, envs.length);
      return row;
    });
    return sortRows(rows.filter((r): r is FleetRow => r !== undefined), rules, now);
  } finally {
    await clients.close();
  }
}

/**
 * The managed resource instances of one environment's state (what its destroy deletes), read
 * from its state object (one GET) with its profile's credentials, as the fleet reads it. For the
 * Fleet screen's destroy question, which says how many resources go.
 * @returns the addresses, in the state's order; empty when the state object does not exist.
 * @throws ConsoleError (the profile, the credentials) or the S3 client's error, named by toAwsError.
 */
export async function readStateResources(o: Pick<FleetReadOptions, 'paths' | 'env' | 'emulator'>, environment: string): Promise<string[]> {
  const profile = await loadProfile(join(o.paths.profiles, `${environment}.tfvars`), environment, { cacheDir: profileCacheDir(o.paths) });
  const clients = new Clients(o);
  try {
    const client = await clients.get(environment, profile);
    const backend = backendFor(environment, profile, Boolean(o.emulator));
    let text: string;
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: backend.bucket, Key: backend.key }), { abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      text = (await r.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return [];
      throw toAwsError(err, `reading s3://${backend.bucket}/${backend.key}`, o.emulator?.endpoint);
    }
    return parseState(text).resources.filter((r) => r.mode === 'managed').map((r) => r.address);
  } finally {
    await clients.close();
  }
}
