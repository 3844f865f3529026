/**
 * emulatorRedid (test/support/platform-apply.ts) over the outputs it reads: `terraform test`'s,
 * whose lines Terraform wraps, and the CLI's NDJSON; the console's EMULATOR_REDONE behind it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMULATOR_REDONE } from '../../src/services/terraform/engine.js';
import { emulatorRedid } from '../support/platform-apply.js';

describe('emulatorRedid', () => {
  it('finds the API errors of a request done twice, in wrapped and in JSON output', () => {
    const wrapped = [
      '  operation error EC2: AuthorizeSecurityGroupEgress, https response error',
      '  StatusCode: 400, RequestID:',
      '  dyWYnOYMXZTEauRaVrBNe7mTcUzbeg9x8SPX0ovLNIjzJbo1N26r, api error',
      '  InvalidPermission.Duplicate: The specified rule already exists',
    ].join('\n');
    assert.equal(emulatorRedid(wrapped), true);
    const json = '{"type":"summary","error":"apply failed: revoking default IPv4 egress rule for Security Group (sg-1): operation error EC2: RevokeSecurityGroupEgress, https response error StatusCode: 400, RequestID: H8, api error InvalidPermission.NotFound: The specified rule does not exist in this security group (main.tf:24)"}';
    assert.equal(emulatorRedid(json), true);
    assert.equal(emulatorRedid('api error InvalidLaunchTemplateName.AlreadyExistsException: Launch template name already in use.'), true);
  });

  it('ignores every other failure, and the codes outside an API error', () => {
    assert.equal(emulatorRedid('error: plan failed: Invalid value for variable (profiles/x.tfvars:24)'), false);
    assert.equal(emulatorRedid('api error InvalidParameterValue: Value (x) for parameter cidrBlock is invalid'), false);
    assert.equal(emulatorRedid('see InvalidPermission.Duplicate in the README'), false, 'only as an API error');
    assert.equal(EMULATOR_REDONE.test('api error InvalidPermission.DuplicateX'), false);
  });
});
