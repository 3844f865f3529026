// The plan diff on `terraform show -json` documents recorded from the real Terraform 1.11.4 with
// hashicorp/aws 5.100.0 against moto (test/fixtures/plan-json/README.md says how each was made;
// `node scripts/record-plan-fixtures.mjs` records them again).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { changesJson, driftLines, planChangesJson, planLines } from '../../src/cli/plan-report.js';
import { attributeChanges, renderChange } from '../../src/core/plan-diff.js';
import { projectRoot } from '../../src/core/paths.js';
import { parsePlanJson, type PlanModel, type ResourceChange } from '../../src/services/terraform/plan-model.js';

const dir = join(projectRoot(), 'test', 'fixtures', 'plan-json');
const load = (name: string): { text: string; plan: PlanModel } => {
  const text = readFileSync(join(dir, name), 'utf8');
  return { text, plan: parsePlanJson(text) };
};
const find = (plan: PlanModel, address: string): ResourceChange => {
  const c = [...plan.changes, ...plan.drift, ...plan.notes].find((x) => x.address === address);
  assert.ok(c, `${address} not in ${[...plan.changes, ...plan.notes].map((x) => x.address).join(', ')}`);
  return c;
};
const show = (c: ResourceChange, all = false, action: string = c.action): string =>
  renderChange({ address: c.address, action, type: c.type, name: c.name, mode: c.mode, phantom: c.phantom, ...(c.reason ? { reason: c.reason } : {}), ...(c.previousAddress ? { previousAddress: c.previousAddress } : {}), ...(c.importingId !== undefined ? { importingId: c.importingId } : {}), ...(c.detail ? { detail: c.detail } : {}) }, all).join('\n');

