/**
 * The Cluster pane's side of the controller: finds the kubeconfig (the secrets bucket's admin
 * kubeconfig, or `--kubeconfig FILE`), tunnels through the bastion when the API is private, keeps
 * the pane live with a ClusterWatcher (list + watch, no polling), details on Enter, and `k`: merge
 * the cluster into ~/.kube/config after the operator's consent.
 */
import { join } from 'node:path';
import { KubeError, messageOf } from '../../core/errors.js';
import type { AwsContext } from '../../services/aws/context.js';
import type { ClusterWatcher } from '../../services/kube/cluster.js';
import type { Tunnel } from '../../services/ssh/tunnel.js';
import type { KubeconfigSource } from '../../services/kube/source.js';
import type { OutputValue } from '../../services/terraform/plan-model.js';
import { clusterRows, connected, connectFailed, connecting, setSection, snapshotArrived } from './slice.js';
import type { SshController } from '../../state/ssh-controller.js';
import { openOverlay, type Store } from '../../state/store.js';

/** What the Cluster pane needs besides the store. */
export interface ClusterOptions {
  environment: string;
  local: boolean;
  ctx: AwsContext;
  outputs: () => Promise<readonly OutputValue[]>;
  /** `--kubeconfig FILE`: used as it is (no rewrite, no tunnel). */
  kubeconfigFile?: string;
  /** The profile's `kubeapi_access_list`: empty means the public load balancer admits nobody, so the API is reached through a tunnel. */
  kubeapiAccessList: readonly string[];
  /** The kubeconfig `k` writes into (default ~/.kube/config). */
  kubeconfigTarget: string;
  /** Tunnels through the bastion (for a private API). */
  ssh?: SshController;
}


