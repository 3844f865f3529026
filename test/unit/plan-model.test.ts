import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLockInfo, parseLockObject, backendConfigArgs, backendFor } from '../../src/services/terraform/backend.js';
import { MASK, maskSensitive } from '../../src/services/terraform/mask.js';
import { parseOutputsJson, parsePlanJson, reduceActions } from '../../src/services/terraform/plan-model.js';

describe('plan model', () => {
  it('reduces action lists, scanning for delete', () => {
    assert.equal(reduceActions(['create']), 'create');
    assert.equal(reduceActions(['delete', 'create']), 'replace');
    assert.equal(reduceActions(['create', 'delete']), 'replace');
    assert.equal(reduceActions(['delete']), 'delete');
    assert.equal(reduceActions(['no-op']), 'noop');
    assert.equal(reduceActions(['update']), 'update');
    assert.equal(reduceActions(['read']), 'read');
    assert.equal(reduceActions(['delete', 'something-new']), 'delete');
  });

  it('builds summary, destroys flag and masks sensitive outputs', () => {
    const doc = {
      format_version: '1.2',
      resource_changes: [
        { address: 'a.x', type: 'a', change: { actions: ['create'], before: null, after: { n: 1 }, after_unknown: { id: true } } },
        { address: 'a.y', type: 'a', change: { actions: ['delete', 'create'], before: { n: 1 }, after: { n: 2 } }, action_reason: 'replace_because_cannot_update' },
        { address: 'a.z', type: 'a', change: { actions: ['no-op'] } },
        { address: 'data.d.q', type: 'd', change: { actions: ['read'] } },
      ],
      output_changes: {
        pw: { actions: ['create'], after: 'hunter2', after_sensitive: true },
        obj: { actions: ['create'], after: { a: 'x', b: 'secret' }, after_sensitive: { b: true } },
        id: { actions: ['create'], after_unknown: true },
      },
    };
    const p = parsePlanJson(JSON.stringify(doc));
    assert.deepEqual(p.summary, { add: 2, change: 0, destroy: 1, replace: 1 });
    assert.equal(p.destroys, true);
    assert.deepEqual(p.changes.map((c) => c.address), ['a.x', 'a.y']);
    assert.equal(p.changes[1]!.reason, 'replace_because_cannot_update');
    const out = Object.fromEntries(p.outputs.map((o) => [o.name, o]));
    assert.equal(out.pw!.after, MASK);
    assert.equal(out.pw!.sensitive, true);
    assert.deepEqual(out.obj!.after, { a: 'x', b: MASK });
    assert.equal(out.id!.after, undefined);
    assert.ok(!JSON.stringify(p).includes('hunter2') && !JSON.stringify(p).includes('secret'));
  });

  it('a plan without changes has hasChanges false', () => {
    const p = parsePlanJson(JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'a', change: { actions: ['no-op'] } }], output_changes: { o: { actions: ['no-op'], after: 1 } } }));
    assert.equal(p.hasChanges, false);
    assert.equal(p.destroys, false);
  });

  it('rejects another major plan format', () => {
    assert.throws(() => parsePlanJson('{"format_version":"2.0"}'), /unsupported plan format/);
    assert.throws(() => parsePlanJson('not json'), /not JSON/);
  });

  it('masks nested sensitive values', () => {
    assert.deepEqual(maskSensitive([1, { a: 2, b: [3, 4] }], [false, { b: [false, true] }]), [1, { a: 2, b: [3, MASK] }]);
  });

  it('parses output -json and masks sensitive values', () => {
    const o = parseOutputsJson(JSON.stringify({ b: { sensitive: true, type: 'string', value: 'topsecret' }, a: { sensitive: false, type: 'string', value: 'vpc-1' } }));
    assert.deepEqual(o.map((x) => [x.name, x.value]), [['a', 'vpc-1'], ['b', MASK]]);
  });

  it('masks an output that does not say sensitive: false (fail closed, as the event parser does)', () => {
    const o = parseOutputsJson(JSON.stringify({ c: { type: 'string', value: 'no-flag-secret' }, d: { sensitive: false, type: 'string', value: 'shown' } }));
    assert.deepEqual(o.map((x) => [x.name, x.sensitive, x.value]), [['c', true, MASK], ['d', false, 'shown']]);
  });
});

describe('backend and state lock', () => {
  it('builds -backend-config from the profile', () => {
    const b = backendFor('dev', { terraform_bucket_name: 'st', aws_region: 'eu-west-1', kms_master_id: 'alias/k' }, true);
    assert.deepEqual(backendConfigArgs(b), [
      '-backend-config=bucket=st',
      '-backend-config=key=dev/terraform.tfstate',
      '-backend-config=region=eu-west-1',
      '-backend-config=encrypt=true',
      '-backend-config=kms_key_id=alias/k',
      '-backend-config=use_lockfile=true',
      '-backend-config=use_path_style=true',
    ]);
  });

  it('reads Terraform\'s Lock Info block', () => {
    const detail = `Error message: operation error S3: PutObject, https response error StatusCode: 412, api error PreconditionFailed
Lock Info:
  ID:        5f2a1b7c-1111-2222-3333-444455556666
  Path:      st/dev/terraform.tfstate
  Operation: OperationTypeApply
  Who:       alice@build-7
  Version:   1.11.4
  Created:   2026-11-24 06:00:00.123 +0000 UTC
  Info:

Terraform acquires a state lock to protect the state from being written
by multiple users at the same time.`;
    const l = parseLockInfo(detail);
    assert.deepEqual(l, { id: '5f2a1b7c-1111-2222-3333-444455556666', who: 'alice@build-7', operation: 'OperationTypeApply', created: '2026-11-24 06:00:00.123 +0000 UTC', path: 'st/dev/terraform.tfstate', version: '1.11.4' });
    assert.equal(parseLockInfo('no lock here'), undefined);
  });

  it('reads a .tflock object', () => {
    const l = parseLockObject(JSON.stringify({ ID: 'x', Operation: 'OperationTypePlan', Who: 'bob@h', Version: '1.11.4', Created: 't', Path: 'p', Info: '' }));
    assert.equal(l?.who, 'bob@h');
    assert.equal(parseLockObject('garbage'), undefined);
  });
});
