/** Each pane's view, by id (the UI's half of the pane registry in `index.ts`). */
import type React from 'react';
import type { AppState } from '../state/store.js';
import { ClusterPane } from './cluster/view.js';
import { ElbPane } from './elbs/view.js';
import { HistoryPane } from './history/view.js';
import type { PaneId } from './ids.js';
import { InstancesPane } from './instances/view.js';
import { PlanPane } from './plan/view.js';
import { SecretsPane } from './secrets/view.js';
import { StatePane } from './state/view.js';
import { RollPane } from './roll/view.js';

/** Props every pane view gets. */
export interface PaneViewProps {
  state: AppState;
  width: number;
  height: number;
}

/** The view of each pane. */
export const PANE_VIEWS: Record<PaneId, (p: PaneViewProps) => React.ReactElement> = {
  plan: PlanPane,
  instances: InstancesPane,
  elbs: ElbPane,
  secrets: SecretsPane,
  history: HistoryPane,
  state: StatePane,
  roll: RollPane,
  cluster: ({ state, width, height }) => ClusterPane({ state: state.cluster, instances: state.instances.rows, filter: state.filter, selected: state.selected, width, height }),
};
