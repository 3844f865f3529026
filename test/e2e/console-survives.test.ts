// kill -9 of the console mid-apply, in a real terminal (tmux): Terraform goes on, writes the state
// and releases the lock; a console opened meanwhile follows it live and reports its outcome.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3For } from '../support/cli-child.js';
import { motoSkipReason } from '../support/moto.js';
import { TmuxScreen, tmuxAvailable } from '../support/tmux.js';
import { CLI, makeWorkspace, type Workspace } from '../support/workspace.js';

const motoSkip = await motoSkipReason();
const tmuxSkip = tmuxAvailable() ? undefined : 'tmux is not installed (apt-get install tmux)';
if (tmuxSkip && process.env.CI === 'true') throw new Error(`end-to-end tests need tmux in CI: ${tmuxSkip}`);
const skip = motoSkip ?? tmuxSkip;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function consolePids(env: string): Promise<number[]> {
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const argv = (await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv.includes(CLI) && argv.includes(env) && !argv.includes('--ci')) out.push(Number(d));
  }
  return out;
}

describe('kill -9 of the console during an apply', { skip }, () => {
  let ws: Workspace;
  let first: TmuxScreen;
  let second: TmuxScreen;
  let s3: S3Client;
  let command: string;
  before(async () => {
    ws = await makeWorkspace('runs');
    await ws.profile('survive', (t) => t.replace(/^compute_count\s*=.*$/m, 'compute_count = 1'));
    const env = Object.entries({ ...ws.env, TERM: 'xterm-256color', PC_TEST_SLEEP: '20' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
      .join(' ');
    command = `env -i ${env} ${shellQuote(process.execPath)} ${shellQuote(CLI)} -e survive --local; echo "[console exited with status $?]"; sleep 120`;
  });
  after(async () => {
    await first?.kill();
    await second?.kill();
    s3?.destroy();
    await ws?.dispose();
  });

  it('Terraform finishes; a new console follows it live and reports its outcome; state written, lock free', async () => {
    first = await TmuxScreen.start(command);
    await first.waitFor(/Ready\. Press p to plan/, 60_000);
    await first.send('p');
    await first.waitFor(/Plan: 3 to add, 0 to change, 0 to destroy\. Press a to apply it\./, 90_000);
    await first.send('a');
    await first.waitFor(/Apply the saved plan to survive: \+3 ~0 -0\? \(y\/N\)/);
    await first.send('y');
    await first.waitFor(/terraform_data\.slow.*applying/, 60_000);
    const pids = await consolePids('survive');
    assert.equal(pids.length, 1, `one console process, found ${pids.join(',')}`);
    process.kill(pids[0]!, 'SIGKILL');
    await first.waitFor(/\[console exited with status 137\]/, 10_000);

    second = await TmuxScreen.start(command);
    const live = await second.waitFor(/is running on survive: following it live, read-only/, 60_000);
    assert.match(live, /An apply started at \S+ by \S+ \(pid \d+\) is running on survive/);
    // The message and the pane's title come in separate frames: wait for the title too.
    await second.waitFor(/Applying \(followed, read-only: started \S+ by \S+, pid \d+\)/, 60_000);
    const done = await second.waitFor(/ended: Apply complete: 3 added, 0 changed, 0 destroyed\./, 90_000);
    assert.match(done, /An apply started at \S+ by \S+ ended: Apply complete/);

    s3 = await s3For(ws);
    await s3.send(new HeadObjectCommand({ Bucket: 'platform-console-local-state', Key: 'survive/terraform.tfstate' }));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'platform-console-local-state', Key: 'survive/terraform.tfstate.tflock' })), /NotFound|404/);
    await second.send(':', true);
    await second.send('plan', true);
    await second.send('Enter');
    await second.waitFor(/No changes: the infrastructure matches the configuration/, 90_000);
    await second.send('q');
    await second.waitFor(/\[console exited with status 0\]/, 15_000);
  });
});
