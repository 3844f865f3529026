/**
 * The Cluster pane's rows, made from Kubernetes objects (`core/v1` Node, Namespace, Pod), and the
 * pure helpers around them: which pods are unhealthy ({@link isUnhealthy}), their order
 * ({@link comparePods}: kube-system first), a summary ({@link summarize}). Plain TypeScript, no Ink.
 *
 * Objects come in two shapes: from client-node's typed list calls (timestamps as `Date`) and from
 * watch events (the API's JSON: timestamps as RFC 3339 strings). Both are read here through the
 * minimal structural types below.
 */

/** The fields of a `core/v1` Node that rows are made from. */
export interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string>; creationTimestamp?: Date | string; resourceVersion?: string };
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: { type?: string; status?: string }[];
    addresses?: { type?: string; address?: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}

/** The fields of a `core/v1` Namespace that rows are made from. */
export interface NamespaceLike {
  metadata?: { name?: string; creationTimestamp?: Date | string };
  status?: { phase?: string };
}

interface ContainerStatusLike {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number }; running?: unknown };
  lastState?: { terminated?: { reason?: string } };
}

/** The fields of a `core/v1` Pod that rows are made from. */
export interface PodLike {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: Date | string; deletionTimestamp?: Date | string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    conditions?: { type?: string; status?: string; reason?: string }[];
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}

/** One row of the nodes table. */
export interface NodeRow {
  name: string;
  /** The `Ready` condition's status; `Unknown` when the node reports none. */
  ready: 'True' | 'False' | 'Unknown';
  /** From `node-role.kubernetes.io/ROLE` labels (and the legacy `kubernetes.io/role`), sorted; [] when none. */
  roles: string[];
  /** `status.nodeInfo.kubeletVersion`, e.g. `v1.31.2`; '' when unknown. */
  kubeletVersion: string;
  /** Creation time, ms since the epoch; 0 when unknown (age = now − createdAt). */
  createdAt: number;
  /** The `InternalIP` address (matches the EC2 instance's private IP); '' when none. */
  internalIp: string;
  /** `spec.unschedulable` (cordoned: kubectl shows SchedulingDisabled). */
  unschedulable: boolean;
}

/** One row of the namespaces list. */
export interface NamespaceRow {
  name: string;
  /** `Active` or `Terminating`. */
  phase: string;
  /** Creation time, ms since the epoch; 0 when unknown. */
  createdAt: number;
}

/** One pod, as the unhealthy-pods table shows it. */
export interface PodRow {
  namespace: string;
  name: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  phase: string;
  /** Sum of the containers' (and init containers') restart counts. */
  restarts: number;
  /**
   * Why it is not well, as kubectl's STATUS column says it: a container's waiting or terminated
   * reason (`CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`; `Init:` prefixed for init
   * containers), else the pod's reason (`Evicted`), else an unschedulable condition
   * (`Unschedulable`), else `Terminating`, else the phase.
   */
  reason: string;
  /** `spec.nodeName`; '' when not scheduled. */
  node: string;
  /** Containers ready / total (`readyContainers`/`containers`). */
  readyContainers: number;
  containers: number;
  /** Creation time, ms since the epoch; 0 when unknown. */
  createdAt: number;
  /** See {@link isUnhealthy}. */
  unhealthy: boolean;
}

/** ms since the epoch of a Date or RFC 3339 string; 0 when absent or invalid. */
export function timeMs(v: Date | string | undefined): number {
  if (v === undefined || v === null) return 0;
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isFinite(t) ? t : 0;
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** The row of a Node. */
export function nodeRow(n: NodeLike): NodeRow {
  const labels = n.metadata?.labels ?? {};
  const roles = new Set<string>();
  for (const k of Object.keys(labels)) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
  }
  const legacy = labels['kubernetes.io/role'];
  if (legacy) roles.add(legacy);
  const readyCond = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return {
    name: n.metadata?.name ?? '',
    ready: readyCond === 'True' || readyCond === 'False' ? readyCond : 'Unknown',
    roles: [...roles].sort(),
    kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? '',
    createdAt: timeMs(n.metadata?.creationTimestamp),
    internalIp: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    unschedulable: n.spec?.unschedulable === true,
  };
}

