/**
 * Kubeconfig files, handled the way kubectl handles them: loading one (from the secrets bucket's
 * `secure/kubeconfig_admin` text, or a `--kubeconfig FILE`) into client-node's `KubeConfig`
 * ({@link loadKubeconfig}, {@link readKubeconfigFile}), pointing its current cluster at another
 * address (the public kubeapi load balancer, or a tunnel through the bastion) while keeping its CA
 * and the TLS name it verifies ({@link rewriteServer}), and merging it into `~/.kube/config`
 * ({@link mergeIntoKubeconfig}). Plain TypeScript, no Ink.
 *
 * Format: the kubeconfig `Config` of `clientcmd/api/v1` (kubectl's own): named `clusters`
 * (`server`, `certificate-authority-data`, `tls-server-name` …), `users`, `contexts`, and
 * `current-context`. Entries are kept as the YAML has them (unknown fields included), so that
 * nothing an operator put in `~/.kube/config` is lost; YAML is read and written with client-node's
 * own `loadYaml`/`dumpYaml` (js-yaml), so the project adds no YAML dependency. Like kubectl, the
 * merge re-serializes the file: YAML comments are not kept (the backup has them).
 *
 * Consent is the caller's job (the UI's confirm, a CLI flag): nothing here prompts.
 */
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';

import { dumpYaml, KubeConfig, loadYaml } from '@kubernetes/client-node';

import { errnoOf, reasonOf, writeFileAtomic } from '../../core/atomic-write.js';
import { KubeError } from '../../core/errors.js';
import { BoundedReadError, readBoundedFile } from '../../core/read-bounded.js';

type Json = Record<string, unknown>;

/** A named entry of `clusters`, `users` or `contexts` as the YAML has it. */
interface NamedEntry extends Json {
  name: string;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The error text of an unknown thrown value, one line. */
function why(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.trim();
}

/**
 * The YAML document of a kubeconfig as a plain object. An empty text is an empty config.
 * @throws KubeError (`config`) when the text is not YAML or not a mapping.
 */
function parseDoc(text: string, source: string): Json {
  if (!text.trim()) return {};
  let doc: unknown;
  try {
    doc = loadYaml<unknown>(text);
  } catch (err) {
    throw new KubeError(`the kubeconfig ${source} is not valid YAML: ${why(err)}`, 'fix the file (kubectl config view shows what kubectl reads), or give another one', 'config', { cause: err });
  }
  if (!isObject(doc)) {
    throw new KubeError(`the kubeconfig ${source} is not a kubeconfig: its YAML is a ${Array.isArray(doc) ? 'list' : typeof doc}, not a mapping with clusters, users and contexts`, 'give a kubeconfig file (apiVersion: v1, kind: Config)', 'config');
  }
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const v = doc[key];
    if (v !== undefined && v !== null && !Array.isArray(v)) {
      throw new KubeError(`the kubeconfig ${source} is malformed: "${key}" must be a list`, 'fix the file, or give another one', 'config');
    }
  }
  return doc;
}

function list(doc: Json, key: 'clusters' | 'users' | 'contexts'): NamedEntry[] {
  const v = doc[key];
  return Array.isArray(v) ? (v.filter((e) => isObject(e) && typeof e.name === 'string') as NamedEntry[]) : [];
}

/** The current context of a parsed kubeconfig and the cluster and user it names (raw entries). */
function currentEntries(doc: Json, source: string): { context: NamedEntry; cluster: NamedEntry; user: NamedEntry } {
  const contexts = list(doc, 'contexts');
  let name = typeof doc['current-context'] === 'string' ? (doc['current-context'] as string) : '';
  if (!name && contexts.length === 1) name = contexts[0]!.name;
  if (!name) throw new KubeError(`the kubeconfig ${source} has no current-context`, 'set current-context in the file (kubectl config use-context NAME)', 'config');
  const context = contexts.find((c) => c.name === name);
  const ctx = context && isObject(context.context) ? context.context : undefined;
  if (!context || !ctx) throw new KubeError(`the kubeconfig ${source} names current-context "${name}", but has no such context`, 'fix current-context or the contexts list', 'config');
  const cluster = list(doc, 'clusters').find((c) => c.name === ctx.cluster);
  if (!cluster || !isObject(cluster.cluster) || typeof cluster.cluster.server !== 'string' || !cluster.cluster.server) {
    throw new KubeError(`the kubeconfig ${source}: context "${name}" names cluster "${String(ctx.cluster)}", which is missing or has no server`, 'fix the clusters list of the file', 'config');
  }
  const user = list(doc, 'users').find((u) => u.name === ctx.user);
  if (!user || !isObject(user.user)) {
    throw new KubeError(`the kubeconfig ${source}: context "${name}" names user "${String(ctx.user)}", which is missing`, 'fix the users list of the file', 'config');
  }
  return { context, cluster, user };
}