describe('plan diff on recorded plans of the real Terraform', () => {
  it('update-in-place: changed attributes, a nested block, a tag map, an unknown; unchanged ones hidden with a count (u shows them)', () => {
    const c = find(load('update-in-place.json').plan, 'aws_launch_template.web');
    const out = show(c);
    assert.match(out, /^# aws_launch_template\.web will be updated in-place$/m);
    assert.match(out, /^ {6}~ instance_type\s+= "t3\.small" -> "t3\.medium"$/m);
    assert.match(out, /^ {6}~ latest_version\s+= \d+ -> \(known after apply\)$/m);
    assert.match(out, /~ http_tokens\s+= "optional" -> "required"/);
    assert.match(out, /~ Env\s+= "dev" -> "staging"/);
    assert.match(out, /\+ Owner\s+= /);
    assert.match(out, /# \(\d+ unchanged attributes? hidden\)/);
    assert.ok(show(c, true).split('\n').length > out.split('\n').length, 'u shows more');
    assert.equal(c.phantom, false);
  });

  it('replace-paths: # forces replacement on cidr_block, the reason in words, risk high', () => {
    const { plan } = load('replace-paths.json');
    for (const a of ['aws_subnet.a', 'aws_subnet.b']) {
      const c = find(plan, a);
      assert.equal(c.action, 'replace');
      assert.equal(c.risk, 'high');
      const out = show(c);
      assert.match(out, /^# \(replaced because it cannot be updated in place\)$/m);
      assert.match(out, /~ cidr_block\s+= "[\d./]+" -> "[\d./]+" # forces replacement$/m);
      assert.ok(attributeChanges(c.detail!).some((x) => x.path === 'cidr_block' && x.forcesReplacement));
    }
    assert.ok(plan.destroys);
  });

  it('sensitive: a changed sensitive value shows as (sensitive value), never its value, in the diff, the text and the NDJSON', () => {
    const { text, plan } = load('sensitive.json');
    const secret = /dummy-token[\w-]*/.exec(text)?.[0];
    assert.ok(secret, 'the fixture holds the dummy token (show -json prints sensitive values)');
    const c = find(plan, 'aws_ssm_parameter.api_token');
    const out = show(c, true);
    assert.match(out, /~ value\s+= \(sensitive value\)/);
    const everything = [out, JSON.stringify(plan), planLines(plan).join('\n'), JSON.stringify(planChangesJson(plan))].join('\n');
    assert.ok(!everything.includes(secret), 'the token never leaves the parser');
    assert.ok(!everything.includes('dummy-token'), 'no version of the token either');
    const v = attributeChanges(c.detail!).find((x) => x.path === 'value')!;
    assert.deepEqual(v, { path: 'value', unknown: false, sensitive: true, forcesReplacement: false });
    assert.match(show(find(plan, 'aws_ssm_parameter.endpoint')), /~ description\s+= \(sensitive value\)/);
  });

  it('unknown-after-apply: a create shows what it sets and (known after apply)', () => {
    const out = show(find(load('unknown-after-apply.json').plan, 'aws_vpc.main'));
    assert.match(out, /^# aws_vpc\.main will be created$/m);
    assert.match(out, /^ {2}\+ resource "aws_vpc" "main" \{$/m);
    assert.match(out, /\+ arn\s+= \(known after apply\)/);
    assert.match(out, /\+ cidr_block\s+= "10\.\d+\.\d+\.\d+\/\d+"/);
  });

  it('nested-blocks: a changed rule of an inline set of blocks, a block added', () => {
    const { plan } = load('nested-blocks.json');
    const sg = show(find(plan, 'aws_security_group.web'));
    assert.match(sg, /~ ingress \{\n(\s+.*\n)*?\s+~ description\s+= "http" -> "http-alt"\n(\s+.*\n)*?\s+~ from_port\s+= 80 -> 8080/);
    assert.match(sg, /# \(1 unchanged ingress block hidden\)/);
    const lt = show(find(plan, 'aws_launch_template.disks'));
    assert.match(lt, /\+ block_device_mappings \{/);
    assert.match(lt, /~ volume_size\s+= 20 -> 40/);
  });

  it('list-set: lists and sets show what was added and removed', () => {
    const { plan } = load('list-set.json');
    const sg = show(find(plan, 'aws_security_group.web'));
    assert.match(sg, /~ cidr_blocks = \[\n(\s+[-+] "[\d./]+",\n)+\s+# \(\d+ unchanged elements? hidden\)\n\s+\]/);
    const lt = show(find(plan, 'aws_launch_template.app'));
    assert.match(lt, /~ vpc_security_group_ids = \[\n\s+- "sg-[0-9a-f]+",\n\s+\+ "sg-[0-9a-f]+",\n\s+# \(1 unchanged element hidden\)/);
  });

  it('moved: the address it moved from', () => {
    const { plan } = load('moved.json');
    assert.match(show(find(plan, 'aws_ssm_parameter.changed')), /^# \(moved from aws_ssm_parameter\.\w+\)$/m);
    const moved = plan.notes.find((n) => n.address === 'module.params.aws_ssm_parameter.this');
    assert.ok(moved?.previousAddress, 'a no-op move is kept as a note');
    assert.match(show(moved), /has moved to module\.params\.aws_ssm_parameter\.this/);
  });

  it('import: "will be imported" and the id it is imported from', () => {
    const { plan } = load('import.json');
    const b = plan.notes.find((n) => n.address === 'aws_s3_bucket.imported')!;
    assert.match(show(b), /^# aws_s3_bucket\.imported will be imported\n# \(imported from "pcfx-imported"\)$/m);
    assert.match(show(find(plan, 'aws_ssm_parameter.setting')), /# \(imported from "[^"]+"\)\n(.*\n)*\s+~ value\s+= "from-cli" -> "from-terraform"|~ value/);
  });

  it('forced-replace (-replace): the reason is the request', () => {
    const { plan } = load('forced-replace.json');
    assert.match(show(find(plan, 'aws_vpc.main')), /^# \(replaced because it was asked for \(-replace\)\)$/m);
    assert.match(show(find(plan, 'aws_subnet.a')), /~ vpc_id\s+= "vpc-[0-9a-f]+" -> \(known after apply\) # forces replacement/);
  });

  it('data-read: reads during apply are notes with their reason, not changes', () => {
    const { plan } = load('data-read.json');
    const r = plan.notes.find((n) => n.address === 'data.aws_s3_bucket.same')!;
    assert.equal(r.action, 'read');
    assert.match(show(r), /^# data\.aws_s3_bucket\.same will be read during apply\n# \(read during apply because a resource it depends on has changes pending\)\n <= data "aws_s3_bucket" "same" \{/m);
    assert.ok(!plan.changes.some((c) => c.mode === 'data'));
  });

  it('drift (plan and refresh-only): each drifted resource with the attributes changed outside Terraform', () => {
    for (const f of ['drift.json', 'drift-refresh-only.json']) {
      const { plan } = load(f);
      const vpc = plan.drift.find((d) => d.address === 'aws_vpc.main')!;
      const out = show(vpc, false, 'drift');
      assert.match(out, /^# aws_vpc\.main has changed outside of Terraform$/m);
      assert.match(out, /~ Env\s+= "dev" -> "prod"/);
      assert.match(out, /\+ Owner\s+=/);
      assert.match(out, /- Team\s+= ".*" -> null/);
      assert.ok(plan.drift.some((d) => d.address === 'aws_s3_bucket.logs'));
      assert.match(planLines(plan).join('\n'), /^drift \(2 changed outside Terraform/m);
    }
  });

  it('delete-module: the reasons of each delete in words, and a forget', () => {
    const { plan } = load('delete-module.json');
    const words = plan.changes.map((c) => show(c).split('\n')[1]).join('\n');
    for (const w of ['deleted because its module is no longer in the configuration', 'deleted because it is no longer in the configuration', 'deleted because its count index is out of range', 'deleted because its for_each key is no longer in the map']) assert.ok(words.includes(w), `${w} missing in:\n${words}`);
    const forget = plan.changes.find((c) => c.action === 'forget')!;
    assert.match(show(forget), /will be removed from the state \(not destroyed\)/);
  });

  it('long-string: a JSON policy and a heredoc get a line diff', () => {
    const { plan } = load('long-string.json');
    const pol = show(find(plan, 'aws_iam_policy.app'));
    assert.match(pol, /~ policy\s+= jsonencode\(\n(.*\n)*\s+- .*\n(.*\n)*\s+\+ .*\n(.*\n)*\s+\)/);
    assert.match(pol, /# \(\d+ unchanged lines? hidden\)/);
    const obj = show(find(plan, 'aws_s3_object.app_conf'));
    assert.match(obj, /~ content\s+= <<-EOT\n(.*\n)*\s+- .*\n(.*\n)*\s+\+ .*\n(.*\n)*\s+EOT/);
  });

  it('phantom: an update that only reformats a JSON value is a phantom update', () => {
    const { plan } = load('phantom.json');
    const c = find(plan, 'aws_ssm_parameter.settings');
    assert.equal(c.action, 'update');
    assert.equal(c.phantom, true);
    assert.match(show(c), /a phantom update: equal once normalised/);
    assert.match(planLines(plan).join('\n'), /^phantom updates \(1: /m);
  });

  it('drift-refresh-only: a drift check (plan -refresh-only) has changes to apply (the state), each drifted resource with its tags before and after', () => {
    const text = readFileSync(join(dir, 'drift-refresh-only.json'), 'utf8');
    const plan = parsePlanJson(text, false, true);
    assert.equal(plan.refreshOnly, true);
    assert.equal(plan.changes.length, 0, 'no resource changes in a refresh-only plan');
    assert.equal(plan.hasChanges, true, 'the state would take the real values: there is something to apply');
    assert.equal(parsePlanJson(text).hasChanges, false, 'read as an ordinary plan it changes nothing');
    const lines = driftLines(plan).join('\n');
    assert.match(lines, /^drift \(2 changed outside Terraform since the last apply\):$/m);
    assert.match(lines, /^ {2}~ {3}aws_vpc\.main\n(?: {8}.*\n)*? {8}~ tags\.Env: "dev" → "prod"$/m);
    assert.match(lines, /^ {8}- tags\.Team: "\w+"$/m);
    assert.match(lines, /^ {2}~ {3}aws_s3_bucket\.logs$/m);
    assert.doesNotMatch(lines, /equal once normalised/);
    const json = changesJson(plan.drift) as { address: string; attributes: { path: string; before?: unknown; after?: unknown }[] }[];
    const vpc = json.find((c) => c.address === 'aws_vpc.main')!;
    assert.deepEqual(vpc.attributes.find((a) => a.path === 'tags.Env'), { path: 'tags.Env', before: 'dev', after: 'prod', unknown: false, sensitive: false, forces_replacement: false });
  });

  it('phantom: drift that is only tags null → {} (moto and the provider read back) is counted apart, not as drift', () => {
    const { plan } = load('phantom.json');
    assert.equal(plan.drift.length, 2);
    assert.ok(plan.drift.every((d) => d.phantom), plan.drift.map((d) => `${d.address} phantom=${d.phantom}`).join(', '));
    const lines = driftLines(plan).join('\n');
    assert.doesNotMatch(lines, /^drift \(/m);
    assert.match(lines, /^reported as drift but equal once normalised \(2: not drift\):\n {2}≈ {3}aws_iam_policy\.read\n {2}≈ {3}aws_ssm_parameter\.settings$/m);
  });
});
