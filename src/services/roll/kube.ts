/**
 * The Kubernetes side of a roll, with `@kubernetes/client-node`: the cluster gate (every node
 * Ready, no kube-system pod unhealthy), the node of an EC2 instance (by `spec.providerID`,
 * `aws:///ZONE/i-…`), and drain: cordon (`spec.unschedulable`), then the Eviction API per pod
 * (policy/v1 `Eviction` POSTed to the pod's `eviction` subresource), as `kubectl drain --force
 * --ignore-daemonsets --delete-emptydir-data` does (pods with no controller and pods with emptyDir
 * data are evicted too: their node is about to be terminated):
 *
 * - left alone: mirror pods (static pods such as kubeadm's etcd and kube-apiserver, annotation
 *   `kubernetes.io/config.mirror`), DaemonSet pods (they would be recreated on the node), and pods
 *   that have ended (`Succeeded`, `Failed`);
 * - an eviction refused by a PodDisruptionBudget (HTTP 429) is retried every `retryMs` until
 *   `timeoutMs` from the drain's start; then the drain fails naming the pod, and the roll stops
 *   before any termination. Never a forced delete, unless `disableEviction` (the pod is deleted
 *   instead of evicted: `--disable-eviction`, which ignores PodDisruptionBudgets);
 * - the drain ends when every evicted pod is gone from the node (GET gives 404, or a pod of the
 *   same name with another uid).
 *
 * Plain TypeScript, no Ink. Errors: {@link RollError} (a gate or the drain said no) and KubeError
 * (the API could not be reached or refused the call).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

import { RollError } from './errors.js';
import { httpStatusOf, toKubeError } from '../kube/errors.js';
import { currentServer } from '../kube/kubeconfig.js';
import { abortable as abortableCall, fetchClusterSummary } from '../kube/cluster.js';

export { RollError };

/** A gate's verdict. */
export interface GateResult {
  ok: boolean;
  /** One line: what was found (`3 of 3 nodes Ready, no kube-system pod unhealthy`) or what is wrong. */
  detail: string;
}

/** The instance id in a node's `spec.providerID` (`aws:///us-east-1a/i-0abc` → `i-0abc`); '' when none. */
export function instanceOfProviderId(providerId: string | undefined): string {
  return /\/(i-[0-9a-z]+)$/.exec(providerId ?? '')?.[1] ?? '';
}

/**
 * The cluster gate: every node Ready and no pod of kube-system unhealthy (the Cluster pane's rules).
 * @throws KubeError when the API cannot be read.
 */
export async function clusterGate(kc: KubeConfig, opts: { timeoutMs?: number } = {}): Promise<GateResult> {
  const { snapshot } = await fetchClusterSummary(kc, { timeoutMs: opts.timeoutMs ?? 10_000 });
  const notReady = snapshot.nodes.filter((n) => n.ready !== 'True');
  const sick = snapshot.unhealthyPods.filter((p) => p.namespace === 'kube-system');
  const problems: string[] = [];
  if (notReady.length) problems.push(`not Ready: ${notReady.map((n) => `${n.name} (${n.ready})`).join(', ')}`);
  if (sick.length) problems.push(`kube-system pods unhealthy: ${sick.slice(0, 5).map((p) => `${p.name} (${p.reason})`).join(', ')}${sick.length > 5 ? ` and ${sick.length - 5} more` : ''}`);
  const head = `${snapshot.nodes.length - notReady.length} of ${snapshot.nodes.length} nodes Ready`;
  return problems.length ? { ok: false, detail: `${head}; ${problems.join('; ')}` } : { ok: true, detail: `${head}, no kube-system pod unhealthy` };
}

/** A node as a roll needs it. */
export interface RollNode {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  instanceId: string;
}

/** An instance as {@link nodeOfInstance} matches it. */
export interface InstanceRef {
  instanceId: string;
  /** Its private addresses (a control-plane node registers with its slot interface's, `--node-ip`). */
  privateIps: readonly string[];
  /** ISO 8601: a node matched by address must have been created after it (not an older instance's node at the same address). */
  launchTime?: string;
}

