// The Fleet screen in a real terminal (tmux), on moto with real Terraform (the slow fixture, its
// sleep off): `--local --fleet` lists the applied environments; Enter opens the selected one's
// console in place (its header, its panes); 0 there closes it and brings the Fleet screen back;
// Enter on another opens that one; q quits with status 0. One program throughout: the session
// switches without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { motoSkipReason } from '../support/moto.js';
import { TmuxScreen, tmuxAvailable } from '../support/tmux.js';
import { consoleNodeFlags } from '../../src/core/paths.js';
import { CLI, makeWorkspace, type Workspace } from '../support/workspace.js';

const motoSkip = await motoSkipReason();
const tmuxSkip = tmuxAvailable() ? undefined : 'tmux is not installed (apt-get install tmux)';
if (tmuxSkip && process.env.CI === 'true') throw new Error(`end-to-end tests need tmux in CI: ${tmuxSkip}`);
const skip = motoSkip ?? tmuxSkip;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('the Fleet screen in a terminal: Enter opens an environment in place, 0 comes back', { skip }, () => {
  let ws: Workspace;
  const screens: TmuxScreen[] = [];
  before(async () => {
    ws = await makeWorkspace('slow');
    for (const e of ['alpha', 'beta']) {
      await ws.profile(e);
      const r = await ws.cli(['-e', e, '--local', '--ci', 'apply', '--auto-approve', '--json'], { env: { PC_TEST_SLEEP: '0' } });
      assert.equal(r.code, 0, `${e}: ${r.stdout.slice(-2000)}${r.stderr}`);
    }
  });
  after(async () => {
    for (const s of screens) await s.kill();
    await ws?.dispose();
  });

  it('lists both; Enter opens alpha; 0 closes it for the Fleet screen; Enter on beta opens beta; q quits with status 0', async () => {
    const env = Object.entries({ ...ws.env, TERM: 'xterm-256color', PC_TEST_SLEEP: '0' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
      .join(' ');
    const screen = await TmuxScreen.start(`env -i ${env} ${[process.execPath, ...consoleNodeFlags(), CLI].map(shellQuote).join(' ')} --local --fleet; echo "[console exited with status $?]"; sleep 60`);
    screens.push(screen);
    let s = await screen.waitFor(/Fleet {2}2 environments {2}0 need attention/, 60_000);
    assert.match(s, /platform-console {2}fleet: every environment of profiles\/ {2}local emulator/);
    assert.match(s, / 0 Fleet /);
    assert.match(s, /^\s*alpha\s+123456789012\s+us-east-1\s+free\s+apply succeeded/m);
    assert.match(s, /^\s*beta\s+123456789012\s+us-east-1\s+free\s+apply succeeded/m);
    await screen.send('Enter');
    s = await screen.waitFor(/Ready\. Press p to plan/, 60_000);
    assert.match(s, /env alpha {2}account 123456789012 {2}region us-east-1/);
    assert.match(s, / 0 Fleet {2}1 Plan\/Apply/);
    await screen.send('0');
    s = await screen.waitFor(/Fleet {2}2 environments/, 30_000);
    assert.doesNotMatch(s, /env alpha/);
    await screen.send('j');
    await screen.send('Enter');
    s = await screen.waitFor(/env beta {2}account 123456789012/, 60_000);
    await screen.send('q');
    const end = await screen.waitFor(/\[console exited with status \d+\]/, 15_000);
    assert.match(end, /\[console exited with status 0\]/);
    assert.doesNotMatch(end, /Error|at .*\.js:\d+/);
  });
});
