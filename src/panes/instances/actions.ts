/** The Instances pane's actions (and those of its run and tunnels views): SSH, marks and :run, tunnels, details, sorting. */
import type { ActionDef } from '../../ui/keys/action.js';
import { INSTANCE_SORT_KEYS } from './slice.js';

export const INSTANCES_ACTIONS: readonly ActionDef[] = [
  { id: 'instances.ssh', keys: ['s'], command: { words: ['ssh'] }, scope: 'instances', label: 'ssh', description: 'SSH shell on the instance through the bastion (host keys checked against ~/.ssh/known_hosts); the console comes back when the shell exits', statusBar: true, run: (c) => c.controller.sshShell() },
  { id: 'instances.mark', keys: ['Space'], scope: 'instances', label: 'mark', description: 'mark or unmark the instance for :run COMMAND (:mark ROLE marks a role, :mark none clears)', statusBar: true, run: (c) => c.controller.ssh?.toggleMark() },
  { id: 'instances.mark-role', keys: [], command: { words: ['mark'], arg: 'required', argName: 'ROLE' }, scope: 'instances', label: 'mark role', description: 'mark every running instance of a role (bastion, secure, compute); :mark none clears the marks', run: (c, arg) => c.controller.ssh?.markRole((arg ?? '').toLowerCase()) },
  { id: 'instances.run', keys: [], command: { words: ['run'], arg: 'optional', argName: 'COMMAND' }, scope: 'instances', label: 'run', description: 'run COMMAND on the marked instances (else the selected one), 8 at a time, output grouped per node; :run alone shows the last run', run: (c, arg) => (arg ? void c.controller.ssh?.run(arg) : c.controller.showRun()) },
  { id: 'instances.run-view', keys: ['x'], scope: 'instances', label: 'run output', description: "show the last :run again: each node's output and exit status", run: (c) => c.controller.showRun() },
  { id: 'instances.tunnel', keys: ['t'], command: { words: ['tunnel'], arg: 'optional', argName: 'HOST:PORT [LOCAL_PORT]' }, scope: 'instances', label: 'tunnel', description: 'forward a local port through the bastion to HOST:PORT (default: the internal kubeapi load balancer, 6443)', statusBar: true, run: (c, arg) => void (arg ? c.controller.ssh?.openTunnel(arg) : c.controller.ssh?.askTunnel()) },
  { id: 'instances.tunnels', keys: ['T'], command: { words: ['tunnels'] }, scope: 'instances', label: 'tunnels', description: 'the tunnels view: each tunnel with its traffic; 1-9 closes one, quitting closes all', run: (c) => c.store.open({ kind: 'tunnels', scroll: 0 }) },
  { id: 'instances.details', keys: ['Enter'], scope: 'instances', label: 'details', description: 'details of the instance: tags, security groups, volumes, network interfaces', statusBar: true, run: (c) => void c.controller.aws?.instances.enter() },
  { id: 'instances.refresh', keys: ['r'], scope: 'instances', label: 'refresh', description: 'refresh now (the list also refreshes itself every 15 s, less often while AWS throttles)', statusBar: true, run: (c) => c.controller.aws?.instances.refresh() },
  { id: 'instances.sort-prev', keys: ['<'], scope: 'instances', label: 'sort ←', description: `sort by the previous column (${INSTANCE_SORT_KEYS.join(', ')})`, run: (c) => c.controller.aws?.instances.sort(-1) },
  { id: 'instances.sort-next', keys: ['>'], scope: 'instances', label: 'sort', description: 'sort by the next column', statusBar: true, run: (c) => c.controller.aws?.instances.sort(1) },
  { id: 'instances.sort-reverse', keys: ['!'], scope: 'instances', label: 'reverse', description: 'reverse the sort order', run: (c) => c.controller.aws?.instances.sort('reverse') },
  { id: 'tunnels.close', keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], keyLabel: '1-9', scope: 'overlay:tunnels', label: 'close tunnel', description: 'close that tunnel (the tunnels view)', statusBar: true, run: (c, arg) => void c.controller.ssh?.closeTunnel(Number(arg)) },
];
