/**
 * The State pane's slice: the last `terraform state pull` as parsed (every resource instance with
 * its module, type, index key and id), the tree/flat switch and folded modules; the table's lines
 * (memoized per read, filter and folds: a state can hold 10,000 resources and a filter keystroke
 * must not re-group them twice), and a resource's details as the lines of its view. Plain
 * TypeScript: the services are imported as types only.
 */
import { indexText, stateAttributeLines, type StateResource } from '../../core/tf-state.js';
import type { InstanceRow } from '../../core/instance-rows.js';
import type { LoadBalancerRow } from '../../services/aws/load-balancers.js';
import type { StateRead } from '../../services/state/types.js';
import type { Message } from '../../state/list-slice.js';
import type { AppState } from '../../state/store.js';

/** The State pane's state. */
export interface StateSlice {
  /** The last successful read (kept on screen while a new one runs or after one failed). */
  read?: StateRead;
  /** True while a read runs. */
  loading: boolean;
  /** The last read's failure, or why the pane has no state at all; cleared by the next good read. */
  error?: Message;
  /** Resources grouped by module (`T` switches to the flat list). */
  tree: boolean;
  /** Modules folded (`←`). */
  folded: Set<string>;
  /** Revision of what the lines are made of (read, tree, folds): every transition adds one. */
  rev: number;
}

/** A line of the State table: a module's header (resources shown / in it) or a resource instance. */
export type StateLine = { kind: 'module'; module: string; shown: number; total: number; open: boolean } | { kind: 'resource'; res: StateResource; depth: 0 | 1 };

/** An empty pane (nothing read yet). */
export function stateSlice(): StateSlice {
  return { loading: false, tree: true, folded: new Set(), rev: 0 };
}

/** A read started (the last one stays shown). */
export function stateReading(sl: StateSlice): void {
  sl.loading = true;
}

/** A read succeeded: it replaces the last one; the error clears. */
export function stateLoaded(sl: StateSlice, read: StateRead): void {
  sl.rev++;
  sl.read = read;
  sl.loading = false;
  sl.error = undefined;
}

/** A read failed (or the console has no state service): said inside the pane; the last good read stays. */
export function stateFailed(sl: StateSlice, error: Message): void {
  sl.loading = false;
  sl.error = error;
}

/** `T`, `←` / `→`: the module tree's transitions (shared with the Plan/Apply pane). */
export { setFolded as setStateFolded, toggleTree as toggleStateTree } from '../../state/module-tree.js';

/** The text `/` matches in a resource: address, type, id, status (lower case, made once per resource). */
const haystacks = new WeakMap<StateResource, string>();
function haystack(r: StateResource): string {
  let h = haystacks.get(r);
  if (h === undefined) haystacks.set(r, (h = `${r.address}\n${r.type}\n${r.id ?? ''}\n${r.status ?? ''}`.toLowerCase()));
  return h;
}

/** Resources per module in a read (made once per read). */
const totalsCache = new WeakMap<StateRead, Map<string, number>>();
function totals(read: StateRead): Map<string, number> {
  let t = totalsCache.get(read);
  if (!t) {
    t = new Map();
    for (const r of read.doc.resources) t.set(r.module, (t.get(r.module) ?? 0) + 1);
    totalsCache.set(read, t);
  }
  return t;
}

/** How many modules a read's resources are in (the root module counts as one). */
export function moduleCount(read: StateRead): number {
  return totals(read).size;
}

/** Resources of a read by address (made once per read). */
const byAddressCache = new WeakMap<StateRead, Map<string, StateResource>>();

/** The resource at `address` in the slice's last read, or undefined. */
export function stateResource(sl: StateSlice, address: string): StateResource | undefined {
  const read = sl.read;
  if (!read) return undefined;
  let m = byAddressCache.get(read);
  if (!m) byAddressCache.set(read, (m = new Map(read.doc.resources.map((r) => [r.address, r]))));
  return m.get(address);
}

interface FilterMemo {
  read: StateRead;
  filter: string;
  rows: readonly StateResource[];
}
interface LinesMemo {
  read: StateRead | undefined;
  rev: number;
  filter: string;
  lines: readonly StateLine[];
}
const filterMemo = new WeakMap<StateSlice, FilterMemo>();
const linesMemo = new WeakMap<StateSlice, LinesMemo>();

