/**
 * The platform's Kubernetes as the Cluster pane and `--ci cluster` see it: nodes, namespaces and
 * unhealthy pods, read with `@kubernetes/client-node`. Plain TypeScript, no Ink.
 *
 * - {@link ClusterWatcher} keeps the state live the way client-go's reflectors do: for each of
 *   nodes, namespaces and pods, LIST (which gives a `resourceVersion`), then WATCH from that
 *   resourceVersion, applying the events (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`:
 *   the Kubernetes API's watch event format, one JSON object per line), re-watching from the last
 *   seen resourceVersion when the stream ends, and LISTing again only when the API says that
 *   resourceVersion is gone (HTTP 410 Gone, or an `ERROR` event carrying a `Status` with code
 *   410). No polling. Snapshots are emitted coalesced (at most one per `throttleMs`), plus at once
 *   when the three initial lists are done.
 * - {@link fetchClusterSummary} lists once, with a deadline, for `--ci cluster`.
 *
 * Failures become {@link KubeError}s (see ./errors.ts): unreachable, TLS, auth, API.
 */
import { CoreV1Api, KubeConfig, Observable, Watch, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

import { KubeError } from '../../core/errors.js';
import { httpStatusOf, toKubeError } from './errors.js';
import { currentServer } from './kubeconfig.js';
import {
  comparePods,
  namespaceRow,
  nodeRow,
  podRow,
  summarize,
  type ClusterSummary,
  type NamespaceLike,
  type NamespaceRow,
  type NodeLike,
  type NodeRow,
  type PodLike,
  type PodRow,
} from './rows.js';

export { summarize, type ClusterSummary, type NamespaceRow, type NodeRow, type PodRow } from './rows.js';

/** The three kinds the pane reads. */
export type ClusterKind = 'nodes' | 'namespaces' | 'pods';
const KINDS: readonly ClusterKind[] = ['nodes', 'namespaces', 'pods'];
/** Cluster-wide collection paths of the core/v1 API. */
const PATHS: Record<ClusterKind, string> = { nodes: '/api/v1/nodes', namespaces: '/api/v1/namespaces', pods: '/api/v1/pods' };

/** What the pane shows, at one moment. Arrays are fresh copies: listeners may keep them. */
export interface ClusterSnapshot {
  /** The API server URL (the kubeconfig's current cluster). */
  server: string;
  /** Nodes sorted by name. */
  nodes: NodeRow[];
  /** Namespaces sorted by name. */
  namespaces: NamespaceRow[];
  /** Unhealthy pods ({@link podRow}'s `unhealthy`), kube-system first, then by namespace and name. */
  unhealthyPods: PodRow[];
  /** All pods known. */
  podCount: number;
  /** True once the first list of each kind has arrived (before that, rows may be partial). */
  synced: boolean;
  /** True when synced and every kind's last list/watch request succeeded. */
  connected: boolean;
  /** The latest failure still in effect (cleared when the failing kind lists or watches again). */
  error?: KubeError;
  /** When the last list result or watch event arrived, ms since the epoch; 0 before any. */
  lastEventAt: number;
}

/** Options of {@link ClusterWatcher}. */
export interface ClusterWatcherOptions {
  /** Least time between two snapshots, ms (default 50). The first complete one is emitted at once. */
  throttleMs?: number;
  /** Delay before retrying after a failure, ms: doubles from `retryBaseMs` (default 1,000) up to `retryMaxMs` (default 30,000). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Server-side watch duration asked for (`timeoutSeconds`), s; default 300. The watcher re-watches from the last resourceVersion after it. */
  watchTimeoutSeconds?: number;
}

/** Counters of a watcher's requests (tests, diagnostics). */
export interface ClusterWatcherStats {
  /** LIST requests that succeeded, per kind (the first list, plus one per relist). */
  lists: Record<ClusterKind, number>;
  /** WATCH requests started, per kind. */
  watches: Record<ClusterKind, number>;
  /** Relists caused by 410 Gone, all kinds. */
  relists: number;
}

type Listener = (s: ClusterSnapshot) => void;
type Item = { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };

/** ConfigurationOptions that make a generated API call abortable (client-node passes the signal to fetch). */
export function abortable(signal: AbortSignal) {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

/**
 * LISTs one kind cluster-wide with client-node's typed API.
 * @returns the items (typed objects: timestamps are Dates) and the list's resourceVersion.
 */
async function listKind(api: CoreV1Api, kind: ClusterKind, signal: AbortSignal): Promise<{ items: Item[]; resourceVersion: string }> {
  const opts = abortable(signal);
  const l = kind === 'nodes' ? await api.listNode({}, opts) : kind === 'namespaces' ? await api.listNamespace({}, opts) : await api.listPodForAllNamespaces({}, opts);
  return { items: l.items as Item[], resourceVersion: l.metadata?.resourceVersion ?? '' };
}

const keyOf = (o: Item): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** One kind's list+watch loop and its store of rows. */
class Reflector<R> {
  resourceVersion = '';
  readonly rows = new Map<string, R>();
  listed = false;
  dirty = true;
  error: KubeError | undefined;
  listAbort: AbortController | undefined;
  watchAbort: AbortController | undefined;
  lists = 0;
  watches = 0;
  constructor(
    readonly kind: ClusterKind,
    readonly toRow: (o: Item) => R,
  ) {}

  replace(items: readonly Item[]): void {
    this.rows.clear();
    for (const o of items) this.rows.set(keyOf(o), this.toRow(o));
    this.dirty = true;
  }

  apply(type: string, o: Item): void {
    if (type === 'DELETED') this.rows.delete(keyOf(o));
    else this.rows.set(keyOf(o), this.toRow(o));
    this.dirty = true;
  }
}

/**
 * Lists then watches nodes, namespaces and pods of the KubeConfig's current cluster, and emits
 * {@link ClusterSnapshot}s to its listeners. Call {@link start} once and {@link stop} when done
 * (the pane closes, the console quits): stop aborts every request, so no socket is left open.
 *
 * A failure (unreachable, TLS, auth) is reported in the snapshot's `error` and retried with a
 * doubling delay; the rows already known are kept.
 */
export class ClusterWatcher {
  private readonly api: CoreV1Api;
  private readonly server: string;
  private readonly throttleMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly listeners = new Set<Listener>();
  private readonly nodes = new Reflector<NodeRow>('nodes', (o) => nodeRow(o as NodeLike));
  private readonly namespaces = new Reflector<NamespaceRow>('namespaces', (o) => namespaceRow(o as NamespaceLike));
  private readonly pods = new Reflector<PodRow>('pods', (o) => podRow(o as PodLike));
  private readonly cache: { nodes: NodeRow[]; namespaces: NamespaceRow[]; unhealthyPods: PodRow[] } = { nodes: [], namespaces: [], unhealthyPods: [] };
  private loops: Promise<void>[] = [];
  private started = false;
  private stopped = false;
  private synced = false;
  private lastEventAt = 0;
  private relists = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastEmit = 0;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  /**
   * @param kc a loaded KubeConfig (see loadKubeconfig); its current context is used.
   * @throws KubeError (`config`) when the KubeConfig has no current cluster.
   */
  constructor(
    private readonly kc: KubeConfig,
    opts: ClusterWatcherOptions = {},
  ) {
    this.server = currentServer(kc);
    if (!this.server) throw new KubeError('the kubeconfig has no current cluster', 'set current-context in the kubeconfig', 'config');
    try {
      this.api = kc.makeApiClient(CoreV1Api);
    } catch (err) {
      throw new KubeError(`the kubeconfig cannot be used: ${(err as Error).message}`, 'fix the kubeconfig', 'config', { cause: err });
    }
    this.throttleMs = opts.throttleMs ?? 50;
    this.retryBaseMs = opts.retryBaseMs ?? 1_000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
  }

  /** Adds a listener of snapshots; returns the function that removes it. */
  onSnapshot(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the three list+watch loops (once; later calls do nothing). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.loops = [this.loop(this.nodes), this.loop(this.namespaces), this.loop(this.pods)];
  }

  /**
   * Stops: aborts lists and watches, cancels retries and the pending snapshot. Resolves when the
   * loops have ended (at most ~1 s: a watch still connecting is aborted by client-node's own
   * 30 s connect timeout, unref'd). Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.reflectors()) {
      r.listAbort?.abort();
      r.watchAbort?.abort();
    }
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleepers.clear();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.loops), new Promise<void>((r) => (t = setTimeout(r, 1_000).unref()))]);
    if (t) clearTimeout(t);
    this.listeners.clear();
  }

  /** The current state (fresh arrays). */
  snapshot(): ClusterSnapshot {
    const rs = this.reflectors();
    if (this.nodes.dirty) {
      this.cache.nodes = [...this.nodes.rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.nodes.dirty = false;
    }
    if (this.namespaces.dirty) {
      this.cache.namespaces = [...this.namespaces.rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.namespaces.dirty = false;
    }
    if (this.pods.dirty) {
      const bad: PodRow[] = [];
      for (const p of this.pods.rows.values()) if (p.unhealthy) bad.push(p);
      this.cache.unhealthyPods = bad.sort(comparePods);
      this.pods.dirty = false;
    }
    const error = rs.find((r) => r.error)?.error;
    return {
      server: this.server,
      nodes: [...this.cache.nodes],
      namespaces: [...this.cache.namespaces],
      unhealthyPods: [...this.cache.unhealthyPods],
      podCount: this.pods.rows.size,
      synced: this.synced,
      connected: this.synced && !error,
      ...(error ? { error } : {}),
      lastEventAt: this.lastEventAt,
    };
  }

  /** Request counters (lists, watches, relists). */
  stats(): ClusterWatcherStats {
    return {
      lists: { nodes: this.nodes.lists, namespaces: this.namespaces.lists, pods: this.pods.lists },
      watches: { nodes: this.nodes.watches, namespaces: this.namespaces.watches, pods: this.pods.watches },
      relists: this.relists,
    };
  }

  private reflectors(): Reflector<unknown>[] {
    return [this.nodes, this.namespaces, this.pods] as Reflector<unknown>[];
  }

  private emitNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.lastEmit = Date.now();
    const s = this.snapshot();
    for (const l of this.listeners) l(s);
  }

  /** Schedules a snapshot: coalesced, at most one per throttleMs. */
  private changed(): void {
    if (this.stopped || this.timer) return;
    const wait = Math.max(0, this.lastEmit + this.throttleMs - Date.now());
    this.timer = setTimeout(() => this.emitNow(), wait);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = { timer: setTimeout(() => (this.sleepers.delete(s), resolve()), ms), resolve };
      this.sleepers.add(s);
    });
  }

  private setError(r: Reflector<unknown>, err: KubeError | undefined): void {
    if (r.error === err || (!r.error && !err)) return;
    r.error = err;
    this.changed();
  }

  private async loop(r: Reflector<unknown>): Promise<void> {
    let delay = 0;
    let quickEmpty = 0;
    while (!this.stopped) {
      let phase = 'list';
      try {
        if (!r.resourceVersion) {
          const ac = new AbortController();
          r.listAbort = ac;
          const list = await listKind(this.api, r.kind, ac.signal);
          r.listAbort = undefined;
          if (this.stopped) return;
          r.replace(list.items);
          r.resourceVersion = list.resourceVersion;
          r.lists++;
          r.listed = true;
          this.lastEventAt = Date.now();
          this.setError(r, undefined);
          if (!this.synced && this.reflectors().every((x) => x.listed)) {
            this.synced = true;
            this.emitNow();
          } else this.changed();
        }
        phase = 'watch';
        const started = Date.now();
        const outcome = await this.watchOnce(r);
        if (this.stopped) return;
        delay = 0;
        if (outcome.gone) {
          // 410 Gone: the resourceVersion is older than the API's history; list again.
          r.resourceVersion = '';
          this.relists++;
          continue;
        }
        // The stream ended (server timeout, connection closed): watch again from the last resourceVersion
        // at once; streams that keep ending at once with nothing in them are retried less and less often.
        if (outcome.events === 0 && Date.now() - started < 1_000) {
          quickEmpty++;
          await this.sleep(Math.min(250 * 2 ** (quickEmpty - 1), this.retryMaxMs));
        } else quickEmpty = 0;
      } catch (err) {
        r.listAbort = undefined;
        if (this.stopped) return;
        if (httpStatusOf(err) === 410) {
          r.resourceVersion = '';
          this.relists++;
          continue;
        }
        this.setError(r, toKubeError(err, { server: this.server, what: `${phase} ${r.kind}` }));
        delay = delay ? Math.min(delay * 2, this.retryMaxMs) : this.retryBaseMs;
        await this.sleep(delay);
      }
    }
  }

  /**
   * One WATCH from the reflector's resourceVersion, until the stream ends.
   * @returns gone: the API answered 410 in an ERROR event; events: how many objects changed.
   * @throws the request's error (HTTP status in `statusCode`), or an ERROR event's Status (`code`).
   */
  private watchOnce(r: Reflector<unknown>): Promise<{ gone: boolean; events: number }> {
    return new Promise((resolve, reject) => {
      let gone = false;
      let failure: { code?: number; message?: string } | undefined;
      let events = 0;
      r.watches++;
      const w = new Watch(this.kc);
      w.watch(
        PATHS[r.kind],
        { resourceVersion: r.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.watchTimeoutSeconds },
        (type: string, obj: Item & { code?: number; message?: string }) => {
          if (type === 'ERROR') {
            if (obj?.code === 410) gone = true;
            else failure = obj;
            return;
          }
          const rv = obj?.metadata?.resourceVersion;
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
            r.apply(type, obj);
            events++;
            this.lastEventAt = Date.now();
            this.changed();
          }
          if (rv) r.resourceVersion = rv;
        },
        (err: unknown) => {
          r.watchAbort = undefined;
          if (gone) resolve({ gone, events });
          else if (err && (err as { name?: string }).name === 'TimeoutError') resolve({ gone: false, events }); // client-side inactivity timeout: re-watch
          else if (err) reject(err);
          else if (failure) reject(Object.assign(new Error(failure.message ?? 'watch error'), { code: failure.code ?? 500 }));
          else resolve({ gone, events });
        },
      ).then(
        (ctl: AbortController) => {
          if (this.stopped) ctl.abort();
          else {
            r.watchAbort = ctl;
            this.setError(r, undefined);
          }
        },
        reject,
      );
    });
  }
}

