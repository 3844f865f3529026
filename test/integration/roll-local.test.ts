// --ci roll on the embedded local emulator (moto, no Kubernetes) where the platform was never
// applied: the roll says what is missing first (the auto-scaling group: apply first), not that the
// cluster cannot be reached. Nothing is changed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { motoSkipReason } from '../support/moto.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

describe('--ci roll where nothing was applied (local emulator)', { skip }, () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('rl');
  });
  after(async () => {
    await ws?.dispose();
  });

  it('says the group does not exist and to apply first (not that there is no Kubernetes), exit 1', async () => {
    const r = await ws.cli(['-e', 'rl', '--local', '--ci', 'roll', 'compute']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /the auto-scaling group rl-compute does not exist in \S+/);
    assert.match(r.stderr, /apply the platform first/);
    assert.doesNotMatch(r.stdout + r.stderr, /runs no Kubernetes/);
  });
});
