/**
 * The Instances pane's slice: the polled list, the marks for `:run`, the last `:run` and the open
 * tunnels, with the named transitions that are their only writers. Plain TypeScript.
 */
import type { InstanceDetails } from '../../services/aws/instances.js';
import { filterInstances, sortInstances, type InstanceRow } from '../../core/instance-rows.js';
import { listSlice, memo1, type ListSlice } from '../../state/list-slice.js';
import type { AppState } from '../../state/store.js';

/** One node's part of a `:run`: running until `code` is set. */
export interface RunNodeRow {
  label: string;
  /** Remote exit status (255 when unreachable); undefined while it runs. */
  code?: number;
  signal?: string;
  /** Why it could not run (connection, host key, login). */
  error?: string;
  stdout: string;
  stderr: string;
  truncated: boolean;
  ms?: number;
}

/** The last `:run COMMAND` over one or more nodes. */
export interface RunState {
  command: string;
  startedAt: number;
  /** In the targets' order. */
  nodes: RunNodeRow[];
  done: boolean;
}

/** One open tunnel, as the tunnels view lists it. */
export interface TunnelRow {
  localPort: number;
  remote: string;
  label: string;
  open: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  lastError?: string;
}

/** The Instances pane's state. */
export interface InstancesSlice extends ListSlice<InstanceRow> {
  details?: InstanceDetails;
  /** Instance ids marked with Space (`:run` runs on them). */
  marked: Set<string>;
  /** The last `:run`. */
  run?: RunState;
  /** Open port forwards through the bastion. */
  tunnels: TunnelRow[];
}

/** The sortable columns, in the order `<` and `>` walk through them. */
export const INSTANCE_SORT_KEYS = ['name', 'role', 'privateIp', 'publicIp', 'id', 'state', 'az', 'launchTime'] as const;

/** An empty Instances pane sorted by name. */
export function instancesSlice(): InstancesSlice {
  return { ...listSlice<InstanceRow>('name'), marked: new Set(), tunnels: [] };
}

const sortedInstances = memo1((rows: InstanceRow[], key: string) => {
  const [k, dir] = key.split(' ') as [keyof InstanceRow, 'asc' | 'desc'];
  return sortInstances(rows, k, dir);
});
const filteredInstances = memo1((rows: InstanceRow[], text: string) => (text ? filterInstances(rows, text) : rows));

/** The pane's rows: sorted by the slice's column, then filtered by `/` (both memoized). */
export function visibleInstances(s: AppState): readonly InstanceRow[] {
  const sorted = sortedInstances(s.instances.rows, `${s.instances.sortKey} ${s.instances.sortDir}`);
  return filteredInstances(sorted as InstanceRow[], s.pane === 'instances' ? s.filter : '');
}

/** `Enter` read the instance's details. */
export function detailsRead(sl: InstancesSlice, d: InstanceDetails): void {
  sl.details = d;
}

/** Space: marks or unmarks one instance. @returns how many are marked now. */
export function toggleMark(sl: InstancesSlice, id: string): number {
  if (sl.marked.has(id)) sl.marked.delete(id);
  else sl.marked.add(id);
  return sl.marked.size;
}

/** `:mark ROLE`: marks every running instance of the role; `none` or '' clears. @returns how many are marked now. */
export function markRole(sl: InstancesSlice, role: string): number {
  if (role === 'none' || role === '') sl.marked.clear();
  else for (const r of sl.rows) if (r.role === role && r.state === 'running') sl.marked.add(r.id);
  return sl.marked.size;
}

/** A `:run` starts on these node labels (in the targets' order). */
export function runStarted(sl: InstancesSlice, command: string, labels: string[], now = Date.now()): void {
  sl.run = { command, startedAt: now, done: false, nodes: labels.map((label) => ({ label, stdout: '', stderr: '', truncated: false })) };
}

/** Node `i` of the `:run` finished (or could not run: `error`). */
export function runNodeDone(sl: InstancesSlice, i: number, r: Omit<RunNodeRow, 'label'>): void {
  const n = sl.run?.nodes[i];
  if (n) Object.assign(n, r);
}

/** The `:run` ended; when it failed as a whole (`error`), nodes still running are marked unreachable with it. */
export function runEnded(sl: InstancesSlice, error?: string): void {
  if (!sl.run) return;
  sl.run.done = true;
  if (error !== undefined) for (const n of sl.run.nodes) if (n.code === undefined) Object.assign(n, { code: 255, error });
}

/** The tunnels' latest counters. */
export function tunnelsSynced(sl: InstancesSlice, rows: TunnelRow[]): void {
  sl.tunnels = rows;
}
