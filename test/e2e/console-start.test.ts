// The console's start in a real terminal (tmux) on a fresh workspace, whose local emulator is not
// running yet (so opening takes moto's start-up, long enough to look at): the splash gives way to
// the console's frame with the opening steps; q there quits (at most the 2 s grace later), and the emulator whose start
// was under way is recorded (the next start reuses it; `--local stop` and the clean-up find it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { processAlive } from '../../src/core/process.js';
import { readEmulatorRecord } from '../../src/services/local/emulator.js';
import { motoSkipReason } from '../support/moto.js';
import { TmuxScreen, tmuxAvailable } from '../support/tmux.js';
import { consoleNodeFlags } from '../../src/core/paths.js';
import { CLI, makeWorkspace, type Workspace } from '../support/workspace.js';

const motoSkip = await motoSkipReason();
const tmuxSkip = tmuxAvailable() ? undefined : 'tmux is not installed (apt-get install tmux)';
if (tmuxSkip && process.env.CI === 'true') throw new Error(`end-to-end tests need tmux in CI: ${tmuxSkip}`);
const skip = motoSkip ?? tmuxSkip;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('the console’s start in a terminal', { skip }, () => {
  let ws: Workspace;
  let command: string;
  const screens: TmuxScreen[] = [];
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('start');
    const env = Object.entries({ ...ws.env, TERM: 'xterm-256color' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
      .join(' ');
    command = `env -i ${env} ${[process.execPath, ...consoleNodeFlags(), CLI].map(shellQuote).join(' ')} -e start --local; echo "[console exited with status $?]"; sleep 60`;
  });
  after(async () => {
    for (const s of screens) await s.kill();
    await ws?.dispose();
  });

  it('draws its frame while the environment opens; q there quits (at most the 2 s grace later), and the emulator being started is recorded', async () => {
    assert.equal(await readEmulatorRecord({ stateDir: ws.local }), undefined, 'a fresh workspace has no emulator');
    const screen = await TmuxScreen.start(command);
    screens.push(screen);
    const s = await screen.waitFor(/starting the local AWS emulator \(moto\)/, 30_000);
    assert.match(s, /platform-console {2}env start {2}account \.\.\. {2}region us-east-1 {2}lock \.\.\./);
    assert.match(s, / 1 Plan\/Apply {2}2 Instances/);
    assert.match(s, /Opening the environment/);
    assert.match(s, /✓ reading the profile/);
    assert.match(s, /opening start: the other keys work once it is open/);
    assert.match(s, / q {2}quit/);
    assert.doesNotMatch(s, / p {2}plan/);
    await screen.send('q');
    const end = await screen.waitFor(/\[console exited with status \d+\]/, 10_000);
    assert.match(end, /\[console exited with status 0\]/);
    assert.doesNotMatch(end, /error|Error|at .*\.js:\d+/);
    // The moto whose start was under way is known by its record (it finishes starting on its own).
    const record = await readEmulatorRecord({ stateDir: ws.local });
    assert.ok(record, 'emulator.json was written when moto was spawned');
    assert.ok(processAlive(record.pid), `the recorded moto (pid ${record.pid}) runs`);
  });

  it('the next start reuses that emulator and opens: header filled in, the panes’ keys offered', async () => {
    const before = await readEmulatorRecord({ stateDir: ws.local });
    const screen = await TmuxScreen.start(command);
    screens.push(screen);
    const s = await screen.waitFor(/Ready\. Press p to plan/, 60_000);
    assert.match(s, /env start {2}account 123456789012 {2}region us-east-1/);
    assert.match(s, / p {2}plan {3}a {2}apply/);
    assert.doesNotMatch(s, /Opening the environment/);
    const now = await readEmulatorRecord({ stateDir: ws.local });
    assert.equal(now?.pid, before?.pid, 'the same moto: none was started beside it');
    await screen.send('q');
    await screen.waitFor(/\[console exited with status 0\]/, 10_000);
  });
});