/**
 * The resources matching `filter` (a substring of address, type, id or status, any case). A
 * filter that extends the previous one (a keystroke) searches only what the previous one kept.
 */
export function filterResources(sl: StateSlice, filter: string): readonly StateResource[] {
  const read = sl.read;
  if (!read) return [];
  const f = filter.toLowerCase();
  if (!f) return read.doc.resources;
  const memo = filterMemo.get(sl);
  if (memo?.read === read && memo.filter === f) return memo.rows;
  const from = memo?.read === read && memo.filter && f.startsWith(memo.filter) ? memo.rows : read.doc.resources;
  const rows = from.filter((r) => haystack(r).includes(f));
  filterMemo.set(sl, { read, filter: f, rows });
  return rows;
}

/** The module's sort order: the root module first, then by name. */
function byModule(a: string, b: string): number {
  return a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The table's lines: the resources filtered by `/`, grouped under module headers (resources shown
 * and in the module) when the state spans more than one module and the tree is on; a folded
 * module shows only its header. Computed once per (read, tree/folds, filter).
 */
export function stateLines(s: AppState): readonly StateLine[] {
  const sl = s.tfstate;
  const filter = s.pane === 'state' ? s.filter : '';
  const memo = linesMemo.get(sl);
  if (memo && memo.read === sl.read && memo.rev === sl.rev && memo.filter === filter) return memo.lines;
  const lines = computeLines(sl, filter);
  linesMemo.set(sl, { read: sl.read, rev: sl.rev, filter, lines });
  return lines;
}

function computeLines(sl: StateSlice, filter: string): StateLine[] {
  const rows = filterResources(sl, filter);
  if (!sl.read) return [];
  const modules = new Map<string, StateResource[]>();
  for (const r of rows) {
    let list = modules.get(r.module);
    if (!list) modules.set(r.module, (list = []));
    list.push(r);
  }
  const tree = sl.tree && totals(sl.read).size > 1;
  if (!tree) return rows.map((res) => ({ kind: 'resource', res, depth: 0 }));
  const all = totals(sl.read);
  const out: StateLine[] = [];
  for (const m of [...modules.keys()].sort(byModule)) {
    const list = modules.get(m)!;
    const open = !sl.folded.has(m);
    out.push({ kind: 'module', module: m, shown: list.length, total: all.get(m) ?? list.length, open });
    if (open) for (const res of list) out.push({ kind: 'resource', res, depth: 1 });
  }
  return out;
}

/** The resource of the selected line, or undefined (a module header, nothing read). */
export function selectedResource(s: AppState): StateResource | undefined {
  const l = stateLines(s)[s.selected];
  return l?.kind === 'resource' ? l.res : undefined;
}

/** A resource's address inside its module (`aws_subnet.private[0]`), as the tree shows it under the module's header. */
export function localAddress(r: StateResource): string {
  return `${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}${indexText(r.indexKey)}`;
}

/** The index key as the KEY column shows it: `0`, `"eu-west-1a"`, or ''. */
export function keyText(r: StateResource): string {
  return r.indexKey === undefined ? '' : typeof r.indexKey === 'number' ? String(r.indexKey) : JSON.stringify(r.indexKey);
}

/** Bytes as `812 B`, `48.2 KiB`, `3.1 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The object another pane lists for a resource: an instance (Instances pane) or a load balancer (Load balancers pane). */
export type LiveObject = { pane: 'instances'; id: string; row?: InstanceRow; listed: boolean } | { pane: 'elbs'; id: string; row?: LoadBalancerRow; listed: boolean };

/** Resource types whose object the Load balancers pane lists: classic ELBs by name, ELBv2 by ARN. */
const ELB_TYPES = new Set(['aws_elb', 'aws_lb', 'aws_alb']);

/**
 * The live object of a resource where another pane knows it: an `aws_instance` by its id in the
 * Instances pane's list, an `aws_elb` (its id is the name) or `aws_lb`/`aws_alb` (its id is the
 * ARN) in the Load balancers pane's. `listed`: that pane has read its list (so `row` undefined
 * means AWS does not have it, not that it was not read yet). Undefined for other types or without an id.
 */
