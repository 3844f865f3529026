// Apply exactly what was shown: two consoles (and a pipeline) on one environment, real Terraform,
// the real hashicorp/aws provider and moto. Each console applies only the plan it showed, or refuses.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { render } from 'ink-testing-library';
import React from 'react';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { openSession, type Session } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';
import { s3For } from '../support/cli-child.js';
import { frameMatching, sleep } from '../support/frames.js';
import { motoSkipReason } from '../support/moto.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();
const ENV = 'bind';

interface Console {
  session: Session;
  controller: Controller;
  ui: ReturnType<typeof render>;
  frame(re: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

async function openConsole(ws: Workspace): Promise<Console> {
  const env = { ...ws.env, PC_TEST_SLEEP: '0' };
  const session = await openSession({ environment: ENV, local: true, paths: resolvePaths(env), env });
  const controller = new Controller(new Store(headerOf(session)), session);
  controller.start();
  const ui = render(<App controller={controller} size={{ columns: 230, rows: 40 }} />);
  return {
    session,
    controller,
    ui,
    frame: (re, timeoutMs = 120_000) => frameMatching(ui.lastFrame, re, timeoutMs),
    close() {
      ui.unmount();
      controller.stop();
      session.close();
    },
  };
}

async function bucketExists(s3: S3Client, name: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch {
    return false;
  }
}

describe('each console applies exactly the plan it showed', { skip }, () => {
  let ws: Workspace;
  let a: Console;
  let b: Console;
  let s3: S3Client;
  const setCount = async (n: number) => {
    const file = join(ws.profiles, `${ENV}.tfvars`);
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^compute_count\s*=.*$/m, `compute_count = ${n}`));
  };
  /** Plans in console c and returns the summary line the pane showed. */
  const plan = async (c: Console): Promise<{ add: number; change: number; destroy: number }> => {
    c.ui.stdin.write('p');
    const f = await c.frame(/Plan: \d+ to add, \d+ to change, \d+ to destroy\. Press a to apply it\./);
    const m = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./.exec(f)!;
    return { add: Number(m[1]), change: Number(m[2]), destroy: Number(m[3]) };
  };
  /** Presses a and confirms (y, or the typed name when the plan destroys); returns the prompt. */
  const confirmApply = async (c: Console): Promise<string> => {
    c.ui.stdin.write('a');
    const f = await c.frame(/\(y\/N\)|Type the environment name/);
    if (/Type the environment name/.test(f)) {
      for (const ch of ENV) c.ui.stdin.write(ch);
      await sleep(100);
      c.ui.stdin.write('\r');
    } else c.ui.stdin.write('y');
    return f;
  };

  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile(ENV, (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
    const base = await ws.cli(['-e', ENV, '--local', '--ci', 'apply', '--auto-approve'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(base.code, 0, base.stderr);
    s3 = await s3For(ws);
    a = await openConsole(ws);
    b = await openConsole(ws);
    await a.frame(/lock free/);
    await b.frame(/lock free/);
  });
  after(async () => {
    a?.close();
    b?.close();
    s3?.destroy();
    await ws.dispose();
  });

  it("A's plan, B's destroy plan then Esc, A's apply: A's changes exactly, nothing destroyed", async () => {
    await setCount(2);
    // A plan file older than a day is removed by the next plan; a younger one of another run is not.
    const plans = join(ws.work, `${ENV}.local`, 'plans');
    await mkdir(plans, { recursive: true });
    await writeFile(join(plans, 'old.tfplan'), 'x');
    await utimes(join(plans, 'old.tfplan'), new Date(Date.now() - 25 * 3600_000), new Date(Date.now() - 25 * 3600_000));
    await writeFile(join(plans, 'young.tfplan'), 'x');
    const shown = await plan(a);
    await sleep(200);
    assert.ok(!existsSync(join(plans, 'old.tfplan')), 'a day-old plan file was kept');
    assert.ok(existsSync(join(plans, 'young.tfplan')), "another run's young plan file was removed");
    await rm(join(plans, 'young.tfplan'));
    assert.deepEqual(shown, { add: 3, change: 0, destroy: 2 }, 'bucket data[1] added, slow and the after bucket replaced');
    const files = await readdir(join(ws.work, `${ENV}.local`, 'plans'));
    assert.equal(files.length, 1);
    assert.equal(statSync(join(ws.work, `${ENV}.local`, 'plans', files[0]!)).mode & 0o777, 0o600, 'the plan file is 0600');

    b.ui.stdin.write('d');
    await b.frame(/Destroy bind: 3 resources will be deleted\. Type the environment name to confirm:/);
    b.ui.stdin.write('\u001b');
    await b.frame(/Not applied\./);
    assert.equal((await readdir(join(ws.work, `${ENV}.local`, 'plans'))).length, 2, "B's destroy plan is its own file");

    const prompt = await confirmApply(a);
    assert.match(prompt, /This plan DESTROYS 2 resources in bind \(\+3 ~0 -2\)/);
    await a.frame(/Apply complete: 3 added, 0 changed, 2 destroyed/);
    assert.ok(await bucketExists(s3, 'runs-bind-0'));
    assert.ok(await bucketExists(s3, 'runs-bind-1'));
    assert.ok(await bucketExists(s3, 'runs-bind-after-2'));
    assert.ok(!(await bucketExists(s3, 'runs-bind-after-1')));
    assert.ok(b.session.engine.savedPlan?.destroyMode, "B's destroy plan is still B's, untouched");
  });

  it("A's plan, a --ci plan of another change, A's apply: A's plan, not the pipeline's", async () => {
    await setCount(3);
    const shown = await plan(a);
    assert.deepEqual(shown, { add: 3, change: 0, destroy: 2 });
    await setCount(5);
    const ci = await ws.cli(['-e', ENV, '--local', '--ci', 'plan'], { env: { PC_TEST_SLEEP: '0' } });
    assert.equal(ci.code, 2, ci.stderr);
    assert.match(ci.stdout, /5 to add, 0 to change, 2 to destroy/);
    const prompt = await confirmApply(a);
    assert.match(prompt, /\(\+3 ~0 -2\)/);
    await a.frame(/Apply complete: 3 added, 0 changed, 2 destroyed/);
    assert.ok(await bucketExists(s3, 'runs-bind-2'));
    assert.ok(!(await bucketExists(s3, 'runs-bind-3')), "the pipeline's plan was applied");
    assert.ok(await bucketExists(s3, 'runs-bind-after-3'));
  });

  it('a plan made stale by another console is refused with "plan again"', async () => {
    await setCount(4);
    await plan(a);
    await plan(b);
    await confirmApply(b);
    await b.frame(/Apply complete: 3 added, 0 changed, 2 destroyed/);
    await confirmApply(a);
    const f = await a.frame(/saved plan is stale/);
    assert.match(f, /the saved plan is stale: the state changed since it was made; nothing was applied/);
    assert.match(f, /plan again \(p\), then apply/);
  });

  it('a plan file that is gone is refused with "plan again", not Terraform\'s file error', async () => {
    await setCount(3);
    await plan(a);
    const mine = a.session.engine.savedPlanFile!;
    assert.ok(mine.startsWith(join(ws.work, `${ENV}.local`, 'plans')));
    await rm(mine);
    await confirmApply(a);
    const f = await a.frame(/is gone: nothing was applied/);
    assert.match(f, /plan again \(p\), then apply/);
    assert.doesNotMatch(f, /Failed to load/);
    assert.ok(await bucketExists(s3, 'runs-bind-3'), 'data[3] was destroyed: the plan was applied');
  });

  it('a failed plan leaves no plan file', async () => {
    const dir = join(ws.work, `${ENV}.local`, 'plans');
    const before = new Set(await readdir(dir));
    const file = join(ws.terraform, 'broken.tf');
    await writeFile(file, 'data "aws_s3_bucket" "missing" {\n  bucket = "no-such-bucket-here"\n}\n');
    try {
      a.ui.stdin.write('p');
      await a.frame(/plan failed: /);
      const now = await readdir(dir);
      assert.deepEqual(now.filter((n) => !before.has(n)), [], 'a failed plan left a file');
    } finally {
      await rm(file);
    }
  });
});
