// The State pane on a real state text (state format v4, as `terraform state pull` prints it:
// modules, a count and a for_each resource, an aws_instance, an aws_ssm_parameter whose value is a
// sensitive attribute). The state operations and the engine are STAND-INS of this test (the real
// StateService and Terraform are proved in the integration tests): the stand-in state ops keep
// the state text, parse it with the real parser and change it as `state rm` / `state mv` would;
// the stand-in engine records the plans asked for. What is checked is the pane: the title, the
// tree and its folds, the filter, the details with the secret never on screen, and the words and
// refusals of remove, move, unlock and a busy engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { ConsoleError } from '../../src/core/errors.js';
import { parseState } from '../../src/core/tf-state.js';
import { stateLines } from '../../src/panes/state/slice.js';
import type { LockState } from '../../src/services/aws/state-lock.js';
import type { StateChange, StateOps } from '../../src/services/state/types.js';
import type { Engine, EngineEvent, PlanOptions } from '../../src/services/terraform/engine.js';
import type { LockInfo } from '../../src/services/terraform/backend.js';
import { listLoaded } from '../../src/state/list-slice.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { frameMatching, sleep, strip } from '../support/frames.js';

const ENV = 'stpane';
const SECRET = 'hunter2-do-not-show-me';
const LINEAGE = '5b1c2d3e-0f11-4a22-b333-c444d555e666';
const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';

/** A state v4 document: root, module.network (a count), module.app (a for_each, an aws_instance), module.secrets (a sensitive value). */
function stateDoc(): { version: number; terraform_version: string; serial: number; lineage: string; outputs: object; resources: Record<string, unknown>[] } {
  const inst = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ schema_version: 0, attributes, sensitive_attributes: [], ...extra });
  return {
    version: 4,
    terraform_version: '1.11.4',
    serial: 7,
    lineage: LINEAGE,
    outputs: { vpc_id: { value: 'vpc-0a1b2c', type: 'string' } },
    resources: [
      { mode: 'data', type: 'aws_ami', name: 'ubuntu', provider: AWS, instances: [inst({ id: 'ami-0123456789abcdef0', name: 'ubuntu-noble' })] },
      { mode: 'managed', type: 'terraform_data', name: 'marker', provider: 'provider["terraform.io/builtin/terraform"]', instances: [inst({ id: 'a1b2c3d4-0000-0000-0000-000000000001' })] },
      {
        module: 'module.app',
        mode: 'managed',
        type: 'aws_instance',
        name: 'web',
        provider: AWS,
        instances: [
          inst({ id: 'i-0aaa111122223333a', instance_type: 't3.small', private_ip: '10.0.1.10' }, { index_key: 'a', dependencies: ['module.network.aws_subnet.private', 'module.app.aws_security_group.web'] }),
          inst({ id: 'i-0bbb111122223333b', instance_type: 't3.small', private_ip: '10.0.1.11' }, { index_key: 'b', dependencies: ['module.network.aws_subnet.private'] }),
        ],
      },
      { module: 'module.app', mode: 'managed', type: 'aws_security_group', name: 'web', provider: AWS, instances: [inst({ id: 'sg-0123abcd', name: 'web' }, { dependencies: ['module.network.aws_vpc.main'] })] },
      { module: 'module.network', mode: 'managed', type: 'aws_vpc', name: 'main', provider: AWS, instances: [inst({ id: 'vpc-0a1b2c', cidr_block: '10.0.0.0/16' })] },
      {
        module: 'module.network',
        mode: 'managed',
        type: 'aws_subnet',
        name: 'private',
        provider: AWS,
        instances: [0, 1].map((i) => inst({ id: `subnet-000${i}`, cidr_block: `10.0.${i}.0/24` }, { index_key: i, dependencies: ['module.network.aws_vpc.main'] })),
      },
      {
        module: 'module.secrets',
        mode: 'managed',
        type: 'aws_ssm_parameter',
        name: 'token',
        provider: AWS,
        instances: [inst({ id: `/${ENV}/token`, name: `/${ENV}/token`, type: 'SecureString', value: SECRET, key_id: 'alias/x' }, { sensitive_attributes: [[{ type: 'get_attr', value: 'value' }]], dependencies: ['module.network.aws_vpc.main'] })],
      },
    ],
  };
}

