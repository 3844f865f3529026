import { filterInstances, sortInstances, type InstanceRow } from '../services/aws/instances.js';
import type { LoadBalancerRow } from '../services/aws/load-balancers.js';
import type { ParameterRow } from '../services/aws/parameters.js';
import type { SecretEntry } from '../services/aws/secrets.js';
import type { NodeRow, PodRow } from '../services/kube/cluster.js';
import type { AppState, ClusterSlice, ListSlice, SecretsSlice } from './store.js';

/** The sortable columns of each AWS pane, in the order `<` and `>` walk through them. */
export const SORT_KEYS = {
  instances: ['name', 'role', 'privateIp', 'publicIp', 'id', 'state', 'az', 'launchTime'],
  elbs: ['name', 'kind', 'scheme', 'dnsName', 'healthy', 'unhealthy'],
} as const;

function memo1<A extends object, R>(fn: (a: A, k: string) => R): (a: A, k: string) => R {
  let lastA: A | undefined;
  let lastK = '';
  let last: R | undefined;
  return (a, k) => {
    if (a !== lastA || k !== lastK) {
      last = fn(a, k);
      lastA = a;
      lastK = k;
    }
    return last as R;
  };
}

const sortedInstances = memo1((rows: InstanceRow[], key: string) => {
  const [k, dir] = key.split(' ') as [keyof InstanceRow, 'asc' | 'desc'];
  return sortInstances(rows, k, dir);
});
const filteredInstances = memo1((rows: InstanceRow[], text: string) => (text ? filterInstances(rows, text) : rows));

/** The Instances pane's rows: sorted by the slice's column, then filtered by `/` (both memoized). */
export function visibleInstances(s: AppState): readonly InstanceRow[] {
  const sorted = sortedInstances(s.instances.rows, `${s.instances.sortKey} ${s.instances.sortDir}`);
  return filteredInstances(sorted as InstanceRow[], s.pane === 'instances' ? s.filter : '');
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

const sortedElbs = memo1((rows: LoadBalancerRow[], key: string) => {
  const [k, dir] = key.split(' ') as [keyof LoadBalancerRow, 'asc' | 'desc'];
  const out = [...rows].sort((x, y) => compare(x[k], y[k]) || x.name.localeCompare(y.name));
  return dir === 'desc' ? out.reverse() : out;
});

/** The Load balancers pane's rows, sorted and filtered (substring over name, DNS name, scheme, listeners, targets). */
export function visibleElbs(s: AppState): readonly LoadBalancerRow[] {
  const sorted = sortedElbs(s.elbs.rows, `${s.elbs.sortKey} ${s.elbs.sortDir}`);
  const f = s.pane === 'elbs' ? s.filter.toLowerCase() : '';
  if (!f) return sorted;
  return sorted.filter((r) => [r.name, r.dnsName, r.scheme, r.kind, ...r.listeners, ...r.targets.map((t) => `${t.id} ${t.state}`)].join(' ').toLowerCase().includes(f));
}

/** One line of the Secrets pane's tree. */
export interface SecretNode {
  /** Full path: an S3 key or folder prefix (`secure/`), or an SSM parameter name (`/ENV/…`). */
  path: string;
  name: string;
  depth: number;
  kind: 'folder' | 'object' | 'parameters-root' | 'parameter';
  entry?: SecretEntry;
  param?: ParameterRow;
  /** For folders: whether they are open. */
  open?: boolean;
}

/** Root node path of the SSM parameters section. */
export const PARAMS_ROOT = 'ssm:';

function buildNodes(slice: SecretsSlice): SecretNode[] {
  const out: SecretNode[] = [];
  // Folders from the keys (a/b/c → a/, a/b/), files under them.
  type Dir = { dirs: Map<string, Dir>; files: SecretEntry[] };
  const root: Dir = { dirs: new Map(), files: [] };
  for (const e of slice.rows) {
    const parts = e.key.split('/');
    let d = root;
    for (const p of parts.slice(0, -1)) {
      let next = d.dirs.get(p);
      if (!next) d.dirs.set(p, (next = { dirs: new Map(), files: [] }));
      d = next;
    }
    if (parts.at(-1)) d.files.push(e);
  }
  const walk = (d: Dir, prefix: string, depth: number) => {
    for (const name of [...d.dirs.keys()].sort()) {
      const path = `${prefix}${name}/`;
      const open = slice.expanded.has(path.slice(0, -1));
      out.push({ path, name: `${name}/`, depth, kind: 'folder', open });
      if (open) walk(d.dirs.get(name)!, path, depth + 1);
    }
    for (const e of [...d.files].sort((a, b) => a.key.localeCompare(b.key))) out.push({ path: e.key, name: e.key.slice(prefix.length), depth, kind: 'object', entry: e });
  };
  walk(root, '', 0);
  const open = slice.expanded.has(PARAMS_ROOT);
  out.push({ path: PARAMS_ROOT, name: 'SSM parameters', depth: 0, kind: 'parameters-root', open });
  if (open) for (const p of slice.params) out.push({ path: p.name, name: p.name, depth: 1, kind: 'parameter', param: p });
  return out;
}

let lastNodesKey: unknown[] = [];
let lastNodes: SecretNode[] = [];

/** The Secrets pane's visible tree lines (open folders expanded), filtered by `/` on the path. */
export function visibleSecretNodes(s: AppState): readonly SecretNode[] {
  const slice = s.secrets;
  const key = [slice.rows, slice.params, [...slice.expanded].join('|')];
  if (key.some((k, i) => k !== lastNodesKey[i])) {
    lastNodes = buildNodes(slice);
    lastNodesKey = key;
  }
  const f = s.pane === 'secrets' ? s.filter.toLowerCase() : '';
  return f ? lastNodes.filter((n) => n.kind === 'parameters-root' || n.path.toLowerCase().includes(f)) : lastNodes;
}

/** The number of rows of the current pane's table (for selection bounds). */
export function paneRowCount(s: AppState, planRows: number): number {
  switch (s.pane) {
    case 'instances':
      return visibleInstances(s).length;
    case 'elbs':
      return visibleElbs(s).length;
    case 'secrets':
      return visibleSecretNodes(s).length;
    case 'plan':
      return planRows;
    case 'cluster': {
      const r = clusterRows(s);
      return s.cluster.section === 'pods' ? r.pods.length : r.nodes.length;
    }
    default:
      return 0;
  }
}

/** Cycles the sort column of a list slice by `delta` within `keys`. */
export function nextSortKey(slice: ListSlice<unknown>, keys: readonly string[], delta: number): string {
  const i = keys.indexOf(slice.sortKey);
  return keys[(i + delta + keys.length) % keys.length] ?? keys[0]!;
}

/** A node row with the EC2 instance it runs on ('' when no instance has its IP). */
export interface NodeView extends NodeRow {
  instanceId: string;
}

/**
 * The rows the pane shows for a state, filtered: nodes (with their instance ids) and unhealthy
 * pods (kube-system first, as the snapshot orders them). The controller uses it too, to bound the
 * selection. Pure.
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


/** The Cluster pane's rows for the current state (filtered by `/` when the Cluster pane is shown). */
export function clusterRows(s: AppState): { nodes: NodeView[]; pods: PodRow[] } {
  return clusterPaneRows(s.cluster, s.instances.rows, s.pane === 'cluster' ? s.filter : '');
}
