/** The History pane's actions: the whole record, refresh. (`/` filters, as in every pane.) */
import type { ActionDef } from '../../ui/keys/action.js';

export const HISTORY_ACTIONS: readonly ActionDef[] = [
  { id: 'history.details', keys: ['Enter'], scope: 'history', label: 'record', description: 'the whole record: who, when, versions, the plan, each resource by duration, the diagnostics', statusBar: true, run: (c) => c.controller.history?.enter() },
  { id: 'history.refresh', keys: ['r'], scope: 'history', label: 'refresh', description: 'read the records again (also after each apply, and every 30 s)', statusBar: true, run: (c) => c.controller.history?.refresh() },
];
