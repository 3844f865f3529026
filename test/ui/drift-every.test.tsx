// --drift-every: the console's periodic drift check, on the real engine (Terraform, the S3 backend
// on moto, the `slow` fixture module): the result and its age in the header; no check while a
// saved plan awaits apply (a drift check would replace it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { openSession, type Session } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { Header } from '../../src/ui/components/Header.js';
import { motoSkipReason } from '../support/moto.js';
import { strip } from '../support/frames.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('--drift-every: a periodic drift check in the console', { skip }, () => {
  let ws: Workspace;
  let session: Session;
  let controller: Controller;

  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('driftev');
    const env = { ...ws.env, PC_TEST_SLEEP: '0' };
    session = await openSession({ environment: 'driftev', local: true, paths: resolvePaths(env), env });
    controller = new Controller(new Store(headerOf(session)), session);
    controller.start();
  });
  after(async () => {
    controller?.stop();
    session?.close();
    await ws?.dispose();
  });

  const frame = () => {
    const ui = render(<Header header={controller.store.state.header} lock={controller.store.state.lock} width={220} />);
    const f = strip(ui.lastFrame());
    ui.unmount();
    return f;
  };
  const nextCheck = async (after: number) => {
    const end = Date.now() + 120_000;
    while ((controller.store.state.header.drift?.at ?? 0) <= after && Date.now() < end) await sleep(200);
    return controller.store.state.header.drift;
  };

  it('checks on its own; a check Terraform refuses is shown as failed, with its error', async () => {
    assert.equal(controller.store.state.header.drift, undefined, 'nothing checked yet');
    controller.startDriftEvery(1_500);
    // On an empty state the fixture's output `first` (fast[0]) cannot be evaluated: Terraform fails the refresh-only plan.
    const d = await nextCheck(0);
    assert.match(d?.error ?? '', /^plan-refresh-only failed: Invalid index \(main\.tf:\d+\)$/, JSON.stringify(d));
    assert.match(frame(), /drift check failed \(\d+(ms|s) ago, every 1s\)/);
    assert.match(controller.store.state.message?.text ?? '', /^Periodic drift check failed: plan-refresh-only failed: Invalid index/);
  });

  it('skips its turns while a saved plan awaits apply', async () => {
    const s = controller.store.state;
    await controller.plan(false);
    assert.ok(session.engine.savedPlan, 'the fixture plans creates: a saved plan awaits');
    const at = s.header.drift!.at;
    await sleep(5_000);
    assert.equal(s.header.drift!.at, at, 'no drift check ran over the saved plan');
    assert.ok(session.engine.savedPlan, 'the saved plan is still there');
  });

  it('after the apply: drift none, with its age', async () => {
    await session.engine.apply();
    const d = await nextCheck(Date.now());
    assert.deepEqual({ ...(d ?? {}), at: 0 }, { at: 0, count: 0, every: 1_500 }, JSON.stringify(controller.store.state.message));
    assert.match(frame(), /drift none \(\d+(ms|s) ago, every 1s\)/);
  });
});
