/**
 * The Plan/Apply pane's slice: a row per resource address, the change summary, drift, the saved
 * plan's model, the running operation, diagnostics and outputs; fed by the engine's events
 * ({@link planOnEngineEvent}, the only writer of the rows). Plain TypeScript.
 */
import type { EngineEvent, Operation } from '../../services/terraform/engine.js';
import type { TfEvent } from '../../services/terraform/events.js';
import type { OutputValue, PlanModel } from '../../services/terraform/plan-model.js';
import { moduleOf } from '../../core/plan-diff.js';
import { realDrift } from '../../core/plan-drift.js';
import type { EtaModel } from '../../core/eta.js';
import { RingBuffer } from '../../state/ring-buffer.js';
import type { AppState } from '../../state/store.js';

/** Status of one resource row in the Plan/Apply pane. */
export type RowStatus = 'planned' | 'refreshing' | 'refreshed' | 'applying' | 'done' | 'errored' | 'cancelled';

/** One row of the Plan/Apply pane: a resource address and what happens to it. */
export interface ResourceRow {
  address: string;
  /** create, update, replace, delete, read, noop, … (Terraform's names). */
  action: string;
  status: RowStatus;
  /** ms epoch when its apply started. */
  startedAt?: number;
  /** ms it took (set when done or errored). */
  elapsedMs?: number;
  /** The resource id once known (e.g. vpc-123), from apply_complete. */
  id?: string;
}

/** A diagnostic as shown: severity, summary, detail, file:line. */
export interface DiagnosticRow {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  where?: string;
  address?: string;
}

/** Capacity of the diagnostics buffer. */
export const DIAGNOSTIC_CAPACITY = 500;

/** The Plan/Apply pane's state. */
export interface PlanSlice {
  rows: ResourceRow[];
  /** address → index in `rows` (O(1) per event on a 10,000-resource apply). */
  readonly rowIndex: Map<string, number>;
  operation?: { name: Operation; startedAt: number; cancelRequested: boolean };
  /** The last operation's result, for the pane's title line. */
  lastResult?: { operation: Operation; ok: boolean; cancelled: boolean; durationMs: number };
  summary?: { operation: string; add: number; change: number; remove: number };
  /** Resources whose real state drifted from the last known state (resource_drift events of the last plan). */
  drift: number;
  /** The saved plan (show -json), while there is one with changes. */
  model?: PlanModel;
  /** The last plan's drift with each resource's diff (kept when the plan had no change to save). */
  driftDetail: PlanModel['drift'];
  diagnostics: RingBuffer<DiagnosticRow>;
  outputs?: OutputValue[];
  /** Set while the pane follows a run another console or pipeline started (read-only). */
  attachedRun?: { operation: Operation; owner: string; pid: number; startedAt: string };
  /** Set while the AWS endpoint (the state backend) does not answer during a plan or apply. */
  endpointDown?: { reason: string; since: number };
  /** Where Terraform kept a state it could not write to the backend (push it with :state-push-errored). */
  erroredState?: string;
  /** Rows grouped by module (`t` switches to the flat list). */
  tree: boolean;
  /** Modules folded (`←`). */
  folded: Set<string>;
  /** What the history taught of this environment's applies (the ETA); undefined without history. */
  eta?: EtaModel;
  /** Only rows of this action (`+ ~ - * =`, `:only`, or `f` cycling through them; undefined: all). */
  actionFilter?: ActionFilter;
  /**
   * Revision of what the table's lines are made of (rows, their statuses, the plan, tree, folds,
   * action filter): every transition of this slice adds one, so {@link planLines} is computed once
   * per change, not once per caller and frame.
   */
  rev: number;
}

/** What `f` keeps: one action, or the phantom updates. */
export type ActionFilter = 'create' | 'update' | 'delete' | 'replace' | 'phantom';

/** The order `f` cycles through (then back to all). */
export const ACTION_FILTERS: readonly ActionFilter[] = ['create', 'update', 'delete', 'replace', 'phantom'];

/** How the title shows an action filter. */
export const ACTION_FILTER_TEXT: Record<ActionFilter, string> = { create: '+ create', update: '~ update', delete: '- delete', replace: '-/+ replace', phantom: '≈ phantom' };

/** A line of the Plan/Apply table: a module's header (with its counts) or a resource row. */
export type PlanLine = { kind: 'module'; module: string; add: number; change: number; remove: number; rows: number; open: boolean } | { kind: 'resource'; row: ResourceRow; depth: number };

/** An empty Plan/Apply pane. */
export function planSlice(): PlanSlice {
  return { rows: [], rowIndex: new Map(), drift: 0, diagnostics: new RingBuffer(DIAGNOSTIC_CAPACITY), tree: true, folded: new Set(), rev: 0, driftDetail: [] };
}

