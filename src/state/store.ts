import type { LockState } from '../services/aws/state-lock.js';
import type { EngineEvent, Operation } from '../services/terraform/engine.js';
import type { TfEvent } from '../services/terraform/events.js';
import type { OutputValue, PlanModel } from '../services/terraform/plan-model.js';
import { RingBuffer } from './ring-buffer.js';
import type { InstanceDetails, InstanceRow } from '../services/aws/instances.js';
import type { LoadBalancerRow } from '../services/aws/load-balancers.js';
import type { ParameterRow } from '../services/aws/parameters.js';
import type { SecretEntry } from '../services/aws/secrets.js';
import type { ClusterSnapshot } from '../services/kube/cluster.js';

/** One AWS list of a pane: rows, loading state, the pane's own error, sort order. */
export interface ListSlice<T> {
  rows: T[];
  loading: boolean;
  /** True once one fetch has succeeded. */
  loaded: boolean;
  /** The last fetch's error, shown inside the pane (the other panes keep working). */
  error?: Message;
  /** ms epoch of the last successful fetch. */
  lastOk?: number;
  /** True while the auto-refresh is backing off (throttled). */
  backoff: boolean;
  sortKey: string;
  sortDir: 'asc' | 'desc';
}

/** What the Secrets pane shows in its viewer: an object of the bucket or an SSM parameter, masked until revealed. */
export interface SecretView {
  kind: 'object' | 'parameter';
  key: string;
  /** The value; kept only while the viewer is open, never logged. */
  body: Buffer;
  etag?: string;
  revealed: boolean;
}

/** The Secrets pane: the bucket's objects, the SSM parameters under /ENV/, which folders are open. */
export interface SecretsSlice extends ListSlice<SecretEntry> {
  bucket?: string;
  params: ParameterRow[];
  expanded: Set<string>;
  view?: SecretView;
}

function listSlice<T>(sortKey: string): ListSlice<T> {
  return { rows: [], loading: false, loaded: false, backoff: false, sortKey, sortDir: 'asc' };
}

/** The panes of the console, in number-key order. */
export const PANES = [
  { id: 'plan', title: 'Plan/Apply' },
  { id: 'instances', title: 'Instances' },
  { id: 'elbs', title: 'Load balancers' },
  { id: 'secrets', title: 'Secrets' },
  { id: 'cluster', title: 'Cluster' },
] as const;
export type PaneId = (typeof PANES)[number]['id'];

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

/** Overlays drawn above the pane. */
export type Overlay =
  | { kind: 'none' }
  | { kind: 'help' }
  | { kind: 'log' }
  | { kind: 'outputs' }
  | { kind: 'diagnostics' }
  | {
      kind: 'confirm';
      action: ConfirmAction;
      typed: boolean;
      input: string;
      prompt: string;
      detail?: string[];
      /** apply/destroy: the sha256 of the plan file whose summary the prompt shows; apply refuses any other. */
      planHash?: string;
      /** unlock: the lock ID that was shown. */
      lockId?: string;
    }
  | { kind: 'details'; title: string; lines: string[] }
  | { kind: 'secret' }
  | { kind: 'prompt'; purpose: 'upload-file' | 'tunnel' | 'run'; label: string; input: string }
  | { kind: 'run' }
  | { kind: 'tunnels' };

/** What a confirmation confirms. */
export type ConfirmAction = 'apply' | 'destroy' | 'unlock' | 'fetch-tree' | 'upload-tree' | 'bootstrap' | 'write-profile' | 'host-key' | 'merge-kubeconfig';

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

