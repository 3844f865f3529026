/**
 * What a roll would do, before anything happens: the earlier roll's half-done node (from the
 * history), the plan, and the gates as they are now (the roll checks them again before each node).
 * Shared by `--ci roll` and the Roll pane. Plain TypeScript, no Ink.
 */
import type { HistoryRecord } from '../history/record.js';
import type { HistoryStore } from '../history/store.js';
import { ETCD_COMMANDS, etcdGate, parseEndpointHealth, parseMemberList } from './etcd.js';
import type { Layer, NodeGroup } from './group.js';
import { planRoll, type RollPlan, type RollPlanOptions } from './plan.js';
import { resumeOf, type RollPorts, type RollResume } from './runner.js';

/** A roll's preview. */
export interface RollPreview {
  group: NodeGroup;
  plan: RollPlan;
  /** The newest earlier roll record of the layer, if any. */
  earlier?: HistoryRecord;
  /** Its half-done node, when it did not finish. */
  resume?: RollResume;
  gates: { name: 'capacity' | 'cluster' | 'etcd'; ok: boolean; detail: string }[];
}

/**
 * Reads the group, plans, and checks the gates once.
 * @throws AwsError, KubeError, RollError (etcd unreachable) as the services do.
 */
export async function previewRoll(layer: Layer, ports: RollPorts, history: Pick<HistoryStore, 'list'>, opts: RollPlanOptions = {}): Promise<RollPreview> {
  const earlier = (await history.list(20)).find((r) => r.record.operation === 'roll' && r.record.roll?.layer === layer)?.record;
  const resume = earlier && earlier.outcome !== 'succeeded' && earlier.roll ? resumeOf(earlier.roll) : undefined;
  const group = await ports.readGroup();
  const plan = planRoll(group, opts);
  const gates: RollPreview['gates'] = [];
  gates.push({ name: 'capacity', ok: plan.blockers.length === 0, detail: plan.blockers.length ? plan.blockers.join('; ') : `${group.instances.length} of ${group.desired} instances InService and Healthy` });
  const cg = await ports.clusterGate();
  gates.push({ name: 'cluster', ...cg });
  if (layer === 'secure') {
    const on = group.instances.filter((i) => i.lifecycleState === 'InService');
    const m = await ports.etcd!(ETCD_COMMANDS.members, on);
    const h = await ports.etcd!(ETCD_COMMANDS.health, on);
    let g;
    try {
      const members = parseMemberList(m.stdout);
      const health = parseEndpointHealth(h.stdout);
      g = etcdGate(members, health, group.desired);
      // An earlier roll that removed its node's member and stopped before the termination: one fewer is right.
      if (!g.ok && resume?.memberRemoved && members.length === group.desired - 1) g = etcdGate(members, health, group.desired - 1);
    } catch {
      g = { ok: false, detail: `etcdctl on ${h.instanceId} answered: ${(h.stderr || h.stdout || m.stderr).trim().split('\n')[0] ?? `exit ${h.code}`}` };
    }
    gates.push({ name: 'etcd', ...g });
  }
  return { group, plan, ...(earlier ? { earlier } : {}), ...(resume ? { resume } : {}), gates };
}
