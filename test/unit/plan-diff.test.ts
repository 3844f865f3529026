// The plan diff (core/plan-diff.ts) and the risk table (core/plan-risk.ts) on hand-made values of
// Terraform's plan JSON shape; the recorded plans of the real Terraform are in plan-fixtures.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeChanges, Hidden, isPhantom, lineDiff, renderChange, safePair, type ChangeDetail } from '../../src/core/plan-diff.js';
import { highestRisk, riskOf } from '../../src/core/plan-risk.js';

function detail(before: unknown, after: unknown, extra: { bs?: unknown; as?: unknown; au?: unknown; rp?: (string | number)[][] } = {}): ChangeDetail {
  return { ...safePair(before, after, extra.bs, extra.as, extra.au), replacePaths: extra.rp ?? [] };
}

describe('plan diff', () => {
  it('keeps no sensitive value, and tells a changed one from an unchanged one', () => {
    const d = detail({ value: 'old-secret', name: 'p' }, { value: 'new-secret', name: 'p' }, { bs: { value: true }, as: { value: true } });
    assert.ok(!JSON.stringify(d).includes('secret'), 'no sensitive value kept');
    const a = attributeChanges(d);
    assert.deepEqual(a, [{ path: 'value', unknown: false, sensitive: true, forcesReplacement: false }]);
    const same = detail({ value: 's' }, { value: 's' }, { bs: { value: true }, as: { value: true } });
    assert.deepEqual(attributeChanges(same), []);
    const lines = renderChange({ address: 'aws_ssm_parameter.p', action: 'update', type: 'aws_ssm_parameter', name: 'p', detail: d });
    assert.ok(lines.includes('      ~ value = (sensitive value)'), lines.join('\n'));
    assert.ok(!lines.join('\n').includes('secret'));
  });

  it('renders an in-place update as Terraform does: the change, the hidden count, unknowns, forces replacement', () => {
    const d = detail(
      { instance_type: 't3.small', name: 'n', image_id: 'ami-1', tags: { Env: 'a', Role: 'x' }, arn: 'arn:1' },
      { instance_type: 't3.medium', name: 'n', image_id: 'ami-2', tags: { Env: 'a', Role: 'y', New: 'z' }, arn: null },
      { au: { arn: true }, rp: [['image_id']] },
    );
    const out = renderChange({ address: 'module.compute.aws_launch_template.this', action: 'replace', type: 'aws_launch_template', name: 'this', reason: 'replace_because_cannot_update', detail: d }).join('\n');
    assert.match(out, /^# module\.compute\.aws_launch_template\.this must be replaced$/m);
    assert.match(out, /^# \(replaced because it cannot be updated in place\)$/m);
    assert.match(out, /^-\/\+ resource "aws_launch_template" "this" \{$/m);
    assert.match(out, /^ {6}~ arn {11}= "arn:1" -> \(known after apply\)$/m);
    assert.match(out, /^ {6}~ image_id {6}= "ami-1" -> "ami-2" # forces replacement$/m);
    assert.match(out, /^ {6}~ instance_type = "t3\.small" -> "t3\.medium"$/m);
    assert.match(out, /^ {6}~ tags = \{\n {10}\+ New  = "z"\n {10}~ Role = "x" -> "y"\n {12}# \(1 unchanged element hidden\)\n {8}\}$/m);
    assert.match(out, /^ {8}# \(1 unchanged attribute hidden\)$/m);
    const all = renderChange({ address: 'a.b', action: 'update', type: 'a', name: 'b', detail: d }, true).join('\n');
    assert.match(all, /^ {8}name {10}= "n"$/m, 'u shows the unchanged ones');
  });

  it('lists show what was added and removed; blocks are paired; long text gets a line diff', () => {
    const d = detail(
      { cidr_blocks: ['10.0.0.0/16', '10.1.0.0/16', '10.2.0.0/16'], ingress: [{ from_port: 22, to_port: 22 }, { from_port: 443, to_port: 443 }], user_data: 'a\nb\nc\nd\n' },
      { cidr_blocks: ['10.0.0.0/16', '10.2.0.0/16', '10.9.0.0/16'], ingress: [{ from_port: 22, to_port: 22 }, { from_port: 8443, to_port: 8443 }], user_data: 'a\nb\nX\nd\n' },
    );
    const out = renderChange({ address: 'x.y', action: 'update', type: 'x', name: 'y', detail: d }).join('\n');
    assert.match(out, /~ cidr_blocks = \[\n\s+- "10\.1\.0\.0\/16",\n\s+\+ "10\.9\.0\.0\/16",\n\s+# \(2 unchanged elements hidden\)\n\s+\]/);
    assert.match(out, /~ ingress \{\n\s+~ from_port = 443 -> 8443\n\s+~ to_port\s+= 443 -> 8443\n\s+\}\n\s+# \(1 unchanged ingress block hidden\)/);
    assert.match(out, /~ user_data\s+= <<-EOT\n\s+# \(2 unchanged lines hidden\)\n\s+- c\n\s+\+ X\n\s+# \(1 unchanged line hidden\)\n\s+EOT/);
    assert.deepEqual(lineDiff('a\nb', 'a\nc').map((x) => `${x.op}${x.line}`), [' a', '-b', '+c']);
  });

  it('a JSON policy is compared as data: reformatting alone is a phantom update', () => {
    const p1 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }] });
    const p2 = JSON.stringify({ Statement: [{ Action: 's3:GetObject', Effect: 'Allow' }], Version: '2012-10-17' }, null, 2);
    const d = detail({ policy: p1, tags: null }, { policy: p2, tags: {} });
    assert.equal(isPhantom(d), true);
    const real = detail({ policy: p1 }, { policy: p1.replace('GetObject', 'PutObject') });
    assert.equal(isPhantom(real), false);
    const out = renderChange({ address: 'x.y', action: 'update', type: 'x', name: 'y', detail: real }).join('\n');
    assert.match(out, /~ policy = jsonencode\(\n(.*\n)*\s+- {7}"Action": "s3:GetObject",?\n\s+\+ {7}"Action": "s3:PutObject",?\n\s+# \(3 unchanged lines hidden\)\n\s+\)/);
    assert.equal(isPhantom(detail({ a: 1 }, { a: 1 }, { au: { a: true } })), false, 'a change only to unknowns is not phantom');
    assert.equal(isPhantom(detail({ p: p1, version: 1 }, { p: p2, version: 2 }, { au: { version: true } })), true, 'a computed unknown does not make a reformat real');
    assert.equal(isPhantom(detail({ s: 'a' }, { s: 'a ' }, { bs: { s: true }, as: { s: true } })), false, 'a sensitive change is never phantom');
  });

  it('a create shows what it sets and hides empty lists and maps (as Terraform does)', () => {
    const d = detail(null, { name: 'n', cpu_options: [], tags: {}, arn: null }, { au: { arn: true } });
    const out = renderChange({ address: 'x.y', action: 'create', type: 'x', name: 'y', detail: d }).join('\n');
    assert.match(out, /\+ arn  = \(known after apply\)\n\s+\+ name = "n"/);
    assert.doesNotMatch(out, /cpu_options|tags|same elements/);
    assert.deepEqual(attributeChanges(d).map((a) => a.path), ['arn', 'name']);
  });

  it('the flat attribute list carries paths, known values and replacement flags, never a sensitive value', () => {
    const d = detail({ a: { b: [1, 2] }, s: 'x', k: 'v' }, { a: { b: [1, 3] }, s: 'y', k: null }, { as: { s: true }, bs: { s: true }, rp: [['a', 'b']], au: { k: true } });
    assert.deepEqual(attributeChanges(d), [
      { path: 'a.b', before: [1, 2], after: [1, 3], unknown: false, sensitive: false, forcesReplacement: true },
      { path: 'k', before: 'v', unknown: true, sensitive: false, forcesReplacement: false },
      { path: 's', unknown: false, sensitive: true, forcesReplacement: false },
    ]);
    assert.equal(JSON.stringify(Hidden.UNKNOWN), '"(known after apply)"');
  });
});

describe('risk table', () => {
  it('rates the platform\'s resources', () => {
    assert.equal(riskOf('module.secure.aws_ebs_volume.etcd["a"]', 'aws_ebs_volume', 'replace').risk, 'critical');
    assert.equal(riskOf('module.secrets.aws_kms_key.this', 'aws_kms_key', 'delete').risk, 'critical');
    assert.equal(riskOf('module.secrets.aws_s3_object.manifest', 'aws_s3_object', 'delete').risk, 'critical');
    assert.equal(riskOf('module.dns.aws_route53_zone.public', 'aws_route53_zone', 'delete').risk, 'critical');
    assert.equal(riskOf('module.iam.aws_iam_role.this["secure"]', 'aws_iam_role', 'update').risk, 'high');
    assert.equal(riskOf('module.network.aws_subnet.this["a"]', 'aws_subnet', 'replace').risk, 'high');
    assert.equal(riskOf('module.secure.module.nodes.aws_launch_template.this', 'aws_launch_template', 'update').risk, 'high');
    assert.equal(riskOf('module.compute.module.nodes.aws_launch_template.this', 'aws_launch_template', 'update').risk, 'medium');
    assert.equal(riskOf('module.elb.aws_elb.this["api"]', 'aws_elb', 'update').risk, 'high');
    assert.equal(riskOf('module.secure.aws_vpc_security_group_ingress_rule.ssh', 'aws_vpc_security_group_ingress_rule', 'delete').risk, 'medium');
    assert.equal(riskOf('module.dns.aws_route53_record.kubeapi_public', 'aws_route53_record', 'update').risk, 'medium');
    assert.equal(riskOf('module.secure.aws_ebs_volume.etcd["a"]', 'aws_ebs_volume', 'create').risk, 'low', 'creates are low');
    assert.equal(riskOf('terraform_data.x', 'terraform_data', 'update').risk, 'low');
    assert.equal(riskOf('terraform_data.x', 'terraform_data', 'delete').risk, 'medium');
    assert.equal(highestRisk(['low', 'high', 'medium']), 'high');
    assert.equal(highestRisk([]), 'low');
  });
});