/** Rows matching the filter (substring over address, action, status, id; case-insensitive). */
export function filterRows(rows: readonly ResourceRow[], filter: string): readonly ResourceRow[] {
  if (!filter) return rows;
  const f = filter.toLowerCase();
  return rows.filter((r) => r.address.toLowerCase().includes(f) || r.action.includes(f) || r.status.includes(f) || (r.id ?? '').toLowerCase().includes(f));
}

const changedCache = new WeakMap<PlanModel, Set<string>>();

/** The addresses the plan changes (built once per plan). */
function changedAddresses(model: PlanModel | undefined): Set<string> {
  if (!model) return new Set();
  let set = changedCache.get(model);
  if (!set) changedCache.set(model, (set = new Set(model.changes.map((c) => c.address))));
  return set;
}

/**
 * The address of the next (`delta` 1) or previous (-1) row after `address`, in the pane's order
 * (filtered), that has a planned change; undefined at either end.
 */
export function neighbourChange(s: AppState, address: string, delta: 1 | -1): string | undefined {
  const p = s.plan;
  const rows = planLines(s, true).flatMap((l) => (l.kind === 'resource' ? [l.row] : []));
  const changed = changedAddresses(p.model);
  let i = rows.findIndex((r) => r.address === address);
  for (i += delta; i >= 0 && i < rows.length; i += delta) if (changed.has(rows[i]!.address)) return rows[i]!.address;
  return undefined;
}

const moduleCache = new WeakMap<ResourceRow, string>();
const lineCache = [new WeakMap<ResourceRow, PlanLine>(), new WeakMap<ResourceRow, PlanLine>()];

/** The row's module (computed once per row: the table is rebuilt on every frame of an apply). */
function moduleOfRow(r: ResourceRow): string {
  let m = moduleCache.get(r);
  if (m === undefined) moduleCache.set(r, (m = moduleOf(r.address)));
  return m;
}

/** The table line of a row at a depth (one object per row and depth, reused across frames). */
function lineOf(row: ResourceRow, depth: 0 | 1): PlanLine {
  let l = lineCache[depth]!.get(row);
  if (!l) lineCache[depth]!.set(row, (l = { kind: 'resource', row, depth }));
  return l;
}

function phantomSet(p: PlanSlice): Set<string> {
  return new Set(p.model?.changes.filter((c) => c.phantom).map((c) => c.address) ?? []);
}

/**
 * The table's lines: rows filtered by `/` and by the action filter; while (and after) an apply,
 * failed rows first, then applying, then the rest; grouped under module headers with their counts
 * when the plan spans more than one module and the tree view is on (folded modules show only
 * their header, unless `ignoreFolds`).
 */
export function planLines(s: AppState, ignoreFolds = false): readonly PlanLine[] {
  const p = s.plan;
  const filter = s.pane === 'plan' ? s.filter : '';
  const memo = linesMemo.get(p);
  const k = ignoreFolds ? 1 : 0;
  if (memo?.rev === p.rev && memo.filter[k] === filter && memo.lines[k]) return memo.lines[k]!;
  const lines = computeLines(p, filter, ignoreFolds);
  const m = memo?.rev === p.rev ? memo : { rev: p.rev, filter: [undefined, undefined], lines: [undefined, undefined] } as LinesMemo;
  m.filter[k] = filter;
  m.lines[k] = lines;
  linesMemo.set(p, m);
  return lines;
}

interface LinesMemo {
  rev: number;
  filter: [string | undefined, string | undefined];
  lines: [readonly PlanLine[] | undefined, readonly PlanLine[] | undefined];
}
const linesMemo = new WeakMap<PlanSlice, LinesMemo>();

