import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { openSession, type Session } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { motoSkipReason } from '../support/moto.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';
import { frameMatching } from '../support/frames.js';
const frameMatchingT = (lastFrame: () => string | undefined, re: RegExp, timeoutMs = 90_000): Promise<string> => frameMatching(lastFrame, re, timeoutMs);

const skip = await motoSkipReason();


describe('the console on a real plan and apply (ink-testing-library, Terraform, moto)', { skip }, () => {
  let ws: Workspace;
  let session: Session;
  let controller: Controller;
  let ui: ReturnType<typeof render>;
  let quit = false;

  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('uitest');
    const env = { ...ws.env, PC_TEST_SLEEP: '45' };
    session = await openSession({ environment: 'uitest', local: true, paths: resolvePaths(env), env });
    const store = new Store(headerOf(session));
    controller = new Controller(store, session);
    controller.start();
    void controller.quitRequested.then(() => (quit = true));
    ui = render(<App controller={controller} size={{ columns: 140, rows: 40 }} />);
  });
  after(async () => {
    ui?.unmount();
    controller?.stop();
    session?.close();
    await ws.dispose();
  });

  it('shows the header and the keys that work here', async () => {
    const f = await frameMatchingT(ui.lastFrame, /lock free/);
    assert.match(f, /env uitest/);
    assert.match(f, /account 123456789012/);
    assert.match(f, /terraform \d+\.\d+/);
    assert.match(f, /p\s+plan\s+a\s+apply\s+d\s+destroy\s+c\s+cancel/);
  });

  it('p plans: a row per resource and the change summary', async () => {
    ui.stdin.write('p');
    const f = await frameMatchingT(ui.lastFrame, /saved plan ready/);
    for (const a of ['terraform_data.fast[0]', 'terraform_data.fast[1]', 'terraform_data.fast[2]', 'terraform_data.slow']) assert.ok(f.includes(a), `${a} missing:\n${f}`);
    assert.match(f, /\+4 ~0 -0 \(plan\)/);
    assert.match(f, /\+ create/);
    assert.match(f, /Plan: 4 to add, 0 to change, 0 to destroy/);
  });

  it('Enter shows the selected resource\'s diff in Terraform\'s notation; n moves to the next change, Esc goes back', async () => {
    let f = await frameMatchingT(ui.lastFrame, /risk low/);
    ui.stdin.write('\r');
    f = await frameMatchingT(ui.lastFrame, /# terraform_data\.\S+ will be created/);
    const first = /# (terraform_data\.\S+) will be created/.exec(f)![1]!;
    assert.match(f, /\+ resource "terraform_data" "(fast|slow)" \{/);
    assert.match(f, /\+ id\s+= \(known after apply\)/);
    assert.match(f, /risk low/);
    ui.stdin.write('n');
    f = await frameMatchingT(ui.lastFrame, new RegExp(`# (?!${first.replace(/[[\].]/g, '\\$&')} )terraform_data\\.\\S+ will be created`));
    ui.stdin.write('\x1b');
    f = await frameMatchingT(ui.lastFrame, /saved plan ready/);
    assert.doesNotMatch(f, /will be created/);
  });

  it('a asks y/N, applies live; q is refused while the apply runs; c cancels it', async () => {
    ui.stdin.write('a');
    await frameMatchingT(ui.lastFrame, /Apply the saved plan to uitest: \+4 ~0 -0\? \(y\/N\)/);
    ui.stdin.write('y');
    let f = await frameMatchingT(ui.lastFrame, /terraform_data\.slow\s+\S+ applying/);
    assert.match(f, /Applying/);
    assert.match(f, /terraform_data\.fast\[0\]\s+✓ done/);
    assert.equal(session.engine.busy, 'apply');

    ui.stdin.write('q');
    f = await frameMatchingT(ui.lastFrame, /An apply is running/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(quit, false, 'quit was accepted during an apply');
    assert.equal(session.engine.busy, 'apply');

    ui.stdin.write('c');
    f = await frameMatchingT(ui.lastFrame, /apply was cancelled/, 40_000);
    assert.match(f, /Apply cancelled/);
    assert.match(f, /terraform_data\.slow\s+◌ cancelled/);
    assert.doesNotMatch(f, /saved plan ready/);
    assert.equal(session.engine.busy, undefined);
    assert.equal(quit, false);
  });

  it('d needs the typed environment name: a wrong name applies nothing', async () => {
    ui.stdin.write('d');
    let f = await frameMatchingT(ui.lastFrame, /Type the environment name to confirm/);
    assert.match(f, /Destroy uitest: \d+ resources? will be deleted/);
    ui.stdin.write('uitset\r');
    f = await frameMatchingT(ui.lastFrame, /"uitset" is not "uitest": nothing applied/);
    assert.match(f, /Type the environment name to confirm/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(session.engine.busy, undefined, 'something ran after a wrong name');
    assert.ok(session.engine.savedPlan?.destroyMode, 'the destroy plan is still waiting');

    ui.stdin.write('uitest\r');
    f = await frameMatchingT(ui.lastFrame, /Destroy complete: 0 added, 0 changed, [1-9]\d* destroyed/);
    assert.equal(session.engine.savedPlan, undefined);
  });

  it('q quits when nothing runs', async () => {
    ui.stdin.write('q');
    const end = Date.now() + 5_000;
    while (!quit && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(quit, true);
  });
});
