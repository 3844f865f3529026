import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from '@cdktn/hcl2json';

import { ProfileError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/core/paths.js';
import { hclString, setProfileFields, writeProfileFields } from '../../src/core/profile-edit.js';
import { parseProfile } from '../../src/core/profile.js';

const defaultText = () => readFile(join(projectRoot(), 'profiles', 'default.tfvars'), 'utf8');

/** Line numbers (0-based) where two texts differ; both must have the same number of lines. */
function changedLines(a: string, b: string): number[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  assert.equal(lb.length, la.length, 'line count changed');
  return la.flatMap((l, i) => (l === lb[i] ? [] : [i]));
}

describe('setProfileFields', () => {
  it('rewrites both fields of profiles/default.tfvars and nothing else; the result still validates', async () => {
    const text = await defaultText();
    const out = setProfileFields(text, { terraform_bucket_name: 'acme-tf-state', kms_master_id: 'alias/acme-state' });
    const changed = changedLines(text, out);
    assert.equal(changed.length, 2);
    const lines = out.split('\n');
    assert.deepEqual(
      changed.map((i) => lines[i]),
      ['terraform_bucket_name = "acme-tf-state"', 'kms_master_id = "alias/acme-state"'],
    );
    const profile = await parseProfile('default.tfvars', out);
    assert.equal(profile.terraform_bucket_name, 'acme-tf-state');
    assert.equal(profile.kms_master_id, 'alias/acme-state');
  });

  it('keeps indentation, spacing and a trailing comment on the line', () => {
    const text = '  terraform_bucket_name   =  "old-bucket"   # the team bucket\nkms_master_id="alias/old" // key\n';
    assert.equal(
      setProfileFields(text, { terraform_bucket_name: 'new-bucket', kms_master_id: 'alias/new' }),
      '  terraform_bucket_name   =  "new-bucket"   # the team bucket\nkms_master_id="alias/new" // key\n',
    );
  });

  it('changes only the fields given; undefined leaves a field alone', () => {
    const text = 'terraform_bucket_name = "a-bucket"\nkms_master_id = "alias/a"\n';
    assert.equal(setProfileFields(text, { kms_master_id: 'alias/b' }), 'terraform_bucket_name = "a-bucket"\nkms_master_id = "alias/b"\n');
    assert.equal(setProfileFields(text, { kms_master_id: undefined }), text);
    assert.equal(setProfileFields(text, {}), text);
  });

  it('appends a missing field at the end (adding the final newline when the text has none)', () => {
    assert.equal(setProfileFields('# profile\nenvironment = "dev"', { kms_master_id: 'alias/k' }), '# profile\nenvironment = "dev"\nkms_master_id = "alias/k"\n');
    assert.equal(
      setProfileFields('environment = "dev"\n', { terraform_bucket_name: 'b-1-2', kms_master_id: 'alias/k' }),
      'environment = "dev"\nterraform_bucket_name = "b-1-2"\nkms_master_id = "alias/k"\n',
    );
    assert.equal(setProfileFields('', { kms_master_id: 'alias/k' }), 'kms_master_id = "alias/k"\n');
  });

  it('leaves commented-out lines, block comments, heredocs and multi-line lists alone', () => {
    const text = [
      '# kms_master_id = "alias/commented"',
      '// terraform_bucket_name = "commented"',
      '/* a block comment',
      'kms_master_id = "alias/in-block-comment"',
      '*/',
      'notes = <<EOT',
      'kms_master_id = "alias/in-heredoc"',
      'EOT',
      'things = [',
      '  { kms_master_id = "alias/in-list" },',
      ']',
      'kms_master_id = "alias/real"',
      '',
    ].join('\n');
    const out = setProfileFields(text, { kms_master_id: 'alias/new' });
    assert.deepEqual(changedLines(text, out), [11]);
    assert.equal(out.split('\n')[11], 'kms_master_id = "alias/new"');
  });

  it('an indented heredoc (<<-) and a block comment closing mid-line are followed correctly', () => {
    const text = 'a = <<-EOT\n  kms_master_id = "x"\n  EOT\n/* c */ b = 1\nkms_master_id = "alias/real"\n';
    const out = setProfileFields(text, { kms_master_id: 'alias/new' });
    assert.deepEqual(changedLines(text, out), [4]);
  });

  it('keeps CRLF line endings, also for an appended field', () => {
    const text = '# c\r\nterraform_bucket_name = "old-bucket"\r\n';
    assert.equal(setProfileFields(text, { terraform_bucket_name: 'new-bucket', kms_master_id: 'alias/k' }), '# c\r\nterraform_bucket_name = "new-bucket"\r\nkms_master_id = "alias/k"\r\n');
  });

  it('replaces a one-line non-string value, and a quoted value with escaped quotes', () => {
    assert.equal(setProfileFields('kms_master_id = null # none yet\n', { kms_master_id: 'alias/k' }), 'kms_master_id = "alias/k" # none yet\n');
    assert.equal(setProfileFields('kms_master_id = "a\\"b" # x\n', { kms_master_id: 'alias/k' }), 'kms_master_id = "alias/k" # x\n');
  });

  it('refuses a value spanning several lines, and fields it may not edit', () => {
    assert.throws(() => setProfileFields('kms_master_id = [\n "x"\n]\n', { kms_master_id: 'alias/k' }), (e: unknown) => e instanceof ProfileError && /line 1: the value of kms_master_id spans several lines/.test(e.message));
    assert.throws(() => setProfileFields('kms_master_id = "open\n', { kms_master_id: 'alias/k' }), ProfileError);
    assert.throws(() => setProfileFields('', { environment: 'x' } as unknown as { kms_master_id: string }), /cannot edit the profile field "environment"/);
  });

  it('is idempotent', async () => {
    const text = await defaultText();
    const once = setProfileFields(text, { terraform_bucket_name: 'acme-tf-state', kms_master_id: 'alias/x' });
    assert.equal(setProfileFields(once, { terraform_bucket_name: 'acme-tf-state', kms_master_id: 'alias/x' }), once);
  });

  it('escapes values so HCL reads them back exactly (quotes, backslashes, ${ and %{ templates, control characters)', async () => {
    const nasty = 'a"b\\c ${var.x} %{ if } d\te\nf\u0001';
    const out = setProfileFields('kms_master_id = "x"\n', { kms_master_id: nasty });
    const parsed = (await parse('t.tfvars', out)) as Record<string, unknown>;
    // hcl2json answers in Terraform's JSON syntax, where a literal `${` / `%{` is spelled `$${` / `%%{`;
    // an unescaped template would come back as `${var.x}` (an expression), as the second parse shows.
    assert.equal(parsed['kms_master_id'], 'a"b\\c $${var.x} %%{ if } d\te\nf\u0001');
    const unescaped = (await parse('t.tfvars', 'kms_master_id = "${var.x}"\n')) as Record<string, unknown>;
    assert.equal(unescaped['kms_master_id'], '${var.x}');
    assert.equal(hclString('plain'), '"plain"');
    assert.equal(hclString('${x}'), '"$${x}"');
  });
});

describe('writeProfileFields', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-profile-edit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('rewrites the file atomically, keeps its mode, leaves no temp file', async () => {
    const file = join(dir, 'dev.tfvars');
    await writeFile(file, await defaultText());
    await chmod(file, 0o640);
    const inode = (await stat(file)).ino;
    assert.equal(await writeProfileFields(file, { terraform_bucket_name: 'dev-state-bucket', kms_master_id: 'alias/dev' }), true);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^terraform_bucket_name = "dev-state-bucket"$/m);
    assert.match(text, /^kms_master_id = "alias\/dev"$/m);
    assert.match(text, /^# Playground template\./);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    assert.notEqual((await stat(file)).ino, inode, 'not replaced by rename (written in place?)');
    assert.deepEqual(await readdir(dir), ['dev.tfvars']);
  });

  it('writes nothing when nothing changes', async () => {
    const file = join(dir, 'same.tfvars');
    await writeFile(file, 'kms_master_id = "alias/same"\n');
    const inode = (await stat(file)).ino;
    assert.equal(await writeProfileFields(file, { kms_master_id: 'alias/same' }), false);
    assert.equal((await stat(file)).ino, inode);
  });

  it('writes through a symlink to its target and keeps the link', async () => {
    const target = join(dir, 'real.tfvars');
    const link = join(dir, 'link.tfvars');
    await writeFile(target, 'kms_master_id = "alias/old"\n');
    await chmod(target, 0o600);
    await symlink('real.tfvars', link);
    assert.equal(await writeProfileFields(link, { kms_master_id: 'alias/new' }), true);
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readlink(link), 'real.tfvars');
    assert.equal(await readFile(target, 'utf8'), 'kms_master_id = "alias/new"\n');
    assert.equal((await stat(target)).mode & 0o777, 0o600);
  });

  it('a missing file is a ProfileError naming it', async () => {
    const file = join(dir, 'nope.tfvars');
    await assert.rejects(writeProfileFields(file, { kms_master_id: 'alias/x' }), (e: unknown) => e instanceof ProfileError && e.message === `no profile ${file}`);
  });
});
