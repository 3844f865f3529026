/** The Load balancers pane's actions: details, refresh, sorting. */
import type { ActionDef } from '../../ui/keys/action.js';
import { ELB_SORT_KEYS } from './slice.js';

export const ELBS_ACTIONS: readonly ActionDef[] = [
  { id: 'elbs.details', keys: ['Enter'], scope: 'elbs', label: 'details', description: 'details of the load balancer: listeners, every target with its health', statusBar: true, run: (c) => void c.controller.aws?.elbs.enter() },
  { id: 'elbs.refresh', keys: ['r'], scope: 'elbs', label: 'refresh', description: 'refresh now (auto-refresh every 15 s)', statusBar: true, run: (c) => c.controller.aws?.elbs.refresh() },
  { id: 'elbs.sort-prev', keys: ['<'], scope: 'elbs', label: 'sort ←', description: `sort by the previous column (${ELB_SORT_KEYS.join(', ')})`, run: (c) => c.controller.aws?.elbs.sort(-1) },
  { id: 'elbs.sort-next', keys: ['>'], scope: 'elbs', label: 'sort', description: 'sort by the next column', statusBar: true, run: (c) => c.controller.aws?.elbs.sort(1) },
  { id: 'elbs.sort-reverse', keys: ['!'], scope: 'elbs', label: 'reverse', description: 'reverse the sort order', run: (c) => c.controller.aws?.elbs.sort('reverse') },
];
