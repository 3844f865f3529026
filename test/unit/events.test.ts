/**
 * Tests of the machine-readable UI parser against real recordings of
 * Terraform 1.11.4 (test/fixtures/tf-json/, recorded from test/fixtures/tf-configs/;
 * see the README there) and a few hand-written lines for what a recording cannot show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  MAX_LINE_CHARS,
  MAX_NON_JSON_CHARS,
  MAX_TEXT_EVENT_CHARS,
  NON_JSON_LEVEL,
  NON_JSON_RAW_TYPE,
  NON_JSON_SUMMARY,
  TfJsonStreamParser,
  parseTfJsonLine,
  type TfEvent,
  type TfEventOf,
} from '../../src/services/terraform/events.js';
import { TofuError } from '../../src/core/errors.js';

const FIXTURES = new URL('../../../test/fixtures/tf-json/', import.meta.url);

function fixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

function parseAll(input: string | Buffer): TfEvent[] {
  const p = new TfJsonStreamParser();
  return [...p.push(input), ...p.end()];
}

function types(events: readonly TfEvent[]): string[] {
  return events.map((e) => e.type);
}

function only<T extends TfEvent['type']>(events: readonly TfEvent[], type: T): TfEventOf<T>[] {
  return events.filter((e): e is TfEventOf<T> => e.type === type);
}

function one<T extends TfEvent['type']>(events: readonly TfEvent[], type: T): TfEventOf<T> {
  const found = only(events, type);
  assert.equal(found.length, 1, `exactly one ${type} event expected, got ${found.length}`);
  return found[0] as TfEventOf<T>;
}

function summary(events: readonly TfEvent[]): Omit<TfEventOf<'change_summary'>, 'timestamp' | 'level' | 'message' | 'type'> {
  const { operation, add, change, remove, import: imp } = one(events, 'change_summary');
  return { operation, add, change, remove, import: imp };
}

/** Events made from text Terraform did not timestamp carry Date.now(): blank those out to compare runs. */
function comparable(events: readonly TfEvent[]): unknown[] {
  return events.map((e) => {
    const synthetic =
      (e.type === 'log' && e.rawType === NON_JSON_RAW_TYPE) || (e.type === 'diagnostic' && e.summary === NON_JSON_SUMMARY);
    return synthetic ? { ...e, timestamp: 0 } : e;
  });
}

