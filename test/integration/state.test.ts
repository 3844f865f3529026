/**
 * The state, browsed and repaired, on the real platform (terraform/: every module) applied on
 * moto with the real Terraform CLI and hashicorp/aws provider:
 *   - `state rm` of the bastion's instance: `--ci state list` no longer lists it, the copy of the
 *     state exists (work dir and bucket), the next plan wants to create it; `import` of the same
 *     instance id (an import block, planned and applied) brings it back and the next plan is empty;
 *   - `-replace` of the compute launch template plans a replace and applies;
 *   - every change refused while a second `--ci apply` holds the lock (named);
 *   - `state mv` prints the `moved` block; with that block and the renamed resource in a scratch
 *     copy of the module (the workspace's own copy of terraform/), the plan is empty;
 *   - each change is in the history with the serials before and after;
 *   - in the console (the real App, ink-testing-library): the State pane lists the state; `x`
 *     removes the bastion's instance after its typed address, the pane no longer lists it and the
 *     next plan wants to create it; `:import` plans it back, reviewed and applied in the Plan/Apply
 *     pane; a stale lock left by a killed apply is shown with its holder, and `U` releases it only
 *     with the typed lock ID.
 * Needs moto and Terraform: fails without moto when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { stateLines } from '../../src/panes/state/slice.js';
import { openSession, type Session } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { exitOf, s3For, waitFor } from '../support/cli-child.js';
import { frameMatching, sleep } from '../support/frames.js';
import { motoSkipReason } from '../support/moto.js';
import { pidsOf, until } from '../support/procs.js';
import { applyFailure, applyPlatform } from '../support/platform-apply.js';
import { makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

const ENV = 'stateops';
const BUCKET = 'platform-console-local-state';
const BASTION = 'module.bastion.aws_instance.this';
const COMPUTE_LT = 'module.compute.module.nodes.aws_launch_template.this';
const VERSIONING = 'module.secrets.aws_s3_bucket_versioning.this';
const VERSIONING_TO = 'module.secrets.aws_s3_bucket_versioning.main';

type Summary = Record<string, unknown> & { type: 'summary'; ok: boolean; exit_code: number };

describe('the state on the applied platform: rm, import, replace, mv, refusals under a held lock', { skip, concurrency: 1, timeout: 3_600_000 }, () => {
  let ws: Workspace;
  let s3: S3Client;

  const ci = async (t: TestContext | undefined, args: string[], env?: NodeJS.ProcessEnv) => {
    const t0 = Date.now();
    const r = await ws.cli(['-e', ENV, '--local', '--ci', ...args], { timeoutMs: 900_000, ...(env ? { env } : {}) });
    t?.diagnostic(`${args.join(' ')}: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };
  const summaryOf = (stdout: string) => ndjson(stdout).find((e) => e.type === 'summary') as Summary | undefined;
  const listState = async () => {
    const r = await ci(undefined, ['state', 'list']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  /** The changes of a `--ci plan --json` (exit 0 or 2). */
  const planChanges = async (t: TestContext) => {
    const r = await ci(t, ['plan', '--json']);
    assert.ok(r.code === 0 || r.code === 2, r.stderr + r.stdout.slice(-3000));
    const plan = ndjson(r.stdout).find((e) => e.type === 'plan') as { changes: { address: string; action: string }[] } | undefined;
    return { code: r.code, changes: plan?.changes ?? [], stdout: r.stdout };
  };

  before(async () => {
    ws = await makeWorkspace('platform');
    await ws.profile(ENV, (t) => t.replace(/^secure_count\s*=.*$/m, 'secure_count = 1').replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
    const applied = await applyPlatform(ws, ENV);
    if (applied.result.code !== 0) assert.fail(await applyFailure(ws, applied));
    s3 = await s3For(ws);
  });
  let session: Session | undefined;
  let controller: Controller | undefined;
  let ui: ReturnType<typeof render> | undefined;
  after(async () => {
    ui?.unmount();
    controller?.stop();
    session?.close();
    s3?.destroy();
    await ws?.dispose();
  });

  it('--ci state list lists the platform; show masks nothing it should not and names the dependencies; a change without --auto-approve is refused before anything runs', async (t) => {
    const list = await ci(t, ['state', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = ndjson(list.stdout).filter((e) => e.type === 'state_resource') as { address: string; id?: string }[];
    assert.ok(rows.length >= 60, `expected the whole platform, got ${rows.length}`);
    assert.ok(rows.some((r) => r.address === BASTION && /^i-/.test(r.id ?? '')), JSON.stringify(rows.filter((r) => r.address.includes('bastion'))));
    const sum = summaryOf(list.stdout)!;
    assert.equal(sum.count, rows.length);
    assert.ok(typeof sum.serial === 'number' && (sum.serial as number) > 0);
    assert.match(String(sum.lineage), /^[0-9a-f-]{36}$/);

    const show = await ci(t, ['state', 'show', BASTION]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^# ${BASTION.replace(/[.[\]]/g, '\\$&')}$`, 'm'));
    assert.match(show.stdout, /^ {4}resource "aws_instance" "this" \{$/m);
    assert.match(show.stdout, /^ {8}id +="i-|^ {8}id += "i-/m);
    assert.match(show.stdout, /^# dependencies \(\d+\)$/m);
    assert.match(show.stdout, /^# {3}module\.bastion\.aws_security_group\.this$/m);

    const refused = await ci(t, ['state', 'rm', BASTION]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /error: --ci state rm changes the state and needs --auto-approve: nothing was changed/);
    assert.deepEqual((await listState()).includes(BASTION), true);
  });

  let bastionId = '';
  it('state rm of the bastion\'s instance: no longer listed, the copy kept (work dir 0600 and bucket), the next plan wants to create it', async (t) => {
    const list = await ci(t, ['state', 'list', '--json']);
    bastionId = (ndjson(list.stdout).find((e) => e.address === BASTION) as { id: string }).id;
    const before_ = summaryOf(list.stdout)!.serial as number;
    const r = await ci(t, ['state', 'rm', BASTION, '--auto-approve', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const sum = summaryOf(r.stdout)!;
    assert.equal(sum.state_command, 'rm');
    assert.deepEqual(sum.addresses, [BASTION]);
    assert.equal(sum.serial_before, before_);
    assert.ok((sum.serial_after as number) > before_, JSON.stringify(sum));
    // The copy of the state as it was before: on disk (0600) and in the bucket (SSE-KMS).
    const path = String(sum.backup_path);
    assert.ok(existsSync(path), path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const copy = JSON.parse(await readFile(path, 'utf8')) as { serial: number; resources: { module?: string; type: string }[] };
    assert.equal(copy.serial, before_);
    assert.ok(copy.resources.some((x) => x.module === 'module.bastion' && x.type === 'aws_instance'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: String(sum.backup_key) }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.match(String(sum.backup_key), new RegExp(`^${ENV}/state-backups/`));

    assert.ok(!(await listState()).includes(BASTION), 'no longer in the state');
    const plan = await planChanges(t);
    assert.equal(plan.code, 2);
    assert.ok(plan.changes.some((c) => c.address === BASTION && c.action === 'create'), JSON.stringify(plan.changes.map((c) => `${c.action} ${c.address}`)));
    // The human words say what happened.
    const h = await ci(t, ['history', '--json', '--limit', '5']);
    const rec = ndjson(h.stdout).find((e) => e.type === 'history_record' && e.operation === 'state-rm') as { outcome: string; state: { addresses: string[]; serialBefore: number; serialAfter: number; backupKey: string } } | undefined;
    assert.ok(rec, h.stdout);
    assert.equal(rec.outcome, 'succeeded');
    assert.deepEqual(rec.state.addresses, [BASTION]);
    assert.equal(rec.state.serialBefore, before_);
    assert.equal(rec.state.serialAfter, sum.serial_after);
    assert.equal(rec.state.backupKey, sum.backup_key);
    // The record points at the copy; it holds no state itself.
    assert.ok(!JSON.stringify(rec).includes('"resources":[{"module"'));
  });

  it('import of the same instance id: planned (an import block) then applied; it is back and the next plan is empty', async (t) => {
    assert.match(bastionId, /^i-/);
    const planned = await ci(t, ['state', 'import', BASTION, bastionId, '--json']);
    assert.equal(planned.code, 2, planned.stderr + planned.stdout.slice(-3000));
    const p = ndjson(planned.stdout).find((e) => e.type === 'plan') as { imports: { to: string; id: string }[]; importing: { address: string; id: string }[] };
    assert.deepEqual(p.imports, [{ to: BASTION, id: bastionId }]);
    assert.deepEqual(p.importing, [{ address: BASTION, id: bastionId }]);
    assert.ok(!existsSync(join(ws.work, `${ENV}.local`, 'module', 'platform-console-import.tf')), 'the import block is gone after the plan');
    assert.ok(!(await listState()).includes(BASTION), 'a plan imports nothing');
    const applied = await ci(t, ['state', 'import', BASTION, bastionId, '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout.slice(-3000));
    assert.match(applied.stdout, /Apply complete! Resources: 1 imported/);
    assert.match(applied.stdout, /^state import stateops: applied 1 import, /m);
    assert.ok((await listState()).includes(BASTION));
    const plan = await planChanges(t);
    assert.equal(plan.code, 0, `the plan after the import has changes: ${JSON.stringify(plan.changes.map((c) => `${c.action} ${c.address}`))}`);
  });

  it('-replace of the compute launch template: the plan replaces it, and --auto-approve applies it', async (t) => {
    const planned = await ci(t, ['state', 'replace', COMPUTE_LT, '--json']);
    assert.equal(planned.code, 2, planned.stderr + planned.stdout.slice(-3000));
    const p = ndjson(planned.stdout).find((e) => e.type === 'plan') as { changes: { address: string; action: string; reason?: string }[]; replace_requested: string[] };
    assert.deepEqual(p.replace_requested, [COMPUTE_LT]);
    const lt = p.changes.find((c) => c.address === COMPUTE_LT);
    assert.equal(lt?.action, 'replace', JSON.stringify(p.changes));
    assert.equal(lt?.reason, 'replace_by_request');
    const applied = await ci(t, ['state', 'replace', COMPUTE_LT, '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout.slice(-3000));
    assert.match(applied.stdout, new RegExp(`${COMPUTE_LT.replace(/[.[\]]/g, '\\$&')}: Creation complete`));
  });

  it('while a second --ci apply holds the lock, every change is refused and names the holder', async (t) => {
    // A resource that sleeps in its apply holds the lock long enough (the workspace's own copy of terraform/).
    const hold = join(ws.terraform, 'zz-test-hold.tf');
    await writeFile(hold, 'resource "terraform_data" "hold" {\n  triggers_replace = plantimestamp()\n  provisioner "local-exec" {\n    command = "sleep $${PC_TEST_SLEEP:-40}"\n  }\n}\n');
    const holder = ws.spawnCli(['-e', ENV, '--local', '--ci', 'apply', '--auto-approve', '--json'], { PC_TEST_SLEEP: '90' });
    const done = exitOf(holder);
    try {
      await waitFor(holder, /"type":"apply_start"[^\n]*terraform_data\.hold/, 600_000);
      const lock = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${ENV}/terraform.tfstate.tflock` }))).Body!.transformToString()) as { ID: string; Who: string };
      const pulled = await ci(t, ['state', 'pull']);
      assert.equal(pulled.code, 0, 'reads go on while the lock is held');
      const newer = join(ws.dir, 'newer.tfstate');
      const st = JSON.parse(pulled.stdout) as { serial: number };
      await writeFile(newer, JSON.stringify({ ...st, serial: st.serial + 1 }));
      const attempts: [string, string[]][] = [
        ['rm', ['state', 'rm', VERSIONING, '--auto-approve']],
        ['mv', ['state', 'mv', VERSIONING, VERSIONING_TO, '--auto-approve']],
        ['import-direct', ['state', 'import-direct', 'aws_instance.x', 'i-0', '--auto-approve']],
        ['push', ['state', 'push', newer, '--auto-approve']],
        ['target', ['state', 'target', BASTION]],
        ['replace', ['state', 'replace', COMPUTE_LT]],
        ['import', ['state', 'import', 'aws_instance.x', 'i-0']],
        ['unlock', ['state', 'unlock', lock.ID, '--auto-approve']],
      ];
      const results = await Promise.all(attempts.map(async ([name, args]) => [name, await ci(undefined, args)] as const));
      for (const [name, r] of results) {
        t.diagnostic(`${name}: exit ${r.code}: ${r.stderr.split('\n').find((l) => l.startsWith('error:'))}`);
        assert.equal(r.code, 1, `${name} was not refused:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
        if (name === 'unlock' || ['target', 'replace', 'import'].includes(name)) {
          // The holder is this machine's run: named as such, or by Terraform's lock info.
          assert.match(r.stderr, new RegExp(`error: .*(an apply started at \\S+ by \\S+ \\(pid \\d+\\) is still running on this machine|state lock is held by ${lock.Who.replace(/[.]/g, '\\.')})`), `${name}: ${r.stderr}`);
        } else {
          assert.match(r.stderr, new RegExp(`error: .*refused: (an apply started at \\S+ by \\S+ \\(pid \\d+\\) is still running on this machine|the state lock is held by ${lock.Who.replace(/[.]/g, '\\.')} \\(OperationTypeApply)`), `${name}: ${r.stderr}`);
        }
      }
      assert.ok((await listState()).includes(VERSIONING), 'nothing was removed or moved');
    } finally {
      const end = await done;
      t.diagnostic(`the holding apply ended: exit ${end.code}`);
      await rm(hold, { force: true });
    }
    // The hold resource goes again (the configuration no longer has it).
    const cleanup = await ci(t, ['apply', '--auto-approve']);
    assert.equal(cleanup.code, 0, cleanup.stderr + cleanup.stdout.slice(-3000));
  });

  it('state mv prints the moved block; with it and the renamed resource in the scratch copy of the module, the plan is empty', async (t) => {
    const r = await ci(t, ['state', 'mv', VERSIONING, VERSIONING_TO, '--auto-approve']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const block = `moved {\n  from = ${VERSIONING}\n  to   = ${VERSIONING_TO}\n}`;
    assert.ok(r.stdout.includes(`# commit this block to the configuration so the move is reproducible:\n${block}\n`), r.stdout);
    assert.match(r.stdout, new RegExp(`^state mv ${ENV}: moved ${VERSIONING.replace(/[.]/g, '\\.')} to ${VERSIONING_TO.replace(/[.]/g, '\\.')}; serial \\d+ → \\d+; the state before is kept in `, 'm'));
    const listed = await listState();
    assert.ok(listed.includes(VERSIONING_TO) && !listed.includes(VERSIONING));
    // Without the configuration change, Terraform would destroy the moved one and create the old one.
    const before_ = await planChanges(t);
    assert.equal(before_.code, 2);
    // Commit the block and the rename in the scratch copy.
    const file = join(ws.terraform, 'modules', 'secrets', 'main.tf');
    const text = await readFile(file, 'utf8');
    assert.ok(text.includes('resource "aws_s3_bucket_versioning" "this"'));
    await writeFile(file, text.replace('resource "aws_s3_bucket_versioning" "this"', 'resource "aws_s3_bucket_versioning" "main"'));
    await writeFile(join(ws.terraform, 'moved.tf'), `${block}\n`);
    const plan = await planChanges(t);
    assert.equal(plan.code, 0, `the plan after the committed move has changes: ${JSON.stringify(plan.changes.map((c) => `${c.action} ${c.address}`))}`);
    const h = await ci(t, ['history', '--json', '--limit', '20']);
    const ops = ndjson(h.stdout).filter((e) => e.type === 'history_record').map((e) => `${String(e.operation)} ${String(e.outcome)}`);
    for (const op of ['state-rm succeeded', 'state-mv succeeded']) assert.ok(ops.includes(op), ops.join(', '));
  });

  /** Types text into the console, then Enter. */
  const type = async (text: string) => {
    for (const ch of text) ui!.stdin.write(ch);
    await sleep(80);
    ui!.stdin.write('\r');
  };
  const command = async (text: string) => {
    ui!.stdin.write(':');
    await sleep(80);
    await type(text);
  };
  /** Selects the State pane's row of `address` (as ↑↓ would). */
  const selectRow = (address: string) => {
    controller!.store.update((s) => {
      const i = stateLines(s).findIndex((l) => l.kind === 'resource' && l.res.address === address);
      assert.ok(i >= 0, `${address} is not a row of the State pane`);
      s.selected = i;
    });
  };
  const esc = /[.[\]"()]/g;

  it('console: the State pane lists the state; x removes the bastion after its typed address (a wrong one is refused), the pane no longer lists it and the next plan wants to create it', async () => {
    session = await openSession({ environment: ENV, local: true, paths: resolvePaths(ws.env), env: ws.env });
    controller = new Controller(new Store(headerOf(session)), session);
    controller.start();
    ui = render(React.createElement(App, { controller, size: { columns: 200, rows: 50 } }));
    ui.stdin.write('7');
    let f = await frameMatching(ui.lastFrame, /State {2}\d+ resources in \d+ modules {2}serial \d+ {2}lineage [0-9a-f-]{36} {2}terraform 1\.11\.4/, 60_000);
    assert.ok(controller.store.state.tfstate.read?.doc.resources.some((r) => r.address === BASTION), 'the bastion is in the pane');
    assert.equal(controller.store.state.tfstate.read?.source, 'object', 'the pane reads the state object itself');
    assert.match(f, /\(state object \d+\.\d s\)/);
    selectRow(BASTION);
    ui.stdin.write('x');
    f = await frameMatching(ui.lastFrame, /Type its address to remove it:/, 10_000);
    assert.ok(f.includes(`Remove ${BASTION} from the state of ${ENV}?`), f);
    await type('module.bastion.aws_instance.thus');
    f = await frameMatching(ui.lastFrame, /is not the address/, 10_000);
    assert.ok(f.includes(`"module.bastion.aws_instance.thus" is not the address ${BASTION}: nothing removed.`), f);
    assert.ok((await listState()).includes(BASTION), 'a wrong address removed it');
    ui.stdin.write('\x1b');
    await sleep(100);
    ui.stdin.write('x');
    await frameMatching(ui.lastFrame, /Type its address to remove it:/, 10_000);
    await type(BASTION);
    f = await frameMatching(ui.lastFrame, /The next plan wants to create it/, 180_000);
    assert.match(f, new RegExp(`Removed ${BASTION.replace(esc, '\\$&')} from the state \\(serial \\d+ → \\d+\\)\\.`));
    assert.ok(!controller.store.state.tfstate.read?.doc.resources.some((r) => r.address === BASTION), 'the pane no longer lists it');
    assert.ok(!(await listState()).includes(BASTION), '--ci state list no longer lists it');
    assert.equal(controller.target.engine.savedPlan?.changes.find((c) => c.address === BASTION)?.action, 'create');
  });

  it('console: :import plans the bastion back (an import row in plan review), a applies it, and the state has it again', async () => {
    ui!.stdin.write('\x1b');
    await sleep(100);
    ui!.stdin.write('7');
    await sleep(200);
    await command(`import ${BASTION} ${bastionId}`);
    let f = await frameMatching(ui!.lastFrame, /Press a to apply it\./, 180_000);
    assert.match(f, new RegExp(`Plan the import of ${bastionId} into ${BASTION.replace(esc, '\\$&')}: 1 to import, `));
    const model = controller!.target.engine.savedPlan!;
    assert.deepEqual(model.imports, [{ to: BASTION, id: bastionId }]);
    ui!.stdin.write('a');
    f = await frameMatching(ui!.lastFrame, /\(y\/N\)/, 10_000);
    assert.match(f, /Apply the saved plan to stateops: \+\d+ ~\d+ -\d+, 1 to import\? \(y\/N\)/);
    ui!.stdin.write('y');
    await frameMatching(ui!.lastFrame, /Apply complete: /, 300_000);
    await until('the pane read the state again', async () => controller!.store.state.tfstate.read?.doc.resources.some((r) => r.address === BASTION) === true, 60_000);
    assert.ok((await listState()).includes(BASTION));
  });

  it('console: a stale lock left by a killed plan (and its Terraform) is shown with its holder; U refuses a wrong lock ID and releases with the right one (recorded in the history)', async () => {
    // A plan that is killed (with its Terraform) while it holds the lock leaves the lock behind.
    const other = join(ws.dir, 'other-machine');
    const child = ws.spawnCli(['-e', ENV, '--local', '--ci', 'plan', '--json'], { PLATFORM_WORK_DIR: other });
    const done = exitOf(child);
    const lockHeld = async () => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${ENV}/terraform.tfstate.tflock` })).then(() => true, () => false);
    await until('the plan took the lock', lockHeld, 120_000);
    const tf = await pidsOf('platform-console-run:', other);
    child.kill('SIGKILL');
    await done;
    for (const pid of tf) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await until('its Terraform is gone', async () => (await pidsOf('platform-console-run:', other)).length === 0, 30_000);
    assert.ok(await lockHeld(), 'the killed plan left its lock');
    const lock = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${ENV}/terraform.tfstate.tflock` }))).Body!.transformToString()) as { ID: string; Who: string; Operation: string };

    // A change now is refused, naming the holder (it is no run of this machine).
    const rmRefused = await ci(undefined, ['state', 'rm', VERSIONING_TO, '--auto-approve']);
    assert.equal(rmRefused.code, 1);
    assert.match(rmRefused.stderr, new RegExp(`error: state rm refused: the state lock is held by ${lock.Who.replace(esc, '\\$&')} \\(${lock.Operation}, since [^,]+, lock ID ${lock.ID}\\): nothing was changed`));

    ui!.stdin.write('\x1b');
    await sleep(100);
    ui!.stdin.write('7');
    let f = await frameMatching(ui!.lastFrame, new RegExp(`lock held by ${lock.Who.replace(esc, '\\$&')} \\(${lock.Operation}, since [^,]+, ID ${lock.ID}\\)`), 30_000);
    ui!.stdin.write('U');
    f = await frameMatching(ui!.lastFrame, /Type the lock ID to release it:/, 30_000);
    assert.ok(f.includes(`Release the state lock ${lock.ID} held by ${lock.Who} (${lock.Operation}, since `), f);
    await type('00000000-1111-2222-3333-444444444444');
    f = await frameMatching(ui!.lastFrame, /is not the lock ID/, 10_000);
    assert.ok(f.includes(`"00000000-1111-2222-3333-444444444444" is not the lock ID ${lock.ID}: nothing released.`), f);
    assert.ok(await lockHeld(), 'a wrong ID released the lock');
    ui!.stdin.write('\x1b');
    await sleep(100);
    ui!.stdin.write('U');
    await frameMatching(ui!.lastFrame, /Type the lock ID to release it:/, 30_000);
    await type(lock.ID);
    await frameMatching(ui!.lastFrame, new RegExp(`Released the state lock ${lock.ID}`), 60_000);
    assert.ok(!(await lockHeld()), 'the lock is still there');
    const h = await ci(undefined, ['history', '--json', '--limit', '5']);
    const rec = ndjson(h.stdout).find((e) => e.type === 'history_record' && e.operation === 'state-unlock') as { outcome: string; state: { lock: { id: string; who: string } } } | undefined;
    assert.ok(rec, h.stdout);
    assert.equal(rec.outcome, 'succeeded');
    assert.equal(rec.state.lock.id, lock.ID);
  });
});
