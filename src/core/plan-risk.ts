/**
 * How risky a planned change is for this platform, in one table: what each level means here and
 * which resources and actions reach it. The plan's risk is its highest change's. Pure.
 */

/** Risk levels, lowest first. */
export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];

/** One rule: resource types (and, where it matters, the layer from the address) and the actions it covers. */
interface RiskRule {
  risk: Risk;
  types: readonly string[];
  /** Which actions: deletes (delete, replace) or any change (update too). */
  on: 'delete' | 'change';
  /** Only addresses that match (e.g. the secure layer's node groups). */
  address?: RegExp;
  why: string;
}

/**
 * The platform's risk table, highest first; the first rule that matches decides. Creates are
 * `low` whatever they create (nothing existing is touched); an unlisted delete is `medium`, an
 * unlisted update `low`.
 */
export const RISK_TABLE: readonly RiskRule[] = [
  { risk: 'critical', types: ['aws_ebs_volume'], on: 'delete', address: /etcd/, why: 'the etcd data volumes: the cluster state is on them' },
  { risk: 'critical', types: ['aws_kms_key', 'aws_kms_alias'], on: 'delete', why: 'the KMS key: what it encrypted (secrets, state) cannot be read without it' },
  { risk: 'critical', types: ['aws_s3_bucket', 'aws_s3_object', 'aws_s3_bucket_versioning', 'aws_s3_bucket_server_side_encryption_configuration'], on: 'delete', address: /secrets/, why: 'the secrets bucket or its objects (kubeconfig, certificates)' },
  { risk: 'critical', types: ['aws_s3_bucket'], on: 'delete', address: /state/, why: 'the Terraform state bucket' },
  { risk: 'critical', types: ['aws_route53_zone'], on: 'delete', why: 'a Route 53 zone: every record in it goes with it' },
  { risk: 'high', types: ['aws_iam_role', 'aws_iam_role_policy', 'aws_iam_policy', 'aws_iam_role_policy_attachment', 'aws_iam_instance_profile'], on: 'change', why: 'IAM: what the nodes may do' },
  { risk: 'high', types: ['aws_vpc', 'aws_subnet', 'aws_route_table', 'aws_route', 'aws_route_table_association', 'aws_nat_gateway', 'aws_internet_gateway', 'aws_eip'], on: 'change', why: 'the network every node and load balancer sits in' },
  { risk: 'high', types: ['aws_autoscaling_group', 'aws_launch_template'], on: 'change', address: /module\.secure\b/, why: 'the secure layer (control plane and etcd) node groups' },
  { risk: 'high', types: ['aws_elb', 'aws_lb', 'aws_lb_listener', 'aws_lb_target_group', 'aws_lb_target_group_attachment'], on: 'change', why: 'a load balancer in front of the Kubernetes API or the workloads' },
  { risk: 'high', types: ['aws_kms_key', 'aws_kms_alias', 'aws_ebs_volume', 'aws_s3_bucket', 'aws_s3_bucket_policy', 'aws_route53_zone'], on: 'change', why: 'a store of keys, secrets, state or data changed in place' },
  { risk: 'medium', types: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'], on: 'change', why: 'who may reach what' },
  { risk: 'medium', types: ['aws_route53_record'], on: 'change', why: 'a DNS name the cluster or its users resolve' },
  { risk: 'medium', types: ['aws_autoscaling_group', 'aws_launch_template'], on: 'change', address: /module\.compute\b/, why: 'the compute node groups (workloads move when nodes are replaced)' },
];

/** The risk of one change and why (`action`: create, update, replace, delete, read, forget, noop). */
export function riskOf(address: string, type: string, action: string): { risk: Risk; why: string } {
  if (action === 'create' || action === 'read' || action === 'noop') return { risk: 'low', why: action === 'create' ? 'a new resource: nothing existing is touched' : 'nothing changes' };
  const deletes = action === 'delete' || action === 'replace';
  for (const r of RISK_TABLE) {
    if (!r.types.includes(type)) continue;
    if (r.on === 'delete' && !deletes) continue;
    if (r.address && !r.address.test(address)) continue;
    return { risk: r.risk, why: r.why };
  }
  if (action === 'forget') return { risk: 'medium', why: 'removed from the state: Terraform stops managing it' };
  return deletes ? { risk: 'medium', why: 'a resource is deleted' } : { risk: 'low', why: 'an in-place update' };
}

/** The highest of several risks (`low` for none). */
export function highestRisk(risks: Iterable<Risk>): Risk {
  let best = 0;
  for (const r of risks) best = Math.max(best, RISKS.indexOf(r));
  return RISKS[best]!;
}
