/**
 * A STAND-IN FOR kube-apiserver, for the tests and the benchmark. There is no kube-apiserver on
 * these machines (none can be installed), so the suite runs the real `@kubernetes/client-node`
 * (and, in the benchmark, the real kubectl) against this loopback HTTPS server of its own. It is
 * not Kubernetes: it speaks just the part of the Kubernetes API's JSON that the Cluster pane and
 * `kubectl get nodes,pods -A -o json` read, the way the real API server answers it:
 *
 * - TLS with a server certificate from a CA generated with the `openssl` CLI in a temp dir
 *   (SANs IP:127.0.0.1 and DNS:localhost by default), and a second, unrelated CA for the
 *   wrong-CA test; a bearer token (anything else: 401 with a `Status` object).
 * - Discovery for kubectl: `/version`, `/api` (APIVersions), `/api/v1` (APIResourceList), `/apis`
 *   (an empty APIGroupList); `/openapi/*` answer 404 as on a server without OpenAPI.
 * - LIST `/api/v1/nodes`, `/api/v1/namespaces`, `/api/v1/pods`, `/api/v1/namespaces/NS/pods`
 *   (`metadata.resourceVersion` of the collection; `limit` and `continue` chunking as kubectl asks
 *   for it — continued pages are served from the current state, not a snapshot), and GET of one
 *   object.
 * - WATCH (`?watch=true`): newline-delimited watch events `{"type":"ADDED"|"MODIFIED"|"DELETED",
 *   "object":{…}}` from the given `resourceVersion` (history replayed, then live); with no
 *   resourceVersion or "0", synthetic ADDED events for the current state first. A resourceVersion
 *   older than the compacted history gets what the real API server sends: an `ERROR` event whose
 *   object is a `Status` with code 410 (reason Expired, "too old resource version"), then the end
 *   of the stream (or, with `goneAs = 'http'`, an HTTP 410 answer). `timeoutSeconds` ends the
 *   stream.
 *
 * - For a roll's drain (issue 18): PATCH of a node (a JSON merge of the body, as a strategic merge
 *   patch of `spec.unschedulable` is: cordon), POST of a pod's `eviction` subresource (policy/v1
 *   Eviction: 201 and the pod deleted; or, for a pod the test made refuse, what the API server
 *   answers when a PodDisruptionBudget does not allow it: 429 TooManyRequests with a `Status` whose
 *   reason is TooManyRequests and the message "Cannot evict pod as it would violate the pod's
 *   disruption budget."), DELETE of a pod or a node, and `fieldSelector=spec.nodeName=NAME` on pod lists.
 *
 * Every object change bumps one global resourceVersion (like etcd's revision) and is pushed to the
 * open watches. Tests drive it with add/modify/remove, `compact`, `closeWatches`, `expire`, and
 * read the request log to prove a relist happened and that nothing polls.
 *
 * Missing openssl: {@link kubeStandinSkipReason} / {@link requireKubeStandin} fail when `CI=true`
 * and skip loudly otherwise (as test/support/moto.ts does).
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env['OPENSSL'] || 'openssl';

/** The kinds the stand-in serves. */
export type StandinKind = 'nodes' | 'namespaces' | 'pods';
const LIST_KIND: Record<StandinKind, string> = { nodes: 'NodeList', namespaces: 'NamespaceList', pods: 'PodList' };

