/**
 * Every key of the console, in one place: the help overlay (`?`), the status bar and the README's
 * key table are all made from this list. Plain data, no Ink import.
 */

/** Where a key works: everywhere, or in one pane. */
export type KeyScope = 'global' | 'plan' | 'instances' | 'elbs' | 'secrets' | 'cluster' | 'overlay';

/** Actions a key dispatches (handled by the controller). */
export type KeyAction =
  | 'plan'
  | 'apply'
  | 'destroy'
  | 'cancel'
  | 'outputs'
  | 'log'
  | 'diagnostics'
  | 'help'
  | 'quit'
  | 'next-pane'
  | 'prev-pane'
  | 'pane'
  | 'filter'
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'close'
  | 'command'
  | 'refresh'
  | 'enter'
  | 'sort-next'
  | 'sort-prev'
  | 'sort-reverse'
  | 'reveal'
  | 'edit'
  | 'fetch'
  | 'upload'
  | 'fetch-tree'
  | 'upload-tree'
  | 'ssh-shell'
  | 'mark'
  | 'tunnel'
  | 'tunnels'
  | 'run-view'
  | 'cluster-nodes'
  | 'cluster-pods'
  | 'merge-kubeconfig';

/** One key binding. */
export interface KeyBinding {
  /** What the operator presses, as shown (e.g. `p`, `Tab`, `1-5`). */
  key: string;
  action: KeyAction;
  scope: KeyScope;
  /** Short label for the status bar. */
  label: string;
  /** One line for the help overlay and the README. */
  description: string;
  /** Asks for confirmation (typed environment name when anything is destroyed). */
  dangerous?: boolean;
  /** Shown in the status bar (others only in help). */
  statusBar?: boolean;
}