/** Options of {@link loadKubeconfig}. */
export interface LoadOptions {
  /** Where the text came from, for messages (e.g. `s3://BUCKET/secure/kubeconfig_admin` or a path). Default "(text)". */
  source?: string;
  /** Directory that relative `certificate-authority`, `client-certificate`, `client-key` paths are relative to (a file's own directory). */
  baseDir?: string;
}

/**
 * Loads kubeconfig text into client-node's `KubeConfig`, checked: YAML, a current context that
 * names an existing cluster (with an `https://` or `http://` server) and user.
 * @throws KubeError (`config`) saying what is wrong and what to do.
 */
export function loadKubeconfig(text: string, opts: LoadOptions = {}): KubeConfig {
  const source = opts.source ?? '(text)';
  const doc = parseDoc(text, source);
  if (!text.trim()) throw new KubeError(`the kubeconfig ${source} is empty`, 'give a kubeconfig with a cluster, a user and a current context', 'config');
  const { cluster } = currentEntries(doc, source);
  serverUrl(String((cluster.cluster as Json).server), source);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
    if (!kc.getCurrentContext() && kc.getContexts().length === 1) kc.setCurrentContext(kc.getContexts()[0]!.name);
    if (opts.baseDir) kc.makePathsAbsolute(opts.baseDir);
  } catch (err) {
    throw new KubeError(`the kubeconfig ${source} cannot be used: ${why(err)}`, 'fix the file, or give another one', 'config', { cause: err });
  }
  return kc;
}

/**
 * Reads a kubeconfig file (`--kubeconfig FILE`) and returns its text.
 * @throws KubeError (`config`) when it cannot be read (missing, unreadable).
 */
export async function readKubeconfigFile(file: string): Promise<string> {
  try {
    return await readBoundedFile(file, KUBECONFIG_MAX_BYTES);
  } catch (err) {
    const hint = 'give the path of a kubeconfig file with --kubeconfig, or leave it out to use the secrets bucket\'s';
    if (err instanceof BoundedReadError) {
      const what =
        err.kind === 'missing' ? 'does not exist'
        : err.kind === 'not-regular' ? `is not a regular file (it is ${err.detail.what ?? 'something else'})`
        : err.kind === 'too-large' ? `is larger than ${KUBECONFIG_MAX_BYTES / (1 << 20)} MiB${err.detail.size !== undefined ? ` (${err.detail.size} bytes)` : ''}: not a kubeconfig`
        : /EACCES/.test(err.detail.message ?? '') ? 'is not readable (permission denied)'
        : `cannot be read (${err.detail.message ?? 'I/O error'})`;
      throw new KubeError(`the kubeconfig ${file} ${what}`, hint, 'config', { cause: err });
    }
    throw new KubeError(`the kubeconfig ${file} cannot be read (${why(err)})`, hint, 'config', { cause: err });
  }
}

/** The largest kubeconfig read (bytes): real ones are a few KiB. */
export const KUBECONFIG_MAX_BYTES = 4 << 20;

/** `loadKubeconfig(readKubeconfigFile(file))`, relative paths resolved from the file's directory. */
export async function loadKubeconfigFile(file: string): Promise<KubeConfig> {
  return loadKubeconfig(await readKubeconfigFile(file), { source: file, baseDir: dirname(file) });
}

function serverUrl(server: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeError(`the kubeconfig ${source} has a server address that is not a URL: "${server}"`, 'the server must look like https://HOST:PORT', 'config');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeError(`the kubeconfig ${source} has a server address with the scheme ${url.protocol}: "${server}"`, 'the server must look like https://HOST:PORT', 'config');
  }
  return url;
}

/** The server URL of a KubeConfig's current cluster; '' when it has none. */
export function currentServer(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? '';
}

/** Whether a URL host (`HOST` or `[V6]`) is an IP address rather than a DNS name. */
function hostIsIp(hostname: string): boolean {
  return isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
}

