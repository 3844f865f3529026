// The state as an operator reads it (core/tf-state.ts): state format version 4 parsed into
// resource instances with addresses, index keys, ids and masked attributes; resource addresses
// checked; import blocks written as HCL; `--ci state` arguments parsed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInvocation, parseStateCommand } from '../../src/cli/args.js';
import { isResourceAddress, parseState, stateIdentity, stateResourceLines } from '../../src/core/tf-state.js';
import { hclString, importBlocks } from '../../src/services/terraform/engine.js';
import { movedBlock } from '../../src/services/state/service.js';

const STATE = JSON.stringify({
  version: 4,
  terraform_version: '1.11.4',
  serial: 42,
  lineage: '4a375f7b-29d8-38ce-772c-532e53e692c6',
  outputs: { vpc_id: { value: 'vpc-1', type: 'string' } },
  resources: [
    { mode: 'data', type: 'aws_ami', name: 'ubuntu', provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ schema_version: 0, attributes: { id: 'ami-1' }, sensitive_attributes: [] }] },
    {
      module: 'module.network',
      mode: 'managed',
      type: 'aws_subnet',
      name: 'private',
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [
        { index_key: 0, schema_version: 1, attributes: { id: 'subnet-a', cidr_block: '10.0.1.0/24' }, sensitive_attributes: [], dependencies: ['module.network.aws_vpc.this'] },
        { index_key: 1, schema_version: 1, attributes: { id: 'subnet-b', cidr_block: '10.0.2.0/24' }, sensitive_attributes: [] },
      ],
    },
    {
      module: 'module.node_group["secure"]',
      mode: 'managed',
      type: 'aws_ssm_parameter',
      name: 'token',
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [
        {
          index_key: 'join',
          status: 'tainted',
          schema_version: 0,
          attributes: { id: '/env/token', value: 'hunter2-secret', tags: { a: 'b', pw: 'in-a-map' }, list: ['x', 'deep-secret'] },
          sensitive_attributes: [[{ type: 'get_attr', value: 'value' }], [{ type: 'get_attr', value: 'tags' }, { type: 'index', value: { value: 'pw', type: 'string' } }], [{ type: 'get_attr', value: 'list' }, { type: 'index', value: { value: 1, type: 'number' } }]],
        },
      ],
    },
    { mode: 'managed', type: 'aws_thing', name: 'odd', provider: 'p', instances: [{ attributes: { id: 'x', secret: 's3cr3t-odd' }, sensitive_attributes: [[{ type: 'weird', value: 1 }]] }] },
  ],
});