export function liveObject(s: AppState, r: StateResource): LiveObject | undefined {
  if (r.mode !== 'managed' || !r.id) return undefined;
  const id = r.id;
  if (r.type === 'aws_instance') {
    const row = s.instances.rows.find((x) => x.id === id);
    return { pane: 'instances', id, ...(row ? { row } : {}), listed: s.instances.loaded };
  }
  if (ELB_TYPES.has(r.type)) {
    const row = s.elbs.rows.find((x) => (r.type === 'aws_elb' ? x.kind === 'classic' && x.name === id : x.arn === id));
    return { pane: 'elbs', id, ...(row ? { row } : {}), listed: s.elbs.loaded };
  }
  return undefined;
}

/** The `/` filter that shows a live object's row in its pane (an instance id, a load balancer's name). */
export function liveFilter(o: LiveObject, r: StateResource): string {
  if (o.pane === 'instances') return o.id;
  if (o.row) return o.row.name;
  const attrs = r.attributes;
  const name = attrs && typeof attrs === 'object' && !Array.isArray(attrs) ? (attrs as Record<string, unknown>).name : undefined;
  return typeof name === 'string' && name ? name : o.id;
}

function liveLines(o: LiveObject | undefined): string[] {
  if (!o) return [];
  if (o.pane === 'instances') {
    const r = o.row;
    return [
      'live object (Instances pane):',
      r
        ? `    ${r.id}  ${r.name || '(no Name tag)'}  ${r.state}  ${r.privateIp || '-'} / ${r.publicIp || '-'}  ${r.az}  ${r.type}    I shows it in the Instances pane, s opens a shell on it`
        : o.listed
          ? `    ${o.id} is not among this environment's instances in AWS (terminated, or tagged for another environment): the state is behind; a plan shows what Terraform makes of it`
          : `    reading the environment's instances to find ${o.id}…`,
    ];
  }
  const r = o.row;
  return [
    'live object (Load balancers pane):',
    r
      ? `    ${r.name}  ${r.kind}  ${r.scheme}  ${r.dnsName || '-'}  ${r.healthy} healthy, ${r.unhealthy} unhealthy    L shows it in the Load balancers pane`
      : o.listed
        ? `    ${o.id} is not among this environment's load balancers in AWS: the state is behind; a plan shows what Terraform makes of it`
        : `    reading the environment's load balancers to find ${o.id}…`,
  ];
}

/** A resource's attribute block (renderChange's lines without its `#` line), made once per resource. */
const attributeCache = new WeakMap<StateResource, string[]>();
function attributeLines(r: StateResource): string[] {
  let out = attributeCache.get(r);
  if (!out) {
    out = stateAttributeLines(r);
    attributeCache.set(r, out);
  }
  return out;
}

/**
 * A resource's details view: its address and id, type, provider, index key and status, its
 * attributes in Terraform's notation (sensitive parts as `(sensitive value)`: the state's values
 * there were never kept), its dependencies and its live object where another pane knows it.
 */
export function stateResourceLines(s: AppState, r: StateResource): string[] {
  const facts = [r.type, r.mode === 'data' ? 'data source' : 'managed', r.provider, ...(r.indexKey !== undefined ? [`index key ${keyText(r)}`] : []), ...(r.status === 'tainted' ? ['TAINTED: the next apply replaces it'] : []), formatBytes(r.bytes)];
  return [
    `# ${r.address}${r.id ? `  (id ${r.id})` : ''}`,
    `#   ${facts.join(' · ')}`,
    ...(r.sensitiveCount ? [`#   ${r.sensitiveCount} sensitive attribute${r.sensitiveCount === 1 ? '' : 's'} shown as (sensitive value): the console never keeps state secrets, so nothing reveals them here`] : []),
    ...attributeLines(r),
    '',
    `depends on (${r.dependencies.length}):`,
    ...(r.dependencies.length ? r.dependencies.map((d) => `    ${d}`) : ['    (nothing recorded)']),
    ...(() => {
      const live = liveLines(liveObject(s, r));
      return live.length ? ['', ...live] : [];
    })(),
  ];
}
