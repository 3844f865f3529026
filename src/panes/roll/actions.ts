/** The Roll pane's actions: plan a roll (`:roll secure|compute`), roll, pause, resume, abort, plan again. */
import type { ActionDef } from '../../ui/keys/action.js';

export const ROLL_ACTIONS: readonly ActionDef[] = [
  { id: 'roll.plan', keys: [], command: { words: ['roll'], arg: 'optional', argName: 'secure|compute' }, scope: 'global', label: 'roll', description: 'the Roll pane; with secure or compute: plan a roll of that node group (the instances on an old launch template version, in order) and check its gates; nothing changes', run: (c, arg) => {
    c.controller.showPane('roll');
    if (arg) void c.controller.roll?.plan(arg);
  } },
  { id: 'roll.start', keys: ['a'], scope: 'roll', label: 'roll', description: 'roll the planned instances: asks first (type the environment name for the control plane); then gates, drain, etcd member, terminate, replacement, one node (or batch) at a time', dangerous: true, statusBar: true, run: (c) => c.controller.roll?.askStart() },
  { id: 'roll.pause', keys: ['c'], scope: 'roll', label: 'pause', description: 'pause the roll after the current node', statusBar: true, run: (c) => c.controller.roll?.pause() },
  { id: 'roll.resume', keys: ['g'], scope: 'roll', label: 'resume', description: 'resume a paused roll', statusBar: true, run: (c) => c.controller.roll?.resume() },
  { id: 'roll.abort', keys: ['X'], scope: 'roll', label: 'abort', description: 'abort the roll after the current node (asks first); a paused roll stops at once', dangerous: true, statusBar: true, run: (c) => c.controller.roll?.askAbort() },
  { id: 'roll.replan', keys: ['r'], scope: 'roll', label: 'plan again', description: 'plan the same node group again and check its gates (also resumes a roll that stopped: the nodes already replaced are left out)', statusBar: true, run: (c) => void c.controller.roll?.plan() },
];
