/**
 * The interactive SSH shell in a real pseudo-terminal (tmux): `s` on an instance row hands the
 * terminal to a remote shell on a real sshd behind a real sshd bastion; typed commands run there,
 * a resize reaches it (window-change), and on exit the console is back as it was.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sshdSkipReason, startSshHosts, type SshHosts } from '../support/sshd.js';
import { TmuxScreen, tmuxAvailable } from '../support/tmux.js';
import { CLI, makeWorkspace, ROOT } from '../support/workspace.js';

const run = promisify(execFile);
const skip = (await sshdSkipReason()) ?? (tmuxAvailable() ? undefined : process.env.CI === 'true' ? undefined : 'tmux is not installed');

describe('SSH shell in a pseudo-terminal (tmux, real sshd)', { skip }, () => {
  let hosts: SshHosts;
  let screen: TmuxScreen;
  let statusFile: string;

  before(async () => {
    hosts = await startSshHosts({ nodes: 1 });
    const knownHostsFile = await hosts.knownHostsFile();
    const config = join(hosts.dir, 'harness.json');
    await writeFile(config, JSON.stringify({ bastionPort: hosts.bastion.port, nodePort: hosts.nodes[0]!.port, user: hosts.user, identityFile: hosts.identityFile, knownHostsFile, dir: hosts.dir }));
    const harness = join(ROOT, 'dist', 'test', 'support', 'ssh-console-harness.js');
    statusFile = join(hosts.dir, 'harness.status');
    // The exit status goes to a file: tmux does not always report a pane's status (seen with Node as the pane's process).
    screen = await TmuxScreen.start(`cd ${ROOT} && TERM=xterm-256color ${process.execPath} ${harness} ${config}; echo $? > ${statusFile}`, 120, 36);
  });
  after(async () => {
    await screen?.kill();
    await hosts?.stop();
  });

  it('s opens a shell on the node, commands run there, resize reaches it, exit gives the console back', async () => {
    await screen.waitFor(/kube-shell-c/, 20_000);
    await screen.send('s');
    await screen.waitFor(/shell on kube-shell-compute-0/, 20_000);
    // A marker computed remotely: the text typed is not what comes back.
    await screen.send('echo "remote-$((6*7))-$(id -un)"', true);
    await screen.send('Enter');
    let s = await screen.waitFor(new RegExp(`remote-42-${hosts.user}`), 15_000);
    assert.doesNotMatch(s, /Plan\/Apply/, 'the console is not drawn while the shell has the terminal');
    await screen.send('stty size', true);
    await screen.send('Enter');
    await screen.waitFor(/^36 120\s*$/m, 10_000);
    await run('tmux', ['-L', screen.socket, 'resize-window', '-t', screen.name, '-x', '100', '-y', '30']);
    await new Promise((r) => setTimeout(r, 300));
    await screen.send('clear; stty size', true);
    await screen.send('Enter');
    await screen.waitFor(/^30 100\s*$/m, 10_000);
    await screen.send('exit 5', true);
    await screen.send('Enter');
    s = await screen.waitFor(/The shell on kube-shell-compute-0 .* ended \(exit 5\)/, 15_000);
    assert.match(s, /1 Plan\/Apply\s+2 Instances/);
    assert.match(s, /kube-shell-c/);
    // The console has its keys back: ? opens the help.
    await screen.send('?');
    await screen.waitFor(/Esc or \? close/, 10_000);
    await screen.send('Escape');
    await new Promise((r) => setTimeout(r, 200));
    await screen.send('q');
    const end = Date.now() + 10_000;
    let status = '';
    while (Date.now() < end) {
      status = await readFile(statusFile, 'utf8').catch(() => '');
      if (status) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status.trim(), '0', `the console's exit status; screen:\n${await screen.capture()}`);
  });

  it('--ci ssh without a command opens an interactive shell and exits with its status', async () => {
    const ws = await makeWorkspace('slow');
    await ws.profile('sshpty');
    const status = join(hosts.dir, 'ci-shell.status');
    const kh = await hosts.knownHostsFile(join(hosts.dir, 'kh-ci-shell'));
    const env = Object.entries(ws.env).map(([k, v]) => `${k}=${JSON.stringify(v ?? '')}`).join(' ');
    const pty = await TmuxScreen.start(
      `env ${env} TERM=xterm-256color ${process.execPath} ${CLI} -e sshpty --ci ssh 127.0.0.1:${hosts.nodes[0]!.port} --bastion 127.0.0.1:${hosts.bastion.port} --user ${hosts.user} --identity ${hosts.identityFile} --known-hosts ${kh}; echo $? > ${status}`,
      100,
      30,
    );
    try {
      await pty.send('echo "pty-$((2+3))"; stty size', true);
      await pty.send('Enter');
      await pty.waitFor(/^pty-5\s*$/m, 15_000);
      await pty.waitFor(/^30 100\s*$/m, 5_000);
      await pty.send('exit 3', true);
      await pty.send('Enter');
      const end = Date.now() + 10_000;
      let code = '';
      while (!code && Date.now() < end) {
        code = await readFile(status, 'utf8').catch(() => '');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(code.trim(), '3');
    } finally {
      await pty.kill();
      await ws.dispose();
    }
  });
});
