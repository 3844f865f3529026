/**
 * Drift that Terraform reports but that no one made outside Terraform: attributes of a resource
 * that other resources of the same configuration fill in (the rules of a security group written as
 * `aws_security_group_rule`, the routes of a route table as `aws_route`, an EIP associated by its
 * NAT gateway, …). The resource's own state entry was written before those others existed, so the
 * next refresh reads them and Terraform reports them as "changed outside of Terraform" (on AWS as
 * on the emulator) until the state is refreshed once. Plain TypeScript.
 */

/** An attribute of a resource type that companion resources set, and how a companion names its target. */
interface SetBy {
  /** Top-level attributes of the drifted resource that the companions fill in. */
  readonly attributes: readonly string[];
  /** Companion resource type → its attribute holding the target's id (a string or a list of strings). */
  readonly companions: Readonly<Record<string, string>>;
}

const S3_BUCKET_COMPANIONS = Object.fromEntries(
  ['versioning', 'server_side_encryption_configuration', 'lifecycle_configuration', 'logging', 'acl', 'cors_configuration', 'website_configuration', 'replication_configuration', 'object_lock_configuration', 'policy', 'public_access_block', 'ownership_controls'].map((k) => [`aws_s3_bucket_${k}`, 'bucket']),
);

/**
 * The table: resource type → the attributes its companions set (source: the hashicorp/aws
 * provider's documentation of each type, which warns against using the inline attribute together
 * with the standalone resource).
 */
export const SET_BY_OTHER_RESOURCES: Readonly<Record<string, SetBy>> = {
  aws_security_group: {
    attributes: ['ingress', 'egress'],
    companions: { aws_security_group_rule: 'security_group_id', aws_vpc_security_group_ingress_rule: 'security_group_id', aws_vpc_security_group_egress_rule: 'security_group_id' },
  },
  aws_route_table: { attributes: ['route', 'propagating_vgws'], companions: { aws_route: 'route_table_id', aws_vpn_gateway_route_propagation: 'route_table_id' } },
  aws_eip: {
    attributes: ['association_id', 'network_interface', 'private_ip', 'private_dns', 'instance', 'public_dns'],
    companions: { aws_nat_gateway: 'allocation_id', aws_eip_association: 'allocation_id' },
  },
  aws_elb: { attributes: ['instances'], companions: { aws_autoscaling_group: 'load_balancers', aws_elb_attachment: 'elb', aws_autoscaling_attachment: 'elb' } },
  aws_iam_role: { attributes: ['inline_policy', 'managed_policy_arns'], companions: { aws_iam_role_policy: 'role', aws_iam_role_policy_attachment: 'role' } },
  aws_s3_bucket: {
    attributes: ['versioning', 'server_side_encryption_configuration', 'lifecycle_rule', 'logging', 'acl', 'grant', 'cors_rule', 'website', 'replication_configuration', 'object_lock_configuration', 'policy'],
    companions: S3_BUCKET_COMPANIONS,
  },
};

/** A resource of the state: its type and attribute values (Terraform's JSON state representation). */
export interface StateResource {
  type: string;
  values: Record<string, unknown>;
}

/** For each companion type of the table: the target ids its resources in the state name, and the resources. */
export type CompanionIndex = Map<string, Set<string>> & { resources?: Map<string, StateResource[]> };

/** Builds the {@link CompanionIndex} of a state's resources (only the companion types of the table are read). */
export function companionIndex(resources: Iterable<StateResource>): CompanionIndex {
  const wanted = new Map<string, string>();
  for (const s of Object.values(SET_BY_OTHER_RESOURCES)) for (const [t, a] of Object.entries(s.companions)) wanted.set(t, a);
  const index: CompanionIndex = new Map();
  index.resources = new Map();
  for (const r of resources) {
    const attr = wanted.get(r.type);
    if (!attr) continue;
    let list = index.resources.get(r.type);
    if (!list) index.resources.set(r.type, (list = []));
    list.push(r);
    const v = r.values[attr];
    const ids = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    let set = index.get(r.type);
    if (!set) index.set(r.type, (set = new Set()));
    for (const id of ids) set.add(id);
  }
  return index;
}

