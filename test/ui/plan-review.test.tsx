// The Plan/Apply pane's review of a plan, on a plan document of Terraform's JSON Output Format
// written here by hand (the recorded ones of the real Terraform are in test/unit/plan-fixtures):
// the module tree with counts, folding, the action filter, phantom updates, risk, and Enter's diff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { PlanPane } from '../../src/panes/plan/view.js';
import { parsePlanJson } from '../../src/services/terraform/plan-model.js';
import type { Controller } from '../../src/state/controller.js';
import { Store, topOverlay } from '../../src/state/store.js';
import type { ActionContext } from '../../src/ui/keys/action.js';
import { press } from '../../src/ui/keys/input.js';
import { parseCommand } from '../../src/ui/keys/registry.js';
import { ViewOverlayBody } from '../../src/ui/overlays/ViewOverlay.js';
import { paneOf } from '../../src/panes/index.js';
import { strip } from '../support/frames.js';
import { PLAN } from '../support/plan-doc.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller as RealController } from '../../src/state/controller.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { backendFor } from '../../src/services/terraform/backend.js';

function harness() {
  const store = new Store({ environment: 'rev', account: '1', region: 'eu-west-1', backend: 'b', engine: 't', credentials: 'c' });
  const plan = parsePlanJson(PLAN);
  store.onEngineEvent({ kind: 'plan', plan } as never);
  const calls: string[] = [];
  const controller = new Proxy({}, { get: (_t, p) => (...args: unknown[]) => calls.push(`${String(p)}(${args.join(',')})`) }) as unknown as Controller;
  const ctx = (): ActionContext => ({ state: store.state, store, controller, page: 10, rowCount: paneOf('plan').rowCount(store.state), maxScroll: 100 });
  const frame = () => {
    const ui = render(<PlanPane state={store.state} width={150} height={20} />);
    const f = strip(ui.lastFrame());
    ui.unmount();
    return f;
  };
  return { store, plan, ctx, frame };
}