/**
 * Kubeconfig text with the current cluster's `server` replaced by `server` (e.g.
 * `https://127.0.0.1:PORT` for a tunnel through the bastion, or the public kubeapi load
 * balancer's `https://DNS:443`). Everything else is kept, the CA data included.
 *
 * When the host changes and the original one is a DNS name, and the cluster has no
 * `tls-server-name` yet, it is set to the original host: the API's certificate was made for that
 * name, so TLS still verifies through a tunnel on 127.0.0.1 (clients send it as SNI and check the
 * certificate against it). An original IP address cannot be a TLS server name (RFC 6066): then
 * the certificate must list the new address itself.
 * @throws KubeError (`config`) when the text is not a usable kubeconfig or `server` is not an http(s) URL.
 */
export function rewriteServer(kubeconfigText: string, server: string, opts: { source?: string } = {}): string {
  const source = opts.source ?? '(text)';
  const doc = parseDoc(kubeconfigText, source);
  const { cluster } = currentEntries(doc, source);
  const c = cluster.cluster as Json;
  const before = serverUrl(String(c.server), source);
  const after = serverUrl(server, 'rewrite target');
  c.server = server;
  if (before.hostname !== after.hostname && !hostIsIp(before.hostname) && !c['tls-server-name']) {
    c['tls-server-name'] = before.hostname;
  }
  return dumpYaml(doc);
}

/** `~/.kube/config` of the current user (`$HOME/.kube/config`). `KUBECONFIG` is not consulted. */
export function defaultKubeconfigPath(): string {
  return join(homedir(), '.kube', 'config');
}

/** What happened to one named entry in a merge. */
export type MergeAction = 'added' | 'replaced';

/** The result of {@link mergeIntoKubeconfig}. */
export interface MergeResult {
  /** The file written (the symlink's target when `target` is a symlink). */
  path: string;
  /** True when the file did not exist before (then there is no backup). */
  created: boolean;
  /** The copy of the previous file (mode 0600), e.g. `~/.kube/config.backup-20250101T120000Z`; absent when `created`. */
  backup?: string;
  /** The entries written, by name, and whether each was new or replaced a same-named one. */
  cluster: { name: string; action: MergeAction };
  user: { name: string; action: MergeAction };
  context: { name: string; action: MergeAction };
  /** The server the new cluster entry points at. */
  server: string;
  /** `current-context` now (always the new context). */
  currentContext: string;
  /** `current-context` before; absent when there was none. */
  previousContext?: string;
  /** Entries of the previous file kept untouched (other names). */
  kept: { clusters: number; users: number; contexts: number };
}

/** Options of {@link mergeIntoKubeconfig}. */
export interface MergeOptions {
  /** The kubeconfig to write into; default {@link defaultKubeconfigPath} (`~/.kube/config`). */
  target?: string;
  /** The kubeconfig text to take the current context's cluster and user from. */
  source: string;
  /** The environment name: cluster `ENV`, user `ENV-admin`, context `ENV`. */
  environment: string;
  /** For messages: where `source` came from. */
  sourceName?: string;
  /** Clock for the backup's name (tests); default `new Date()`. */
  now?: Date;
}

function upsert(doc: Json, key: 'clusters' | 'users' | 'contexts', entry: NamedEntry): MergeAction {
  const arr = Array.isArray(doc[key]) ? (doc[key] as unknown[]) : [];
  doc[key] = arr;
  const i = arr.findIndex((e) => isObject(e) && e.name === entry.name);
  if (i >= 0) {
    arr[i] = entry;
    return 'replaced';
  }
  arr.push(entry);
  return 'added';
}

