/**
 * Runs the real console App on the real terminal (for the pseudo-terminal SSH test in tmux) with
 * the SSH actions pointed at loopback sshd hosts. Usage: node ssh-console-harness.js CONFIG.json,
 * CONFIG = { bastionPort, nodePort, user, identityFile, knownHostsFile }. The one instance row is
 * put into the store directly (listing instances from EC2 is tested elsewhere); everything the
 * shell does — ssh2, the bastion hop, the terminal hand-over — is the console's own code.
 */
import { readFile } from 'node:fs/promises';
import { render } from 'ink';
import React from 'react';
import { CONSOLE_RENDER_OPTIONS } from '../../src/cli/console.js';
import type { InstanceRow } from '../../src/services/aws/instances.js';
import { backendFor } from '../../src/services/terraform/backend.js';
import { Engine } from '../../src/services/terraform/engine.js';
import { Controller } from '../../src/state/controller.js';
import { SshController } from '../../src/state/ssh-controller.js';
import { Store } from '../../src/state/store.js';
import { App } from '../../src/ui/App.js';

const cfg = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as { bastionPort: number; nodePort: number; user: string; identityFile: string; knownHostsFile: string; dir: string };
const store = new Store({ environment: 'shell', account: '123456789012', region: 'us-east-1', backend: '-', engine: '-', credentials: '-' });
const row = { id: 'i-0123456789abcdef0', name: 'kube-shell-compute-0', role: 'compute', privateIp: '127.0.0.1', publicIp: '', state: 'running', az: 'us-east-1a', type: 't3.small', launchTime: Date.now() } as InstanceRow;
store.update((s) => {
  s.instances.rows = [row];
  s.instances.loaded = true;
  s.pane = 'instances';
});
const ssh = new SshController(store, {
  environment: 'shell',
  local: false,
  bastion: `127.0.0.1:${cfg.bastionPort}`,
  user: cfg.user,
  identityFile: cfg.identityFile,
  profileUser: '',
  profileIdentityFile: '',
  knownHostsFile: cfg.knownHostsFile,
  home: cfg.dir,
  agentSocket: '',
  nodeEndpoint: () => ({ host: '127.0.0.1', port: cfg.nodePort }),
  outputs: async () => [],
});
const backend = backendFor('shell', { terraform_bucket_name: 'b', kms_master_id: 'alias/k', aws_region: 'us-east-1' } as never, false);
const engine = new Engine({ binary: { path: 'terraform', flavour: 'terraform', version: '' }, terraformDir: cfg.dir, dataDir: cfg.dir, cliConfigFile: '', varFile: '', backend, env: {} });
const controller = new Controller(store, { environment: 'shell', engine, readLock: async () => ({ kind: 'unknown', reason: 'harness' }) as never }, undefined, ssh);
const ink = render(<App controller={controller} />, CONSOLE_RENDER_OPTIONS);
await ink.waitUntilExit();
controller.stop();
process.exit(0);