/** Deterministic PRNG (mulberry32) so random chunkings are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseInChunks(buf: Buffer, nextSize: () => number): TfEvent[] {
  const p = new TfJsonStreamParser();
  const out: TfEvent[] = [];
  for (let i = 0; i < buf.length; ) {
    const size = Math.max(1, nextSize());
    out.push(...p.push(buf.subarray(i, i + size)));
    i += size;
  }
  out.push(...p.end());
  return out;
}

const RECORDINGS = [
  'plan-create.ndjson',
  'apply-create-slow.ndjson',
  'plan-no-changes.ndjson',
  'plan-replace.ndjson',
  'plan-move-replace.ndjson',
  'plan-refresh-only-drift.ndjson',
  'destroy.ndjson',
  'apply-failing.ndjson',
  'plan-invalid-var.ndjson',
  'plan-syntax-error.ndjson',
  'plan-cli-config-warning.ndjson',
  'provider-crash.ndjson',
];

test('plan -out of a fresh config: four creates, summary 4/0/0, outputs without values', () => {
  const ev = parseAll(fixture('plan-create.ndjson'));
  assert.deepEqual(types(ev), [
    'version',
    'planned_change',
    'planned_change',
    'planned_change',
    'planned_change',
    'change_summary',
    'outputs',
  ]);
  const version = one(ev, 'version');
  assert.equal(version.terraform, '1.11.4');
  assert.equal(version.ui, '1.2');
  assert.equal(version.level, 'info');
  assert.equal(version.message, 'Terraform 1.11.4');
  assert.equal(version.timestamp, Date.parse('2026-11-24T05:34:48.947549Z'));
  assert.deepEqual(
    only(ev, 'planned_change').map((c) => [c.address, c.resourceType, c.action]),
    [
      ['terraform_data.network', 'terraform_data', 'create'],
      ['terraform_data.nodes[0]', 'terraform_data', 'create'],
      ['terraform_data.nodes[1]', 'terraform_data', 'create'],
      ['terraform_data.slow', 'terraform_data', 'create'],
    ],
  );
  assert.deepEqual(summary(ev), { operation: 'plan', add: 4, change: 0, remove: 0, import: 0 });
  assert.deepEqual(one(ev, 'outputs').outputs, {
    admin_token: { sensitive: true, action: 'create' },
    network: { sensitive: false, action: 'create' },
    node_inputs: { sensitive: false, action: 'create' },
  });
});

test('apply of the saved plan: apply_progress from the sleeping resource, ids, provisioner output, outputs', () => {
  const ev = parseAll(fixture('apply-create-slow.ndjson'));
  assert.equal(ev.length, 21);
  const counts: Record<string, number> = {};
  for (const e of ev) counts[e.type] = (counts[e.type] ?? 0) + 1;
  assert.deepEqual(counts, {
    version: 1,
    planned_change: 4,
    apply_start: 4,
    apply_complete: 4,
    apply_progress: 1,
    provision_start: 1,
    provision_progress: 3,
    provision_complete: 1,
    change_summary: 1,
    outputs: 1,
  });
  const progress = one(ev, 'apply_progress');
  assert.deepEqual(
    { address: progress.address, action: progress.action, elapsedSeconds: progress.elapsedSeconds },
    { address: 'terraform_data.slow', action: 'create', elapsedSeconds: 10 },
  );
  assert.equal(progress.message, 'terraform_data.slow: Still creating... [10s elapsed]');
  const slowDone = only(ev, 'apply_complete').find((e) => e.address === 'terraform_data.slow');
  assert.ok(slowDone);
  assert.equal(slowDone.elapsedSeconds, 11);
  assert.equal(slowDone.idKey, 'id');
  assert.equal(slowDone.idValue, '0c693a0e-f6f9-33b0-448b-842ef483d937');
  const slowStart = only(ev, 'apply_start').find((e) => e.address === 'terraform_data.slow');
  assert.ok(slowStart);
  assert.equal(slowStart.idKey, undefined, 'a create has no id yet');
  // Order for the slow resource: start, provisioner, progress, complete.
  const slowOrder = ev
    .filter((e) => 'address' in e && e.address === 'terraform_data.slow' && e.type !== 'planned_change')
    .map((e) => e.type);
  assert.deepEqual(slowOrder, [
    'apply_start',
    'provision_start',
    'provision_progress',
    'provision_progress',
    'apply_progress',
    'provision_progress',
    'provision_complete',
    'apply_complete',
  ]);
  assert.deepEqual(
    only(ev, 'provision_progress').map((e) => [e.provisioner, e.output]),
    [
      ['local-exec', 'Executing: ["/bin/sh" "-c" "echo provisioning slow; sleep 11; echo done"]'],
      ['local-exec', 'provisioning slow'],
      ['local-exec', 'done'],
    ],
  );
  assert.deepEqual(summary(ev), { operation: 'apply', add: 4, change: 0, remove: 0, import: 0 });
  const outputs = one(ev, 'outputs').outputs;
  assert.deepEqual(outputs.network, { sensitive: false, type: 'string', value: 'net-a' });
  assert.deepEqual(outputs.node_inputs, {
    sensitive: false,
    type: ['tuple', ['string', 'string']],
    value: ['node-0', 'node-1'],
  });
  assert.deepEqual(outputs.admin_token, { sensitive: true, type: 'string' });
  assert.equal('value' in (outputs.admin_token ?? {}), false);
});

test('second plan with no changes: refresh pairs, summary 0/0/0, outputs noop', () => {
  const ev = parseAll(fixture('plan-no-changes.ndjson'));
  assert.deepEqual(types(ev), [
    'version',
    ...Array<string[]>(4).fill(['refresh_start', 'refresh_complete']).flat(),
    'change_summary',
    'outputs',
  ]);
  assert.equal(only(ev, 'planned_change').length, 0);
  assert.deepEqual(summary(ev), { operation: 'plan', add: 0, change: 0, remove: 0, import: 0 });
  const network = only(ev, 'refresh_complete').find((e) => e.address === 'terraform_data.network');
  assert.equal(network?.idValue, '7152910c-8a2e-328b-b64b-598045e26c5e');
  assert.deepEqual(
    Object.values(one(ev, 'outputs').outputs).map((o) => o.action),
    ['noop', 'noop', 'noop'],
  );
});

test('plan after triggers_replace changed: replace with reason cannot_update', () => {
  const ev = parseAll(fixture('plan-replace.ndjson'));
  assert.equal(ev.length, 12);
  const change = one(ev, 'planned_change');
  assert.deepEqual(
    { address: change.address, action: change.action, reason: change.reason, previousAddress: change.previousAddress },
    { address: 'terraform_data.slow', action: 'replace', reason: 'cannot_update', previousAddress: undefined },
  );
  assert.deepEqual(summary(ev), { operation: 'plan', add: 1, change: 0, remove: 1, import: 0 });
});

test('plan with a moved block: move carries the previous address, replace alongside', () => {
  const ev = parseAll(fixture('plan-move-replace.ndjson'));
  assert.equal(ev.length, 13);
  const changes = only(ev, 'planned_change');
  assert.deepEqual(
    changes.map((c) => [c.address, c.action, c.previousAddress ?? null, c.reason ?? null]),
    [
      ['terraform_data.net', 'move', 'terraform_data.network', null],
      ['terraform_data.slow', 'replace', null, 'cannot_update'],
    ],
  );
  assert.deepEqual(summary(ev), { operation: 'plan', add: 1, change: 0, remove: 1, import: 0 });
});

test('plan -refresh-only: the move shows as resource_drift', () => {
  const ev = parseAll(fixture('plan-refresh-only-drift.ndjson'));
  assert.equal(ev.length, 12);
  const drift = one(ev, 'resource_drift');
  assert.equal(drift.address, 'terraform_data.net');
  assert.equal(drift.resourceType, 'terraform_data');
  assert.equal(drift.action, 'move');
  assert.equal(drift.previousAddress, 'terraform_data.network');
  assert.equal(drift.message, 'terraform_data.net: Drift detected (move)');
  assert.equal(only(ev, 'planned_change').length, 0);
  assert.deepEqual(summary(ev), { operation: 'plan', add: 0, change: 0, remove: 0, import: 0 });
});

test('destroy -auto-approve: plan part, deletes with ids on start only, destroy summary, no outputs after', () => {
  const ev = parseAll(fixture('destroy.ndjson'));
  assert.equal(ev.length, 24);
  const summaries = only(ev, 'change_summary').map((s) => [s.operation, s.add, s.change, s.remove]);
  assert.deepEqual(summaries, [
    ['plan', 0, 0, 4],
    ['destroy', 0, 0, 4],
  ]);
  assert.deepEqual(
    only(ev, 'planned_change').map((c) => c.action),
    ['delete', 'delete', 'delete', 'delete'],
  );
  const starts = only(ev, 'apply_start');
  assert.equal(starts.length, 4);
  for (const s of starts) {
    assert.equal(s.action, 'delete');
    assert.equal(s.idKey, 'id');
    assert.match(s.idValue ?? '', /^[0-9a-f-]{36}$/);
  }
  const completes = only(ev, 'apply_complete');
  assert.equal(completes.length, 4);
  for (const c of completes) {
    assert.equal(c.action, 'delete');
    assert.equal(c.idValue, undefined);
  }
  assert.equal(ev.at(-1)?.type, 'change_summary');
  assert.equal(only(ev, 'outputs').length, 1, 'only the plan part reports outputs');
});

test('failing apply: apply_errored, then the error diagnostic with range and detail, no apply summary', () => {
  const ev = parseAll(fixture('apply-failing.ndjson'));
  assert.deepEqual(types(ev), [
    'version',
    'planned_change',
    'planned_change',
    'change_summary',
    'apply_start',
    'apply_complete',
    'apply_start',
    'provision_start',
    'provision_progress',
    'provision_progress',
    'provision_progress',
    'provision_errored',
    'apply_errored',
    'diagnostic',
  ]);
  const errored = one(ev, 'apply_errored');
  assert.deepEqual(
    { address: errored.address, action: errored.action, elapsedSeconds: errored.elapsedSeconds },
    { address: 'terraform_data.broken', action: 'create', elapsedSeconds: 0 },
  );
  const diag = one(ev, 'diagnostic');
  assert.equal(ev.indexOf(diag), ev.indexOf(errored) + 1);
  assert.equal(diag.severity, 'error');
  assert.equal(diag.level, 'error');
  assert.equal(diag.summary, 'local-exec provisioner error');
  assert.equal(diag.message, 'Error: local-exec provisioner error');
  assert.equal(diag.address, 'terraform_data.broken');
  assert.deepEqual(diag.range, { filename: 'main.tf', line: 9, column: 28 });
  assert.equal(diag.snippet, '  provisioner "local-exec" {');
  assert.match(diag.detail, /exit status 3/);
  assert.match(diag.detail, /boom: something went wrong/);
  assert.deepEqual(
    only(ev, 'change_summary').map((s) => s.operation),
    ['plan'],
  );
});

test('variable validation failure: diagnostic pointing at the variable, after a zero plan summary', () => {
  const ev = parseAll(fixture('plan-invalid-var.ndjson'));
  assert.deepEqual(types(ev), ['version', 'change_summary', 'diagnostic']);
  const diag = one(ev, 'diagnostic');
  assert.equal(diag.summary, 'Invalid value for variable');
  assert.deepEqual(diag.range, { filename: 'main.tf', line: 2, column: 1 });
  assert.equal(diag.snippet, 'variable "environment" {');
  assert.equal(
    diag.detail,
    'The environment must be lower-case letters, digits and dashes.\n\nThis was checked by the validation rule at main.tf:6,3-13.',
  );
  assert.equal(diag.address, undefined);
});

test('syntax error: one diagnostic with range', () => {
  const ev = parseAll(fixture('plan-syntax-error.ndjson'));
  assert.deepEqual(types(ev), ['version', 'diagnostic']);
  const diag = one(ev, 'diagnostic');
  assert.equal(diag.severity, 'error');
  assert.equal(diag.summary, 'Argument or block definition required');
  assert.equal(diag.detail, 'An argument or block definition is required here.');
  assert.deepEqual(diag.range, { filename: 'main.tf', line: 4, column: 3 });
  assert.equal(diag.snippet, '  = oops');
});

test('stderr merged in: the CLI configuration warning is kept as text and reported at the end', () => {
  const ev = parseAll(fixture('plan-cli-config-warning.ndjson'));
  assert.deepEqual(types(ev), [
    'log',
    'log',
    'log',
    'log',
    'log',
    'log',
    'version',
    'planned_change',
    'change_summary',
    'diagnostic',
  ]);
  const raw = only(ev, 'log');
  for (const r of raw) {
    assert.equal(r.rawType, NON_JSON_RAW_TYPE);
    assert.equal(r.level, NON_JSON_LEVEL);
  }
  assert.equal(raw[0]?.message, 'There are some problems with the CLI configuration:');
  assert.equal(raw[2]?.message, '│ Warning: Unable to open CLI configuration file');
  const diag = one(ev, 'diagnostic');
  assert.equal(diag.summary, NON_JSON_SUMMARY);
  assert.equal(diag.severity, 'error');
  assert.equal(
    diag.detail,
    [
      'There are some problems with the CLI configuration:',
      '╷',
      '│ Warning: Unable to open CLI configuration file',
      '│',
      '│ The CLI configuration file at "/nonexistent/terraformrc" does not exist.',
      '╵',
    ].join('\n'),
  );
});

test('provider crash: the Go stack trace lands in the next error diagnostic, the trailer in one at the end', () => {
  const ev = parseAll(fixture('provider-crash.ndjson'));
  const diags = only(ev, 'diagnostic');
  assert.equal(diags.length, 2);
  const [crash, trailer] = diags as [TfEventOf<'diagnostic'>, TfEventOf<'diagnostic'>];
  assert.equal(crash.summary, 'Plugin did not respond');
  assert.equal(crash.address, 'aws_instance.bastion');
  assert.deepEqual(crash.range, { filename: 'modules/bastion/main.tf', line: 12, column: 1 });
  const [original, stack] = crash.detail.split('\n\n', 2) as [string, string];
  assert.equal(
    original,
    'The plugin encountered an error, and failed to respond to the plugin.(*GRPCProvider).ReadResource call. The plugin logs may contain more details.',
  );
  assert.equal(stack, 'Stack trace from the terraform-provider-aws_v5.100.0_x5 plugin:');
  assert.ok(crash.detail.includes('\n\npanic: runtime error: invalid memory address or nil pointer dereference\n'));
  assert.ok(crash.detail.includes('\n\ngoroutine 1 [running]:\n'), 'blank lines inside the trace are kept');
  assert.ok(crash.detail.endsWith('\tgoogle.golang.org/grpc@v1.72.1/server.go:1046 +0x135'));
  assert.equal(trailer.summary, NON_JSON_SUMMARY);
  assert.ok(trailer.detail.startsWith('Error: The terraform-provider-aws_v5.100.0_x5 plugin crashed!\n\nThis is always'));
  assert.ok(!trailer.detail.includes('panic:'), 'text claimed by a diagnostic is not repeated');
  // Each non-JSON, non-blank line is also a log event, in stream order.
  const rawLogs = only(ev, 'log').filter((e) => e.rawType === NON_JSON_RAW_TYPE);
  assert.equal(rawLogs.length, 10 + 4);
  assert.equal(types(ev).slice(0, 2).join(), 'version,refresh_start');
  assert.equal(ev.at(-1), trailer);
});

test('warnings do not claim buffered text; only error diagnostics do', () => {
  const warn =
    '{"@level":"warn","@message":"Warning: x","type":"diagnostic","diagnostic":{"severity":"warning","summary":"x","detail":"d"}}';
  const err =
    '{"@level":"error","@message":"Error: y","type":"diagnostic","diagnostic":{"severity":"error","summary":"y","detail":""}}';
  const ev = parseAll(`stray text\n${warn}\n${err}\n`);
  const [w, e] = only(ev, 'diagnostic') as [TfEventOf<'diagnostic'>, TfEventOf<'diagnostic'>];
  assert.equal(w.severity, 'warning');
  assert.equal(w.detail, 'd');
  assert.equal(e.detail, 'stray text', 'empty detail gets the text without a leading blank line');
  assert.equal(ev.length, 3);
});

test('unknown message types and malformed known ones are kept as log events', () => {
  const lines = [
    '{"@level":"info","@message":"Terraform 1.11.4","@timestamp":"2026-11-24T05:34:48.947549Z","terraform":"1.11.4","type":"version","ui":"1.2"}',
    '{"@level":"info","@message":"ephemeral.aws_secret.x: Opening...","@timestamp":"2026-11-24T05:34:49.000000Z","hook":{"resource":{"addr":"ephemeral.aws_secret.x"},"action":"open"},"type":"ephemeral_op_start"}',
    '{"@level":"info","@message":"a plain log line","@timestamp":"2026-11-24T05:34:49.100000Z","type":"log"}',
    '{"@level":"info","@message":"change without a change object","type":"planned_change"}',
    '{"@level":"info","@message":"no type at all"}',
  ];
  const ev = parseAll(lines.join('\n'));
  assert.deepEqual(
    ev.map((e) => [e.type, e.type === 'log' ? (e.rawType ?? null) : null, e.message]),
    [
      ['version', null, 'Terraform 1.11.4'],
      ['log', 'ephemeral_op_start', 'ephemeral.aws_secret.x: Opening...'],
      ['log', null, 'a plain log line'],
      ['log', 'planned_change', 'change without a change object'],
      ['log', '', 'no type at all'],
    ],
  );
  assert.equal(ev[1]?.timestamp, Date.parse('2026-11-24T05:34:49.000000Z'));
  assert.ok(!('hook' in (ev[1] ?? {})), 'the raw message is not carried along');
});

test('sensitive output values never leave the parser, even when Terraform sends them', () => {
  const line = JSON.stringify({
    '@level': 'info',
    '@message': 'Outputs: 4',
    type: 'outputs',
    outputs: {
      token: { sensitive: true, type: 'string', value: 'hunter2-SECRET' },
      nested: { sensitive: true, type: ['object', { k: 'string' }], value: { k: 'nested-SECRET' } },
      unflagged: { type: 'string', value: 'unflagged-SECRET' },
      name: { sensitive: false, type: 'string', value: 'public-name' },
    },
  });
  const ev = parseAll(line + '\n');
  const outputs = one(ev, 'outputs').outputs;
  assert.deepEqual(outputs, {
    token: { sensitive: true, type: 'string' },
    nested: { sensitive: true, type: ['object', { k: 'string' }] },
    unflagged: { sensitive: true, type: 'string' },
    name: { sensitive: false, type: 'string', value: 'public-name' },
  });
  assert.doesNotMatch(JSON.stringify(ev), /SECRET/);
});

test('ui version: a new major is rejected with a TofuError and hint; minors and unknown fields pass', () => {
  const v2 = '{"@level":"info","@message":"Terraform 2.0.0","terraform":"2.0.0","type":"version","ui":"2.0"}\n';
  const p = new TfJsonStreamParser();
  assert.throws(
    () => p.push(v2),
    (err: unknown) =>
      err instanceof TofuError &&
      err.message.includes('2.0') &&
      err.message.includes('Terraform 2.0.0') &&
      err.hint === 'Upgrade platform-console or use Terraform 1.x.',
  );
  assert.throws(() => parseTfJsonLine(v2.trim()), TofuError);
  assert.throws(() => parseTfJsonLine('{"type":"version","terraform":"9","ui":"nonsense"}'), TofuError);
  const v19 = parseTfJsonLine('{"@message":"OpenTofu 1.9.0","type":"version","tofu":"1.9.0","ui":"1.9","shiny_new_field":{"a":1}}');
  assert.ok(v19?.type === 'version');
  assert.deepEqual({ ...v19, timestamp: 0 }, {
    timestamp: 0,
    level: 'info',
    message: 'OpenTofu 1.9.0',
    type: 'version',
    terraform: '1.9.0',
    ui: '1.9',
  });
});

test('parseTfJsonLine: null for anything that is not a JSON object', () => {
  for (const line of ['', '   ', 'panic: boom', '[1,2]', '"text"', '42', '{not json', 'goroutine 1 [running]:']) {
    assert.equal(parseTfJsonLine(line), null, JSON.stringify(line));
  }
  const ev = parseTfJsonLine('  {"@level":"warn","@message":"m","type":"log"}');
  assert.equal(ev?.level, 'warn');
  const before = Date.now();
  const noTs = parseTfJsonLine('{"type":"log","@timestamp":"not a time"}');
  assert.ok(noTs && noTs.timestamp >= before && noTs.timestamp <= Date.now());
  assert.equal(noTs.message, '');
});

test('split input: byte by byte, seeded random chunks and CRLF give the same events as one chunk', () => {
  for (const name of RECORDINGS) {
    const buf = fixture(name);
    const whole = comparable(parseAll(buf));
    assert.ok(whole.length >= 2, name);
    assert.deepEqual(comparable(parseInChunks(buf, () => 1)), whole, `${name} byte by byte`);
    for (const seed of [1, 7, 42]) {
      const rnd = prng(seed);
      assert.deepEqual(
        comparable(parseInChunks(buf, () => 1 + Math.floor(rnd() * 97))),
        whole,
        `${name} random chunks, seed ${seed}`,
      );
    }
    const crlf = Buffer.from(buf.toString('utf8').replace(/\n/g, '\r\n'), 'utf8');
    assert.deepEqual(comparable(parseAll(crlf)), whole, `${name} with CRLF`);
    const asStrings = new TfJsonStreamParser();
    const text = buf.toString('utf8');
    const fromStrings = [...asStrings.push(text.slice(0, 333)), ...asStrings.push(text.slice(333)), ...asStrings.end()];
    assert.deepEqual(comparable(fromStrings), whole, `${name} as strings`);
  }
});

test('a last line without newline is parsed at end(); blank lines are skipped', () => {
  const p = new TfJsonStreamParser();
  const first = p.push('\n\n   \r\n{"type":"log","@message":"a"}\n\n{"type":"log","@message":"b"}');
  assert.deepEqual(first.map((e) => e.message), ['a']);
  const last = p.end();
  assert.deepEqual(last.map((e) => [e.type, e.message]), [['log', 'b']]);
  assert.deepEqual(p.end(), [], 'end() leaves the parser empty');
});

test('non-JSON text is bounded: only the last 64 KiB reach the diagnostic', () => {
  const p = new TfJsonStreamParser();
  let logs = 0;
  for (let i = 0; i < 20_000; i++) logs += p.push(`runaway line ${i} ${'x'.repeat(50)}\n`).length;
  assert.equal(logs, 20_000);
  const [diag, ...rest] = p.end();
  assert.equal(rest.length, 0);
  assert.ok(diag?.type === 'diagnostic');
  assert.ok(diag.detail.length <= MAX_NON_JSON_CHARS + 100, `detail is ${diag.detail.length} chars`);
  assert.ok(diag.detail.length > MAX_NON_JSON_CHARS / 2);
  assert.ok(diag.detail.startsWith('[earlier output dropped]\n'));
  assert.ok(diag.detail.endsWith(`runaway line 19999 ${'x'.repeat(50)}`));
  assert.ok(!diag.detail.includes('runaway line 0 '));
});

test('a runaway line without newline is given up on as text, and parsing resumes after it', () => {
  const p = new TfJsonStreamParser();
  const out: TfEvent[] = [];
  out.push(...p.push('{"type":"log","@message":"'));
  out.push(...p.push('y'.repeat(MAX_LINE_CHARS)));
  // The rest of the runaway line looks like JSON but is still part of the broken line.
  out.push(...p.push('{"type":"log","@message":"tail of the runaway line"}\n{"type":"log","@message":"after"}\n'));
  out.push(...p.end());
  assert.deepEqual(
    out.map((e) => [e.type, e.type === 'log' ? e.rawType ?? null : null]),
    [
      ['log', NON_JSON_RAW_TYPE],
      ['log', NON_JSON_RAW_TYPE],
      ['log', null],
      ['diagnostic', null],
    ],
  );
  assert.equal(out[0]?.message.length, MAX_TEXT_EVENT_CHARS + 1, 'the log event carries a cut message');
  assert.equal(out[1]?.message, '{"type":"log","@message":"tail of the runaway line"}');
  assert.equal(out[2]?.message, 'after');
  const diag = out[3];
  assert.ok(diag?.type === 'diagnostic' && diag.detail.length <= MAX_NON_JSON_CHARS + 100);
});

test('100,000 lines of a real recording parse to 100,000 events (the time is reported, not asserted: the machines are noisy; bench/ measures speed)', (t) => {
  const [version = '', ...lines] = fixture('apply-create-slow.ndjson').toString('utf8').trimEnd().split('\n');
  const parts: string[] = [version];
  while (parts.length < 100_000) parts.push(...lines);
  parts.length = 100_000;
  const input = Buffer.from(parts.join('\n') + '\n', 'utf8');
  const p = new TfJsonStreamParser();
  const started = performance.now();
  let count = 0;
  for (let i = 0; i < input.length; i += 65536) count += p.push(input.subarray(i, i + 65536)).length;
  count += p.end().length;
  const ms = performance.now() - started;
  assert.equal(count, 100_000);
  t.diagnostic(`100,000 lines parsed in ${ms.toFixed(0)} ms`);
});
