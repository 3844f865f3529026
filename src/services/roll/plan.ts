/**
 * The plan of a roll (pure): which instances of a node group are replaced, in which order and
 * batches, and what keeps the roll from starting as the group is now.
 *
 * - An instance is rolled when the launch template version it was launched from differs from the
 *   one the group launches now, or when its version cannot be read (it cannot be shown to be
 *   current), or with `force` (every instance).
 * - Order: the availability zones in turn (sorted by name), the oldest launch first within a zone,
 *   so a batch of workers takes from every zone before it takes a second node from one.
 * - The control plane (`secure`) goes one node at a time, always: etcd keeps quorum only when at
 *   most one member is away. Workers go in batches of `batch` (default 1).
 * - Blockers (the roll does not start): the group is not at its desired capacity, or an instance is
 *   not `InService` and `Healthy` (a replacement still coming up, an instance being terminated).
 *
 * A roll that stopped (a failed gate, Ctrl-C, a crash) is resumed by planning again: the nodes
 * already replaced run the current version and are not in the new plan.
 */
import type { GroupInstance, Layer, NodeGroup } from './group.js';

/** Options of {@link planRoll}. */
export interface RollPlanOptions {
  /** Roll every instance, current or not (`--force`). */
  force?: boolean;
  /** Workers per batch (`--batch N`, default 1); the control plane always goes one at a time. */
  batch?: number;
}

/** One instance to replace, and why. */
export interface RollTarget {
  instance: GroupInstance;
  /** `version 2 → 3`, `version unknown → 3`, or `forced (version 3, current)`. */
  reason: string;
}

/** What {@link planRoll} decided. */
export interface RollPlan {
  layer: Layer;
  group: string;
  /** The launch template version the replacements launch from. */
  version: string;
  /** Batches in order; each is replaced together (secure: one instance each). */
  batches: RollTarget[][];
  /** Instances already on {@link version} and left alone. */
  current: GroupInstance[];
  /** Why the roll cannot start now; empty when it can. */
  blockers: string[];
}

/** The largest `--batch` accepted. */
export const MAX_BATCH = 100;

/**
 * Plans the roll of `group`.
 * @throws RangeError when `batch` is not an integer from 1 to {@link MAX_BATCH}, or is above 1 for the control plane.
 */
export function planRoll(group: NodeGroup, opts: RollPlanOptions = {}): RollPlan {
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new RangeError(`--batch must be a whole number from 1 to ${MAX_BATCH}, not ${String(batch)}`);
  if (group.layer === 'secure' && batch > 1) throw new RangeError('the control plane (secure) is rolled one node at a time: etcd keeps quorum only with at most one member away; --batch is for compute');
  const version = group.launchTemplate.version;
  const targets: RollTarget[] = [];
  const current: GroupInstance[] = [];
  for (const i of group.instances) {
    const v = i.launchTemplateVersion;
    if (v === undefined) targets.push({ instance: i, reason: `version unknown → ${version}` });
    else if (v !== version) targets.push({ instance: i, reason: `version ${v} → ${version}` });
    else if (opts.force) targets.push({ instance: i, reason: `forced (version ${v}, current)` });
    else current.push(i);
  }
  const ordered = byZonesInTurn(targets);
  const batches: RollTarget[][] = [];
  for (let i = 0; i < ordered.length; i += batch) batches.push(ordered.slice(i, i + batch));
  return { layer: group.layer, group: group.name, version, batches, current, blockers: blockersOf(group) };
}

/** Why the group is not ready for a roll: capacity and every instance's state. */
export function blockersOf(group: NodeGroup): string[] {
  const out: string[] = [];
  if (group.layer === 'secure' && group.desired < 2) {
    out.push(`a control plane of ${group.desired} node cannot be rolled: removing its only etcd member ends the cluster (run 3 control-plane nodes, secure_count, first)`);
  }
  const ready = group.instances.filter((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy');
  if (ready.length !== group.desired) out.push(`${group.name} has ${ready.length} healthy instance${ready.length === 1 ? '' : 's'} in service, not its desired ${group.desired}`);
  for (const i of group.instances) {
    if (i.lifecycleState !== 'InService' || i.healthStatus !== 'Healthy') out.push(`${i.instanceId} (${i.availabilityZone}) is ${i.lifecycleState || 'in no state'} and ${i.healthStatus || 'of unknown health'}`);
  }
  return out;
}

function byZonesInTurn(targets: RollTarget[]): RollTarget[] {
  const zones = new Map<string, RollTarget[]>();
  for (const t of targets) {
    const z = t.instance.availabilityZone;
    if (!zones.has(z)) zones.set(z, []);
    zones.get(z)!.push(t);
  }
  const queues = [...zones.keys()].sort().map((z) =>
    zones.get(z)!.sort((a, b) => (a.instance.launchTime ?? '').localeCompare(b.instance.launchTime ?? '') || a.instance.instanceId.localeCompare(b.instance.instanceId)),
  );
  const out: RollTarget[] = [];
  for (let round = 0; out.length < targets.length; round++) for (const q of queues) if (q[round]) out.push(q[round]!);
  return out;
}