/** The Cluster pane: the watcher's latest snapshot and where the kubeconfig came from (ClusterPane's props). */
export interface ClusterSlice {
  snapshot?: ClusterSnapshot;
  /** `s3://…/kubeconfig_admin → https://…`, or the `--kubeconfig` file. */
  source?: string;
  loading: boolean;
  /** A failure before any snapshot (no kubeconfig, tunnel refused). */
  error?: { text: string; hint?: string };
  /** Which table the selection is in. */
  section: 'nodes' | 'pods';
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

/** The one message line of the status bar. */
export interface Message {
  level: 'info' | 'warn' | 'error';
  text: string;
  hint?: string;
}

/** Everything the console shows. Mutated in place by {@link Store}; `version` changes on every update. */
export interface AppState {
  version: number;
  header: {
    environment: string;
    account: string;
    region: string;
    backend: string;
    engine: string;
    credentials: string;
    local?: string;
  };
  lock: LockState;
  pane: PaneId;
  operation?: { name: Operation; startedAt: number; cancelRequested: boolean };
  /** The last operation's result, for the pane's title line. */
  lastResult?: { operation: Operation; ok: boolean; cancelled: boolean; durationMs: number };
  rows: ResourceRow[];
  summary?: { operation: string; add: number; change: number; remove: number };
  /** Resources whose real state drifted from the last known state (resource_drift events of the last plan). */
  drift: number;
  plan?: PlanModel;
  diagnostics: RingBuffer<DiagnosticRow>;
  log: RingBuffer<string>;
  outputs?: OutputValue[];
  overlay: Overlay;
  message?: Message;
  filter: string;
  selected: number;
  /** True once the operator asked to quit and it is allowed. */
  quitting: boolean;
  /** Set while the Plan/Apply pane follows a run another console or pipeline started (read-only). */
  attachedRun?: { operation: Operation; owner: string; pid: number; startedAt: string };
  /** Set while the AWS endpoint (the state backend) does not answer during a plan or apply. */
  endpointDown?: { reason: string; since: number };
  /** Where Terraform kept a state it could not write to the backend (push it with :state-push-errored). */
  erroredState?: string;
  instances: ListSlice<InstanceRow>;
  instanceDetails?: InstanceDetails;
  elbs: ListSlice<LoadBalancerRow>;
  secrets: SecretsSlice;
  /** Instance ids marked with space in the Instances pane (`:run` runs on them). */
  marked: Set<string>;
  /** The last `:run`. */
  run?: RunState;
  /** Open port forwards through the bastion. */
  tunnels: TunnelRow[];
  cluster: ClusterSlice;
}

/** Capacity of the raw log ring buffer (lines). */
export const LOG_CAPACITY = 20_000;
/** Capacity of the diagnostics buffer. */
export const DIAGNOSTIC_CAPACITY = 500;

/**
 * The console's one store. Services' events and UI actions update the state in place (so a
 * 1,000-resource apply costs O(1) per event, not a copy of every row); subscribers are told at
 * most once per `throttleMs` (renders are throttled), and always on the next tick after the first
 * change of a quiet period.
 */
export class Store {
  readonly state: AppState;
  private listeners = new Set<() => void>();
  private rowIndex = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastNotify = 0;

  constructor(
    header: AppState['header'],
    private readonly throttleMs = 16,
  ) {
    this.state = {
      version: 0,
      header,
      lock: { kind: 'unknown', reason: 'not read yet' },
      pane: 'plan',
      rows: [],
      drift: 0,
      diagnostics: new RingBuffer(DIAGNOSTIC_CAPACITY),
      log: new RingBuffer(LOG_CAPACITY),
      overlay: { kind: 'none' },
      filter: '',
      selected: 0,
      quitting: false,
      instances: listSlice<InstanceRow>('name'),
      elbs: listSlice<LoadBalancerRow>('name'),
      secrets: { ...listSlice<SecretEntry>('key'), params: [], expanded: new Set(['secrets', 'secrets/secure', 'secure']) },
      marked: new Set(),
      tunnels: [],
      cluster: { loading: false, section: 'nodes' },
    };
  }

  /** Subscribes to (throttled) change notifications; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current version (for useSyncExternalStore). */
  getVersion = (): number => this.state.version;

  /** Applies `mutate` to the state and schedules a notification. */
  update(mutate: (s: AppState) => void): void {
    mutate(this.state);
    this.changed();
  }

  /** Marks the state changed and schedules a throttled notification. */
  changed(): void {
    this.state.version++;
    if (this.timer) return;
    const wait = Math.max(0, this.lastNotify + this.throttleMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastNotify = Date.now();
      for (const l of this.listeners) l();
    }, wait);
  }

  /** Sends any pending notification now (tests, exit). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastNotify = Date.now();
    for (const l of this.listeners) l();
  }

  /** Sets the status-bar message. */
  say(level: Message['level'], text: string, hint?: string): void {
    this.update((s) => {
      s.message = hint ? { level, text, hint } : { level, text };
    });
  }

  private row(address: string, action?: string): ResourceRow {
    const i = this.rowIndex.get(address);
    if (i !== undefined) {
      const r = this.state.rows[i]!;
      if (action && r.action === 'noop') r.action = action;
      return r;
    }
    const r: ResourceRow = { address, action: action ?? 'noop', status: 'planned' };
    this.rowIndex.set(address, this.state.rows.length);
    this.state.rows.push(r);
    return r;
  }

  private resetRows(): void {
    this.state.rows = [];
    this.rowIndex.clear();
    this.state.selected = 0;
  }

