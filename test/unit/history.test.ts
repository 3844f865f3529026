// The history's pure parts (keys, parsing, the --ci line, the pane's detail lines), --limit, and
// the commit of terraform/ read with the real git.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInvocation } from '../../src/cli/args.js';
import { UsageError } from '../../src/core/errors.js';
import { historyDetailLines, historyDuration } from '../../src/panes/history/slice.js';
import { historyKey, historyLine, historyPrefix, newHistoryId, operationOfKey, parseHistoryRecord, type HistoryRecord } from '../../src/services/history/record.js';
import { gitStateOf } from '../../src/services/history/recorder.js';

const base: HistoryRecord = {
  version: 1,
  id: '20261129T100412Z-1a2b3c',
  environment: 'dev',
  operation: 'apply',
  outcome: 'succeeded',
  who: { arn: 'arn:aws:iam::123456789012:user/alice', login: 'alice@laptop' },
  startedAt: '2026-11-29T10:04:12.345Z',
  endedAt: '2026-11-29T10:04:24.645Z',
  terraformVersion: '1.11.4',
  profileHash: 'f'.repeat(64),
  plan: { add: 3, change: 1, destroy: 0, replace: 0, risk: 'medium' },
  resources: [
    { address: 'aws_s3_bucket.a', action: 'create', result: 'succeeded', durationMs: 900 },
    { address: 'aws_instance.b', action: 'create', result: 'failed', durationMs: 11_000 },
  ],
  diagnostics: [{ severity: 'error', summary: 'creating EC2 Instance: InvalidAMIID.NotFound', address: 'aws_instance.b' }],
};

describe('history records', () => {
  it('keys sort newest first under ENV/history/ (13 digits of 9999999999999 − start ms)', () => {
    const older = historyKey(base);
    const newer = historyKey({ ...base, startedAt: '2026-11-29T10:04:12.346Z', id: 'x' });
    assert.equal(older, `dev/history/${9_999_999_999_999 - Date.parse(base.startedAt)}-${base.id}.json`);
    assert.ok(older.startsWith(historyPrefix('dev')));
    assert.ok(newer < older, `${newer} sorts before ${older}`);
    // Padded: an early start still has 13 digits (and still sorts after any later one).
    assert.match(historyKey({ ...base, startedAt: '1970-01-01T00:00:00.000Z' }), /^dev\/history\/9999999999999-/);
  });

  it('an id names its operation, so a reader picks records from a listing by key; ids written before name none', () => {
    const at = new Date('2026-11-29T10:04:12.345Z');
    assert.match(newHistoryId(at, 'drift'), /^20261129T100412Z-drift-[0-9a-f]{6}$/);
    assert.match(newHistoryId(at), /^20261129T100412Z-[0-9a-f]{6}$/);
    for (const op of ['apply', 'destroy', 'drift', 'state-rm', 'state-force-unlock'] as const) {
      assert.equal(operationOfKey(historyKey({ ...base, id: newHistoryId(at, op) })), op);
    }
    assert.equal(operationOfKey(historyKey({ ...base, id: newHistoryId(at) })), undefined, 'an id written before');
    assert.equal(operationOfKey('dev/history/notes.json'), undefined);
  });

  it('parses a stored record; rejects what is not one', () => {
    assert.deepEqual(parseHistoryRecord(JSON.stringify(base)), base);
    assert.deepEqual(parseHistoryRecord(JSON.stringify({ ...base, resources: undefined, diagnostics: 'x' }))?.resources, []);
    assert.equal(parseHistoryRecord('not json'), undefined);
    assert.equal(parseHistoryRecord(JSON.stringify({ ...base, outcome: 3 })), undefined);
    assert.equal(parseHistoryRecord('{"id":"x"}'), undefined);
  });

  it('one --ci history line per record', () => {
    assert.equal(historyLine(base), '2026-11-29T10:04:12Z  apply     succeeded    +3 ~1 -0  risk medium  12.3 s  1 failed  alice@laptop (arn:aws:iam::123456789012:user/alice)  20261129T100412Z-1a2b3c');
    const running = { ...base, outcome: 'running' as const, endedAt: undefined, plan: undefined, resources: [] };
    assert.equal(historyLine(running), '2026-11-29T10:04:12Z  apply     running      -  running  alice@laptop (arn:aws:iam::123456789012:user/alice)  20261129T100412Z-1a2b3c');
    // Terraform's final counts win over the plan's.
    assert.match(historyLine({ ...base, result: { add: 2, change: 1, destroy: 0 } }), / \+2 ~1 -0 /);
  });

  it('the pane shows the whole record, resources longest first', () => {
    const lines = historyDetailLines(base);
    assert.equal(lines[0], 'apply succeeded  20261129T100412Z-1a2b3c');
    assert.ok(lines.includes('ended     2026-11-29T10:04:24.645Z  (12s)'), lines.join('\n'));
    const res = lines.indexOf('resources (2, longest first):');
    assert.deepEqual(lines.slice(res + 1, res + 3), ['       11s  ✗ create   aws_instance.b', '     900ms  ✓ create   aws_s3_bucket.a']);
    assert.ok(lines.includes('  error   creating EC2 Instance: InvalidAMIID.NotFound  (aws_instance.b)'));
    assert.equal(historyDuration({ ...base, outcome: 'running', endedAt: undefined }), 'running');
  });
});

describe('--ci history --limit', () => {
  it('parses --limit N (1 to 1000) with --ci history only', () => {
    const inv = parseInvocation(['-e', 'dev', '--ci', 'history', '--limit', '50', '--json']);
    assert.equal(inv.kind === 'ci' ? inv.limit : undefined, 50);
    assert.equal(inv.kind === 'ci' ? inv.command : undefined, 'history');
    assert.equal((parseInvocation(['-e', 'dev', '--ci', 'history']) as { limit?: number }).limit, undefined);
    for (const bad of [['--ci', 'history', '--limit', '0'], ['--ci', 'history', '--limit', '1001'], ['--ci', 'history', '--limit', '5x'], ['--ci', 'plan', '--limit', '5'], ['--limit', '5']]) {
      assert.throws(() => parseInvocation(['-e', 'dev', ...bad]), UsageError, JSON.stringify(bad));
    }
  });
});

describe('the commit of terraform/ (real git)', () => {
  it('absent outside git, the commit when clean, "modified" with a local change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-git-'));
    try {
      const tf = join(dir, 'terraform');
      await mkdir(tf);
      await writeFile(join(tf, 'main.tf'), 'terraform {}\n');
      assert.equal(await gitStateOf(tf), undefined);
      const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim();
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'one');
      const head = git('rev-parse', 'HEAD');
      assert.equal(await gitStateOf(tf), head);
      // A change outside terraform/ does not count.
      await writeFile(join(dir, 'README'), 'x\n');
      assert.equal(await gitStateOf(tf), head);
      await writeFile(join(tf, 'main.tf'), 'terraform {} # edited\n');
      assert.equal(await gitStateOf(tf), 'modified');
      await writeFile(join(tf, 'new.tf'), '\n');
      git('checkout', '-q', '--', 'terraform/main.tf');
      assert.equal(await gitStateOf(tf), 'modified', 'an untracked file counts');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