/** `20250101T120000Z` (UTC, seconds). */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Merges a kubeconfig into `target` (default `~/.kube/config`) the way `kubectl config
 * set-cluster/set-credentials/set-context/use-context` would: the source's current cluster,
 * user and context become entries named for the environment (cluster `ENV`, user `ENV-admin`,
 * context `ENV` pointing at both, with the source context's namespace if any); same-named entries
 * are replaced, every other entry and top-level field is kept as it was, and `current-context`
 * becomes `ENV` (the result says what it was).
 *
 * Safety: an existing file is first copied to `TARGET.backup-YYYYMMDDTHHMMSSZ` (mode 0600; a
 * `-N` suffix when that name exists; created exclusively); the result is written to a temp file
 * in the same directory (mode 0600, synced) and renamed over the target, so a reader never sees
 * half a file (both with {@link writeFileAtomic}). The
 * directory is created with mode 0700 when missing (an existing one is left as it is). A target
 * that is a symlink is written through (its target file is replaced). An existing file that is
 * not a valid kubeconfig is left alone and reported.
 * @throws KubeError (`config`) when the source or the existing target is not a usable kubeconfig;
 *   (`write`) when the directory, backup or file cannot be written.
 */
export async function mergeIntoKubeconfig(opts: MergeOptions): Promise<MergeResult> {
  const env = opts.environment.trim();
  if (!env) throw new KubeError('no environment name to name the kubeconfig context after', 'open the console on an environment (-e ENV)', 'config');
  const srcDoc = parseDoc(opts.source, opts.sourceName ?? '(source)');
  const src = currentEntries(srcDoc, opts.sourceName ?? '(source)');
  const srcCtx = src.context.context as Json;

  let path = opts.target ?? defaultKubeconfigPath();
  let before: string | undefined;
  try {
    path = await realpath(path);
  } catch {
    // Missing (or a dangling symlink): written as given.
  }
  try {
    before = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KubeError(`cannot read ${path}: ${why(err)}`, 'check the file\'s permissions; nothing was written', 'write', { cause: err });
    }
  }
  let doc: Json;
  try {
    doc = before === undefined ? {} : parseDoc(before, path);
  } catch (err) {
    if (err instanceof KubeError) throw new KubeError(`${err.message}; nothing was written`, `fix or move ${path} away, then merge again`, 'config', { cause: err });
    throw err;
  }

  const prev = { clusters: list(doc, 'clusters'), users: list(doc, 'users'), contexts: list(doc, 'contexts') };
  const userName = `${env}-admin`;
  const context: Json = { cluster: env, user: userName };
  if (typeof srcCtx.namespace === 'string' && srcCtx.namespace) context.namespace = srcCtx.namespace;
  const out: Json = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...doc };
  const clusterAction = upsert(out, 'clusters', { name: env, cluster: src.cluster.cluster });
  const userAction = upsert(out, 'users', { name: userName, user: src.user.user });
  const contextAction = upsert(out, 'contexts', { name: env, context });
  const previousContext = typeof doc['current-context'] === 'string' && doc['current-context'] ? (doc['current-context'] as string) : undefined;
  out['current-context'] = env;
  const text = dumpYaml(out);

  const dir = dirname(path);
  let backup: string | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (before !== undefined) {
      const base = `${path}.backup-${stamp(opts.now ?? new Date())}`;
      for (let n = 1; ; n++) {
        const candidate = n === 1 ? base : `${base}-${n}`;
        try {
          await writeFileAtomic(candidate, before, { mode: 0o600, exclusive: true });
          backup = candidate;
          break;
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST' || n > 100) throw err;
        }
      }
    }
    await writeFileAtomic(path, text, { mode: 0o600 });
  } catch (err) {
    throw new KubeError(
      `cannot write ${path}: ${reasonOf(err)}${backup ? ` (the previous file is kept as ${backup})` : ''}`,
      `check that ${dir} is writable by you`,
      'write',
      { cause: err },
    );
  }

  const others = (xs: NamedEntry[], name: string) => xs.filter((x) => x.name !== name).length;
  return {
    path,
    created: before === undefined,
    ...(backup ? { backup } : {}),
    cluster: { name: env, action: clusterAction },
    user: { name: userName, action: userAction },
    context: { name: env, action: contextAction },
    server: String((src.cluster.cluster as Json).server),
    currentContext: env,
    ...(previousContext ? { previousContext } : {}),
    kept: { clusters: others(prev.clusters, env), users: others(prev.users, userName), contexts: others(prev.contexts, env) },
  };
}

/** The operator-facing lines for a merge result: what was written where, the context switch, the backup. */
export function describeMerge(r: MergeResult): string[] {
  const lines = [
    `${r.created ? 'created' : 'updated'} ${r.path}: context ${r.context.name} ${r.context.action} (cluster ${r.cluster.name} ${r.cluster.action}, user ${r.user.name} ${r.user.action}), server ${r.server}`,
    r.previousContext && r.previousContext !== r.currentContext
      ? `current-context switched from ${r.previousContext} to ${r.currentContext} (back: kubectl config use-context ${r.previousContext})`
      : `current-context is ${r.currentContext}`,
  ];
  if (!r.created) lines.push(`kept ${r.kept.contexts} other context(s), ${r.kept.clusters} cluster(s), ${r.kept.users} user(s); previous file backed up to ${r.backup}`);
  return lines;
}
