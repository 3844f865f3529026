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
if (tmuxSkip) process.stderr.write(`\n*** SKIPPED end-to-end tests: ${tmuxSkip} ***\n`);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('the whole console in a terminal: plan, apply, re-plan, destroy the platform on the emulator', { skip }, () => {
  let ws: Workspace;
  let screen: TmuxScreen;
  before(async () => {
    ws = await makeWorkspace('platform');
    await ws.profile('e2e');
    const env = Object.entries({ ...ws.env, TERM: 'xterm-256color' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
      .join(' ');
    const cmd = `env -i ${env} ${[process.execPath, ...consoleNodeFlags(), CLI].map(shellQuote).join(' ')} -e e2e --local`;
    screen = await TmuxScreen.start(`${cmd}; echo "[console exited with status $?]"; sleep 60`);
  });
  after(async () => {
    await screen?.kill();
    await ws?.dispose();
  });

  it('opens on the emulator with the header and keys', async () => {
    await screen.waitFor(/Ready\. Press p to plan/, 60_000);
    const s = await screen.waitFor(/lock free/, 10_000);
    assert.match(s, /env e2e\s+account 123456789012\s+region us-east-1/);
    assert.match(s, /lock free/);
    assert.match(s, /local emulator http:\/\/127\.0\.0\.1:\d+/);
    assert.match(s, /backend s3:\/\/platform-console-local-state\/e2e\/terraform\.tfstate/);
    assert.match(s, /p\s+plan\s+a\s+apply/);
  });

  it('p plans the platform: rows and summary', async () => {
    await screen.send('p');
    const s = await screen.waitFor(/saved plan ready/, 90_000);
    assert.match(s, /\+(\d+) ~0 -0 \(plan\)/);
    const add = Number(/\+(\d+) ~0 -0/.exec(s)![1]);
    assert.ok(add >= 20, `expected 20+ resources, got ${add}`);
    // The rows are grouped by module (the module tree of the plan review), modules in name order.
    assert.match(s, /▾\s+module\.bastion  \+\d+ ~0 -0  \(\d+ resources\)/);
    assert.match(s, /\+ create\s+module\.bastion\.aws_/);
  });

  it('Enter on a resource shows its diff; Esc goes back to the table', async () => {
    await screen.send('j'); // the first module's first resource (the first line is its header)
    await screen.send('Enter');
    const d = await screen.waitFor(/# module\.bastion\.\S+ will be created/, 10_000);
    assert.match(d, /\+ resource "aws_\w+" "\w+" \{/);
    assert.match(d, /u show unchanged, n\/N next\/previous change/);
    await screen.send('Escape');
    await screen.waitFor(/saved plan ready/, 10_000);
  });

  it('a, y applies it live and ends with Apply complete', async () => {
    await screen.send('a');
    await screen.waitFor(/\(y\/N\)/);
    await screen.send('y');
    const during = await screen.waitFor(/Applying/, 30_000);
    assert.match(during, /Applying/);
    const s = await screen.waitFor(/Apply complete: \d+ added, 0 changed, 0 destroyed/, 240_000);
    assert.match(s, /✓ done/);
    assert.doesNotMatch(s, /errored [1-9]/);
  });

  it(':plan on the command line: no changes', async () => {
    await screen.send(':', true);
    await screen.waitFor(/^:\s/m, 5_000);
    await screen.send('plan', true);
    await screen.send('Enter');
    await screen.waitFor(/No changes: the infrastructure matches the configuration/, 90_000);
  });

  it('d, typed name destroys it all', async () => {
    await screen.send('d');
    await screen.waitFor(/Type the environment name to confirm/, 90_000);
    await screen.send('e2e', true);
    await screen.send('Enter');
    await screen.waitFor(/Destroy complete: 0 added, 0 changed, [1-9]\d* destroyed/, 240_000);
  });

  it('q quits and the terminal is given back', async () => {
    await screen.send('q');
    const s = await screen.waitFor(/\[console exited with status \d+\]/, 10_000);
    assert.match(s, /\[console exited with status 0\]/);
    assert.doesNotMatch(s, /Plan\/Apply/, 'the alternate screen was not left');
  });
});
