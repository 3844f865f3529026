/**
 * The platform suites' set-up apply (test/support/platform-apply.ts) on the real CLI, Terraform,
 * provider and moto: a module whose two ingress rules are the same rule fails with the emulator's
 * InvalidPermission.Duplicate every time, so the helper stops the emulator and applies again on a
 * fresh one (bootstrapped again by the console), twice, and returns the last failure; a failure
 * of another kind is not retried. The console's hint for it in local mode is checked too. Needs moto and Terraform: fails without moto when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { motoSkipReason } from '../support/moto.js';
import { applyPlatform, emulatorRedid, PLATFORM_APPLY_RETRIES } from '../support/platform-apply.js';
import { makeWorkspace, ndjson, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

describe('the platform suites\' set-up apply', { skip, concurrency: 1, timeout: 900_000 }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('dup-rule');
    await ws.profile('dup');
    await ws.profile('bad', (t) => t.replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.0.0.0/8"'));
  });
  after(async () => {
    await ws?.dispose();
  });

  it('retries on a fresh emulator, twice at most, an apply the emulator refused as a duplicate, and returns the last result', async (t) => {
    const { result, retriedAfter, retries } = await applyPlatform(ws, 'dup', { t, extra: ['--json'] });
    assert.ok(retriedAfter, 'the first apply was not retried');
    assert.ok(emulatorRedid(retriedAfter));
    assert.equal(retries, PLATFORM_APPLY_RETRIES, 'retried as often as allowed (each time on a fresh emulator), and no more');
    assert.equal(result.code, 1, 'the retried apply cannot succeed on this module');
    assert.match(result.stdout + result.stderr, /InvalidPermission\.Duplicate/, 'the retry failed for another reason (the fresh emulator not bootstrapped?)');
    // What the console says to do about it in local mode (the summary's hint).
    const summary = ndjson(result.stdout).find((e) => e.type === 'summary') as { hint?: string } | undefined;
    assert.equal(
      summary?.hint,
      './run.kube --local stop starts over: the emulator may have done this already and lost its answer, which the provider sent again (no apply or destroy repairs that); if a fresh start fails the same way, the configuration is the cause',
    );
    // The emulator was replaced (a start moves the log of the one before to moto.log.1, whose
    // apply failed on the duplicate), and the last one's history holds the last apply alone.
    assert.match(await readFile(join(ws.local, 'moto.log.1'), 'utf8'), /starting: /, 'the first emulator was not replaced');
    const history = await ws.cli(['-e', 'dup', '--local', '--ci', 'history', '--json']);
    assert.equal(history.code, 0, history.stderr);
    const ops = ndjson(history.stdout)
      .filter((e) => e.type === 'history_record')
      .map((e) => `${String(e.operation)} ${String(e.outcome)}`);
    assert.deepEqual(ops, ['apply failed'], 'the fresh emulator saw one apply');
  });

  it('does not retry another failure', async (t) => {
    const { result, retriedAfter, retries } = await applyPlatform(ws, 'bad', { t });
    assert.equal(retriedAfter, undefined);
    assert.equal(retries, 0);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /vpc_cidr/);
  });
});
