/**
 * What the console needs once its environment is open: the controllers, the store and the App.
 * Loaded by `runConsole` after the boot screen is up (and while the environment opens), so the
 * first frame waits only for Ink and React.
 */
export { SshController } from '../state/ssh-controller.js';
export { ClusterController } from '../panes/cluster/controller.js';
export { HistoryController } from '../panes/history/controller.js';
export { RollController } from '../panes/roll/controller.js';
export { AwsController } from '../state/aws-controller.js';
export { Controller } from '../state/controller.js';
export { Store } from '../state/store.js';
export { App } from '../ui/App.js';
