/** The Load balancers pane's slice: the polled list of classic and v2 load balancers, sorted and filtered. Plain TypeScript. */
import type { LoadBalancerRow } from '../../services/aws/load-balancers.js';
import { listSlice, memo1, type ListSlice } from '../../state/list-slice.js';
import type { AppState } from '../../state/store.js';

/** The Load balancers pane's state. */
export type ElbsSlice = ListSlice<LoadBalancerRow>;

/** The sortable columns, in the order `<` and `>` walk through them. */
export const ELB_SORT_KEYS = ['name', 'kind', 'scheme', 'dnsName', 'healthy', 'unhealthy'] as const;

/** An empty pane sorted by name. */
export function elbsSlice(): ElbsSlice {
  return listSlice<LoadBalancerRow>('name');
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

/** The pane's rows, sorted and filtered (substring over name, DNS name, scheme, listeners, targets). */
export function visibleElbs(s: AppState): readonly LoadBalancerRow[] {
  const sorted = sortedElbs(s.elbs.rows, `${s.elbs.sortKey} ${s.elbs.sortDir}`);
  const f = s.pane === 'elbs' ? s.filter.toLowerCase() : '';
  if (!f) return sorted;
  return sorted.filter((r) => [r.name, r.dnsName, r.scheme, r.kind, ...r.listeners, ...r.targets.map((t) => `${t.id} ${t.state}`)].join(' ').toLowerCase().includes(f));
}
