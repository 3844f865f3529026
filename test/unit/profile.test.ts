import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkEnvironmentName, playgroundName } from '../../src/core/environment-name.js';
import { ProfileError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/core/paths.js';
import { parseProfile, profileFromTemplate, PROFILE_FIELDS } from '../../src/core/profile.js';

const root = projectRoot();
const defaultText = () => readFile(join(root, 'profiles', 'default.tfvars'), 'utf8');

async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<ProfileError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected ProfileError, got ${String(err)}`);
    assert.match(err.message, re);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('environment names', () => {
  for (const bad of ['', '../etc', 'dev env', 'Dev', 'dev/x', '-dev', '1dev', 'a'.repeat(40)]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => checkEnvironmentName(bad), ProfileError);
    });
  }
  it('accepts dev, play-alice, prod-2', () => {
    for (const ok of ['dev', 'play-alice', 'prod-2']) assert.equal(checkEnvironmentName(ok), ok);
  });
  it('names the playground from $USER, cleaned', () => {
    assert.equal(playgroundName('Jane.Doe'), 'play-jane-doe');
    assert.equal(playgroundName('root'), 'play-root');
    assert.throws(() => playgroundName('...'), ProfileError);
  });
});

describe('profiles', () => {
  it('the shipped default and local profiles are valid', async () => {
    const d = await parseProfile('default.tfvars', await defaultText());
    assert.ok(d.az_count >= 1 && d.az_count <= 3);
    const l = await parseProfile('local.tfvars', await readFile(join(root, 'profiles', 'local.tfvars'), 'utf8'), 'local');
    assert.equal(l.environment, 'local');
  });

  it('every shipped field is known and every schema field is in default.tfvars', async () => {
    const text = await defaultText();
    for (const f of PROFILE_FIELDS) assert.match(text, new RegExp(`^${f}\\s*=`, 'm'), `default.tfvars lacks ${f}`);
  });

  it('names file, line and field for a malformed CIDR', async () => {
    const text = (await defaultText()).replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.0.0/16"');
    const line = text.split('\n').findIndex((l) => l.startsWith('vpc_cidr')) + 1;
    const err = await rejectsWith(parseProfile('profiles/x.tfvars', text), new RegExp(`^profiles/x\\.tfvars:${line}: field "vpc_cidr" must be an IPv4 CIDR`));
    assert.ok(err.hint.length > 0);
  });

  it('names an unknown field and lists the allowed ones', async () => {
    const text = (await defaultText()) + '\nvpc_cdir = "10.0.0.0/16"\n';
    const err = await rejectsWith(parseProfile('p.tfvars', text), /unknown field "vpc_cdir"/);
    assert.match(err.hint, /vpc_cidr/);
  });

  it('rejects az_count 0 and 4 with what is allowed', async () => {
    for (const n of [0, 4]) {
      const text = (await defaultText()).replace(/^az_count\s*=.*$/m, `az_count = ${n}`);
      await rejectsWith(parseProfile('p.tfvars', text), /field "az_count" must be 1, 2 or 3/);
    }
  });

  it('reports a missing field', async () => {
    const text = (await defaultText()).replace(/^kms_master_id\s*=.*$/m, '');
    await rejectsWith(parseProfile('p.tfvars', text), /field "kms_master_id" is missing/);
  });

  it('reports HCL syntax errors with the parser position', async () => {
    await rejectsWith(parseProfile('p.tfvars', 'environment = \n'), /p\.tfvars: not valid HCL: .*p\.tfvars:\d+/);
  });

  it('checks the environment matches the file', async () => {
    const text = profileFromTemplate(await defaultText(), 'dev');
    await parseProfile('dev.tfvars', text, 'dev');
    await rejectsWith(parseProfile('prod.tfvars', text, 'prod'), /"environment" is "dev" but the file is for "prod"/);
  });

  it('the template copy keeps comments and sets only the environment', async () => {
    const text = await defaultText();
    const copy = profileFromTemplate(text, 'play-bob');
    assert.match(copy, /^environment\s*=\s*"play-bob"/m);
    assert.equal(copy.split('\n').length, text.split('\n').length);
    assert.equal((copy.match(/^#/gm) ?? []).length, (text.match(/^#/gm) ?? []).length);
  });
});