/**
 * The node of an EC2 instance, if it has registered: the node whose `spec.providerID` names it
 * (set by a cloud controller), else, as on this platform (kubeadm, no cloud controller, kubelet
 * `--node-ip`), the node whose InternalIP is one of the instance's addresses and that was created
 * after the instance launched (a control-plane slot's address passes from node to node).
 * @throws KubeError when the API cannot be read.
 */
export async function nodeOfInstance(kc: KubeConfig, ref: InstanceRef, opts: { signal?: AbortSignal } = {}): Promise<RollNode | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  try {
    const list = await api.listNode({}, abortable(opts.signal));
    const launched = ref.launchTime ? Date.parse(ref.launchTime) : Number.NaN;
    const byId = list.items.find((x) => instanceOfProviderId(x.spec?.providerID) === ref.instanceId);
    const byIp = list.items
      .filter((x) => !instanceOfProviderId(x.spec?.providerID))
      .filter((x) => x.status?.addresses?.some((a) => a.type === 'InternalIP' && ref.privateIps.includes(a.address)))
      // A node object older than the instance (by more than clock skew) belongs to an earlier instance.
      .filter((x) => !Number.isFinite(launched) || !x.metadata?.creationTimestamp || new Date(x.metadata.creationTimestamp).getTime() >= launched - 60_000)
      .sort((a, b) => new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime());
    const n = byId ?? byIp[0];
    if (!n) return undefined;
    return {
      name: n.metadata?.name ?? '',
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
      unschedulable: n.spec?.unschedulable === true,
      instanceId: ref.instanceId,
    };
  } catch (err) {
    throw toKubeError(err, { server: currentServer(kc), what: 'list nodes' });
  }
}

/**
 * Deletes the node object of a terminated instance (with no cloud controller nothing else does,
 * and a NotReady node would fail the next gate). A node already gone is fine.
 * @throws KubeError when the API refuses otherwise.
 */
export async function deleteNode(kc: KubeConfig, name: string): Promise<void> {
  const api = kc.makeApiClient(CoreV1Api);
  try {
    await api.deleteNode({ name });
  } catch (err) {
    if (httpStatusOf(err) === 404) return;
    throw toKubeError(err, { server: currentServer(kc), what: `delete node ${name}` });
  }
}

/** Options of {@link drain}. */
export interface DrainOptions {
  /** How long the whole drain may take, ms (`--drain-timeout`). */
  timeoutMs: number;
  /** Delete pods instead of evicting them (`--disable-eviction`: PodDisruptionBudgets are not asked). */
  disableEviction?: boolean;
  /** Pause between retries of a refused eviction and between checks that pods are gone, ms; default 5,000. */
  retryMs?: number;
  signal?: AbortSignal;
  /** A line per step: `cordoned`, `evicted kube-system/coredns-…`, `waiting: PodDisruptionBudget refuses …`. */
  onProgress?: (text: string) => void;
}

/** What a drain did. */
export interface DrainResult {
  /** `namespace/name` of each pod evicted (or deleted, with `disableEviction`). */
  evicted: string[];
  /** Pods left on the node, and why (mirror, DaemonSet, ended). */
  skipped: { pod: string; why: string }[];
}

const podKey = (p: V1Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

/** Why a pod is left on a drained node, or undefined when it is to be evicted. */
export function whyLeft(p: V1Pod): string | undefined {
  if (p.metadata?.annotations?.['kubernetes.io/config.mirror']) return 'a static pod (mirror)';
  if (p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.controller)) return 'managed by a DaemonSet';
  if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return `ended (${p.status.phase})`;
  return undefined;
}

/**
 * Cordons `node`, then evicts its pods (see the module's notes) and waits until they are gone.
 * @throws RollError when an eviction is still refused (PodDisruptionBudget) or a pod is still there
 *   at `timeoutMs`, naming the pod; the node stays cordoned and nothing else is changed.
 * @throws KubeError when the API cannot be reached or refuses a call otherwise.
 */
