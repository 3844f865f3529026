// Drift that other resources of the configuration set (core/plan-drift.ts), on hand-made plan
// documents in Terraform's JSON Output Format: a security group whose rules are standalone rule
// resources, a route table with aws_route, and the cases that stay real drift.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { companionIndex, driftClasses, realDrift, rootOf, setByOtherResources } from '../../src/core/plan-drift.js';
import { parsePlanJson } from '../../src/services/terraform/plan-model.js';

const sgDrift = (address: string, id: string, after: Record<string, unknown>) => ({
  address,
  mode: 'managed',
  type: 'aws_security_group',
  name: 'this',
  change: { actions: ['update'], before: { id, ingress: [], egress: [], tags: { Name: 'a' } }, after: { id, ingress: [], egress: [], tags: { Name: 'a' }, ...after }, after_unknown: {}, before_sensitive: {}, after_sensitive: {} },
});
const ingressRule = { security_group_id: 'sg-1', ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr_ipv4: '10.0.0.0/16', cidr_ipv6: null, referenced_security_group_id: null, prefix_list_id: null };
const rule = { cidr_blocks: ['10.0.0.0/16'], description: '', from_port: 22, ipv6_cidr_blocks: [], prefix_list_ids: [], protocol: 'tcp', security_groups: [], self: false, to_port: 22 };

function doc(stateResources: { type: string; values: Record<string, unknown> }[], drift: unknown[]): string {
  return JSON.stringify({
    format_version: '1.2',
    resource_drift: drift,
    prior_state: { format_version: '1.0', values: { root_module: { resources: [], child_modules: [{ resources: stateResources.map((r, i) => ({ address: `module.m.${r.type}.r${i}`, mode: 'managed', name: `r${i}`, ...r })) }] } } },
  });
}