function computeLines(p: PlanSlice, filter: string, ignoreFolds: boolean): PlanLine[] {
  let rows = filterRows(p.rows, filter);
  if (p.actionFilter) {
    const ph = phantomSet(p);
    rows = p.actionFilter === 'phantom' ? rows.filter((r) => ph.has(r.address)) : rows.filter((r) => r.action === p.actionFilter && !ph.has(r.address));
  }
  const applying = p.operation?.name === 'apply' || p.lastResult?.operation === 'apply';
  if (applying) {
    // Failed first, then applying, then the rest, each in plan order: a stable partition (no sort).
    const errored: ResourceRow[] = [];
    const running: ResourceRow[] = [];
    const cancelled: ResourceRow[] = [];
    const rest: ResourceRow[] = [];
    for (const r of rows) (r.status === 'errored' ? errored : r.status === 'applying' ? running : r.status === 'cancelled' ? cancelled : rest).push(r);
    if (errored.length || running.length || cancelled.length) rows = [...errored, ...running, ...cancelled, ...rest];
  }
  const modules = new Map<string, ResourceRow[]>();
  for (const r of rows) {
    const m = moduleOfRow(r);
    let list = modules.get(m);
    if (!list) modules.set(m, (list = []));
    list.push(r);
  }
  if (!p.tree || modules.size <= 1) return rows.map((row) => lineOf(row, 0));
  const out: PlanLine[] = [];
  for (const m of [...modules.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))) {
    const list = modules.get(m)!;
    let add = 0;
    let change = 0;
    let remove = 0;
    for (const r of list) {
      if (r.action === 'create' || r.action === 'replace') add++;
      if (r.action === 'update') change++;
      if (r.action === 'delete' || r.action === 'replace') remove++;
    }
    const open = ignoreFolds || !p.folded.has(m);
    out.push({ kind: 'module', module: m, add, change, remove, rows: list.length, open });
    if (open) for (const row of list) out.push(lineOf(row, 1));
  }
  return out;
}

/** `t`, `←` / `→`: the module tree's transitions (shared with the State pane). */
export { setFolded, toggleTree } from '../../state/module-tree.js';

/** `f`: the next action filter (all → create → update → delete → replace → phantom → all). */
export function cycleActionFilter(p: PlanSlice): void {
  p.rev++;
  const i = p.actionFilter ? ACTION_FILTERS.indexOf(p.actionFilter) : -1;
  p.actionFilter = ACTION_FILTERS[i + 1];
}

/** `+ ~ - * =` and `:only`: keep only `filter`'s rows (undefined: every action). */
export function setActionFilter(p: PlanSlice, filter: ActionFilter | undefined): void {
  p.rev++;
  p.actionFilter = filter;
}

/** An apply started: the ETA learned from the history (undefined: none). */
export function setEta(p: PlanSlice, eta: EtaModel | undefined): void {
  p.eta = eta;
}

/** `:state-push-errored` succeeded, or the file was found at start: where the unpersisted state waits (undefined: none). */
export function setErroredState(p: PlanSlice, path: string | undefined): void {
  p.erroredState = path;
}

function row(p: PlanSlice, address: string, action?: string): ResourceRow {
  const i = p.rowIndex.get(address);
  if (i !== undefined) {
    const r = p.rows[i]!;
    if (action && r.action === 'noop') r.action = action;
    return r;
  }
  const r: ResourceRow = { address, action: action ?? 'noop', status: 'planned' };
  p.rowIndex.set(address, p.rows.length);
  p.rows.push(r);
  return r;
}

function resetRows(p: PlanSlice): void {
  p.rows = [];
  p.rowIndex.clear();
}

function resetPlan(p: PlanSlice): void {
  resetRows(p);
  p.summary = undefined;
  p.model = undefined;
  p.drift = 0;
  p.driftDetail = [];
  p.diagnostics.clear();
}

/**
 * Feeds one engine event into the pane (and the raw log).
 * @returns true when the rows were replaced (a new plan, a followed run): the selection goes back to the top.
 */
