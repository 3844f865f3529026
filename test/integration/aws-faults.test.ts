import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AwsError, CredentialsError } from '../../src/core/errors.js';
import type { AwsContext } from '../../src/services/aws/context.js';
import { listInstances } from '../../src/services/aws/instances.js';
import { listSecrets } from '../../src/services/aws/secrets.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';

const skip = await motoSkipReason();

/** An IAM query call to moto while it still admits unauthenticated requests (the signature is not checked then). */
async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action}: HTTP ${res.status}: ${text}`);
  return text;
}

describe('AWS faults with moto enforcing IAM (INITIAL_NO_AUTH_ACTION_COUNT)', { skip }, () => {
  let moto: MotoServer;
  let user: { accessKeyId: string; secretAccessKey: string };
  before(async () => {
    // Two unauthenticated actions to create a user and its key; from then on moto checks credentials and IAM policies.
    moto = await startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '2' } });
    await iam(moto.endpoint, { Action: 'CreateUser', UserName: 'nobody' });
    const xml = await iam(moto.endpoint, { Action: 'CreateAccessKey', UserName: 'nobody' });
    user = { accessKeyId: /<AccessKeyId>([^<]+)</.exec(xml)![1]!, secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(xml)![1]! };
  });
  after(() => moto?.stop());

  const ctx = (creds: { accessKeyId: string; secretAccessKey: string }): AwsContext => ({
    environment: 'faults',
    region: 'us-east-1',
    credentials: async () => creds,
    endpoint: moto.endpoint,
    kmsKeyId: 'alias/x',
    secretsBucket: 'faults-secrets',
  });

  it('unknown (or expired) credentials: a CredentialsError that says to refresh them', async () => {
    await assert.rejects(listInstances(ctx({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'nope' })), (err: unknown) => {
      assert.ok(err instanceof CredentialsError, String(err));
      assert.match(err.message, /listing instances: AWS refused the credentials/);
      assert.match(err.hint, /refresh or replace the credentials/);
      return true;
    });
  });

  it('a user without permissions: access denied, with the IAM hint', async () => {
    await assert.rejects(listInstances(ctx(user)), (err: unknown) => {
      assert.ok(err instanceof AwsError, String(err));
      assert.match(err.message, /access denied/);
      assert.match(err.hint, /IAM permission/);
      return true;
    });
    await assert.rejects(listSecrets(ctx(user)), (err: unknown) => {
      assert.ok(err instanceof AwsError, String(err));
      assert.match(err.message, /denied|AccessDenied|403/i);
      return true;
    });
  });
});