describe('plan review in the Plan/Apply pane', () => {
  it('groups rows by module with counts, the root module first; phantom updates and risk are shown', () => {
    const { plan, frame } = harness();
    assert.equal(plan.risk, 'critical');
    const f = frame();
    assert.match(f, /▾\s+\(root module\)  \+1 ~0 -0  \(1 resource\)/);
    assert.match(f, /▾\s+module\.iam  \+0 ~1 -0  \(1 resource\)/);
    assert.match(f, /▾\s+module\.network  \+1 ~1 -1  \(2 resources\)/);
    assert.match(f, /≈ phantom\s+module\.iam\.aws_iam_role_policy\.this/);
    assert.match(f, /-\/\+ replace\s+module\.network\.aws_subnet\.this\["a"\]\s+planned\s+high/);
    assert.match(f, /- delete\s+module\.secure\.aws_ebs_volume\.etcd\["a"\]\s+planned\s+critical/);
    assert.match(f, /1 phantom update/);
    assert.match(f, /risk critical/);
    assert.ok(f.indexOf('(root module)') < f.indexOf('module.iam') && f.indexOf('module.iam') < f.indexOf('module.network'));
  });

  it('← folds a module, → unfolds it, t shows the flat list, f keeps one action at a time', () => {
    const { store, ctx, frame } = harness();
    press(ctx, 'Down');
    press(ctx, 'Down'); // module.iam's header
    press(ctx, 'Down'); // its policy row
    press(ctx, 'Left');
    let f = frame();
    assert.match(f, /▸\s+module\.iam/);
    assert.doesNotMatch(f, /aws_iam_role_policy/);
    press(ctx, 'Right');
    assert.match(frame(), /aws_iam_role_policy/);
    press(ctx, 't');
    f = frame();
    assert.doesNotMatch(f, /\(root module\)/);
    assert.match(f, /aws_s3_bucket\.logs/);
    press(ctx, 't');
    press(ctx, 'f');
    f = frame();
    assert.match(f, /only \+ create/);
    assert.match(f, /aws_s3_bucket\.logs/);
    assert.doesNotMatch(f, /aws_vpc/);
    press(ctx, 'f');
    press(ctx, 'f');
    press(ctx, 'f');
    press(ctx, 'f');
    f = frame();
    assert.match(f, /only ≈ phantom/);
    assert.match(f, /aws_iam_role_policy/);
    assert.doesNotMatch(f, /aws_s3_bucket\.logs/);
    press(ctx, 'f');
    assert.equal(store.state.plan.actionFilter, undefined);
  });

  it('D shows the drift of a plan with no change to apply (Terraform exits 0 and still reports drift)', () => {
    const store = new Store({ environment: 'rev', account: '1', region: 'eu-west-1', backend: 'b', engine: 't', credentials: 'c' });
    const controller = {} as Controller;
    const ctx = (): ActionContext => ({ state: store.state, store, controller, page: 10, rowCount: paneOf('plan').rowCount(store.state), maxScroll: 100 });
    press(ctx, 'D');
    assert.equal(store.state.message?.text, 'No plan yet: press p.');
    const doc = {
      format_version: '1.2',
      resource_changes: [{ address: 'aws_instance.bastion', mode: 'managed', type: 'aws_instance', name: 'bastion', change: { actions: ['no-op'], before: { tags: { Name: 'b' } }, after: { tags: { Name: 'b' } }, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } }],
      resource_drift: [{ address: 'aws_instance.bastion', mode: 'managed', type: 'aws_instance', name: 'bastion', change: { actions: ['update'], before: { tags: { Name: 'b' } }, after: { tags: { Name: 'b', Owner: 'x' } }, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } }],
    };
    const plan = parsePlanJson(JSON.stringify(doc));
    assert.equal(plan.hasChanges, false);
    store.onEngineEvent({ kind: 'operation-start', operation: 'plan', at: 1 } as never);
    store.onEngineEvent({ kind: 'plan', plan } as never);
    store.onEngineEvent({ kind: 'operation-end', operation: 'plan', ok: true, exitCode: 0, cancelled: false, durationMs: 5, at: 6 } as never);
    assert.equal(store.state.plan.model, undefined, 'nothing to apply');
    press(ctx, 'D');
    const top = topOverlay(store.state);
    assert.equal(top?.kind, 'drift');
    const ui = render(<ViewOverlayBody overlay={top as never} state={store.state} width={120} height={20} />);
    const f = strip(ui.lastFrame());
    ui.unmount();
    assert.match(f, /Drift: 1 resource\(s\) changed outside Terraform/);
    assert.match(f, /aws_instance\.bastion/);
    assert.match(f, /Owner/);
  });

  it('+ ~ - * = keep one action (the same key again shows all); :only ACTION does it from the command line', () => {
    const { store, ctx, frame } = harness();
    const only = (key: string, shows: RegExp[], hides: RegExp[], title: RegExp) => {
      press(ctx, key);
      const f = frame();
      assert.match(f, title, `title after ${key}`);
      for (const r of shows) assert.match(f, r, `${key} shows ${r}`);
      for (const r of hides) assert.doesNotMatch(f, r, `${key} hides ${r}`);
    };
    only('+', [/aws_s3_bucket\.logs/], [/aws_vpc/, /aws_ebs_volume/, /aws_subnet/], /only \+ create/);
    assert.match(store.state.message?.text ?? '', /^Showing only \+ create \(\+ again, or f, shows every action\)\.$/);
    only('~', [/aws_vpc\.this/], [/aws_s3_bucket/, /aws_iam_role_policy/, /aws_subnet/], /only ~ update/);
    only('-', [/aws_ebs_volume\.etcd/], [/aws_s3_bucket/, /aws_vpc/, /aws_subnet/], /only - delete/);
    only('*', [/aws_subnet\.this/], [/aws_s3_bucket/, /aws_vpc/, /aws_ebs_volume/], /only -\/\+ replace/);
    only('=', [/aws_iam_role_policy/], [/aws_s3_bucket/, /aws_vpc/], /only ≈ phantom/);
    press(ctx, '=');
    assert.equal(store.state.plan.actionFilter, undefined);
    assert.equal(store.state.message?.text, 'Showing every action.');
    assert.match(frame(), /aws_s3_bucket[\s\S]*aws_vpc/);
    const run = (line: string) => {
      const p = parseCommand(line);
      assert.ok(p, line);
      p.action.run(ctx(), p.arg);
    };
    run('only delete');
    assert.equal(store.state.plan.actionFilter, 'delete');
    assert.match(frame(), /only - delete/);
    run('only all');
    assert.equal(store.state.plan.actionFilter, undefined);
    run('only sideways');
    assert.equal(store.state.message?.level, 'error');
    assert.equal(store.state.message?.text, ':only sideways: not an action. Use one of create, update, delete, replace, phantom or all.');
    assert.equal(store.state.plan.actionFilter, undefined);
  });

  it('Enter on a header folds it; Enter on a resource opens its diff; n and N move between changes', () => {
    const { store, ctx } = harness();
    press(ctx, 'Enter');
    assert.ok(store.state.plan.folded.has(''), 'the root module folded');
    press(ctx, 'Enter');
    for (let i = 0; i < 5; i++) press(ctx, 'Down'); // module.network's subnet
    press(ctx, 'Enter');
    const top = topOverlay(store.state);
    assert.equal(top?.kind, 'diff');
    const body = (): string => {
      const t = topOverlay(store.state)!;
      const ui = render(<ViewOverlayBody overlay={t as never} state={store.state} width={150} height={30} />);
      const f = strip(ui.lastFrame());
      ui.unmount();
      return f;
    };
    let f = body();
    assert.match(f, /# module\.network\.aws_subnet\.this\["a"\] must be replaced/);
    assert.match(f, /# \(replaced because it cannot be updated in place\)/);
    assert.match(f, /~ cidr_block = "10\.0\.1\.0\/24" -> "10\.9\.1\.0\/24" # forces replacement/);
    assert.match(f, /~ id\s+= "subnet-1" -> \(known after apply\)/);
    assert.match(f, /risk high/);
    press(ctx, 'n');
    f = body();
    assert.match(f, /# module\.network\.aws_vpc\.this will be updated in-place/);
    assert.match(f, /~ Env = "a" -> "b"/);
    press(ctx, 'N');
    assert.match(body(), /aws_subnet\.this\["a"\] must be replaced/);
    press(ctx, 'N');
    press(ctx, 'N');
    assert.match(body(), /# aws_s3_bucket\.logs will be created/);
    press(ctx, 'N');
    assert.match(store.state.message?.text ?? '', /first changed resource/);
  });

  it('during an apply: failed rows first, then applying, with a done/total bar; Enter on a failed row shows its error', () => {
    const { store, ctx, frame } = harness();
    press(ctx, 't'); // the flat list: the order is the point here
    const t0 = Date.now();
    const tf = (event: Record<string, unknown>) => store.onEngineEvent({ kind: 'tf', operation: 'apply', event: { timestamp: t0, level: 'info', message: String(event.type), ...event } } as never);
    store.onEngineEvent({ kind: 'operation-start', operation: 'apply', at: t0 } as never);
    tf({ type: 'apply_start', address: 'aws_s3_bucket.logs', action: 'create', resourceType: 'aws_s3_bucket' });
    tf({ type: 'apply_complete', address: 'aws_s3_bucket.logs', action: 'create', resourceType: 'aws_s3_bucket', elapsedSeconds: 1 });
    tf({ type: 'apply_start', address: 'module.network.aws_vpc.this', action: 'update', resourceType: 'aws_vpc' });
    tf({ type: 'apply_start', address: 'module.secure.aws_ebs_volume.etcd["a"]', action: 'delete', resourceType: 'aws_ebs_volume' });
    tf({ type: 'apply_errored', address: 'module.secure.aws_ebs_volume.etcd["a"]', action: 'delete', resourceType: 'aws_ebs_volume', elapsedSeconds: 2 });
    tf({ type: 'diagnostic', severity: 'error', summary: 'VolumeInUse: vol-1 is attached', detail: 'detach it first', address: 'module.secure.aws_ebs_volume.etcd["a"]' });
    const f = frame();
    const at = (re: RegExp) => f.search(re);
    assert.ok(at(/etcd\["a"\]\s+✗ errored/) >= 0 && at(/etcd\["a"\]\s+✗ errored/) < at(/aws_vpc\.this\s+\S+ applying/), f);
    assert.ok(at(/aws_vpc\.this\s+\S+ applying/) < at(/aws_s3_bucket\.logs\s+✓ done/), f);
    assert.match(f, /\[[█░]{10}\] 2\/5/, 'one done and one failed of five');
    store.update((s) => (s.selected = 0));
    press(ctx, 'Enter');
    const top = topOverlay(store.state);
    assert.equal(top?.kind, 'details');
    assert.match((top as { lines: string[] }).lines.join('\n'), /✗ Error: VolumeInUse: vol-1 is attached\n\s+detach it first/);
  });

  it('an apply learns its ETA from the history: about N left in the title, each row its expected duration; no history, no ETA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-eta-'));
    try {
      // A real Engine that never runs Terraform: its events are emitted here as a run would emit them.
      const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '1.11.4' }, terraformDir: dir, dataDir: join(dir, 'd'), cliConfigFile: join(dir, 'rc'), varFile: join(dir, 'v'), backend: backendFor('eta', { terraform_bucket_name: 'b', aws_region: 'us-east-1', kms_master_id: 'alias/k' }, true), env: {} });
      const emit = (e: unknown) => (engine as unknown as { emit(e: unknown): void }).emit(e);
      const past = (day: number) => ({
        operation: 'apply',
        outcome: 'succeeded',
        startedAt: `2026-11-0${day}T10:00:00.000Z`,
        endedAt: `2026-11-0${day}T10:00:30.000Z`,
        resources: [
          { address: 'aws_s3_bucket.logs', action: 'create', result: 'succeeded', durationMs: 20_000 },
          { address: 'module.network.aws_vpc.this', action: 'update', result: 'succeeded', durationMs: 40_000 },
        ],
      });
      let lists = 0;
      const history = { list: async () => (lists++, [{ record: past(1) }, { record: past(2) }]) };
      const store = new Store({ environment: 'eta', account: '1', region: 'eu-west-1', backend: 'b', engine: 't', credentials: 'c' });
      const controller = new RealController(store, { environment: 'eta', engine, readLock: async () => ({ kind: 'free' }), history });
      controller.start();
      try {
        store.onEngineEvent({ kind: 'plan', plan: parsePlanJson(PLAN) } as never);
        const t0 = Date.now();
        emit({ kind: 'operation-start', operation: 'apply', at: t0 });
        for (let i = 0; i < 50 && !store.state.plan.eta; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(lists, 1, 'the history is read once, at the apply\'s start');
        assert.equal(store.state.plan.eta?.applies, 2);
        emit({ kind: 'tf', operation: 'apply', event: { type: 'apply_start', address: 'module.network.aws_vpc.this', action: 'update', timestamp: t0, message: '' } });
        const ui = render(<PlanPane state={store.state} width={160} height={20} />);
        const f = strip(ui.lastFrame());
        ui.unmount();
        // Learned: each past apply ran 60 s of resources in 30 s (share 0.5). Left: the bucket 20 s, the
        // VPC's 40 s, and three resources the history does not know, counted as the median (30 s): 150 s × 0.5.
        assert.match(f, /about 1m1[45]s left \(learned from 2 past applies\)/);
        assert.match(f, /aws_s3_bucket\.logs .*~20s/);
        assert.match(f, /aws_vpc\.this .*~40s/);
        // No history: no ETA, no column.
        const none = new Store({ environment: 'eta', account: '1', region: 'eu-west-1', backend: 'b', engine: 't', credentials: 'c' });
        none.onEngineEvent({ kind: 'plan', plan: parsePlanJson(PLAN) } as never);
        none.onEngineEvent({ kind: 'operation-start', operation: 'apply', at: t0 } as never);
        const ui2 = render(<PlanPane state={none.state} width={160} height={20} />);
        const f2 = strip(ui2.lastFrame());
        ui2.unmount();
        assert.doesNotMatch(f2, /left \(learned|EXPECTED|~\d+(ms|s|m\d+s)\b/);
      } finally {
        controller.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
