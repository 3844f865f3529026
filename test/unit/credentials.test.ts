import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CredentialsError } from '../../src/core/errors.js';
import { resolveCredentials } from '../../src/services/aws/credentials.js';

describe('credential resolution', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-creds-'));
    file = join(dir, 'credentials');
    await writeFile(file, '[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n\n[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = opssecret\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const base = () => ({ HOME: dir, AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: join(dir, 'config') });

  it('environment variables come first', async () => {
    const r = await resolveCredentials({ env: { ...base(), AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 's' }, environment: 'dev', awsProfile: '' });
    assert.equal(r.source.kind, 'environment');
    assert.equal((await r.provider()).accessKeyId, 'AKIAENV');
    assert.deepEqual(r.terraformUnset, ['AWS_PROFILE']);
  });

  it('else the shared file profile named after the environment', async () => {
    const r = await resolveCredentials({ env: base(), environment: 'dev', awsProfile: '' });
    assert.deepEqual(r.source, { kind: 'shared-file', profile: 'dev', credentialsFile: file });
    assert.equal((await r.provider()).accessKeyId, 'AKIADEV');
    assert.equal(r.terraformEnv.AWS_PROFILE, 'dev');
  });

  it("or the profile's aws_profile", async () => {
    const r = await resolveCredentials({ env: base(), environment: 'dev', awsProfile: 'ops' });
    assert.equal((await r.provider()).accessKeyId, 'AKIAOPS');
    assert.equal(r.terraformEnv.AWS_PROFILE, 'ops');
  });

  it('missing: one message naming both places', async () => {
    await assert.rejects(resolveCredentials({ env: base(), environment: 'prod', awsProfile: '' }), (err: unknown) => {
      assert.ok(err instanceof CredentialsError);
      assert.match(err.message, /AWS_ACCESS_KEY_ID/);
      assert.match(err.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\[prod\\]`));
      assert.match(err.hint, /export AWS_ACCESS_KEY_ID/);
      return true;
    });
  });
});
