// `--ci secrets get` on a missing key: the hint speaks of --ci, not of the console's keys (issue 11).
// S3 is a loopback stand-in that answers every request with 404 NoSuchKey, as S3 does for a missing key.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runAwsCommand } from '../../src/cli/ci-aws.js';
import { AwsError } from '../../src/core/errors.js';
import type { AwsContext } from '../../src/services/aws/context.js';
import { getSecret } from '../../src/services/aws/secrets.js';
import type { Session } from '../../src/services/session.js';

describe('a missing secret', () => {
  let server: Server;
  let ctx: AwsContext;
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ctx = {
      environment: 'hint',
      region: 'us-east-1',
      credentials: async () => ({ accessKeyId: 'test', secretAccessKey: 'test' }),
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      kmsKeyId: 'alias/hint',
      secretsBucket: 'hint-secrets',
    };
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('--ci secrets get hints at --ci secrets ls, not at a console key', async () => {
    const session = { environment: 'hint', aws: ctx, engine: { outputs: async () => [{ name: 'secrets_bucket', value: 'hint-secrets' }] } } as unknown as Session;
    await assert.rejects(
      runAwsCommand('secrets', { session, json: false, out: () => undefined, outRaw: () => undefined, secrets: { op: 'get', key: 'no/such/key' }, writeProfile: false }),
      (e: unknown) => {
        assert.ok(e instanceof AwsError, String(e));
        assert.equal(e.message, 'no secret no/such/key in s3://hint-secrets');
        assert.equal(e.hint, 'list the keys with --ci secrets ls: it may have been deleted or renamed');
        return true;
      },
    );
  });

  it('the console keeps its own wording', async () => {
    await assert.rejects(getSecret(ctx, 'no/such/key'), (e: unknown) => e instanceof AwsError && e.hint === 'refresh the list (r): it may have been deleted or renamed');
  });
});