/** Options of {@link fetchClusterSummary}. */
export interface FetchOptions {
  /** Deadline for the three lists together, ms; default 10,000. */
  timeoutMs?: number;
}

/**
 * Lists nodes, namespaces and pods once (in parallel), for `--ci cluster`.
 * @returns the snapshot (synced, connected) and its {@link summarize summary}.
 * @throws KubeError: `unreachable` (refused at once; no answer within `timeoutMs`, "… within 10 s"),
 *   `tls` (the CA does not verify the server), `auth` (401/403), `api`, `config`.
 */
export async function fetchClusterSummary(kc: KubeConfig, opts: FetchOptions = {}): Promise<{ snapshot: ClusterSnapshot; summary: ClusterSummary }> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const server = currentServer(kc);
  if (!server) throw new KubeError('the kubeconfig has no current cluster', 'set current-context in the kubeconfig', 'config');
  let api: CoreV1Api;
  try {
    api = kc.makeApiClient(CoreV1Api);
  } catch (err) {
    throw new KubeError(`the kubeconfig cannot be used: ${(err as Error).message}`, 'fix the kubeconfig', 'config', { cause: err });
  }
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  try {
    const [nodes, namespaces, pods] = await Promise.all(
      KINDS.map((kind) =>
        listKind(api, kind, ac.signal).catch((err: unknown) => {
          const e = toKubeError(err, { server, what: `list ${kind}`, timeoutMs });
          ac.abort(e); // the first failure ends the other calls
          throw e;
        }),
      ),
    ) as unknown as [{ items: Item[] }, { items: Item[] }, { items: Item[] }];
    const podRows = pods.items.map((p) => podRow(p as PodLike));
    const snapshot: ClusterSnapshot = {
      server,
      nodes: nodes.items.map((n) => nodeRow(n as NodeLike)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      namespaces: namespaces.items.map((n) => namespaceRow(n as NamespaceLike)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      unhealthyPods: podRows.filter((p) => p.unhealthy).sort(comparePods),
      podCount: podRows.length,
      synced: true,
      connected: true,
      lastEventAt: Date.now(),
    };
    return { snapshot, summary: summarize(snapshot) };
  } finally {
    clearTimeout(timer);
  }
}
