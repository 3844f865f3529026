/** The Cluster pane's actions: details, the nodes and pods tables, the kubeconfig, SSH to a node, reconnect. */
import type { ActionDef } from '../../ui/keys/action.js';

export const CLUSTER_ACTIONS: readonly ActionDef[] = [
  { id: 'cluster.details', keys: ['Enter'], scope: 'cluster', label: 'details', description: 'details of the node (with its EC2 instance) or the pod', statusBar: true, run: (c) => c.controller.kube?.enter() },
  { id: 'cluster.nodes', keys: ['n'], scope: 'cluster', label: 'nodes', description: 'move the selection to the nodes table', statusBar: true, run: (c) => c.controller.kube?.section('nodes') },
  { id: 'cluster.pods', keys: ['u'], scope: 'cluster', label: 'unhealthy pods', description: 'move the selection to the unhealthy pods table (kube-system first)', statusBar: true, run: (c) => c.controller.kube?.section('pods') },
  { id: 'cluster.kubeconfig', keys: ['k'], command: { words: ['kubeconfig'] }, scope: 'cluster', label: 'kubeconfig', description: 'write the cluster into ~/.kube/config as context ENV, the way kubectl merges: other entries kept, a backup first, mode 0600', dangerous: true, statusBar: true, run: (c) => c.controller.mergeKubeconfig() },
  { id: 'cluster.ssh', keys: ['s'], scope: 'cluster', label: 'ssh', description: "SSH shell on the selected node's EC2 instance, through the bastion (as s in the Instances pane)", statusBar: true, run: (c) => c.controller.sshShell() },
  { id: 'cluster.reconnect', keys: ['r'], scope: 'cluster', label: 'reconnect', description: 'read the kubeconfig again and reconnect (the pane is otherwise kept live by watches, not polling)', run: (c) => void c.controller.kube?.reconnect() },
];
