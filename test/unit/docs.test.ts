import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from '@cdktn/hcl2json';
import { projectRoot } from '../../src/core/paths.js';
import { PROFILE_FIELDS } from '../../src/core/profile-schema.js';
import { keyTableMarkdown } from '../../src/ui/keys/registry.js';

const root = projectRoot();
/** Root-module variables that are deliberately not profile fields. */
const NOT_PROFILE = new Set(['enforce_secrets_bucket_policy']);

describe('README and variables cannot drift from the code', () => {
  it('the README key table is the registry of key actions', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    assert.ok(readme.includes(keyTableMarkdown()), 'README key table differs from the registry (src/ui/keys/registry.ts): run npm run docs:keys');
  });

  it('the README profile table lists every profile field, and only those', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Profiles'), readme.indexOf('## Credentials'));
    const listed = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(listed, PROFILE_FIELDS);
  });

  it('every profile field is a variable of terraform/variables.tf and vice versa', async () => {
    const parsed = (await parse('variables.tf', await readFile(join(root, 'terraform', 'variables.tf'), 'utf8'))) as { variable: Record<string, unknown> };
    const vars = Object.keys(parsed.variable).filter((v) => !NOT_PROFILE.has(v)).sort();
    assert.deepEqual(vars, [...PROFILE_FIELDS].sort());
  });
});