/** The Cluster pane's controller. Plain TypeScript; the Kubernetes client is loaded when the pane first opens. */
export class ClusterController {
  private watcher: ClusterWatcher | undefined;
  private kubeconfig: KubeconfigSource | undefined;
  /** The tunnel this pane opened to a private API (closed when it reconnects or stops). */
  private tunnel: Tunnel | undefined;
  /** The kubeconfig the watcher uses (server possibly rewritten to a tunnel). */
  private effectiveText: string | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: ClusterOptions,
  ) {}

  /** Called when the Cluster pane is shown: connects the first time. */
  activate(): void {
    if (!this.watcher && !this.starting) this.starting = this.connect().finally(() => (this.starting = undefined));
  }

  /**
   * The cluster's kubeconfig as this pane uses it (its server possibly a tunnel through the
   * bastion), found first when the pane has not connected yet: the Roll pane's way to the API.
   * @throws KubeError saying why it could not be found or reached.
   */
  async kubeConfig(): Promise<import('@kubernetes/client-node').KubeConfig> {
    if (!this.effectiveText) {
      this.activate();
      await this.starting;
    }
    const text = this.effectiveText;
    if (!text) {
      const e = this.store.state.cluster.error;
      throw new KubeError(`the cluster cannot be reached: ${e?.text ?? 'no kubeconfig'}`, e?.hint ?? 'open the Cluster pane (5) to see why', 'config');
    }
    const { loadKubeconfig } = await import('../../services/kube/kubeconfig.js');
    return loadKubeconfig(text, this.kubeconfig ? { source: this.kubeconfig.source } : {});
  }

  /** `r`: reads the kubeconfig again and reconnects. */
  async reconnect(): Promise<void> {
    await this.starting;
    await this.watcher?.stop();
    this.watcher = undefined;
    // The tunnel (and its bastion session) is replaced, not added to.
    await this.releaseTunnel();
    this.activate();
  }

  private async releaseTunnel(): Promise<void> {
    const t = this.tunnel;
    this.tunnel = undefined;
    if (t) await this.o.ssh?.release(t);
  }

  private async connect(): Promise<void> {
    this.store.update((s) => connecting(s.cluster));
    try {
      const [{ loadClusterKubeconfig }, kubeconfig, cluster] = await Promise.all([import('../../services/kube/source.js'), import('../../services/kube/kubeconfig.js'), import('../../services/kube/cluster.js')]);
      const src = await loadClusterKubeconfig({ ...(this.o.kubeconfigFile ? { file: this.o.kubeconfigFile } : {}), ctx: this.o.ctx, outputs: this.o.outputs, local: this.o.local });
      this.kubeconfig = src;
      let text = src.text;
      let where = `${src.source} → ${kubeconfig.currentServer(kubeconfig.loadKubeconfig(text, { source: src.source }))}`;
      if (!this.o.kubeconfigFile && this.o.kubeapiAccessList.length === 0 && src.internal && this.o.ssh) {
        // The public load balancer admits nobody: reach the internal one through the bastion.
        const t = await this.o.ssh.tunnelTo(src.internal.host, src.internal.port, 'kubeapi (internal load balancer, Cluster pane)');
        this.tunnel = t;
        text = kubeconfig.rewriteServer(text, `https://127.0.0.1:${t.localPort}`, { source: src.source });
        where = `${src.source} → https://127.0.0.1:${t.localPort} (tunnel to ${src.internal.host}:${src.internal.port})`;
      }
      this.effectiveText = text;
      const w = new cluster.ClusterWatcher(kubeconfig.loadKubeconfig(text, { source: src.source }));
      this.watcher = w;
      w.onSnapshot((snap) =>
        this.store.update((s) => snapshotArrived(s.cluster, snap)),
      );
      this.store.update((s) => connected(s.cluster, where));
      w.start();
    } catch (err) {
      this.store.update((s) => connectFailed(s.cluster, messageOf(err)));
    }
  }

  /** `n` / `u`: puts the selection in the nodes or the unhealthy pods table. */
  section(section: 'nodes' | 'pods'): void {
    this.store.update((s) => {
      setSection(s.cluster, section);
      s.selected = 0;
    });
  }

  /** `Enter`: the selected node's or pod's details. */
  enter(): void {
    const s = this.store.state;
    const { nodes, pods } = clusterRows(s);
    if (s.cluster.section === 'nodes') {
      const n = nodes[s.selected];
      if (!n) return;
      const lines = [
        `node ${n.name}`,
        `ready ${n.ready}${n.unschedulable ? ' (cordoned: unschedulable)' : ''}`,
        `roles ${n.roles.join(', ') || '<none>'}`,
        `kubelet ${n.kubeletVersion}`,
        `internal IP ${n.internalIp || '-'}${n.instanceId ? `  instance ${n.instanceId}` : '  (no instance of this environment has this address)'}`,
        `created ${n.createdAt ? new Date(n.createdAt).toISOString() : '-'}`,
      ];
      this.store.open({ kind: 'details', title: `Node ${n.name}`, lines, scroll: Number.MAX_SAFE_INTEGER });
    } else {
      const p = pods[s.selected];
      if (!p) return;
      const lines = [`pod ${p.namespace}/${p.name}`, `phase ${p.phase}`, `status ${p.reason}`, `containers ready ${p.readyContainers}/${p.containers}`, `restarts ${p.restarts}`, `node ${p.node || '-'}`, `created ${p.createdAt ? new Date(p.createdAt).toISOString() : '-'}`];
      this.store.open({ kind: 'details', title: `Pod ${p.namespace}/${p.name}`, lines, scroll: Number.MAX_SAFE_INTEGER });
    }
  }

  /** `k`: asks for consent to merge the cluster into the kubeconfig file. */
  askMerge(): void {
    const text = this.kubeconfig?.text;
    if (!text) {
      this.store.say('warn', 'No kubeconfig yet: the Cluster pane has not found one.', this.store.state.cluster.error?.hint ?? 'open the Cluster pane (5) and wait for it to connect');
      return;
    }
    const env = this.o.environment;
    this.store.ask({
      action: 'merge-kubeconfig',
      typed: false,
      prompt: `Write the cluster of ${env} into ${this.o.kubeconfigTarget} as context "${env}" and make it current? (y/N)`,
      detail: [
        `cluster "${env}", user "${env}-admin", context "${env}": added, or replaced if they exist; every other entry is kept`,
        `the file is backed up first (${join(this.o.kubeconfigTarget, '..')}/config.backup-…), written whole (mode 0600)`,
        `server as the kubeconfig has it${this.kubeconfig?.internal && this.o.kubeapiAccessList.length === 0 ? ' (the public load balancer: the console\'s tunnel ends when it quits)' : ''}`,
      ],
      onYes: () => void this.merge(),
    });
  }

  /** After consent: merges (kubectl's way) and reports what changed. */
  async merge(): Promise<void> {
    const text = this.kubeconfig?.text;
    if (!text) return;
    try {
      const { mergeIntoKubeconfig, describeMerge } = await import('../../services/kube/kubeconfig.js');
      const r = await mergeIntoKubeconfig({ target: this.o.kubeconfigTarget, source: text, environment: this.o.environment, ...(this.kubeconfig ? { sourceName: this.kubeconfig.source } : {}) });
      const lines = describeMerge(r);
      this.store.update((s) => {
        openOverlay(s, { kind: 'details', title: `Wrote ${r.path}`, lines, scroll: Number.MAX_SAFE_INTEGER });
        s.message = { level: 'info', text: `kubectl now uses context ${r.currentContext} (${r.path}${r.backup ? `, backup ${r.backup}` : ''}).` };
      });
    } catch (err) {
      const { text: t, hint } = messageOf(err);
      this.store.say('error', t, hint);
    }
  }

  /** The kubeconfig the pane uses now (for tests and `--ci`); undefined before it connected. */
  get currentKubeconfig(): string | undefined {
    return this.effectiveText;
  }

  /** Stops the watcher (on quit). */
  async stop(): Promise<void> {
    await this.starting;
    await this.watcher?.stop();
    await this.releaseTunnel();
  }
}