/** The row of a Namespace. */
export function namespaceRow(ns: NamespaceLike): NamespaceRow {
  return { name: ns.metadata?.name ?? '', phase: ns.status?.phase ?? 'Active', createdAt: timeMs(ns.metadata?.creationTimestamp) };
}

function containerReason(cs: ContainerStatusLike): string {
  return cs.state?.waiting?.reason ?? (cs.state?.terminated && cs.state.terminated.reason !== 'Completed' ? cs.state.terminated.reason ?? `ExitCode:${cs.state.terminated.exitCode ?? '?'}` : '') ?? '';
}

/**
 * Whether a pod is unhealthy: its phase is not `Running` or `Succeeded` (Pending, Failed,
 * Unknown), or it runs with a container that is not ready and is waiting (CrashLoopBackOff,
 * ImagePullBackOff …) or has restarted. Completed pods are healthy; a ready container that
 * restarted long ago is not reported (its restarts still show on the row).
 */
export function isUnhealthy(p: Pick<PodRow, 'phase'> & { waiting: boolean; notReadyRestarted: boolean }): boolean {
  if (p.phase !== 'Running' && p.phase !== 'Succeeded') return true;
  return p.phase === 'Running' && (p.waiting || p.notReadyRestarted);
}

/** The row of a Pod (with {@link PodRow.unhealthy} decided by {@link isUnhealthy}). */
export function podRow(p: PodLike): PodRow {
  const st = p.status ?? {};
  const phase = st.phase ?? 'Unknown';
  const cs = st.containerStatuses ?? [];
  const init = st.initContainerStatuses ?? [];
  let restarts = 0;
  let ready = 0;
  let waiting = false;
  let notReadyRestarted = false;
  let reason = '';
  for (const c of init) {
    restarts += c.restartCount ?? 0;
    const r = containerReason(c);
    if (r && !reason && r !== 'PodInitializing') reason = `Init:${r}`;
  }
  for (const c of cs) {
    restarts += c.restartCount ?? 0;
    if (c.ready) ready++;
    else {
      if (c.state?.waiting) waiting = true;
      if ((c.restartCount ?? 0) > 0) notReadyRestarted = true;
      const r = containerReason(c);
      if (r && !reason) reason = r;
    }
  }
  if (!reason && st.reason) reason = st.reason;
  if (!reason) {
    const unsched = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unsched) reason = unsched.reason ?? 'Unschedulable';
  }
  if (!reason && p.metadata?.deletionTimestamp) reason = 'Terminating';
  if (!reason) reason = phase === 'Succeeded' ? 'Completed' : phase;
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    phase,
    restarts,
    reason,
    node: p.spec?.nodeName ?? '',
    readyContainers: ready,
    containers: cs.length,
    createdAt: timeMs(p.metadata?.creationTimestamp),
    unhealthy: isUnhealthy({ phase, waiting, notReadyRestarted }),
  };
}

/** Pod order of the pane: `kube-system` first, then by namespace, then by name. */
export function comparePods(a: PodRow, b: PodRow): number {
  const ak = a.namespace === 'kube-system' ? 0 : 1;
  const bk = b.namespace === 'kube-system' ? 0 : 1;
  if (ak !== bk) return ak - bk;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Figures of a cluster state, for `--ci cluster` and the pane's title. */
export interface ClusterSummary {
  nodesReady: number;
  nodesTotal: number;
  unhealthyPods: number;
  namespaces: number;
}

/** The summary of node, namespace and unhealthy-pod rows. */
export function summarize(s: { nodes: readonly NodeRow[]; namespaces: readonly NamespaceRow[]; unhealthyPods: readonly PodRow[] }): ClusterSummary {
  return {
    nodesReady: s.nodes.filter((n) => n.ready === 'True').length,
    nodesTotal: s.nodes.length,
    unhealthyPods: s.unhealthyPods.length,
    namespaces: s.namespaces.length,
  };
}
