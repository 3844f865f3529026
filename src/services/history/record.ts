/**
 * The history record: one JSON document per operation on an environment (apply, destroy, drift
 * check, state change), kept under `ENV/history/` in the environment's state bucket beside
 * `ENV/terraform.tfstate`. Pure: the shape, the key names and the helpers that fill a record; the
 * S3 side is in store.ts. A record never holds a sensitive value: only addresses, actions, results,
 * durations, counts and the diagnostics' one-line summaries.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Risk } from '../../core/plan-risk.js';

/** The format version of a record (field `version`); a reader ignores fields it does not know. */
export const HISTORY_RECORD_VERSION = 1;

/** What a record is about. `state-…` names a state change (e.g. `state-push`). */
export type HistoryOperation = 'apply' | 'destroy' | 'drift' | 'roll' | `state-${string}`;

/**
 * How the operation went: `running` while it runs (written at its start), then `succeeded`,
 * `failed`, `cancelled` (one interrupt, Terraform wrote the state and stopped), or `interrupted`
 * (the process that wrote `running` died before writing the end; set by a later run that found
 * the state lock free and that process gone).
 */
export type HistoryOutcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** One resource the operation touched, from Terraform's `apply_start` / `apply_complete` / `apply_errored`. */
export interface HistoryResource {
  /** Resource address, e.g. `module.network.aws_subnet.private["a"]`. */
  address: string;
  /** Terraform's action as the apply stream names it: `create`, `update`, `replace`, `delete`, … */
  action: string;
  /** `succeeded` (apply_complete), `failed` (apply_errored), or `unfinished` (started, no end seen). */
  result: 'succeeded' | 'failed' | 'unfinished';
  /** Milliseconds from `apply_start` to its end (the messages' `@timestamp`s); absent when unfinished. */
  durationMs?: number;
}

/** A diagnostic's summary line (never its detail: that can quote values). */
export interface HistoryDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  /** The resource it is about, when Terraform names one. */
  address?: string;
}

/** One operation on an environment, as stored in `ENV/history/KEY.json`. */
export interface HistoryRecord {
  /** {@link HISTORY_RECORD_VERSION}. */
  version: number;
  /** Unique id: UTC start time to the second plus 6 random hex digits (`20261129T101504Z-1a2b3c`). */
  id: string;
  environment: string;
  operation: HistoryOperation;
  outcome: HistoryOutcome;
  /** Who ran it: the STS caller ARN and `user@host` of the process. */
  who: { arn: string; login: string };
  /** ISO 8601 (UTC). */
  startedAt: string;
  /** ISO 8601 (UTC); absent while `running`. */
  endedAt?: string;
  /** The Terraform (or OpenTofu) CLI version, e.g. `1.11.4`. */
  terraformVersion: string;
  /** sha256 (hex) of the profile file's bytes. */
  profileHash: string;
  /** The commit of `terraform/` when it is a clean git checkout, `modified` when it has local changes; absent when not in git. */
  git?: string;
  /** The applied plan's counts and risk (see core/plan-risk.ts). */
  plan?: { add: number; change: number; destroy: number; replace: number; risk: Risk };
  /** The counts Terraform reported at the end (`change_summary`), when it printed them. */
  result?: { add: number; change: number; destroy: number; import?: number };
  /** Each resource touched, in the order Terraform started them. */
  resources: HistoryResource[];
  diagnostics: HistoryDiagnostic[];
  /** The local durable run (runs/ID.json on the host that ran it), to tell later whether it still runs. */
  runId?: string;
  /** What a later run found when it marked this record `interrupted` (e.g. Terraform's exit status). */
  note?: string;
  /**
   * A drift check (`operation` drift): the addresses changed outside Terraform, and how many more
   * Terraform reported that are not drift (equal once normalised, or set by other resources).
   */
  drift?: { changed: string[]; notDrift: number };
  /**
   * A state change (`state-rm`, `state-mv`, `state-push`, `state-import`, `state-unlock`): the
   * addresses it was about, the state's serial before and after, where the copy of the state taken
   * before it is (`backupKey` in the state bucket, `backupPath` on the host that ran it), and for
   * a force-unlock the lock that was released.
   */
  state?: {
    addresses: string[];
    serialBefore?: number;
    serialAfter?: number;
    backupKey?: string;
    backupPath?: string;
    lock?: { id: string; who: string; operation: string; created: string };
  };
  /** A roll of a node group (`operation` roll): see services/roll. */
  roll?: RollRecord;
}

/** What a roll record holds: the plan, each node's steps, and where it stopped. */
export interface RollRecord {
  layer: 'secure' | 'compute';
  /** The auto-scaling group. */
  group: string;
  /** The launch template version the replacements launch from. */
  version: string;
  force: boolean;
  batch: number;
  /** The instances the plan named, in order. */
  planned: string[];
  /** The group's other instances when it started (already current): not replacements. */
  others?: string[];
  /** One entry per instance the roll started on, in order. */
  nodes: RollNodeRecord[];
  /** Set when the roll stopped before the end: what said no, on which instance, and why. */
  stopped?: { step: string; instanceId?: string; reason: string };
}

/** One instance of a roll. */
export interface RollNodeRecord {
  instanceId: string;
  availabilityZone: string;
  /** The Kubernetes node, when it had registered. */
  node?: string;
  /** The instance the group launched in its place. */
  replacement?: string;
  /** Each step as it ended: `drain`, `etcd-remove`, `terminate`, `replaced`, `attached`, `ready`, `etcd-member`, `settle`. */
  steps: { step: string; result: 'succeeded' | 'failed' | 'skipped'; at: string; detail?: string }[];
}

