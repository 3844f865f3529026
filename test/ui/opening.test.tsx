// The console's frame while its environment opens (src/ui/Opening.tsx): a view of its props; the
// whole start in a terminal is test/e2e/console-start.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { Opening } from '../../src/ui/Opening.js';
import { strip } from '../support/frames.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('the frame while the environment opens', () => {
  it('shows the header with what is known, the tabs, the steps and only the key that works: q quit', () => {
    const ui = render(<Opening environment="play-ana" region="eu-west-1" steps={['reading the profile', 'checking the state bucket and KMS key in the emulator']} since={Date.now()} onQuit={() => undefined} />);
    const f = strip(ui.lastFrame() ?? '');
    ui.unmount();
    assert.match(f, /platform-console {2}env play-ana {2}account \.\.\. {2}region eu-west-1 {2}lock \.\.\./);
    assert.match(f, /backend \.\.\. {3}credentials \.\.\./);
    assert.match(f, / 1 Plan\/Apply {2}2 Instances/);
    assert.match(f, /Opening the environment\n✓ reading the profile\n> checking the state bucket and KMS key in the emulator\n/);
    assert.doesNotMatch(f, /\(\d+ s\)/, 'a step under way for less than a second shows no seconds');
    assert.match(f, /opening play-ana: the other keys work once it is open/);
    assert.match(f, / q {2}quit/);
    assert.doesNotMatch(f, / p {2}plan/);
    assert.doesNotMatch(f, /✓ checking the state bucket/, 'the step under way is not shown as done');
  });

  it('the region is "..." until the profile is read', () => {
    const ui = render(<Opening environment="e2e" steps={['reading the profile']} since={Date.now()} onQuit={() => undefined} />);
    const f = strip(ui.lastFrame() ?? '');
    ui.unmount();
    assert.match(f, /region \.\.\. {2}lock \.\.\./);
    assert.match(f, /> reading the profile/);
    assert.doesNotMatch(f, /✓/);
  });

  it('a step that takes a while shows its seconds (a hung endpoint is seen as such)', () => {
    const ui = render(<Opening environment="e2e" steps={['reading the profile', 'checking credentials']} since={Date.now() - 3_400} onQuit={() => undefined} />);
    const f = strip(ui.lastFrame() ?? '');
    ui.unmount();
    assert.match(f, /> checking credentials \(3 s\)/);
    assert.match(f, /✓ reading the profile\n/, 'a step done shows no seconds');
  });

  it('q and Ctrl-C quit; other keys do nothing', async () => {
    let quits = 0;
    const ui = render(<Opening environment="e2e" steps={['reading the profile']} since={Date.now()} onQuit={() => quits++} />);
    await tick();
    for (const k of ['p', 'a', '\r', '1', ':']) ui.stdin.write(k);
    await tick();
    assert.equal(quits, 0);
    ui.stdin.write('q');
    await tick();
    assert.equal(quits, 1);
    ui.stdin.write('\x03');
    await tick();
    assert.equal(quits, 2);
    ui.unmount();
  });
});