/** The address of a resource object of the document (module, data., type, name). */
function baseOf(r: Record<string, unknown>): string {
  return `${r.module ? `${String(r.module)}.` : ''}${r.mode === 'data' ? 'data.' : ''}${String(r.type)}.${String(r.name)}`;
}

/**
 * A STAND-IN for the state service (StateService in src/services/state is the real one): it keeps
 * the state as a document, reads it through the real parser, and removes / moves instances as
 * `terraform state rm` / `mv` do, bumping the serial. Lock refusals as the service words them.
 */
class StandInStateOps implements StateOps {
  doc = stateDoc();
  calls: string[] = [];
  lock: LockState = { kind: 'free' };
  private text(): string {
    return JSON.stringify(this.doc, null, 2);
  }
  async read() {
    this.calls.push('read');
    return { doc: parseState(this.text()), readMs: 3, at: Date.now(), source: 'object' as const };
  }
  async pull() {
    return this.text();
  }
  async assertFree() {
    this.refuseWhileLocked();
  }
  private refuseWhileLocked(): void {
    if (this.lock.kind === 'held') throw new ConsoleError(`refused: the state lock is held by ${this.lock.lock.who} (${this.lock.lock.operation} since ${this.lock.lock.created}); nothing was changed`, 'wait for that run to end, or release a stale lock with U');
  }
  private change(operation: string, addresses: string[]): StateChange {
    const before = this.doc.serial;
    this.doc.serial++;
    return { operation, addresses, serialBefore: before, serialAfter: this.doc.serial, backup: { path: `/work/${ENV}/state-backups/serial-${before}.tfstate`, key: `${ENV}/state-backups/serial-${before}.tfstate`, serial: before }, historyId: `20261129T100000Z-${operation}` };
  }
  async rm(addresses: string[]) {
    this.calls.push(`rm ${addresses.join(' ')}`);
    this.refuseWhileLocked();
    for (const a of addresses) {
      const keyed = /^(.*?)(\[(?:\d+|"[^"]*")\])?$/.exec(a)!;
      const r = this.doc.resources.find((x) => baseOf(x) === keyed[1]);
      if (!r) throw new ConsoleError(`${a} is not in the state: nothing was removed`);
      const key = keyed[2] ? (JSON.parse(keyed[2].slice(1, -1)) as string | number) : undefined;
      r.instances = (r.instances as { index_key?: unknown }[]).filter((i) => i.index_key !== key);
    }
    return this.change('state-rm', addresses);
  }
  async mv(from: string, to: string) {
    this.calls.push(`mv ${from} ${to}`);
    this.refuseWhileLocked();
    const r = this.doc.resources.find((x) => baseOf(x) === from)!;
    const m = /^(?:(.*)\.)?([^.]+)\.([^.]+)$/.exec(to)!;
    Object.assign(r, { module: m[1], type: m[2], name: m[3] });
    return { ...this.change('state-mv', [from, to]), movedBlock: `moved {\n  from = ${from}\n  to   = ${to}\n}` };
  }
  async importDirect(address: string, id: string): Promise<StateChange> {
    this.calls.push(`import ${address} ${id}`);
    throw new ConsoleError('not used in this test');
  }
  async push(file: string): Promise<StateChange> {
    this.calls.push(`push ${file}`);
    throw new ConsoleError('not used in this test');
  }
  async unlock(lockId: string) {
    this.calls.push(`unlock ${lockId}`);
    if (this.lock.kind !== 'held' || this.lock.lock.id !== lockId) throw new ConsoleError(`refused: ${lockId} is not the held lock's ID`);
    const lock = this.lock.lock;
    this.lock = { kind: 'free' };
    return { lock, change: { operation: 'state-unlock', addresses: [], historyId: '20261129T101500Z-unlock' } };
  }
}

/** A STAND-IN for the engine: never runs Terraform; records the plans asked for and answers with a plan that creates what was removed. */
class StandInEngine {
  busy: string | undefined;
  savedPlan: { changes: { address: string; action: string }[]; summary: { add: number; change: number; destroy: number }; notes: []; hasChanges: boolean; targets?: string[] } | undefined;
  plans: Pick<PlanOptions, 'targets' | 'replace' | 'imports'>[] = [];
  /** What the next plan creates. */
  creates: string[] = [];
  readonly erroredStatePath = '/nonexistent/errored.tfstate';
  private listeners = new Set<(e: EngineEvent) => void>();
  on(l: (e: EngineEvent) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: EngineEvent) {
    for (const l of this.listeners) l(e);
  }
  async activeRun() {
    return undefined;
  }
  async unreportedRuns() {
    return [];
  }
  async plan(o: PlanOptions) {
    this.plans.push({ ...(o.targets ? { targets: o.targets } : {}), ...(o.replace ? { replace: o.replace } : {}), ...(o.imports ? { imports: o.imports } : {}) });
    const changes = this.creates.map((address) => ({ address, action: 'create' }));
    this.savedPlan = { changes, summary: { add: changes.length, change: 0, destroy: 0 }, notes: [], hasChanges: changes.length > 0, ...(o.targets ? { targets: o.targets } : {}) };
    return this.savedPlan;
  }
}

const HELD: LockInfo = { id: 'd3adb33f-1111-2222-3333-444455556666', who: 'alice@ci-runner-7', operation: 'OperationTypeApply', created: '2026-11-29T09:58:00Z', path: `bucket/${ENV}/terraform.tfstate`, version: '1.11.4' };

describe('the State pane (a real state text; stand-in state ops and engine)', () => {
  let ops: StandInStateOps;
  let engine: StandInEngine;
  let store: Store;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  const frame = (re: RegExp, ms = 10_000) => frameMatching(ui.lastFrame, re, ms);
  const type = async (text: string) => {
    ui.stdin.write(text);
    // A lone Esc is told from the start of an escape sequence by a pause.
    await sleep(text === '\x1b' ? 120 : 30);
  };
  /** Selects the line of `address` (g, then j as many times as needed). */
  const selectAddress = async (address: string) => {
    const i = stateLines(store.state).findIndex((l) => l.kind === 'resource' && l.res.address === address);
    assert.ok(i >= 0, `${address} is not on a line`);
    await type(`g${'j'.repeat(i)}`);
    await frame(new RegExp(`(?:^|\\n).*${address.replace(/[[\].$"]/g, '\\$&')}`));
    assert.equal(store.state.selected, i);
  };

  before(async () => {
    ops = new StandInStateOps();
    engine = new StandInEngine();
    store = new Store({ environment: ENV, account: '123456789012', region: 'eu-west-1', backend: `s3://b/${ENV}/terraform.tfstate`, engine: 'terraform 1.11.4', credentials: 'test' });
    controller = new Controller(store, { environment: ENV, engine: engine as unknown as Engine, readLock: async () => ops.lock, state: ops });
    controller.start();
    ui = render(<App controller={controller} size={{ columns: 220, rows: 44 }} />);
    await frame(/lock free/);
  });
  after(() => {
    ui?.unmount();
    controller?.stop();
  });

  it('7 shows the pane; the state is read once, when it is first shown; the title has serial, lineage, version, size', async () => {
    assert.deepEqual(ops.calls, [], 'nothing read before the pane was shown');
    await type('7');
    const f = await frame(/State\s+9 resources in 4 modules/);
    assert.deepEqual(ops.calls, ['read']);
    const bytes = Buffer.byteLength(await ops.pull());
    assert.match(f, new RegExp(`serial 7\\s+lineage ${LINEAGE}\\s+terraform 1\\.11\\.4\\s+${(bytes / 1024).toFixed(1).replace('.', '\\.')} KiB`));
  });

  it('the tree: modules with their counts, type, index keys and ids; ← folds, → unfolds, T the flat list', async () => {
    let f = await frame(/module\.network\s+\(3 resources\)/);
    assert.match(f, /▾ \(root module\)\s+\(2 resources\)/);
    assert.match(f, /▾ module\.app\s+\(3 resources\)/);
    assert.match(f, /▾ module\.secrets\s+\(1 resource\)/);
    assert.match(f, /module\.network\.aws_subnet\.private\[1\]\s+aws_subnet\s+1\s+subnet-0001/);
    assert.match(f, /module\.app\.aws_instance\.web\["a"\]\s+aws_instance\s+"a"\s+i-0aaa111122223333a/);
    assert.match(f, /data\.aws_ami\.ubuntu\s+data\.aws_ami\s+ami-0123456789abcdef0/);
    assert.match(f, /module\.secrets\.aws_ssm_parameter\.token\s+aws_ssm_parameter\s+\/stpane\/token\s+1 sensitive/);
    // Root first, then the modules by name.
    assert.ok(f.indexOf('(root module)') < f.indexOf('▾ module.app') && f.indexOf('▾ module.app') < f.indexOf('▾ module.network'), f);
    await selectAddress('module.network.aws_subnet.private[0]');
    await type('\x1b[D');
    f = await frame(/▸ module\.network\s+\(3 resources\)/);
    assert.doesNotMatch(f, /aws_subnet\.private/);
    assert.equal(stateLines(store.state)[store.state.selected]?.kind, 'module', 'the selection went to the folded header');
    await type('\x1b[C');
    f = await frame(/▾ module\.network\s+\(3 resources\)/);
    assert.match(f, /aws_subnet\.private\[0\]/);
    await type('T');
    f = await frame(/State\s+9 resources.*flat/);
    assert.doesNotMatch(f, /▾|▸/);
    await type('T');
    await frame(/▾ module\.network/);
  });

  it('/ filters (address, type, id): the title says how many of all; module counts say how many of theirs', async () => {
    await type('/subnet');
    let f = await frame(/State\s+2 of 9 resources/);
    assert.match(f, /▾ module\.network\s+\(2 of 3 resources\)/);
    assert.doesNotMatch(f, /aws_instance|aws_vpc|root module/);
    await type('\x1b');
    await type('/i-0bbb');
    f = await frame(/State\s+1 of 9 resources/);
    assert.match(f, /aws_instance\.web\["b"\]/);
    await type('\x1b');
    await frame(/State\s+9 resources/);
  });

  it('Enter: the attributes with the secret masked (never on screen, r does not reveal it), the dependencies', async () => {
    await selectAddress('module.secrets.aws_ssm_parameter.token');
    await type('\r');
    let f = await frame(/value\s+= \(sensitive value\)/);
    assert.match(f, /# module\.secrets\.aws_ssm_parameter\.token\s+\(id \/stpane\/token\)/);
    assert.match(f, /resource "aws_ssm_parameter" "token" \{/);
    assert.match(f, /type\s+= "SecureString"/);
    assert.match(f, /1 sensitive attribute shown as \(sensitive value\): the console never keeps state secrets/);
    assert.match(f, /depends on \(1\):\s*│?\s*\n.*module\.network\.aws_vpc\.main/);
    await type('r');
    f = await frame(/State secrets are not revealed/);
    assert.match(f, /value\s+= \(sensitive value\)/);
    assert.ok(!ui.frames.some((x) => x.includes(SECRET)), 'the secret was on screen');
    assert.ok(!JSON.stringify(store.state.tfstate.read?.doc.resources).includes(SECRET), 'the secret is kept in the store');
    await type('\x1b');
    await frame(/State\s+9 resources/);
  });

  it("an aws_instance's details show its live row from the Instances pane; I shows that row there", async () => {
    store.update((s) => listLoaded(s.instances, [{ id: 'i-0aaa111122223333a', name: 'web-a', role: 'compute', privateIp: '10.0.1.10', publicIp: '', state: 'running', az: 'eu-west-1a', launchTime: 0, type: 't3.small' }]));
    await selectAddress('module.app.aws_instance.web["a"]');
    await type('\r');
    let f = await frame(/live object \(Instances pane\)/);
    assert.match(f, /i-0aaa111122223333a\s+web-a\s+running\s+10\.0\.1\.10/);
    assert.match(f, /depends on \(2\):/);
    assert.match(f, /module\.app\.aws_security_group\.web/);
    await type('I');
    f = await frame(/filter: i-0aaa111122223333a/);
    assert.equal(store.state.pane, 'instances');
    assert.match(f, /web-a/);
    await type('7');
    await frame(/State\s+9 resources/);
  });

  it('x asks for the typed address: a wrong one is refused and said so; the right one removes it, says serials and backup, plans, and the pane is read again', async () => {
    const address = 'module.app.aws_instance.web["b"]';
    engine.creates = [address];
    await selectAddress(address);
    await type('x');
    let f = await frame(/Type its address to remove it:/);
    assert.match(f, /Remove module\.app\.aws_instance\.web\["b"\] from the state of stpane\? Type its address to remove it:/);
    assert.match(f, /Its object in AWS is NOT destroyed/);
    await type('module.app.aws_instance.web["a"]');
    await type('\r');
    f = await frame(/is not the address/);
    assert.match(f, /"module\.app\.aws_instance\.web\["a"\]" is not the address module\.app\.aws_instance\.web\["b"\]: nothing removed\./);
    assert.doesNotMatch(f, /environment name|nothing applied/);
    assert.ok(!ops.calls.some((c) => c.startsWith('rm')), 'removed after a wrong address');
    assert.equal(store.state.overlays.at(-1)?.kind, 'confirm', 'the question stays open');
    await type(address);
    await type('\r');
    f = await frame(/The next plan wants to create it/);
    assert.ok(ops.calls.includes(`rm ${address}`), ops.calls.join(', '));
    assert.match(f, /Removed module\.app\.aws_instance\.web\["b"\] from the state \(serial 7 → 8\)\. The next plan wants to create it: review it in the Plan\/Apply pane \(1\) before applying\.\s+→ backup of serial 7: \/work\/stpane\/state-backups\/serial-7\./);
    assert.equal(store.state.message?.hint, 'backup of serial 7: /work/stpane/state-backups/serial-7.tfstate (and stpane/state-backups/serial-7.tfstate in the state bucket)');
    assert.match(f, /Backup: the state before \(serial 7\) is kept in \/work\/stpane\/state-backups\/serial-7\.tfstate/);
    assert.match(f, /and in the state bucket as stpane\/state-backups\/serial-7\.tfstate/);
    assert.deepEqual(engine.plans.at(-1), {}, 'the next plan is the whole plan');
    assert.match(f, /state rm module\.app\.aws_instance\.web\["b"\]/, 'the view of what was done');
    await type('\x1b');
    f = await frame(/State\s+8 resources in 4 modules\s+serial 8/);
    assert.doesNotMatch(f, /^\s+module\.app\.aws_instance\.web\["b"\]/m, 'a row of the removed resource');
    assert.match(f, /▾ module\.app\s+\(2 resources\)/);
  });

  it('m moves a resource to the typed address (y/N), then shows the moved block to commit; the pane is read again', async () => {
    await selectAddress('module.app.aws_security_group.web');
    await type('m');
    let f = await frame(/Move module\.app\.aws_security_group\.web to the address:/);
    await type('\x7f\x7f\x7fapp');
    await type('\r');
    f = await frame(/Move module\.app\.aws_security_group\.web to module\.app\.aws_security_group\.app in the state of stpane\? Nothing in AWS changes/);
    await type('y');
    f = await frame(/moved \{/);
    assert.ok(ops.calls.includes('mv module.app.aws_security_group.web module.app.aws_security_group.app'), ops.calls.join(', '));
    assert.match(f, /from = module\.app\.aws_security_group\.web/);
    assert.match(f, /to\s+= module\.app\.aws_security_group\.app/);
    assert.match(f, /Commit this block to the configuration/);
    assert.match(f, /serial 8 → 9/);
    await type('\x1b');
    f = await frame(/serial 9/);
    assert.match(f, /module\.app\.aws_security_group\.app\s+aws_security_group/);
  });

  it('t plans the selected resource only (-target), R its replacement (-replace): both in the Plan/Apply pane', async () => {
    engine.creates = [];
    await selectAddress('module.network.aws_vpc.main');
    await type('t');
    await frame(/No changes in the plan for module\.network\.aws_vpc\.main only \(-target\)/);
    assert.equal(store.state.pane, 'plan');
    assert.deepEqual(engine.plans.at(-1), { targets: ['module.network.aws_vpc.main'] });
    await type('7');
    await frame(/State\s+8 resources/);
    await selectAddress('module.network.aws_vpc.main');
    await type('R');
    await frame(/No changes in the plan the replacement of module\.network\.aws_vpc\.main/);
    assert.deepEqual(engine.plans.at(-1), { replace: ['module.network.aws_vpc.main'] });
    await type('7');
    await frame(/State\s+8 resources/);
  });

  it('refuses state changes and the unlock while this console\'s Terraform runs', async () => {
    engine.busy = 'apply';
    try {
      await selectAddress('module.network.aws_vpc.main');
      await type('x');
      let f = await frame(/Refused: this console's apply is running/);
      assert.equal(store.state.overlays.length, 0, 'no question was asked');
      await type('U');
      f = await frame(/Not released: this console's apply is running/);
      assert.ok(!ops.calls.some((c) => c.startsWith('unlock') || c.startsWith('rm module.network')), ops.calls.join(', '));
      void f;
    } finally {
      engine.busy = undefined;
    }
  });

  it('the lock holder in the title; a change refused by the service is the message line (no stack)', async () => {
    ops.lock = { kind: 'held', lock: HELD };
    await type('U');
    let f = await frame(/Type the lock ID to release it:/);
    await type('\x1b');
    f = await frame(/lock held by alice@ci-runner-7 \(OperationTypeApply, since 2026-11-29T09:58:00Z, ID d3adb33f-1111-2222-3333-444455556666\)/);
    await selectAddress('module.network.aws_vpc.main');
    await type('x');
    await frame(/Type its address to remove it:/);
    await type('module.network.aws_vpc.main\r');
    f = await frame(/refused: the state lock is held by alice@ci-runner-7/);
    assert.doesNotMatch(f, /\n\s+at |ConsoleError|Error:/);
    assert.match(f, /aws_vpc\.main/, 'still in the state');
  });

  it('U (and :unlock): who holds the lock and since when; a wrong typed ID is refused and said so, the right one releases it', async () => {
    await type('U');
    let f = await frame(/Release the state lock d3adb33f-1111-2222-3333-444455556666 held by alice@ci-runner-7 \(OperationTypeApply, since 2026-11-29T09:58:00Z\)\? Only if that run is dead\. Type the lock ID to release it:/);
    await type('d3adb33f\r');
    f = await frame(/is not the lock ID/);
    assert.match(f, /"d3adb33f" is not the lock ID d3adb33f-1111-2222-3333-444455556666: nothing released\./);
    assert.ok(!ops.calls.some((c) => c.startsWith('unlock')), 'released after a wrong ID');
    await type(`${HELD.id}\r`);
    f = await frame(/Released the state lock d3adb33f-1111-2222-3333-444455556666 \(held by alice@ci-runner-7\)\. Recorded in the history as 20261129T101500Z-unlock\./);
    assert.deepEqual(ops.calls.filter((c) => c.startsWith('unlock')), [`unlock ${HELD.id}`]);
    f = await frame(/lock free/);
    assert.doesNotMatch(f, /lock held by/);
    await type(':unlock\r');
    await frame(/The state lock is free: nothing to release\./);
  });

  it('after an apply of the engine the pane reads the state again', async () => {
    const reads = ops.calls.filter((c) => c === 'read').length;
    ops.doc.serial = 42;
    engine.emit({ kind: 'operation-end', operation: 'apply', ok: true, cancelled: false, exitCode: 0, durationMs: 10 } as EngineEvent);
    await frame(/serial 42/);
    assert.equal(ops.calls.filter((c) => c === 'read').length, reads + 1);
    assert.equal(strip(ui.lastFrame()).includes(SECRET), false);
  });
});