type Obj = { metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

/** One request the stand-in answered. */
export interface StandinRequest {
  verb: 'list' | 'watch' | 'get' | 'discovery' | 'patch' | 'evict' | 'delete' | 'other';
  kind?: StandinKind;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

/** Certificates made by {@link makePki}. All PEM text. */
export interface StandinPki {
  dir: string;
  caCert: string;
  /** A CA that signed nothing the stand-in serves (the wrong-CA test). */
  otherCaCert: string;
  /** Makes (and caches) a server key and certificate for these SANs (`IP:…`, `DNS:…`), signed by the CA. */
  serverCert(sans: readonly string[]): Promise<{ key: string; cert: string }>;
}

let pkiPromise: Promise<StandinPki> | undefined;

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run(OPENSSL, args, { cwd, timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim()}`);
  }
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
}

/**
 * A CA, a second unrelated CA, and server certificates on demand, made with the openssl CLI in a
 * temp dir (removed at process exit). Made once per process.
 * @throws Error when openssl fails or is missing.
 */
export function makePki(): Promise<StandinPki> {
  pkiPromise ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-kube-pki-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await Promise.all([makeCa(dir, 'standin-ca'), makeCa(dir, 'other-ca')]);
    const certs = new Map<string, Promise<{ key: string; cert: string }>>();
    let n = 0;
    return {
      dir,
      caCert: await readFile(join(dir, 'standin-ca.crt'), 'utf8'),
      otherCaCert: await readFile(join(dir, 'other-ca.crt'), 'utf8'),
      serverCert(sans) {
        const id = sans.join(',');
        let p = certs.get(id);
        if (!p) {
          const base = `server-${n++}`;
          p = (async () => {
            await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', '/CN=kube-apiserver'], dir);
            await writeFile(join(dir, `${base}.ext`), `subjectAltName=${id}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
            await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'standin-ca.crt', '-CAkey', 'standin-ca.key', '-CAcreateserial', '-out', `${base}.crt`, '-days', '2', '-extfile', `${base}.ext`], dir);
            return { key: await readFile(join(dir, `${base}.key`), 'utf8'), cert: await readFile(join(dir, `${base}.crt`), 'utf8') };
          })();
          certs.set(id, p);
        }
        return p;
      },
    };
  })();
  return pkiPromise;
}

let opensslOk: Promise<boolean> | undefined;
/** Whether the openssl CLI runs here. Cached. */
export function standinAvailable(): Promise<boolean> {
  opensslOk ??= run(OPENSSL, ['version']).then(
    () => true,
    () => false,
  );
  return opensslOk;
}

const MISSING = 'the openssl CLI is missing (apt-get install openssl): the Kubernetes stand-in tests';

/** For `describe(…, { skip: await kubeStandinSkipReason() })`: undefined when runnable or CI=true; else a loud skip reason. */
export async function kubeStandinSkipReason(): Promise<string | undefined> {
  if (await standinAvailable()) return undefined;
  if (process.env['CI'] === 'true') return undefined;
  const reason = `SKIPPED: ${MISSING} are skipped outside CI`;
  process.stderr.write(`\n*** ${reason} ***\n\n`);
  return reason;
}

