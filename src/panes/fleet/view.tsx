import { Box, Text } from 'ink';
import React from 'react';
import { fleetCells } from '../../core/fleet-cells.js';
import type { FleetRow } from '../../services/fleet/rows.js';
import type { AppState } from '../../state/store.js';
import { PaneError } from '../../ui/components/PaneTitle.js';
import { Table, type Column } from '../../ui/components/Table.js';
import { formatElapsed } from '../../ui/format.js';
import { useTick } from '../../ui/hooks/useTick.js';
import { visibleFleet, type FleetRun } from './slice.js';

/** A row's cells as of a read, computed once per row and read (the screen redraws every second). */
const cellCache = new WeakMap<FleetRow, { at: number; cells: ReturnType<typeof fleetCells> }>();
function cellsOf(r: FleetRow, readAt: number): ReturnType<typeof fleetCells> {
  const c = cellCache.get(r);
  if (c && c.at === readAt) return c.cells;
  const cells = fleetCells(r, readAt);
  cellCache.set(r, { at: readAt, cells });
  return cells;
}

/** The NEEDS column: what this screen runs on the row (with its time), else what the row needs. */
function needsText(run: FleetRun | undefined, needs: string, now: number): string {
  if (!run) return needs;
  if (run.status === 'running' && run.startedAt !== undefined) return `${run.text} (${formatElapsed(now - run.startedAt)})`;
  return run.text;
}

function needsColor(r: FleetRow, run: FleetRun | undefined): string | undefined {
  if (run) return run.status === 'failed' ? 'red' : run.status === 'running' || run.status === 'queued' ? 'cyan' : run.status === 'skipped' ? 'yellow' : undefined;
  if (r.error) return 'red';
  return r.attention.length ? 'yellow' : 'green';
}

/**
 * The Fleet screen's body: a title line (how many environments, how many need attention, the read
 * in progress or the rows' age, the filter, `:drift-all`'s progress) and a row per environment,
 * those that need attention first.
 */
export function FleetView({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const sl = state.fleet;
  const rows = visibleFleet(state);
  const busy = sl.reading !== undefined || Object.values(sl.runs).some((r) => r.status === 'running');
  // Elapsed times tick every second while something runs; at rest only the rows' age moves (5 s).
  useTick(busy || sl.readAt !== undefined, busy ? 1000 : 5000);
  const now = Date.now();
  const readAt = sl.readAt ?? now;
  const attention = sl.rows.filter((r) => r.attention.length).length;
  const cell = (r: FleetRow) => cellsOf(r, readAt);
  // Each column as wide as its widest cell (within bounds): what the row needs gets the rest.
  const fit = (title: string, texts: string[], max: number) => Math.min(max, Math.max(title.length, ...texts.map((t) => t.length)));
  const columns: Column<FleetRow>[] = [
    { title: 'ENVIRONMENT', width: fit('ENVIRONMENT', rows.map((r) => r.environment), 24), value: (r) => r.environment },
    { title: 'ACCOUNT', width: fit('ACCOUNT', rows.map((r) => r.account || '-'), 12), value: (r) => r.account || '-' },
    { title: 'REGION', width: fit('REGION', rows.map((r) => r.region || '-'), 14), value: (r) => r.region || '-' },
    { title: 'LOCK', width: fit('LOCK', rows.map((r) => cell(r).lock), 32), value: (r) => cell(r).lock, color: (r) => (r.lock.state === 'held' ? 'yellow' : r.lock.state === 'free' ? undefined : 'gray') },
    { title: 'LAST OPERATION', width: fit('LAST OPERATION', rows.map((r) => cell(r).last), 36), value: (r) => cell(r).last, color: (r) => (r.last && r.last.outcome !== 'succeeded' && r.last.outcome !== 'running' ? 'red' : undefined) },
    { title: 'DRIFT', width: fit('DRIFT', rows.map((r) => cell(r).drift), 20), value: (r) => cell(r).drift, color: (r) => (r.drift?.changed ? 'magenta' : undefined) },
    { title: 'STATE', width: fit('STATE', rows.map((r) => cell(r).state), 15), value: (r) => cell(r).state },
    { title: 'NEEDS', width: 'flex', value: (r) => needsText(sl.runs[r.environment], cell(r).needs, now), color: (r) => needsColor(r, sl.runs[r.environment]) },
  ];
  const status = sl.reading
    ? `reading ${sl.reading.total ? `${sl.reading.done} of ${sl.reading.total}` : 'the'} environments (${formatElapsed(now - sl.reading.startedAt)})`
    : sl.readAt !== undefined
      ? `read ${formatElapsed(now - sl.readAt)} ago (r reads again; every 60 s)`
      : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>Fleet</Text>
        <Text>{`  ${rows.length}${rows.length !== sl.rows.length ? ` of ${sl.rows.length}` : ''} environment${sl.rows.length === 1 ? '' : 's'}`}</Text>
        {sl.loaded ? <Text color={attention ? 'yellow' : 'green'}>{`  ${attention} need${attention === 1 ? 's' : ''} attention`}</Text> : null}
        {status ? <Text dimColor>{`  ${status}`}</Text> : null}
        {sl.driftAll ? <Text color="cyan">{`  drift checks ${sl.driftAll.done} of ${sl.driftAll.total} done (${sl.driftAll.concurrency} at a time)`}</Text> : null}
        {state.filter ? <Text color="cyan">{`  filter: ${state.filter}`}</Text> : null}
      </Text>
      <PaneError error={sl.error} />
      <Table
        columns={columns}
        rows={rows}
        height={Math.max(3, height - 2 - (sl.error ? 1 : 0))}
        width={width}
        selected={state.selected}
        rowKey={(r) => r.environment}
        empty={!sl.loaded ? 'reading every environment of profiles/…' : state.filter ? `no environment matches "${state.filter}"` : 'no environment to show (profiles/*.tfvars; on the local emulator only those with state or history there)'}
      />
    </Box>
  );
}
