/**
 * `--ci cluster [--json] [--kubeconfig FILE]`: the platform's Kubernetes in one look, for
 * pipelines. The caller (main.ts) finds the kubeconfig text (the secrets bucket's
 * `secure/kubeconfig_admin`, or `--kubeconfig FILE`, server rewritten as needed) and passes it in.
 */
import { formatError, KubeError } from '../core/errors.js';
import { fetchClusterSummary } from '../services/kube/cluster.js';
import { loadKubeconfig, currentServer } from '../services/kube/kubeconfig.js';

/** Exit codes of {@link runCiCluster}, the same scale as `--ci plan` (0 nothing to do / 2 something to look at / 1 error). */
export const CLUSTER_EXIT = { healthy: 0, error: 1, unhealthy: 2 } as const;

/** Options of {@link runCiCluster}. */
export interface CiClusterOptions {
  /** The kubeconfig to use (its current context). */
  kubeconfigText: string;
  /** One JSON object on stdout instead of the human lines. */
  json: boolean;
  /** Deadline for reaching the API and listing, ms; default 10,000. */
  timeoutMs?: number;
  /** Where the kubeconfig came from, for messages (a path, `s3://…/secure/kubeconfig_admin`). */
  source?: string;
}

/** Where {@link runCiCluster} writes: whole lines, without their newline. */
export interface CiOut {
  stdout(line: string): void;
  stderr(line: string): void;
}

/**
 * Lists nodes, namespaces and pods once and prints a summary.
 *
 * Human output (stdout): `cluster SERVER: N/M nodes ready, K namespaces, P pods, U unhealthy`,
 * then one line per node that is not Ready (`not ready: NAME (Ready=False)`) and one per
 * unhealthy pod (`unhealthy: NS/NAME REASON restarts=R node=NODE`), kube-system first.
 *
 * `--json` (stdout, one object): `{ type: "cluster", ok, exit_code, server, nodes_ready,
 * nodes_total, namespaces, pods, unhealthy_pods: [{ namespace, name, phase, reason, restarts,
 * node }], not_ready_nodes: [{ name, ready }] }`; on error `{ type: "cluster", ok: false,
 * exit_code: 1, server, reason, error, hint }`.
 *
 * Errors also go to stderr as `error: …` / `hint: …` (formatError), in both modes.
 *
 * @returns the exit code: 0 when every node is Ready and no pod is unhealthy; 2 when the API
 *   answered but a node is not Ready (or there is none) or a pod is unhealthy; 1 on any error
 *   (bad kubeconfig; API unreachable within `timeoutMs`; TLS or auth failure). Never throws.
 */
export async function runCiCluster(opts: CiClusterOptions, out: CiOut): Promise<number> {
  let server = '';
  try {
    const kc = loadKubeconfig(opts.kubeconfigText, opts.source ? { source: opts.source } : {});
    server = currentServer(kc);
    const { snapshot, summary } = await fetchClusterSummary(kc, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
    const notReady = snapshot.nodes.filter((n) => n.ready !== 'True');
    const healthy = summary.nodesTotal > 0 && notReady.length === 0 && summary.unhealthyPods === 0;
    const code = healthy ? CLUSTER_EXIT.healthy : CLUSTER_EXIT.unhealthy;
    if (opts.json) {
      out.stdout(
        JSON.stringify({
          type: 'cluster',
          ok: healthy,
          exit_code: code,
          server,
          nodes_ready: summary.nodesReady,
          nodes_total: summary.nodesTotal,
          namespaces: summary.namespaces,
          pods: snapshot.podCount,
          unhealthy_pods: snapshot.unhealthyPods.map((p) => ({ namespace: p.namespace, name: p.name, phase: p.phase, reason: p.reason, restarts: p.restarts, node: p.node })),
          not_ready_nodes: notReady.map((n) => ({ name: n.name, ready: n.ready })),
        }),
      );
    } else {
      out.stdout(
        `cluster ${server}: ${summary.nodesReady}/${summary.nodesTotal} nodes ready, ${summary.namespaces} namespaces, ${snapshot.podCount} pods, ${summary.unhealthyPods} unhealthy`,
      );
      for (const n of notReady) out.stdout(`not ready: ${n.name} (Ready=${n.ready})`);
      for (const p of snapshot.unhealthyPods) out.stdout(`unhealthy: ${p.namespace}/${p.name} ${p.reason} restarts=${p.restarts} node=${p.node || '-'}`);
      if (summary.nodesTotal === 0) out.stdout('no nodes have joined the cluster');
    }
    return code;
  } catch (err) {
    out.stderr(formatError(err));
    if (opts.json) {
      const ke = err instanceof KubeError ? err : undefined;
      out.stdout(
        JSON.stringify({
          type: 'cluster',
          ok: false,
          exit_code: CLUSTER_EXIT.error,
          server,
          reason: ke?.reason ?? 'api',
          error: err instanceof Error ? err.message : String(err),
          ...(ke?.hint ? { hint: ke.hint } : {}),
        }),
      );
    }
    return CLUSTER_EXIT.error;
  }
}

/** What `--ci cluster` needs to find the kubeconfig. */
export interface CiClusterCommand {
  environment: string;
  profile: import('../core/profile.js').Profile;
  local: boolean;
  json: boolean;
  /** `--kubeconfig FILE`. */
  kubeconfig?: string;
  paths: import('../core/paths.js').Paths;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `--ci cluster`: finds the kubeconfig (`--kubeconfig FILE`, else the environment's admin
 * kubeconfig from the secrets bucket, used with the server it names: the public kubeapi load
 * balancer) and runs {@link runCiCluster}. The AWS session is opened only without `--kubeconfig`.
 * Never throws; exit codes as {@link runCiCluster}.
 */
export async function runCiClusterCommand(o: CiClusterCommand): Promise<number> {
  let session: import('../services/session.js').Session | undefined;
  try {
    const { loadClusterKubeconfig } = await import('../services/kube/source.js');
    // The AWS session (credentials, Terraform outputs) only when the kubeconfig is the environment's.
    if (!o.kubeconfig && !o.local) {
      const { openSession } = await import('../services/session.js');
      session = await openSession({ environment: o.environment, profile: o.profile, local: o.local, paths: o.paths, env: o.env });
    }
    const s = session;
    const src = await loadClusterKubeconfig({
      ...(o.kubeconfig ? { file: o.kubeconfig } : {}),
      local: o.local,
      ...(s ? { ctx: s.aws } : {}),
      outputs: async () => (s ? s.engine.outputs() : []),
    });
    return await runCiCluster({ kubeconfigText: src.text, json: o.json, source: src.source }, { stdout: o.out, stderr: o.err });
  } catch (err) {
    o.err(formatError(err));
    if (o.json) o.out(JSON.stringify({ type: 'cluster', ok: false, exit_code: CLUSTER_EXIT.error, error: (err as Error).message, ...(err instanceof KubeError && err.hint ? { hint: err.hint } : {}) }));
    return CLUSTER_EXIT.error;
  } finally {
    session?.close();
  }
}