  /** Feeds one engine event into the state (the Plan/Apply pane, the log, diagnostics). */
  onEngineEvent(e: EngineEvent): void {
    const s = this.state;
    switch (e.kind) {
      case 'attached':
        this.resetRows();
        s.summary = undefined;
        s.plan = undefined;
        s.drift = 0;
        s.diagnostics.clear();
        s.attachedRun = { operation: e.operation, owner: `${e.record.owner.user}@${e.record.owner.host}`, pid: e.record.pid, startedAt: e.record.startedAt };
        s.log.push(`── following ${e.operation} ${e.record.id} (pid ${e.record.pid}, started ${e.record.startedAt} by ${e.record.owner.user}@${e.record.owner.host})${e.running ? '' : ': it has ended'}`);
        break;
      case 'endpoint':
        if (e.reachable) s.endpointDown = undefined;
        else s.endpointDown = { reason: e.reason ?? 'no answer', since: Date.now() };
        s.log.push(e.reachable ? '── the AWS endpoint answers again' : `── the AWS endpoint does not answer (${e.reason ?? 'no answer'}); Terraform is retrying`);
        break;
      case 'state-not-persisted':
        s.erroredState = e.path;
        s.log.push(`── Terraform could not write the state to the backend: it is in ${e.path}`);
        break;
      case 'operation-start':
        s.operation = { name: e.operation, startedAt: e.at, cancelRequested: false };
        if (e.operation === 'plan' || e.operation === 'plan-destroy') {
          this.resetRows();
          s.summary = undefined;
          s.plan = undefined;
          s.drift = 0;
          s.diagnostics.clear();
        }
        if (e.operation === 'apply') s.diagnostics.clear();
        s.log.push(`── ${e.operation} started`);
        break;
      case 'operation-end':
        if (e.operation === 'apply') {
          for (const r of s.rows) if (r.status === 'applying') r.status = e.cancelled ? 'cancelled' : 'errored';
          s.plan = undefined; // the engine consumes the saved plan, applied or not
        }
        s.operation = undefined;
        s.attachedRun = undefined;
        s.endpointDown = undefined;
        // Reading outputs (o, or the Secrets pane finding its bucket) does not replace the plan/apply result.
        if (e.operation !== 'output' || !e.ok) s.lastResult = { operation: e.operation, ok: e.ok, cancelled: e.cancelled, durationMs: e.durationMs };
        s.log.push(`── ${e.operation} ${e.cancelled ? 'cancelled' : e.ok ? 'finished' : 'failed'} (exit ${e.exitCode}, ${(e.durationMs / 1000).toFixed(1)} s)`);
        break;
      case 'cancel-requested':
        if (s.operation) s.operation.cancelRequested = true;
        s.log.push('── cancel requested: one SIGINT sent; waiting for Terraform to write state and release the lock');
        break;
      case 'stderr':
      case 'text':
        if (e.line.trim()) s.log.push(e.line);
        break;
      case 'tf':
        this.onTfEvent(e.event);
        break;
      case 'plan':
        s.plan = e.plan.hasChanges ? e.plan : undefined;
        // show -json is authoritative: make rows match the plan's resource changes.
        for (const c of e.plan.changes) this.row(c.address, c.action).action = c.action;
        break;
      case 'outputs':
        s.outputs = e.outputs;
        break;
      case 'lock-held':
        s.lock = { kind: 'held', lock: e.lock };
        break;
    }
    this.changed();
  }

  private onTfEvent(ev: TfEvent): void {
    const s = this.state;
    s.log.push(ev.message);
    // Data sources read while planning are not changes: they stay in the log, not in the table.
    const planning = s.operation !== undefined && s.operation.name !== 'apply';
    if (planning && (ev.type === 'apply_start' || ev.type === 'apply_progress' || ev.type === 'apply_complete') && ev.action === 'read') return;
    switch (ev.type) {
      case 'planned_change':
        this.row(ev.address, ev.action);
        break;
      case 'resource_drift':
        s.drift++;
        break;
      case 'refresh_start': {
        const r = this.state.operation?.name === 'apply' ? undefined : this.rowIndex.get(ev.address);
        if (r !== undefined) s.rows[r]!.status = 'refreshing';
        break;
      }
      case 'refresh_complete': {
        const r = this.rowIndex.get(ev.address);
        if (r !== undefined && s.rows[r]!.status === 'refreshing') s.rows[r]!.status = 'planned';
        break;
      }
      case 'apply_start': {
        const r = this.row(ev.address, ev.action);
        r.status = 'applying';
        r.startedAt = ev.timestamp;
        r.elapsedMs = undefined;
        break;
      }
      case 'apply_progress': {
        const r = this.row(ev.address, ev.action);
        r.status = 'applying';
        r.startedAt ??= ev.timestamp - ev.elapsedSeconds * 1000;
        break;
      }
      case 'apply_complete': {
        const r = this.row(ev.address, ev.action);
        r.status = 'done';
        r.elapsedMs = r.startedAt !== undefined ? Math.max(ev.elapsedSeconds * 1000, ev.timestamp - r.startedAt) : ev.elapsedSeconds * 1000;
        if (ev.idValue) r.id = ev.idValue;
        break;
      }
      case 'apply_errored': {
        const r = this.row(ev.address, ev.action);
        r.status = s.operation?.cancelRequested ? 'cancelled' : 'errored';
        r.elapsedMs = ev.elapsedSeconds * 1000;
        break;
      }
      case 'change_summary':
        s.summary = { operation: ev.operation, add: ev.add, change: ev.change, remove: ev.remove };
        break;
      case 'diagnostic': {
        const where = ev.range ? `${ev.range.filename}:${ev.range.line}` : undefined;
        s.diagnostics.push({ severity: ev.severity, summary: ev.summary, detail: ev.detail, ...(where ? { where } : {}), ...(ev.address ? { address: ev.address } : {}) });
        break;
      }
      case 'outputs':
        break;
      default:
        break;
    }
  }
}
