/**
 * The panes in tab order: id, title, the `:` words that show one, its actions, and its table's
 * row count (selection bounds). Plain TypeScript (the views are in `views.ts`, for the UI only).
 */
import type { ActionDef } from '../ui/keys/action.js';
import type { AppState } from '../state/store.js';
import { CLUSTER_ACTIONS } from './cluster/actions.js';
import { clusterRows } from './cluster/slice.js';
import { ELBS_ACTIONS } from './elbs/actions.js';
import { HISTORY_ACTIONS } from './history/actions.js';
import { visibleHistory } from './history/slice.js';
import { visibleElbs } from './elbs/slice.js';
import { PANE_LIST, type PaneId } from './ids.js';
import { INSTANCES_ACTIONS } from './instances/actions.js';
import { visibleInstances } from './instances/slice.js';
import { PLAN_ACTIONS } from './plan/actions.js';
import { planLines } from './plan/slice.js';
import { SECRETS_ACTIONS } from './secrets/actions.js';
import { STATE_ACTIONS } from './state/actions.js';
import { ROLL_ACTIONS } from './roll/actions.js';
import { stateLines } from './state/slice.js';
import { visibleSecretNodes } from './secrets/slice.js';

/** One pane of the registry. */
export interface PaneDef {
  id: PaneId;
  title: string;
  /** `:` words that show the pane. */
  words: readonly string[];
  /** Its actions (and those of the overlays it opens). */
  actions: readonly ActionDef[];
  /** Rows of its table in this state (filtered), for the selection's bounds. */
  rowCount: (s: AppState) => number;
}

const SPECS: Record<PaneId, Pick<PaneDef, 'actions' | 'rowCount'>> = {
  plan: { actions: PLAN_ACTIONS, rowCount: (s) => planLines(s).length },
  instances: { actions: INSTANCES_ACTIONS, rowCount: (s) => visibleInstances(s).length },
  elbs: { actions: ELBS_ACTIONS, rowCount: (s) => visibleElbs(s).length },
  secrets: { actions: SECRETS_ACTIONS, rowCount: (s) => visibleSecretNodes(s).length },
  history: { actions: HISTORY_ACTIONS, rowCount: (s) => visibleHistory(s).length },
  state: { actions: STATE_ACTIONS, rowCount: (s) => stateLines(s).length },
  roll: { actions: ROLL_ACTIONS, rowCount: (s) => s.roll.rows.length },
  cluster: {
    actions: CLUSTER_ACTIONS,
    rowCount: (s) => {
      const r = clusterRows(s);
      return s.cluster.section === 'pods' ? r.pods.length : r.nodes.length;
    },
  },
};

/** The panes, in tab and number-key order. */
export const PANES: readonly PaneDef[] = PANE_LIST.map((p) => ({ ...p, ...SPECS[p.id] }));

/** The pane `id`. */
export function paneOf(id: PaneId): PaneDef {
  return PANES.find((p) => p.id === id)!;
}
