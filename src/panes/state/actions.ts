/**
 * The State pane's actions (and those of its resource view): details, folding, the focused plans
 * (`-target`, `-replace`, import blocks), the state changes (remove, move, the legacy import,
 * force-unlock), SSH and the jumps to the live object's pane, refresh. (`/` filters, as in every pane.)
 */
import type { ActionDef } from '../../ui/keys/action.js';

export const STATE_ACTIONS: readonly ActionDef[] = [
  { id: 'state.details', keys: ['Enter'], scope: 'state', label: 'details', description: "the resource's attributes (sensitive ones masked), dependencies and live object; on a module header: fold or unfold it", statusBar: true, run: (c) => c.controller.statePane?.enter() },
  { id: 'state.fold', keys: ['Left'], scope: 'state', label: 'fold', description: 'fold the module of the selected row (the tree shows each module with its resource count)', run: (c) => c.controller.statePane?.fold(true) },
  { id: 'state.unfold', keys: ['Right'], scope: 'state', label: 'unfold', description: 'unfold the module', run: (c) => c.controller.statePane?.fold(false) },
  { id: 'state.tree', keys: ['T'], scope: 'state', label: 'tree/flat', description: 'the module tree or the flat list of resources', run: (c) => c.controller.statePane?.toggleTree() },
  { id: 'state.target', keys: ['t'], command: { words: ['target'] }, scope: 'state', label: 'plan -target', description: 'plan for the selected resource only (terraform plan -target), reviewed and applied in the Plan/Apply pane', statusBar: true, run: (c) => c.controller.statePane?.planTarget() },
  { id: 'state.replace', keys: ['R'], command: { words: ['replace'] }, scope: 'state', label: 'replace', description: 'plan a forced replacement of the selected resource (terraform plan -replace), reviewed and applied in the Plan/Apply pane', statusBar: true, run: (c) => c.controller.statePane?.planReplace() },
  { id: 'state.rm', keys: ['x'], command: { words: ['state-rm'] }, scope: 'state', label: 'remove', description: 'remove the selected resource from the state, not from AWS (terraform state rm, after a backup; type its address to confirm), then plan', dangerous: true, statusBar: true, run: (c) => c.controller.statePane?.askRemove() },
  { id: 'state.mv', keys: ['m'], command: { words: ['state-mv'] }, scope: 'state', label: 'move', description: 'move the selected resource to a new address (terraform state mv, after a backup), then show the moved block to commit', dangerous: true, statusBar: true, run: (c) => c.controller.statePane?.askMove() },
  { id: 'state.import', keys: ['i'], command: { words: ['import'], arg: 'optional', argName: 'ADDR ID' }, scope: 'state', label: 'import', description: 'import an existing object: an import block planned for ADDR and ID (asked for when not given), reviewed and applied in the Plan/Apply pane', statusBar: true, run: (c, arg) => c.controller.statePane?.askImport(arg) },
  { id: 'state.import-direct', keys: [], command: { words: ['import-direct'], arg: 'required', argName: 'ADDR ID' }, scope: 'state', label: 'import now', description: 'terraform import ADDR ID straight into the state, with no plan to review (the fallback when an import block cannot plan it; after a backup)', dangerous: true, run: (c, arg) => c.controller.statePane?.askImportDirect(arg) },
  { id: 'state.unlock', keys: ['U'], command: { words: ['force-unlock'] }, scope: 'state', label: 'unlock', description: 'release a stale state lock: shows who holds it, since when and for what; type its lock ID to release it (as :unlock)', dangerous: true, run: (c) => void c.controller.askUnlock() },
  { id: 'state.ssh', keys: ['s'], scope: 'state', label: 'ssh', description: "SSH shell on the selected aws_instance's instance through the bastion (as in the Instances pane)", run: (c) => c.controller.statePane?.ssh() },
  { id: 'state.instance', keys: ['I'], scope: 'state', label: 'instance', description: "show the selected aws_instance's row in the Instances pane (filtered to its id)", run: (c) => c.controller.statePane?.showLive('instances') },
  { id: 'state.elb', keys: ['L'], scope: 'state', label: 'load balancer', description: "show the selected aws_elb / aws_lb's row in the Load balancers pane (filtered to its name)", run: (c) => c.controller.statePane?.showLive('elbs') },
  { id: 'state.refresh', keys: ['r'], scope: 'state', label: 'refresh', description: 'read the state again (terraform state pull; also after every change from this pane and every apply)', statusBar: true, run: (c) => void c.controller.statePane?.refresh() },
  // The resource view (Enter): the same keys act on the resource it shows.
  { id: 'state-resource.ssh', keys: ['s'], scope: 'overlay:state-resource', label: 'ssh', description: "SSH shell on the aws_instance's instance", run: (c) => c.controller.statePane?.ssh() },
  { id: 'state-resource.instance', keys: ['I'], scope: 'overlay:state-resource', label: 'instance', description: "the aws_instance's row in the Instances pane", run: (c) => c.controller.statePane?.showLive('instances') },
  { id: 'state-resource.elb', keys: ['L'], scope: 'overlay:state-resource', label: 'load balancer', description: "the load balancer's row in the Load balancers pane", run: (c) => c.controller.statePane?.showLive('elbs') },
  { id: 'state-resource.target', keys: ['t'], scope: 'overlay:state-resource', label: 'plan -target', description: 'plan for this resource only (-target)', run: (c) => c.controller.statePane?.planTarget() },
  { id: 'state-resource.reveal', keys: ['r'], scope: 'overlay:state-resource', label: 'reveal', description: 'nothing: state secrets are never kept by the console, so they cannot be revealed (it says so)', run: (c) => c.controller.statePane?.noReveal() },
];
