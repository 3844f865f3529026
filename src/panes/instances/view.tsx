import { Box } from 'ink';
import React from 'react';
import { formatLaunchTime } from '../../core/format.js';
import type { InstanceRow } from '../../core/instance-rows.js';
import { visibleInstances } from './slice.js';
import type { AppState } from '../../state/store.js';
import { PaneError, PaneTitle } from '../../ui/components/PaneTitle.js';
import { Table, type Column } from '../../ui/components/Table.js';

const STATE_COLOR: Record<string, string> = { running: 'green', pending: 'yellow', stopping: 'yellow', stopped: 'gray', 'shutting-down': 'red', terminated: 'gray' };


/** Column titles with the sort marker on the sorted one. */
function title(state: AppState, key: string, text: string): string {
  return state.instances.sortKey === key ? `${text}${state.instances.sortDir === 'asc' ? '▲' : '▼'}` : text;
}

/** The Instances pane: the environment's EC2 instances in the windowed Table. */
export function InstancesPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const rows = visibleInstances(state);
  const slice = state.instances;
  const marked = state.instances.marked;
  const columns: Column<InstanceRow>[] = [
    { title: '', width: 1, value: (r) => (marked.has(r.id) ? '●' : ' '), color: () => 'yellow' },
    { title: title(state, 'name', 'NAME'), width: 'flex', value: (r) => r.name || '-' },
    { title: title(state, 'role', 'ROLE'), width: 8, value: (r) => r.role, color: (r) => (r.role === 'bastion' ? 'cyan' : r.role === 'secure' ? 'magenta' : undefined) },
    { title: title(state, 'privateIp', 'PRIVATE IP'), width: 15, value: (r) => r.privateIp },
    { title: title(state, 'publicIp', 'PUBLIC IP'), width: 15, value: (r) => r.publicIp },
    { title: title(state, 'id', 'INSTANCE ID'), width: 19, value: (r) => r.id },
    { title: title(state, 'state', 'STATE'), width: 13, value: (r) => r.state, color: (r) => STATE_COLOR[r.state] },
    { title: title(state, 'az', 'AZ'), width: 11, value: (r) => r.az },
    { title: title(state, 'launchTime', 'LAUNCHED'), width: 16, value: (r) => formatLaunchTime(r.launchTime) },
  ];
  const errorLines = slice.error ? 1 : 0;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PaneTitle title={marked.size ? `Instances · ${marked.size} marked for :run` : 'Instances'} slice={slice} shown={rows.length} filter={state.filter} />
      <PaneError error={slice.error} />
      <Table
        columns={columns}
        rows={rows}
        height={Math.max(3, height - 2 - errorLines)}
        width={width}
        selected={state.selected}
        rowKey={(r) => r.id}
        empty={slice.loading && !slice.loaded ? 'loading instances…' : state.filter ? `no instance matches "${state.filter}"` : `no instances tagged Environment = ${state.header.environment}`}
      />
    </Box>
  );
}