export async function drain(kc: KubeConfig, node: string, opts: DrainOptions): Promise<DrainResult> {
  const api = kc.makeApiClient(CoreV1Api);
  const server = currentServer(kc);
  const say = opts.onProgress ?? (() => undefined);
  const retryMs = opts.retryMs ?? 5_000;
  const deadline = Date.now() + opts.timeoutMs;
  const call = <T>(what: string, f: () => Promise<T>): Promise<T> =>
    f().catch((err: unknown) => {
      throw toKubeError(err, { server, what });
    });

  await call(`cordon node ${node}`, () =>
    api.patchNode({ name: node, body: { spec: { unschedulable: true } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, abortable(opts.signal))),
  );
  say(`cordoned ${node}`);
  const pods = await call(`list the pods of node ${node}`, () => api.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, abortable(opts.signal)));
  const result: DrainResult = { evicted: [], skipped: [] };
  const toGo: V1Pod[] = [];
  for (const p of pods.items) {
    const why = whyLeft(p);
    if (why) result.skipped.push({ pod: podKey(p), why });
    else toGo.push(p);
  }
  for (const p of toGo) {
    const name = p.metadata?.name ?? '';
    const namespace = p.metadata?.namespace ?? '';
    for (let attempt = 1; ; attempt++) {
      opts.signal?.throwIfAborted();
      try {
        if (opts.disableEviction) await api.deleteNamespacedPod({ name, namespace }, abortable(opts.signal));
        else await api.createNamespacedPodEviction({ name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } }, abortable(opts.signal));
        result.evicted.push(podKey(p));
        say(`${opts.disableEviction ? 'deleted' : 'evicted'} ${podKey(p)}`);
        break;
      } catch (err) {
        const status = httpStatusOf(err);
        if (status === 404) break; // gone already
        if (status !== 429) throw toKubeError(err, { server, what: `evict pod ${podKey(p)}` });
        if (Date.now() + retryMs > deadline) {
          throw new RollError(
            `the eviction of pod ${podKey(p)} from ${node} is refused by a PodDisruptionBudget (HTTP 429, ${attempt} attempt${attempt === 1 ? '' : 's'} in ${Math.round(opts.timeoutMs / 1000)} s): the roll stops; ${node} stays cordoned and was not terminated`,
            `let the budget allow it (more replicas, or a looser PodDisruptionBudget), then resume (:roll); --disable-eviction deletes pods without asking their budgets`,
          );
        }
        say(`waiting: a PodDisruptionBudget refuses the eviction of ${podKey(p)} (attempt ${attempt}); retrying in ${Math.round(retryMs / 1000)} s`);
        await sleep(retryMs, undefined, opts.signal ? { signal: opts.signal } : {});
      }
    }
  }
  // Wait until the evicted pods are gone from the node (their graceful termination).
  for (const key of result.evicted) {
    const [namespace, name] = key.split('/') as [string, string];
    const uid = toGo.find((p) => podKey(p) === key)?.metadata?.uid;
    for (;;) {
      opts.signal?.throwIfAborted();
      let still = false;
      try {
        const p = await api.readNamespacedPod({ name, namespace }, abortable(opts.signal));
        still = p.metadata?.uid === uid && p.spec?.nodeName === node;
      } catch (err) {
        if (httpStatusOf(err) !== 404) throw toKubeError(err, { server, what: `read pod ${key}` });
      }
      if (!still) break;
      if (Date.now() + retryMs > deadline) {
        throw new RollError(`pod ${key} was evicted but is still on ${node} after ${Math.round(opts.timeoutMs / 1000)} s: the roll stops; ${node} stays cordoned and was not terminated`, 'see why it does not end (kubectl describe pod), then resume (:roll)');
      }
      await sleep(Math.min(retryMs, 1_000), undefined, opts.signal ? { signal: opts.signal } : {});
    }
  }
  return result;
}

/** client-node request options that abort with `signal` (none without one). */
function abortable(signal: AbortSignal | undefined) {
  return signal ? abortableCall(signal) : undefined;
}