/** Per-test guard: true when runnable; with CI=true throws when not; else skips loudly and returns false. */
export async function requireKubeStandin(t: TestContext): Promise<boolean> {
  if (await standinAvailable()) return true;
  if (process.env['CI'] === 'true') throw new Error(`${MISSING} cannot run, and CI=true: install openssl in the CI image`);
  const reason = `SKIPPED: ${MISSING} are skipped outside CI`;
  process.stderr.write(`\n*** ${t.name}: ${reason} ***\n\n`);
  t.skip(reason);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Objects, shaped as the API serves them.

const T0 = Date.parse('2025-01-01T00:00:00Z');
let uidN = 0;
const uid = () => `00000000-0000-4000-8000-${(++uidN).toString(16).padStart(12, '0')}`;
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A `core/v1` Node. `roles` become `node-role.kubernetes.io/ROLE` labels. */
export function makeNode(name: string, o: { ready?: 'True' | 'False' | 'Unknown'; roles?: string[]; ip?: string; version?: string; createdAt?: number; unschedulable?: boolean; providerID?: string } = {}): Obj {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };
  for (const r of o.roles ?? []) labels[`node-role.kubernetes.io/${r}`] = '';
  const now = ts(o.createdAt ?? T0);
  return {
    metadata: { name, uid: uid(), creationTimestamp: now, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: { podCIDR: '10.244.0.0/24', ...(o.providerID === '' ? {} : { providerID: o.providerID ?? `aws:///us-east-1a/i-${name}` }), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: { cpu: '2', memory: '8025424Ki', pods: '110' },
      allocatable: { cpu: '2', memory: '7923024Ki', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: now, lastTransitionTime: now, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
        { type: 'DiskPressure', status: 'False', lastHeartbeatTime: now, lastTransitionTime: now, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
        { type: 'Ready', status: o.ready ?? 'True', lastHeartbeatTime: now, lastTransitionTime: now, reason: o.ready === 'False' ? 'KubeletNotReady' : 'KubeletReady', message: o.ready === 'False' ? 'container runtime network not ready' : 'kubelet is posting ready status' },
      ],
      addresses: [
        { type: 'InternalIP', address: o.ip ?? '10.0.1.10' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: { kubeletVersion: o.version ?? 'v1.31.4', kubeProxyVersion: o.version ?? 'v1.31.4', containerRuntimeVersion: 'containerd://1.7.24', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-28-cloud-amd64', operatingSystem: 'linux', architecture: 'amd64', machineID: '', systemUUID: '', bootID: '' },
    },
  };
}

/** A `core/v1` Namespace. */
export function makeNamespace(name: string, phase = 'Active'): Obj {
  return { metadata: { name, uid: uid(), creationTimestamp: ts(T0), labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase } };
}

/**
 * A `core/v1` Pod with one container. `waiting` (e.g. CrashLoopBackOff) makes the container
 * waiting and not ready; `ready` defaults to true for Running pods without `waiting`.
 */
export function makePod(
  namespace: string,
  name: string,
  o: { phase?: string; node?: string; waiting?: string; restarts?: number; ready?: boolean; reason?: string; owner?: { kind: string; name: string }; mirror?: boolean } = {},
): Obj {
  const phase = o.phase ?? 'Running';
  const ready = o.ready ?? (phase === 'Running' && !o.waiting);
  const now = ts(T0);
  return {
    metadata: {
      name,
      namespace,
      uid: uid(),
      creationTimestamp: now,
      labels: { app: name.replace(/-[a-z0-9]{5}$/, '') },
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner.kind, name: o.owner.name, uid: uid(), controller: true }] } : {}),
      // A static pod's mirror in the API (kubeadm's etcd, kube-apiserver…): drain leaves it.
      ...(o.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'f0a1b2c3d4e5', 'kubernetes.io/config.source': 'file' } } : {}),
    },
    spec: { nodeName: o.node ?? '', containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }], restartPolicy: 'Always' },
    status: {
      phase,
      ...(o.reason ? { reason: o.reason } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
      ...(phase === 'Pending' && !o.node ? {} : {
        containerStatuses: [
          {
            name: 'main',
            ready,
            started: ready,
            restartCount: o.restarts ?? 0,
            image: 'registry.k8s.io/pause:3.10',
            imageID: '',
            state: o.waiting ? { waiting: { reason: o.waiting, message: `back-off restarting failed container` } } : phase === 'Running' ? { running: { startedAt: now } } : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error' } },
          },
        ],
      }),
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Options of {@link startKubeStandin}. */
export interface StandinOptions {
  /** Bearer token accepted; default a random one. */
  token?: string;
  /** SANs of the server certificate; default `['IP:127.0.0.1', 'DNS:localhost']`. */
  sans?: readonly string[];
}

/** A running stand-in API server. */
export interface KubeStandin {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  port: number;
  token: string;
  /** PEM of the CA that signed the server certificate, and of an unrelated CA. */
  caCert: string;
  otherCaCert: string;
  /** How a too-old watch resourceVersion is answered: an ERROR event (default, as the real API) or HTTP 410. */
  goneAs: 'event' | 'http';
  /** Kubeconfig text for this server: CA data and token by default; `ca: 'other'` and `token` make broken ones. */
  kubeconfig(o?: { token?: string; ca?: 'right' | 'other'; server?: string; name?: string; tlsServerName?: string }): string;
  /** Adds an object (bumps the resourceVersion, pushes ADDED). */
  add(kind: StandinKind, obj: Obj): void;
  /** Changes an object in place with `fn` (bumps the resourceVersion, pushes MODIFIED). Throws when missing. */
  modify(kind: StandinKind, name: string, fn: (o: Obj) => void, namespace?: string): void;
  /** Deletes an object (pushes DELETED). Throws when missing. */
  remove(kind: StandinKind, name: string, namespace?: string): void;
  /** The current global resourceVersion. */
  resourceVersion(): number;
  /** Forgets history up to now: a watch from an older resourceVersion gets 410. */
  compact(): void;
  /** Ends every open watch stream (clients then watch again from their last resourceVersion). */
  closeWatches(): void;
  /**
   * What happens when a client was away too long, in one tick: end the open watches, apply
   * `changes` (seen by no watch), compact. The client's next watch gets 410 and it must LIST to
   * see the changes.
   */
  expire(changes?: () => void): void;
  /**
   * Makes the eviction of pod NAMESPACE/NAME refused by a PodDisruptionBudget (HTTP 429) the next
   * `times` times (default: always).
   */
  refuseEviction(namespace: string, name: string, times?: number): void;
  /** Every request answered, in order. */
  requests: StandinRequest[];
  /** Successful LISTs (of `kind`, or all). */
  listCount(kind?: StandinKind): number;
  /** WATCH requests (of `kind`, or all). */
  watchCount(kind?: StandinKind): number;
  /** Open watch streams now. */
  openWatches(): number;
  /** Closes the server and every connection. Idempotent. */
  stop(): Promise<void>;
}

interface OpenWatch {
  kind: StandinKind;
  namespace?: string;
  res: ServerResponse;
  timer?: NodeJS.Timeout;
}

/** RFC 7386 JSON merge of `patch` into `target` (null deletes). */
function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null && !Array.isArray(target[k])) mergeInto(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

const STATUS = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

const RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'] },
    { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['no'] },
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'], categories: ['all'] },
  ],
};

