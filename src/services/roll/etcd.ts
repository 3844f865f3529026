/**
 * etcd as a roll of the control plane sees it: the `etcdctl` command lines run (through SSH) on a
 * healthy control-plane node, the parsers of their output, and the gate built from them.
 *
 * The commands use kubeadm's certificate paths (the API server's etcd client certificate, signed
 * by etcd's CA; kubeadm's etcd has no RBAC, so it may list, check and remove members) and etcd's
 * local client URL on the node. Output formats, from etcdctl v3.5 (`etcdctl/ctlv3/command/printer*.go`):
 * - `endpoint health --cluster -w json`: a JSON array of `{"endpoint","health","took","error"}`,
 *   one per member's client URL; the exit status is 1 when any is unhealthy (the JSON is still printed);
 * - `member list -w simple`: a line per member, `ID, STATUS, NAME, PEER ADDRS, CLIENT ADDRS, IS LEARNER`
 *   (fields joined by ", ", URLs within a field by ","), the ID in hex: `-w json` prints IDs as
 *   64-bit decimal numbers, which JSON.parse rounds.
 */

/** kubeadm's paths on a control-plane node. */
export const KUBEADM_ETCD = {
  endpoint: 'https://127.0.0.1:2379',
  cacert: '/etc/kubernetes/pki/etcd/ca.crt',
  cert: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
  key: '/etc/kubernetes/pki/apiserver-etcd-client.key',
} as const;

/** `etcdctl` with kubeadm's certificates (as root: the keys are 0600 root), followed by `args` (each a plain word). */
export function etcdctl(args: readonly string[]): string {
  for (const a of args) if (!/^[A-Za-z0-9_=:./-]+$/.test(a)) throw new RangeError(`not an etcdctl word: ${JSON.stringify(a)}`);
  const k = KUBEADM_ETCD;
  return ['sudo', '-n', 'env', 'ETCDCTL_API=3', 'etcdctl', `--endpoints=${k.endpoint}`, `--cacert=${k.cacert}`, `--cert=${k.cert}`, `--key=${k.key}`, '--command-timeout=10s', ...args].join(' ');
}

/** The three commands a roll runs. */
export const ETCD_COMMANDS = {
  health: etcdctl(['endpoint', 'health', '--cluster', '-w', 'json']),
  members: etcdctl(['member', 'list', '-w', 'simple']),
  /** `member remove ID` (ID in hex, as {@link parseMemberList} gives it). */
  remove: (id: string) => {
    if (!/^[0-9a-f]{1,16}$/.test(id)) throw new RangeError(`not an etcd member ID: ${JSON.stringify(id)}`);
    return etcdctl(['member', 'remove', id]);
  },
} as const;

/** One member, from `member list -w simple`. */
export interface EtcdMember {
  /** Hex, as etcdctl prints and `member remove` takes it. */
  id: string;
  /** `started`, or `unstarted` (added, never joined). */
  status: string;
  /** The node's name; empty for an unstarted member. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/** One endpoint's health, from `endpoint health --cluster -w json`. */
export interface EndpointHealth {
  endpoint: string;
  health: boolean;
  /** etcd's error text when unhealthy. */
  error?: string;
}

/**
 * Parses `etcdctl member list -w simple`.
 * @throws SyntaxError naming the first line that is not a member line.
 */
export function parseMemberList(text: string): EtcdMember[] {
  const out: EtcdMember[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.trim().split(', ');
    if (f.length !== 6 || !/^[0-9a-f]{1,16}$/.test(f[0]!) || (f[5] !== 'true' && f[5] !== 'false')) {
      throw new SyntaxError(`not a line of etcdctl member list -w simple: ${JSON.stringify(line.slice(0, 200))}`);
    }
    const urls = (s: string) => s.split(',').filter(Boolean);
    out.push({ id: f[0]!, status: f[1]!, name: f[2]!, peerUrls: urls(f[3]!), clientUrls: urls(f[4]!), isLearner: f[5] === 'true' });
  }
  return out;
}

/**
 * Parses `etcdctl endpoint health --cluster -w json`.
 * @throws SyntaxError when it is not such an array.
 */
export function parseEndpointHealth(text: string): EndpointHealth[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new SyntaxError(`not the JSON of etcdctl endpoint health: ${JSON.stringify(text.trim().slice(0, 200))}`);
  }
  if (!Array.isArray(v)) throw new SyntaxError('etcdctl endpoint health -w json did not print an array');
  return v.map((e: unknown) => {
    const o = e as { endpoint?: unknown; health?: unknown; error?: unknown };
    if (typeof o?.endpoint !== 'string' || typeof o.health !== 'boolean') throw new SyntaxError(`not an endpoint's health: ${JSON.stringify(e).slice(0, 200)}`);
    return { endpoint: o.endpoint, health: o.health, ...(typeof o.error === 'string' && o.error ? { error: o.error } : {}) };
  });
}

/** The host of a URL (`https://10.0.1.10:2380` → `10.0.1.10`); '' when it is not a URL. */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

/** The member whose peer URL is at one of `ips` (a node's private addresses), if any. */
export function memberAt(members: readonly EtcdMember[], ips: readonly string[]): EtcdMember | undefined {
  return members.find((m) => m.peerUrls.some((u) => ips.includes(hostOf(u))));
}

/** The etcd gate's verdict. */
export interface EtcdGate {
  ok: boolean;
  /** One line: `3 of 3 members healthy` or what is wrong. */
  detail: string;
}

/**
 * The etcd gate before a control-plane node goes: every member started, none a learner, as many
 * members as `expected` (the group's desired capacity), and every member's endpoint healthy.
 */
export function etcdGate(members: readonly EtcdMember[], health: readonly EndpointHealth[], expected: number): EtcdGate {
  const healthy = health.filter((h) => h.health);
  const problems: string[] = [];
  if (members.length !== expected) problems.push(`${members.length} member${members.length === 1 ? '' : 's'}, not ${expected}`);
  const odd = members.filter((m) => m.status !== 'started' || m.isLearner);
  if (odd.length) problems.push(odd.map((m) => `${m.name || m.id} is ${m.isLearner ? 'a learner' : m.status}`).join(', '));
  const sick = health.filter((h) => !h.health);
  if (sick.length) problems.push(sick.map((h) => `${h.endpoint} unhealthy${h.error ? ` (${h.error.slice(0, 120)})` : ''}`).join(', '));
  if (health.length < members.length) problems.push(`${members.length - health.length} member${members.length - health.length === 1 ? '' : 's'} not checked`);
  const count = `${healthy.length} of ${members.length} members healthy`;
  return problems.length ? { ok: false, detail: `${count}: ${problems.join('; ')}` } : { ok: true, detail: count };
}