describe('parseState (state format version 4)', () => {
  const doc = parseState(STATE);

  it('reads serial, lineage, version, size and outputs', () => {
    assert.equal(doc.serial, 42);
    assert.equal(doc.lineage, '4a375f7b-29d8-38ce-772c-532e53e692c6');
    assert.equal(doc.terraformVersion, '1.11.4');
    assert.equal(doc.bytes, Buffer.byteLength(STATE));
    assert.deepEqual(doc.outputs, ['vpc_id']);
  });

  it('gives each instance its address with module, data prefix and index key, and its id', () => {
    assert.deepEqual(
      doc.resources.map((r) => [r.address, r.module, r.id]),
      [
        ['data.aws_ami.ubuntu', '', 'ami-1'],
        ['module.network.aws_subnet.private[0]', 'module.network', 'subnet-a'],
        ['module.network.aws_subnet.private[1]', 'module.network', 'subnet-b'],
        ['module.node_group["secure"].aws_ssm_parameter.token["join"]', 'module.node_group["secure"]', '/env/token'],
        ['aws_thing.odd', '', 'x'],
      ],
    );
    assert.equal(doc.resources[3]!.status, 'tainted');
    assert.deepEqual(doc.resources[1]!.dependencies, ['module.network.aws_vpc.this']);
  });

  it('never keeps a sensitive value: paths into maps and lists are masked, an unreadable path masks the whole resource', () => {
    const all = JSON.stringify(doc.resources);
    for (const secret of ['hunter2-secret', 'in-a-map', 'deep-secret', 's3cr3t-odd']) assert.ok(!all.includes(secret), secret);
    const lines = doc.resources.flatMap((r) => stateResourceLines(r)).join('\n');
    for (const secret of ['hunter2-secret', 'in-a-map', 'deep-secret', 's3cr3t-odd']) assert.ok(!lines.includes(secret), secret);
    assert.equal(doc.resources[3]!.sensitiveCount, 3);
    const token = stateResourceLines(doc.resources[3]!).join('\n');
    assert.match(token, /^ +value += \(sensitive value\)$/m);
    assert.match(token, /"b"/, 'the other tag is shown');
    assert.match(token, /"x"/, 'the other list element is shown');
    assert.match(token, /^# module\.node_group\["secure"\]\.aws_ssm_parameter\.token\["join"\] \(tainted: the next apply replaces it\)$/m);
  });

  it('lists dependencies under the attributes', () => {
    const lines = stateResourceLines(doc.resources[1]!);
    assert.deepEqual(lines.slice(-2), ['# dependencies (1)', '#   module.network.aws_vpc.this']);
    assert.ok(lines.includes('    resource "aws_subnet" "private" {'), lines.join('\n'));
  });

  it('an empty text is an empty state; not JSON or another version is an error that says so', () => {
    assert.equal(parseState('').resources.length, 0);
    assert.throws(() => parseState('{nope'), /the state is not JSON/);
    assert.throws(() => parseState('{"version":3}'), /format version 3; this console reads version 4/);
    assert.deepEqual(stateIdentity(STATE), { serial: 42, lineage: '4a375f7b-29d8-38ce-772c-532e53e692c6' });
    assert.equal(stateIdentity('[]'), undefined);
  });
});

describe('resource addresses, import blocks, moved blocks', () => {
  it('accepts what Terraform accepts on the command line and refuses the rest', () => {
    for (const a of ['aws_instance.x', 'module.bastion.aws_instance.this', 'module.node_group["secure"].aws_launch_template.this', 'aws_subnet.private[0]', 'data.aws_ami.ubuntu', 'module.a[1].module.b.aws_x.y["k"]']) assert.ok(isResourceAddress(a), a);
    for (const a of ['', 'aws_instance', 'module.x', 'aws_instance.x; rm -rf /', '-target=aws_instance.x', 'aws_instance.x[', 'aws_instance.x[abc]', 'module..aws_x.y']) assert.ok(!isResourceAddress(a), a);
  });

  it('writes an import block whose id is a literal (quotes, backslashes and template sequences escaped)', () => {
    assert.equal(hclString('i-0abc'), '"i-0abc"');
    assert.equal(hclString('a"b\\c${x}%{y}'), '"a\\"b\\\\c$${x}%%{y}"');
    assert.equal(importBlocks([{ to: 'aws_instance.x', id: 'i-1' }]), '# Written by platform-console for one plan; removed when the plan ends.\nimport {\n  to = aws_instance.x\n  id = "i-1"\n}\n');
    assert.equal(movedBlock('aws_x.a', 'aws_x.b'), 'moved {\n  from = aws_x.a\n  to   = aws_x.b\n}\n');
  });
});

describe('--ci state arguments', () => {
  it('parses each operation', () => {
    assert.deepEqual(parseStateCommand(['list']), { op: 'list' });
    assert.deepEqual(parseStateCommand(['rm', 'a.b', 'c.d']), { op: 'rm', addresses: ['a.b', 'c.d'] });
    assert.deepEqual(parseStateCommand(['mv', 'a.b', 'a.c']), { op: 'mv', from: 'a.b', to: 'a.c' });
    assert.deepEqual(parseStateCommand(['import', 'aws_instance.x', 'i-1']), { op: 'import', address: 'aws_instance.x', id: 'i-1' });
    assert.deepEqual(parseStateCommand(['unlock', 'abc']), { op: 'unlock', lockId: 'abc' });
    const inv = parseInvocation(['-e', 'dev', '--ci', 'state', 'rm', 'aws_instance.x', '--auto-approve']);
    assert.equal(inv.kind, 'ci');
    if (inv.kind === 'ci') {
      assert.deepEqual(inv.state, { op: 'rm', addresses: ['aws_instance.x'] });
      assert.equal(inv.autoApprove, true);
    }
  });

  it('refuses a wrong number of arguments and unknown operations, saying what is expected', () => {
    assert.throws(() => parseStateCommand(['show']), /--ci state show: expected one resource address/);
    assert.throws(() => parseStateCommand(['mv', 'a.b']), /--ci state mv: expected FROM TO/);
    assert.throws(() => parseStateCommand(['rm']), /expected one or more resource addresses/);
    assert.throws(() => parseStateCommand(['taint', 'a.b']), /unknown --ci state command "taint"/);
    assert.throws(() => parseStateCommand([]), /--ci state needs a command/);
  });
});

describe('--ci state pull and --json', () => {
  it('are refused together: pull prints the state itself', () => {
    assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'state', 'pull', '--json']), /--json does not go with --ci state pull: it prints the state itself/);
  });
});

describe('changes without --auto-approve', () => {
  it('are refused when the command line is parsed (before the profile or anything else is read or written)', () => {
    assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'apply']), /--ci apply needs --auto-approve: nothing was run/);
    assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'destroy']), /--ci destroy needs --auto-approve: nothing was run/);
    for (const args of [['rm', 'aws_x.y'], ['mv', 'aws_x.y', 'aws_x.z'], ['import-direct', 'aws_x.y', 'i-1'], ['push', 'f.json'], ['unlock', 'abc']]) {
      assert.throws(() => parseInvocation(['-e', 'dev', '--ci', 'state', ...args]), new RegExp(`--ci state ${args[0]} changes the state and needs --auto-approve: nothing was changed`));
    }
    // Reads and plans need none; --ci unlock ID (the old name) never did.
    for (const args of [['list'], ['show', 'aws_x.y'], ['target', 'aws_x.y'], ['replace', 'aws_x.y'], ['import', 'aws_x.y', 'i-1']]) assert.equal(parseInvocation(['-e', 'dev', '--ci', 'state', ...args]).kind, 'ci');
    assert.equal(parseInvocation(['-e', 'dev', '--ci', 'unlock', 'abc']).kind, 'ci');
  });
});