/** The top-level attribute of a path text (`ingress[0].cidr_blocks` → `ingress`). */
export function rootOf(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

/**
 * Whether a drifted resource's changed attributes are all ones that other resources of this
 * configuration set on it (and such a resource in the state names it).
 * @param type the drifted resource's type; `id` its id (`before.id`, else `after.id`);
 * `paths` its changed attribute paths (see plan-diff's attributeChanges).
 * `values`: its before and after (for security groups and route tables, each entry that appeared
 * must match a rule or route resource of the state, and none may have disappeared).
 * @returns the companion types that set them (e.g. `aws_security_group_rule`), or undefined when
 * any changed attribute is not one of them (real drift), no companion names this resource, or an
 * entry is not one of theirs.
 */
export function setByOtherResources(type: string, id: string | undefined, paths: readonly string[], index: CompanionIndex, values?: { before: unknown; after: unknown }): string[] | undefined {
  const s = SET_BY_OTHER_RESOURCES[type];
  if (!s || !id || paths.length === 0) return undefined;
  if (!paths.every((p) => s.attributes.includes(rootOf(p)))) return undefined;
  const by = Object.keys(s.companions).filter((t) => index.get(t)?.has(id));
  if (!by.length) return undefined;
  // Where the entries can be matched to the companions (security group rules, routes), every entry
  // that appeared must be one of theirs and none may have gone: a rule added by hand is drift.
  const check = ENTRY_CHECKS[type];
  if (check && values) {
    const companions = by.flatMap((t) => index.resources?.get(t) ?? []).filter((r) => idsOf(r.values[s.companions[r.type]!]).includes(id));
    for (const attr of check.attributes) {
      const before = listOf(values.before, attr);
      const after = listOf(values.after, attr);
      if (before.some((b) => !after.some((a) => sameEntry(a, b)))) return undefined;
      for (const e of after.filter((a) => !before.some((b) => sameEntry(a, b)))) if (!check.covered(attr, e, id, companions)) return undefined;
    }
  }
  return by;
}

function idsOf(v: unknown): string[] {
  return typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function listOf(v: unknown, attr: string): Record<string, unknown>[] {
  const l = v && typeof v === 'object' ? (v as Record<string, unknown>)[attr] : undefined;
  return Array.isArray(l) ? l.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : [];
}

function sameEntry(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Whether a security group's `ingress`/`egress` entry is the sum of rule resources of the state (protocol, ports and every source). */
function ruleCovered(attr: string, e: Record<string, unknown>, groupId: string, rules: StateResource[]): boolean {
  const proto = String(e.protocol ?? '');
  const all = proto === '-1' || proto === 'all';
  const sameProto = (p: unknown) => String(p ?? '') === proto || (all && (p === '-1' || p === 'all'));
  const samePorts = (from: unknown, to: unknown) => all || (Number(from) === Number(e.from_port) && Number(to) === Number(e.to_port));
  const sources: [string, string][] = [
    ...strs(e.cidr_blocks).map((c): [string, string] => ['cidr', c]),
    ...strs(e.ipv6_cidr_blocks).map((c): [string, string] => ['cidr', c]),
    ...strs(e.security_groups).map((g): [string, string] => ['sg', g]),
    ...strs(e.prefix_list_ids).map((p): [string, string] => ['pl', p]),
    ...(e.self === true ? [['sg', groupId] as [string, string]] : []),
  ];
  if (!sources.length) return false;
  const matches = (r: StateResource, kind: string, v: string): boolean => {
    const x = r.values;
    if (r.type === 'aws_security_group_rule') {
      if (x.type !== attr || !sameProto(x.protocol) || !samePorts(x.from_port, x.to_port)) return false;
      if (kind === 'cidr') return strs(x.cidr_blocks).includes(v) || strs(x.ipv6_cidr_blocks).includes(v);
      if (kind === 'sg') return x.source_security_group_id === v || (x.self === true && v === groupId);
      return strs(x.prefix_list_ids).includes(v);
    }
    const direction = r.type === 'aws_vpc_security_group_ingress_rule' ? 'ingress' : 'egress';
    if (direction !== attr || !sameProto(x.ip_protocol) || !samePorts(x.from_port, x.to_port)) return false;
    if (kind === 'cidr') return str(x.cidr_ipv4) === v || str(x.cidr_ipv6) === v;
    if (kind === 'sg') return str(x.referenced_security_group_id) === v;
    return str(x.prefix_list_id) === v;
  };
  return sources.every(([k, v]) => rules.some((r) => matches(r, k, v)));
}

/** Whether a route table's `route` entry is an `aws_route` of the state (its destination). */
function routeCovered(_attr: string, e: Record<string, unknown>, _tableId: string, routes: StateResource[]): boolean {
  const dest = str(e.cidr_block) ?? str(e.ipv6_cidr_block) ?? str(e.destination_prefix_list_id);
  if (!dest) return false;
  return routes.some((r) => r.type === 'aws_route' && (str(r.values.destination_cidr_block) ?? str(r.values.destination_ipv6_cidr_block) ?? str(r.values.destination_prefix_list_id)) === dest);
}

/** Types whose entries are matched one by one to the companions. */
const ENTRY_CHECKS: Record<string, { attributes: string[]; covered: (attr: string, e: Record<string, unknown>, id: string, companions: StateResource[]) => boolean }> = {
  aws_security_group: { attributes: ['ingress', 'egress'], covered: ruleCovered },
  aws_route_table: { attributes: ['route'], covered: routeCovered },
};

/** The drift someone made outside Terraform: neither phantom (equal once normalised) nor set by other resources of the configuration. */
export function realDrift<T extends { phantom: boolean; setBy?: string[] }>(plan: { drift: readonly T[] }): T[] {
  return driftClasses(plan.drift).real;
}

/**
 * What Terraform reports as drift, in the three classes every view shows apart, each in the
 * report's order: `real` (changed outside Terraform), `setBy` (set by other resources of this
 * configuration, e.g. a security group's rules by aws_vpc_security_group_ingress_rule: not drift)
 * and `phantom` (equal once normalised: not drift). Each entry is in exactly one class.
 */
export function driftClasses<T extends { phantom: boolean; setBy?: string[] }>(drift: readonly T[]): { real: T[]; setBy: (T & { setBy: string[] })[]; phantom: T[] } {
  const out = { real: [] as T[], setBy: [] as (T & { setBy: string[] })[], phantom: [] as T[] };
  for (const d of drift) {
    if (d.phantom) out.phantom.push(d);
    else if (d.setBy) out.setBy.push(d as T & { setBy: string[] });
    else out.real.push(d);
  }
  return out;
}