/** The largest start time a key can encode (ms): keys hold `HISTORY_TIME_MAX - startedMs`, 13 digits. */
export const HISTORY_TIME_MAX = 9_999_999_999_999;

/** The key prefix of an environment's records: `ENV/history/`. */
export function historyPrefix(environment: string): string {
  return `${environment}/history/`;
}

/**
 * The S3 key of a record: `ENV/history/<13 digits: HISTORY_TIME_MAX - start ms>-<id>.json`, so a
 * prefix listing (ascending key order) yields the newest first.
 */
export function historyKey(rec: Pick<HistoryRecord, 'environment' | 'startedAt' | 'id'>): string {
  const ms = Date.parse(rec.startedAt);
  const inv = String(HISTORY_TIME_MAX - (Number.isFinite(ms) ? ms : 0)).padStart(13, '0');
  return `${historyPrefix(rec.environment)}${inv}-${rec.id}.json`;
}

/**
 * A new record id: UTC start time to the second, the operation when given, and 6 random hex
 * digits, e.g. `20261129T120000Z-drift-a1b2c3`. The operation in the id (so in the key) lets a
 * reader that needs only some records (the fleet: the newest, the newest drift check) pick them
 * from a listing without reading the others; ids written before it was added have none.
 */
export function newHistoryId(now = new Date(), operation?: HistoryOperation): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${operation ? `${operation}-` : ''}${randomBytes(3).toString('hex')}`;
}

/**
 * The operation a record's key names (see {@link newHistoryId}), or undefined for a key without
 * one (written before ids carried it) or not a record key.
 */
export function operationOfKey(key: string): HistoryOperation | undefined {
  const m = /-\d{8}T\d{6}Z-(apply|destroy|drift|roll|state-[a-z-]+)-[0-9a-f]{6}\.json$/.exec(key);
  return m ? (m[1] as HistoryOperation) : undefined;
}

/** sha256 (hex) of some bytes (the profile file). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads and checks a stored record (JSON).
 * @returns undefined when the text is not a record (not JSON, or no id/operation/outcome/startedAt).
 */
export function parseHistoryRecord(text: string): HistoryRecord | undefined {
  try {
    const o = JSON.parse(text) as Partial<HistoryRecord>;
    if (typeof o.id !== 'string' || typeof o.operation !== 'string' || typeof o.outcome !== 'string' || typeof o.startedAt !== 'string' || typeof o.environment !== 'string') return undefined;
    return { ...o, resources: Array.isArray(o.resources) ? o.resources : [], diagnostics: Array.isArray(o.diagnostics) ? o.diagnostics : [] } as HistoryRecord;
  } catch {
    return undefined;
  }
}

/** Duration of a record in ms (end − start), or undefined while running or when a time is unreadable. */
export function recordDurationMs(rec: HistoryRecord): number | undefined {
  if (!rec.endedAt) return undefined;
  const d = Date.parse(rec.endedAt) - Date.parse(rec.startedAt);
  return Number.isFinite(d) ? d : undefined;
}

/** A state change in a few words: `module.x.aws_y.z  serial 7 → 8`. */
export function stateText(st: NonNullable<HistoryRecord['state']>): string {
  const what = st.lock ? `lock ${st.lock.id} of ${st.lock.who} (${st.lock.operation})` : st.addresses.join(' → ');
  const serials = st.serialBefore !== undefined ? `  serial ${st.serialBefore}${st.serialAfter !== undefined && st.serialAfter !== st.serialBefore ? ` → ${st.serialAfter}` : ''}` : '';
  return `${what}${serials}`;
}

/** A roll in a few words: `secure to version 3: 2 of 3 replaced` (and where it stopped). */
export function rollText(r: RollRecord): string {
  const replaced = r.nodes.filter((n) => n.replacement && !n.steps.some((s) => s.result === 'failed')).length;
  return `${r.layer} to version ${r.version}: ${replaced} of ${r.planned.length} replaced${r.stopped ? `; stopped at ${r.stopped.step}${r.stopped.instanceId ? ` of ${r.stopped.instanceId}` : ''}` : ''}`;
}

/** One human line per record: `2026-11-29T10:04:12Z  apply    succeeded  +3 ~0 -0  12.3 s  arn (user@host)  id`. */
export function historyLine(rec: HistoryRecord): string {
  const counts = rec.result ?? (rec.plan ? { add: rec.plan.add, change: rec.plan.change, destroy: rec.plan.destroy } : undefined);
  const d = recordDurationMs(rec);
  const failedRes = rec.resources.filter((r) => r.result === 'failed').length;
  return [
    rec.startedAt.replace(/\.\d+Z$/, 'Z'),
    rec.operation.padEnd(8),
    rec.outcome.padEnd(11),
    counts ? `+${counts.add} ~${counts.change} -${counts.destroy}${rec.result?.import ? ` (${rec.result.import} imported)` : ''}` : '-',
    rec.plan ? `risk ${rec.plan.risk}` : rec.drift ? `${rec.drift.changed.length} drifted` : rec.state ? stateText(rec.state) : rec.roll ? rollText(rec.roll) : '',
    d !== undefined ? `${(d / 1000).toFixed(1)} s` : rec.outcome === 'running' ? 'running' : '',
    failedRes ? `${failedRes} failed` : '',
    `${rec.who.login} (${rec.who.arn})`,
    rec.id,
  ]
    .filter((x) => x !== '')
    .join('  ');
}
