// --ci plan's text and Markdown, on the hand-written plan document of test/support/plan-doc.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInvocation } from '../../src/cli/args.js';
import { planChangesJson, planLines, planMarkdown } from '../../src/cli/plan-report.js';
import { parsePlanJson } from '../../src/services/terraform/plan-model.js';
import { PLAN } from '../support/plan-doc.js';

describe('--ci plan output', () => {
  it('text: by module (root first) with counts, each change with its reason, risk and changed attributes; phantom apart; the risk line', () => {
    const lines = planLines(parsePlanJson(PLAN)).join('\n');
    assert.match(lines, /^\(root module\)  \+1 ~0 -0\n  \+   aws_s3_bucket\.logs  \[risk low\]$/m);
    assert.match(lines, /^module\.network  \+1 ~1 -1\n {2}-\/\+ module\.network\.aws_subnet\.this\["a"\]  \(replaced because it cannot be updated in place\)  \[risk high\]\n {8}~ cidr_block: "10\.0\.1\.0\/24" → "10\.9\.1\.0\/24"  # forces replacement\n {8}~ id: "subnet-1" → \(known after apply\)$/m);
    assert.match(lines, /^ {8}~ tags\.Env: "a" → "b"$/m);
    assert.match(lines, /^phantom updates \(1: equal once normalised/m);
    assert.doesNotMatch(lines, /^module\.iam/m, 'the phantom update is not among the real changes');
    assert.match(lines, /^risk: critical \(module\.secure\.aws_ebs_volume\.etcd\["a"\]: the etcd data volumes/m);
  });

  it('NDJSON: changes[] with module, action, reason, risk, phantom and attributes (sensitive never present)', () => {
    const changes = planChangesJson(parsePlanJson(PLAN)) as { address: string; module: string; attributes: { path: string }[]; phantom: boolean; risk: string }[];
    const subnet = changes.find((c) => c.address.includes('aws_subnet'))!;
    assert.deepEqual(subnet, {
      address: 'module.network.aws_subnet.this["a"]',
      module: 'module.network',
      action: 'replace',
      reason: 'replace_because_cannot_update',
      risk: 'high',
      phantom: false,
      attributes: [
        { path: 'cidr_block', before: '10.0.1.0/24', after: '10.9.1.0/24', unknown: false, sensitive: false, forces_replacement: true },
        { path: 'id', before: 'subnet-1', unknown: true, sensitive: false, forces_replacement: false },
      ],
    });
    assert.equal(changes.find((c) => c.address.includes('iam'))!.phantom, true);
  });

  it('Markdown: the summary table, a <details> per module, cut with a note past the limit', () => {
    const md = planMarkdown(parsePlanJson(PLAN), 'prod');
    assert.match(md, /^### Plan for `prod`$/m);
    assert.match(md, /^\| 2 \| 2 \| 2 \| 1 \| \*\*critical\*\* \(the etcd data volumes: the cluster state is on them\) \| 0 \| 1 \|$/m);
    assert.match(md, /<details><summary><code>module\.network<\/code> \+1 ~1 -1<\/summary>\n\n```diff\n! -\/\+ module\.network\.aws_subnet/);
    assert.match(md, /<details><summary>Phantom updates: 1/);
    const cut = planMarkdown(parsePlanJson(PLAN), 'prod', 1200);
    assert.ok(cut.length <= 1200 + 300, `${cut.length} characters`);
    assert.match(cut, /sections are left out \(over 1,200 characters\)/);
  });

  it('--format markdown only with --ci plan, and not with --json', () => {
    assert.equal((parseInvocation(['-e', 'dev', '--ci', 'plan', '--format', 'markdown']) as { markdown?: boolean }).markdown, true);
    assert.equal('markdown' in parseInvocation(['-e', 'dev', '--ci', 'plan', '--format', 'text']), false);
    assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'apply', '--format', 'markdown']), /--format only works with --ci plan/);
    assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'plan', '--format', 'html']), /is not text or markdown/);
    assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'plan', '--format', 'markdown', '--json']), /cannot be used together/);
    assert.throws(() => parseInvocation(['-e', 'dev', '--format', 'markdown']), /only work with --ci/);
  });
});