export const KEYMAP: readonly KeyBinding[] = [
  { key: 'p', action: 'plan', scope: 'plan', label: 'plan', description: 'plan: refresh and compute the changes (terraform plan -out); the plan is saved for apply', statusBar: true },
  { key: 'a', action: 'apply', scope: 'plan', label: 'apply', description: 'apply the saved plan exactly as shown; asks to confirm, and for the typed environment name when it destroys anything', dangerous: true, statusBar: true },
  { key: 'd', action: 'destroy', scope: 'plan', label: 'destroy', description: 'plan a destroy of the whole environment, then apply it after you type the environment name', dangerous: true, statusBar: true },
  { key: 'c', action: 'cancel', scope: 'plan', label: 'cancel', description: 'cancel the running plan/apply: one interrupt, then Terraform writes state and releases the lock (never killed)', statusBar: true },
  { key: 'o', action: 'outputs', scope: 'plan', label: 'outputs', description: 'show the outputs (terraform output; sensitive values masked)', statusBar: true },
  { key: 'e', action: 'diagnostics', scope: 'plan', label: 'errors', description: 'show all diagnostics (errors and warnings) in full, with file:line' },
  { key: 's', action: 'ssh-shell', scope: 'instances', label: 'ssh', description: 'SSH shell on the instance through the bastion (host keys checked against ~/.ssh/known_hosts); the console comes back when the shell exits', statusBar: true },
  { key: 'Space', action: 'mark', scope: 'instances', label: 'mark', description: 'mark or unmark the instance for :run COMMAND (:mark ROLE marks a role, :mark none clears)', statusBar: true },
  { key: 'x', action: 'run-view', scope: 'instances', label: 'run output', description: 'show the last :run again: each node\'s output and exit status' },
  { key: 't', action: 'tunnel', scope: 'instances', label: 'tunnel', description: 'forward a local port through the bastion to HOST:PORT (default: the internal kubeapi load balancer, 6443)', statusBar: true },
  { key: 'T', action: 'tunnels', scope: 'instances', label: 'tunnels', description: 'the tunnels view: each tunnel with its traffic; 1-9 closes one, quitting closes all' },
  { key: 'Enter', action: 'enter', scope: 'instances', label: 'details', description: 'details of the instance: tags, security groups, volumes, network interfaces', statusBar: true },
  { key: 'r', action: 'refresh', scope: 'instances', label: 'refresh', description: 'refresh now (the list also refreshes itself every 15 s, less often while AWS throttles)', statusBar: true },
  { key: '< >', action: 'sort-next', scope: 'instances', label: 'sort', description: 'sort by the previous / next column (! reverses)', statusBar: true },
  { key: '!', action: 'sort-reverse', scope: 'instances', label: 'reverse', description: 'reverse the sort order' },
  { key: 'Enter', action: 'enter', scope: 'elbs', label: 'details', description: 'details of the load balancer: listeners, every target with its health', statusBar: true },
  { key: 'r', action: 'refresh', scope: 'elbs', label: 'refresh', description: 'refresh now (auto-refresh every 15 s)', statusBar: true },
  { key: '< >', action: 'sort-next', scope: 'elbs', label: 'sort', description: 'sort by the previous / next column (! reverses)', statusBar: true },
  { key: 'Enter', action: 'enter', scope: 'secrets', label: 'open', description: 'open or close a folder; view an object or parameter (masked until r)', statusBar: true },
  { key: 'r', action: 'reveal', scope: 'secrets', label: 'reveal/refresh', description: 'in the viewer: reveal or mask the value; in the tree: refresh the listing', statusBar: true },
  { key: 'e', action: 'edit', scope: 'secrets', label: 'edit', description: 'edit the object in $EDITOR (the console hands over the terminal), then upload it with SSE-KMS; refused if it changed meanwhile', dangerous: true, statusBar: true },
  { key: 'f', action: 'fetch', scope: 'secrets', label: 'fetch', description: 'fetch the object to secrets/KEY under the current directory, mode 0600', statusBar: true },
  { key: 'u', action: 'upload', scope: 'secrets', label: 'upload', description: 'upload a local file into the selected folder, with SSE-KMS', dangerous: true, statusBar: true },
  { key: 'F', action: 'fetch-tree', scope: 'secrets', label: 'fetch all', description: 'fetch the whole bucket into secrets/ (shows what differs first; old alias fetch-secrets)' },
  { key: 'U', action: 'upload-tree', scope: 'secrets', label: 'upload all', description: 'upload secrets/ to the bucket (shows what differs first; old alias upload-secrets)', dangerous: true },
  { key: 'Enter', action: 'enter', scope: 'cluster', label: 'details', description: 'details of the node (with its EC2 instance) or the pod', statusBar: true },
  { key: 'n', action: 'cluster-nodes', scope: 'cluster', label: 'nodes', description: 'move the selection to the nodes table', statusBar: true },
  { key: 'u', action: 'cluster-pods', scope: 'cluster', label: 'unhealthy pods', description: 'move the selection to the unhealthy pods table (kube-system first)', statusBar: true },
  { key: 'k', action: 'merge-kubeconfig', scope: 'cluster', label: 'kubeconfig', description: 'write the cluster into ~/.kube/config as context ENV, the way kubectl merges: other entries kept, a backup first, mode 0600; asks first', dangerous: true, statusBar: true },
  { key: 's', action: 'ssh-shell', scope: 'cluster', label: 'ssh', description: 'SSH shell on the selected node\'s EC2 instance, through the bastion (as s in the Instances pane)', statusBar: true },
  { key: 'r', action: 'refresh', scope: 'cluster', label: 'reconnect', description: 'read the kubeconfig again and reconnect (the pane is otherwise kept live by watches, not polling)' },
  { key: 'l', action: 'log', scope: 'global', label: 'log', description: 'show the raw log of Terraform messages (↑↓ PgUp PgDn g G to scroll)', statusBar: true },
  { key: '/', action: 'filter', scope: 'global', label: 'filter', description: 'filter the current table (substring over all columns; Enter keeps it, Esc clears it)' },
  { key: '↑ ↓ k j', action: 'up', scope: 'global', label: 'move', description: 'move the selection (in the Cluster pane k writes the kubeconfig: use ↑)' },
  { key: 'PgUp PgDn', action: 'page-up', scope: 'global', label: 'page', description: 'move a page' },
  { key: 'g G', action: 'top', scope: 'global', label: 'top/bottom', description: 'go to the first / last row' },
  { key: '1-5', action: 'pane', scope: 'global', label: 'panes', description: 'switch pane: 1 Plan/Apply, 2 Instances, 3 Load balancers, 4 Secrets, 5 Cluster' },
  { key: 'Tab', action: 'next-pane', scope: 'global', label: 'next pane', description: 'next pane (Shift-Tab: previous)' },
  { key: ':', action: 'command', scope: 'global', label: 'command', description: 'command line: plan, apply, destroy, cancel, outputs, log, errors, help, quit, bootstrap (create the state bucket and KMS key), run COMMAND (on the marked instances, 8 at a time), mark ROLE, tunnel HOST:PORT [LOCAL_PORT], tunnels, ssh, kubeconfig, unlock (release a stale state lock after showing who holds it; refused while a run on this machine holds it), state-push-errored (push the state Terraform could not write to the backend), or a pane (instances, elbs, secrets, cluster); Enter runs it' },
  { key: '?', action: 'help', scope: 'global', label: 'help', description: 'this help', statusBar: true },
  { key: 'Esc', action: 'close', scope: 'overlay', label: 'close', description: 'close the overlay, or answer no to a question' },
  { key: 'q', action: 'quit', scope: 'global', label: 'quit', description: 'quit (refused while an apply runs: wait for it or cancel it; Ctrl-C does the same)', statusBar: true },
];

/** How each scope is named in the help and the README. */
export const SCOPE_NAMES: Record<KeyScope, string> = {
  global: 'everywhere',
  plan: 'Plan/Apply',
  instances: 'Instances',
  elbs: 'Load balancers',
  secrets: 'Secrets',
  cluster: 'Cluster',
  overlay: 'overlays',
};

/** The bindings shown in the status bar for a scope (global ones included). */
export function statusBarKeys(scope: KeyScope): KeyBinding[] {
  return KEYMAP.filter((k) => k.statusBar && (k.scope === scope || k.scope === 'global'));
}

/** The README/help table: `| key | where | what it does |` rows in Markdown. */
export function keymapMarkdown(): string {
  const rows = KEYMAP.map((k) => `| \`${k.key}\` | ${SCOPE_NAMES[k.scope]} | ${k.description} |`);
  return ['| key | where | what it does |', '|---|---|---|', ...rows].join('\n');
}