/**
 * Starts a stand-in API server on a free 127.0.0.1 port.
 * @throws Error when openssl cannot make the certificates.
 */
export async function startKubeStandin(opts: StandinOptions = {}): Promise<KubeStandin> {
  const pki = await makePki();
  const { key, cert } = await pki.serverCert(opts.sans ?? ['IP:127.0.0.1', 'DNS:localhost']);
  const token = opts.token ?? `standin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const store: Record<StandinKind, Map<string, Obj>> = { nodes: new Map(), namespaces: new Map(), pods: new Map() };
  const history: { rv: number; kind: StandinKind; type: string; object: Obj }[] = [];
  let rv = 1;
  let compactedRv = 0;
  const watches = new Set<OpenWatch>();
  const requests: StandinRequest[] = [];
  const sockets = new Set<net.Socket>();

  const keyOf = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

  function record(kind: StandinKind, type: string, obj: Obj): void {
    obj.metadata.resourceVersion = String(++rv);
    history.push({ rv, kind, type, object: structuredClone(obj) });
    for (const w of watches) {
      if (w.kind === kind && (!w.namespace || w.namespace === obj.metadata.namespace)) w.res.write(line(type, obj));
    }
  }

  function sorted(kind: StandinKind, namespace?: string): Obj[] {
    const out: Obj[] = [];
    for (const o of store[kind].values()) if (!namespace || o.metadata.namespace === namespace) out.push(o);
    return out.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
    res.end(text);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://standin');
    const query = Object.fromEntries(url.searchParams);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const log: StandinRequest = { verb: 'other', path, query, status: 200, at: Date.now() };
    requests.push(log);
    const reply = (status: number, body: unknown) => {
      log.status = status;
      send(res, status, body);
    };
    if (req.headers.authorization !== `Bearer ${token}`) return reply(401, STATUS(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return write(req, path, log, reply);

    if (path === '/version') {
      log.verb = 'discovery';
      return reply(200, { major: '1', minor: '31', gitVersion: 'v1.31.4-standin', gitCommit: '', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23.4', compiler: 'gc', platform: 'linux/amd64' });
    }
    if (path === '/api') {
      log.verb = 'discovery';
      return reply(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] });
    }
    if (path === '/apis') {
      log.verb = 'discovery';
      return reply(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    }
    if (path === '/api/v1') {
      log.verb = 'discovery';
      return reply(200, RESOURCES);
    }
    let m = /^\/api\/v1\/(nodes|namespaces|pods)(?:\/([^/]+))?$/.exec(path);
    let kind: StandinKind | undefined;
    let namespace: string | undefined;
    let name: string | undefined;
    if (m) {
      kind = m[1] as StandinKind;
      name = m[2];
    } else if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(path))) {
      kind = 'pods';
      namespace = m[1];
      name = m[2];
    }
    if (!kind) return reply(404, STATUS(404, 'NotFound', 'the server could not find the requested resource'));
    log.kind = kind;
    if (name) {
      log.verb = 'get';
      const o = store[kind].get(`${kind === 'pods' ? namespace ?? '' : ''}/${name}`);
      return o ? reply(200, { kind: LIST_KIND[kind].replace(/List$/, ''), apiVersion: 'v1', ...o }) : reply(404, STATUS(404, 'NotFound', `${kind} "${name}" not found`));
    }
    if (query.watch === 'true' || query.watch === '1') {
      log.verb = 'watch';
      return watch(kind, namespace, query, res, log);
    }
    log.verb = 'list';
    let all = sorted(kind, namespace);
    const onNode = /^spec\.nodeName=(.*)$/.exec(query.fieldSelector ?? '');
    if (kind === 'pods' && onNode) all = all.filter((o) => (o.spec as { nodeName?: string } | undefined)?.nodeName === onNode[1]);
    else if (query.fieldSelector) return reply(400, STATUS(400, 'BadRequest', `the stand-in knows only the field selector spec.nodeName=NAME on pods, not ${query.fieldSelector}`));
    let start = 0;
    if (query.continue) {
      try {
        start = (JSON.parse(Buffer.from(query.continue, 'base64url').toString('utf8')) as { start: number }).start;
      } catch {
        return reply(400, STATUS(400, 'BadRequest', 'continue key is not valid'));
      }
    }
    const limit = query.limit ? Number(query.limit) : 0;
    const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (end < all.length) {
      metadata.continue = Buffer.from(JSON.stringify({ rv, start: end })).toString('base64url');
      metadata.remainingItemCount = all.length - end;
    }
    return reply(200, { kind: LIST_KIND[kind], apiVersion: 'v1', metadata, items: all.slice(start, end) });
  }

  const refusals = new Map<string, number>();

  /** PATCH of a node, POST of a pod's eviction, DELETE of a pod (the body is read first). */
  function write(req: IncomingMessage, path: string, log: StandinRequest, reply: (status: number, body: unknown) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        if (text) body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return reply(400, STATUS(400, 'BadRequest', 'the body is not JSON'));
      }
      let m: RegExpExecArray | null;
      if (req.method === 'PATCH' && (m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path))) {
        log.verb = 'patch';
        log.kind = 'nodes';
        const node = store.nodes.get(`/${m[1]}`);
        if (!node) return reply(404, STATUS(404, 'NotFound', `nodes "${m[1]}" not found`));
        mergeInto(node, body);
        record('nodes', 'MODIFIED', node);
        return reply(200, { kind: 'Node', apiVersion: 'v1', ...node });
      }
      if (req.method === 'POST' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path))) {
        log.verb = 'evict';
        log.kind = 'pods';
        const [, ns, name] = m as unknown as [string, string, string];
        const pod = store.pods.get(`${ns}/${name}`);
        if (!pod) return reply(404, STATUS(404, 'NotFound', `pods "${name}" not found`));
        if ((body as { kind?: string }).kind !== 'Eviction') return reply(400, STATUS(400, 'BadRequest', 'the body is not an Eviction'));
        const left = refusals.get(`${ns}/${name}`) ?? 0;
        if (left > 0) {
          refusals.set(`${ns}/${name}`, left - 1);
          return reply(429, { ...STATUS(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget."), details: { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${name.replace(/-[a-z0-9]{5}$/, '')}-pdb needs 1 healthy pods and has 1 currently` }] } });
        }
        store.pods.delete(`${ns}/${name}`);
        record('pods', 'DELETED', pod);
        return reply(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      }
      if (req.method === 'DELETE' && (m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path))) {
        log.verb = 'delete';
        log.kind = 'nodes';
        const node = store.nodes.get(`/${m[1]}`);
        if (!node) return reply(404, STATUS(404, 'NotFound', `nodes "${m[1]}" not found`));
        store.nodes.delete(`/${m[1]}`);
        record('nodes', 'DELETED', node);
        return reply(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: m[1], kind: 'nodes' } });
      }
      if (req.method === 'DELETE' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path))) {
        log.verb = 'delete';
        log.kind = 'pods';
        const pod = store.pods.get(`${m[1]}/${m[2]}`);
        if (!pod) return reply(404, STATUS(404, 'NotFound', `pods "${m[2]}" not found`));
        store.pods.delete(`${m[1]}/${m[2]}`);
        record('pods', 'DELETED', pod);
        return reply(200, { kind: 'Pod', apiVersion: 'v1', ...pod });
      }
      reply(405, STATUS(405, 'MethodNotAllowed', `the stand-in does not serve ${req.method} ${path}`));
    });
  }

  function watch(kind: StandinKind, namespace: string | undefined, query: Record<string, string>, res: ServerResponse, log: StandinRequest): void {
    const from = query.resourceVersion ?? '';
    if (from !== '' && from !== '0' && Number(from) < compactedRv) {
      const status = STATUS(410, 'Expired', `too old resource version: ${from} (${compactedRv})`);
      log.status = 410;
      if (goneAs.value === 'http') return send(res, 410, { ...status, reason: 'Gone' });
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.end(line('ERROR', status));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
    res.flushHeaders(); // as the API server does: the client sees the watch start before any event
    if (from === '' || from === '0') {
      for (const o of sorted(kind, namespace)) res.write(line('ADDED', o));
    } else {
      const since = Number(from);
      for (const h of history) {
        if (h.rv > since && h.kind === kind && (!namespace || h.object.metadata.namespace === namespace)) res.write(line(h.type, h.object));
      }
    }
    const w: OpenWatch = { kind, ...(namespace ? { namespace } : {}), res };
    const secs = Number(query.timeoutSeconds);
    if (secs > 0) w.timer = setTimeout(() => res.end(), secs * 1000).unref();
    watches.add(w);
    res.on('close', () => {
      if (w.timer) clearTimeout(w.timer);
      watches.delete(w);
    });
  }

  const goneAs = { value: 'event' as 'event' | 'http' };
  const server = https.createServer({ key, cert }, (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, STATUS(500, 'InternalError', (err as Error).message));
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined); // wrong-CA clients hang up mid-handshake: expected
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  let stopped = false;

  const find = (kind: StandinKind, name: string, namespace?: string): Obj => {
    const o = store[kind].get(`${kind === 'pods' ? namespace ?? '' : ''}/${name}`);
    if (!o) throw new Error(`stand-in: no ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
    return o;
  };

  const standin: KubeStandin = {
    url,
    port,
    token,
    caCert: pki.caCert,
    otherCaCert: pki.otherCaCert,
    get goneAs() {
      return goneAs.value;
    },
    set goneAs(v) {
      goneAs.value = v;
    },
    kubeconfig(o = {}) {
      const ca = Buffer.from(o.ca === 'other' ? pki.otherCaCert : pki.caCert).toString('base64');
      const name = o.name ?? 'standin';
      return [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: ${name}`,
        '  cluster:',
        `    server: ${o.server ?? url}`,
        `    certificate-authority-data: ${ca}`,
        ...(o.tlsServerName ? [`    tls-server-name: ${o.tlsServerName}`] : []),
        'users:',
        `- name: ${name}-admin`,
        '  user:',
        `    token: ${o.token ?? token}`,
        'contexts:',
        `- name: ${name}`,
        '  context:',
        `    cluster: ${name}`,
        `    user: ${name}-admin`,
        `current-context: ${name}`,
        '',
      ].join('\n');
    },
    add(kind, obj) {
      const o = structuredClone(obj);
      if (kind !== 'pods') delete o.metadata.namespace;
      store[kind].set(keyOf(o), o);
      record(kind, 'ADDED', o);
    },
    modify(kind, name, fn, namespace) {
      const o = find(kind, name, namespace);
      fn(o);
      record(kind, 'MODIFIED', o);
    },
    remove(kind, name, namespace) {
      const o = find(kind, name, namespace);
      store[kind].delete(keyOf(o));
      record(kind, 'DELETED', o);
    },
    resourceVersion: () => rv,
    compact() {
      compactedRv = rv;
      history.length = 0;
    },
    closeWatches() {
      for (const w of [...watches]) w.res.end();
      watches.clear();
    },
    expire(changes) {
      standin.closeWatches();
      changes?.();
      standin.compact();
    },
    refuseEviction: (namespace, name, times = Number.POSITIVE_INFINITY) => void refusals.set(`${namespace}/${name}`, times),
    requests,
    listCount: (kind) => requests.filter((r) => r.verb === 'list' && r.status === 200 && (!kind || r.kind === kind)).length,
    watchCount: (kind) => requests.filter((r) => r.verb === 'watch' && (!kind || r.kind === kind)).length,
    openWatches: () => watches.size,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const w of watches) w.res.destroy();
      watches.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
  return standin;
}

/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers (no TLS handshake):
 * a hung API server, or a load balancer that blackholes. `stop()` ends it and its connections.
 */
export async function startSilentServer(): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** Removes the PKI temp dir now (e.g. at the end of a benchmark). */
export async function disposePki(): Promise<void> {
  if (!pkiPromise) return;
  const p = await pkiPromise.catch(() => undefined);
  pkiPromise = undefined;
  if (p) await rm(p.dir, { recursive: true, force: true });
}
