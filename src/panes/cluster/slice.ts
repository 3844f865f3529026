/**
 * The Cluster pane's slice: the ClusterWatcher's latest snapshot, where the kubeconfig came from,
 * and which table the selection is in, with the named transitions that are their only writers.
 * Plain TypeScript.
 */
import type { InstanceRow } from '../../core/instance-rows.js';
import type { NodeRow, PodRow } from '../../core/kube-rows.js';
import type { ClusterSnapshot } from '../../services/kube/cluster.js';
import type { AppState } from '../../state/store.js';

/** Which table the selection (and Enter) is in. */
export type ClusterSection = 'nodes' | 'pods';

/** The Cluster pane's state (also ClusterPane's props). */
export interface ClusterSlice {
  /** The latest snapshot from the ClusterWatcher; absent until the first one. */
  snapshot?: ClusterSnapshot;
  /** Where the kubeconfig came from and where it points, e.g. `s3://…/secure/kubeconfig_admin → https://127.0.0.1:16443 (tunnel)`. */
  source?: string;
  /** True while the kubeconfig is fetched or the first lists are under way. */
  loading: boolean;
  /** A failure before any snapshot (kubeconfig missing, tunnel refused): what failed and what to do. */
  error?: { text: string; hint?: string };
  /** The table the selection is in. */
  section: ClusterSection;
}

/** An empty pane, the selection in the nodes table. */
export function clusterSlice(): ClusterSlice {
  return { loading: false, section: 'nodes' };
}

/** Connecting: the kubeconfig is read, the lists are under way. */
export function connecting(sl: ClusterSlice): void {
  sl.loading = true;
  sl.error = undefined;
}

/** Connected to `source` (shown in the pane's header). */
export function connected(sl: ClusterSlice, source: string): void {
  sl.source = source;
}

/** A failure before any snapshot. */
export function connectFailed(sl: ClusterSlice, error: { text: string; hint?: string }): void {
  sl.loading = false;
  sl.error = error;
}

/** A new snapshot from the watcher. */
export function snapshotArrived(sl: ClusterSlice, snap: ClusterSnapshot): void {
  sl.snapshot = snap;
  sl.loading = !snap.synced && !snap.error;
}

/** `n` / `u`: the selection moves to the nodes or the unhealthy pods table. */
export function setSection(sl: ClusterSlice, section: ClusterSection): void {
  sl.section = section;
}

/** A node row with the EC2 instance it runs on ('' when no instance has its IP). */
export interface NodeView extends NodeRow {
  instanceId: string;
}

/**
 * The rows the pane shows, filtered: nodes (with their instance ids) and unhealthy pods
 * (kube-system first, as the snapshot orders them). Pure.
 */
export function clusterPaneRows(state: Pick<ClusterSlice, 'snapshot'>, instances: readonly InstanceRow[], filter: string): { nodes: NodeView[]; pods: PodRow[] } {
  const snap = state.snapshot;
  if (!snap) return { nodes: [], pods: [] };
  const byIp = new Map<string, string>();
  for (const i of instances) if (i.privateIp) byIp.set(i.privateIp, i.id);
  const q = filter.trim().toLowerCase();
  const nodes = snap.nodes.map((n): NodeView => ({ ...n, instanceId: byIp.get(n.internalIp) ?? '' }));
  if (!q) return { nodes, pods: snap.unhealthyPods };
  const has = (...cells: string[]) => cells.some((c) => c.toLowerCase().includes(q));
  return {
    nodes: nodes.filter((n) => has(n.name, n.ready === 'True' ? 'Ready' : 'NotReady', n.roles.join(','), n.kubeletVersion, n.internalIp, n.instanceId)),
    pods: snap.unhealthyPods.filter((p) => has(p.namespace, p.name, p.phase, p.reason, p.node)),
  };
}

/** The pane's rows for the current state (filtered by `/` when the Cluster pane is shown). */
export function clusterRows(s: AppState): { nodes: NodeView[]; pods: PodRow[] } {
  return clusterPaneRows(s.cluster, s.instances.rows, s.pane === 'cluster' ? s.filter : '');
}