export function planOnEngineEvent(p: PlanSlice, log: RingBuffer<string>, e: EngineEvent): boolean {
  if (e.kind !== 'stderr' && e.kind !== 'text') p.rev++;
  switch (e.kind) {
    case 'attached':
      resetPlan(p);
      p.attachedRun = { operation: e.operation, owner: `${e.record.owner.user}@${e.record.owner.host}`, pid: e.record.pid, startedAt: e.record.startedAt };
      log.push(`── following ${e.operation} ${e.record.id} (pid ${e.record.pid}, started ${e.record.startedAt} by ${e.record.owner.user}@${e.record.owner.host})${e.running ? '' : ': it has ended'}`);
      return true;
    case 'endpoint':
      if (e.reachable) p.endpointDown = undefined;
      else p.endpointDown = { reason: e.reason ?? 'no answer', since: Date.now() };
      log.push(e.reachable ? '── the AWS endpoint answers again' : `── the AWS endpoint does not answer (${e.reason ?? 'no answer'}); Terraform is retrying`);
      return false;
    case 'state-not-persisted':
      p.erroredState = e.path;
      log.push(`── Terraform could not write the state to the backend: it is in ${e.path}`);
      return false;
    case 'operation-start': {
      p.operation = { name: e.operation, startedAt: e.at, cancelRequested: false };
      const planning = e.operation === 'plan' || e.operation === 'plan-destroy' || e.operation === 'plan-refresh-only';
      if (planning) resetPlan(p);
      if (e.operation === 'apply') p.diagnostics.clear();
      log.push(`── ${e.operation} started`);
      return planning;
    }
    case 'operation-end':
      if (e.operation === 'apply') {
        for (const r of p.rows) if (r.status === 'applying') r.status = e.cancelled ? 'cancelled' : 'errored';
        p.model = undefined; // the engine consumes the saved plan, applied or not
      }
      p.operation = undefined;
      p.attachedRun = undefined;
      p.endpointDown = undefined;
      // Reading outputs (o, or the Secrets pane finding its bucket) does not replace the plan/apply result.
      if (e.operation !== 'output' || !e.ok) p.lastResult = { operation: e.operation, ok: e.ok, cancelled: e.cancelled, durationMs: e.durationMs };
      log.push(`── ${e.operation} ${e.cancelled ? 'cancelled' : e.ok ? 'finished' : 'failed'} (exit ${e.exitCode}, ${(e.durationMs / 1000).toFixed(1)} s)`);
      return false;
    case 'cancel-requested':
      if (p.operation) p.operation.cancelRequested = true;
      log.push('── cancel requested: one SIGINT sent; waiting for Terraform to write state and release the lock');
      return false;
    case 'stderr':
    case 'text':
      if (e.line.trim()) log.push(e.line);
      return false;
    case 'tf':
      onTfEvent(p, log, e.event);
      return false;
    case 'plan':
      p.model = e.plan.hasChanges ? e.plan : undefined;
      p.driftDetail = e.plan.drift;
      // show -json was read: the drift that is real (not equal once normalised) is the count.
      if (e.plan.drift.length) p.drift = realDrift(e.plan).length;
      // show -json is authoritative: make rows match the plan's resource changes.
      for (const c of e.plan.changes) row(p, c.address, c.action).action = c.action;
      // Imports change the state only; they are reviewed like any change (Enter shows what is imported).
      for (const n of e.plan.notes) if (n.importingId !== undefined && !e.plan.changes.some((c) => c.address === n.address)) row(p, n.address, 'import').action = 'import';
      return false;
    case 'outputs':
      p.outputs = e.outputs;
      return false;
    default:
      return false;
  }
}

function onTfEvent(p: PlanSlice, log: RingBuffer<string>, ev: TfEvent): void {
  log.push(ev.message);
  // Data sources read while planning are not changes: they stay in the log, not in the table.
  const planning = p.operation !== undefined && p.operation.name !== 'apply';
  if (planning && (ev.type === 'apply_start' || ev.type === 'apply_progress' || ev.type === 'apply_complete') && ev.action === 'read') return;
  switch (ev.type) {
    case 'planned_change':
      row(p, ev.address, ev.action);
      break;
    case 'resource_drift':
      p.drift++;
      break;
    case 'refresh_start': {
      const r = p.operation?.name === 'apply' ? undefined : p.rowIndex.get(ev.address);
      if (r !== undefined) p.rows[r]!.status = 'refreshing';
      break;
    }
    case 'refresh_complete': {
      const r = p.rowIndex.get(ev.address);
      if (r !== undefined && p.rows[r]!.status === 'refreshing') p.rows[r]!.status = 'planned';
      break;
    }
    case 'apply_start': {
      const r = row(p, ev.address, ev.action);
      r.status = 'applying';
      r.startedAt = ev.timestamp;
      r.elapsedMs = undefined;
      break;
    }
    case 'apply_progress': {
      const r = row(p, ev.address, ev.action);
      r.status = 'applying';
      r.startedAt ??= ev.timestamp - ev.elapsedSeconds * 1000;
      break;
    }
    case 'apply_complete': {
      const r = row(p, ev.address, ev.action);
      r.status = 'done';
      r.elapsedMs = r.startedAt !== undefined ? Math.max(ev.elapsedSeconds * 1000, ev.timestamp - r.startedAt) : ev.elapsedSeconds * 1000;
      if (ev.idValue) r.id = ev.idValue;
      break;
    }
    case 'apply_errored': {
      const r = row(p, ev.address, ev.action);
      r.status = p.operation?.cancelRequested ? 'cancelled' : 'errored';
      r.elapsedMs = ev.elapsedSeconds * 1000;
      break;
    }
    case 'change_summary':
      p.summary = { operation: ev.operation, add: ev.add, change: ev.change, remove: ev.remove };
      break;
    case 'diagnostic': {
      const where = ev.range ? `${ev.range.filename}:${ev.range.line}` : undefined;
      p.diagnostics.push({ severity: ev.severity, summary: ev.summary, detail: ev.detail, ...(where ? { where } : {}), ...(ev.address ? { address: ev.address } : {}) });
      break;
    }
    default:
      break;
  }
}