describe('drift set by other resources of the configuration', () => {
  it('a security group whose new ingress comes from an aws_vpc_security_group_ingress_rule of the state is not real drift', () => {
    const plan = parsePlanJson(doc([{ type: 'aws_vpc_security_group_ingress_rule', values: ingressRule }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [rule] })]), false, true);
    assert.deepEqual(plan.drift[0]!.setBy, ['aws_vpc_security_group_ingress_rule']);
    assert.equal(realDrift(plan).length, 0);
    assert.equal(plan.hasChanges, true, 'the refresh-only plan still has the state to update');
    const legacy = parsePlanJson(doc([{ type: 'aws_security_group_rule', values: { security_group_id: 'sg-1', type: 'ingress', protocol: 'tcp', from_port: 22, to_port: 22, cidr_blocks: ['10.0.0.0/16'] } }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [rule] })]), false, true);
    assert.deepEqual(legacy.drift[0]!.setBy, ['aws_security_group_rule']);
  });

  it('a rule added by hand to such a group is drift: its entry matches no rule resource (port, protocol, source)', () => {
    const byHand = { ...rule, cidr_blocks: ['0.0.0.0/0'] };
    const plan = parsePlanJson(doc([{ type: 'aws_vpc_security_group_ingress_rule', values: ingressRule }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [rule, byHand] })]), false, true);
    assert.equal(plan.drift[0]!.setBy, undefined);
    assert.equal(realDrift(plan).length, 1);
    const otherPort = parsePlanJson(doc([{ type: 'aws_vpc_security_group_ingress_rule', values: ingressRule }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [{ ...rule, from_port: 2222, to_port: 2222 }] })]), false, true);
    assert.equal(realDrift(otherPort).length, 1);
    const egressNotIngress = parsePlanJson(doc([{ type: 'aws_vpc_security_group_egress_rule', values: ingressRule }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [rule] })]), false, true);
    assert.equal(realDrift(egressNotIngress).length, 1, 'an egress rule does not make an ingress entry');
  });

  it('stays real drift: no rule resource names that group; a tag changed too; a type the table does not know', () => {
    const noCompanion = parsePlanJson(doc([{ type: 'aws_vpc_security_group_ingress_rule', values: { ...ingressRule, security_group_id: 'sg-OTHER' } }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [rule] })]), false, true);
    assert.equal(noCompanion.drift[0]!.setBy, undefined);
    assert.equal(realDrift(noCompanion).length, 1);
    const tagToo = parsePlanJson(doc([{ type: 'aws_security_group_rule', values: { security_group_id: 'sg-1' } }], [sgDrift('aws_security_group.a', 'sg-1', { ingress: [rule], tags: { Name: 'a', Owner: 'x' } })]), false, true);
    assert.equal(tagToo.drift[0]!.setBy, undefined, 'a tag changed outside Terraform is drift whatever else changed');
    assert.equal(setByOtherResources('aws_instance', 'i-1', ['tags.Owner'], companionIndex([])), undefined);
  });

  it('route tables (aws_route), EIPs (the NAT gateway), ELB instances (the auto-scaling group), IAM inline policies, bucket versioning', () => {
    const index = companionIndex([
      { type: 'aws_route', values: { route_table_id: 'rtb-1' } },
      { type: 'aws_nat_gateway', values: { allocation_id: 'eipalloc-1' } },
      { type: 'aws_autoscaling_group', values: { load_balancers: ['api-internal'] } },
      { type: 'aws_iam_role_policy', values: { role: 'node' } },
      { type: 'aws_s3_bucket_versioning', values: { bucket: 'secrets' } },
    ]);
    assert.deepEqual(setByOtherResources('aws_route_table', 'rtb-1', ['route[0].cidr_block', 'route[0].nat_gateway_id'], index), ['aws_route']);
    const routes = companionIndex([{ type: 'aws_route', values: { route_table_id: 'rtb-1', destination_cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-1' } }]);
    const route = (cidr: string) => ({ before: { id: 'rtb-1', route: [] }, after: { id: 'rtb-1', route: [{ cidr_block: cidr, nat_gateway_id: 'nat-1' }] } });
    assert.deepEqual(setByOtherResources('aws_route_table', 'rtb-1', ['route[0].cidr_block'], routes, route('0.0.0.0/0')), ['aws_route']);
    assert.equal(setByOtherResources('aws_route_table', 'rtb-1', ['route[0].cidr_block'], routes, route('10.9.0.0/16')), undefined, 'a route added by hand');
    assert.deepEqual(setByOtherResources('aws_eip', 'eipalloc-1', ['association_id', 'network_interface', 'private_ip'], index), ['aws_nat_gateway']);
    assert.deepEqual(setByOtherResources('aws_elb', 'api-internal', ['instances'], index), ['aws_autoscaling_group']);
    assert.equal(setByOtherResources('aws_elb', 'api-public', ['instances'], index), undefined);
    assert.deepEqual(setByOtherResources('aws_iam_role', 'node', ['inline_policy[0].policy'], index), ['aws_iam_role_policy']);
    assert.deepEqual(setByOtherResources('aws_s3_bucket', 'secrets', ['versioning[0].enabled'], index), ['aws_s3_bucket_versioning']);
    assert.equal(setByOtherResources('aws_s3_bucket', 'secrets', ['versioning[0].enabled', 'tags.Env'], index), undefined);
    assert.equal(rootOf('ingress[3].cidr_blocks'), 'ingress');
    assert.equal(rootOf('tags.Name'), 'tags');
  });

  it('driftClasses puts each entry in exactly one class, in the report order; realDrift is its first', () => {
    const d = (address: string, phantom: boolean, setBy?: string[]) => ({ address, phantom, ...(setBy ? { setBy } : {}) });
    const drift = [d('a', false), d('b', true), d('c', false, ['aws_route']), d('d', false), d('e', true, ['aws_route'])];
    const c = driftClasses(drift);
    assert.deepEqual(c.real.map((x) => x.address), ['a', 'd']);
    assert.deepEqual(c.setBy.map((x) => x.address), ['c']);
    assert.deepEqual(c.phantom.map((x) => x.address), ['b', 'e'], 'phantom wins over setBy: equal once normalised is not drift whoever set it');
    assert.deepEqual(realDrift({ drift }).map((x) => x.address), ['a', 'd']);
    assert.deepEqual(driftClasses([]), { real: [], setBy: [], phantom: [] });
  });
});
