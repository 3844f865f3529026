import { Box } from 'ink';
import React from 'react';
import type { AppState } from '../../state/store.js';
import { PaneError, PaneTitle } from '../../ui/components/PaneTitle.js';
import { Table, type Column } from '../../ui/components/Table.js';
import { historyCounts, historyDuration, visibleHistory, type HistoryRow } from './slice.js';

const OUTCOME_COLOR: Record<string, string | undefined> = { succeeded: 'green', failed: 'red', cancelled: 'yellow', interrupted: 'yellow', running: 'cyan' };

/** The History pane: the environment's applies and destroys, newest first (records in the state bucket). */
export function HistoryPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const rows = visibleHistory(state);
  const slice = state.history;
  const columns: Column<HistoryRow>[] = [
    { title: 'STARTED', width: 20, value: (r) => r.record.startedAt.replace(/\.\d+Z$/, 'Z') },
    { title: 'OPERATION', width: 9, value: (r) => r.record.operation },
    { title: 'OUTCOME', width: 11, value: (r) => r.record.outcome, color: (r) => OUTCOME_COLOR[r.record.outcome] },
    { title: 'CHANGES', width: 14, value: (r) => historyCounts(r.record) },
    { title: 'RISK', width: 8, value: (r) => r.record.plan?.risk ?? '' },
    { title: 'DURATION', width: 8, align: 'right', value: (r) => historyDuration(r.record) },
    { title: 'FAILED', width: 6, align: 'right', value: (r) => String(r.record.resources.filter((x) => x.result === 'failed').length || ''), color: () => 'red' },
    { title: 'WHO', width: 'flex', value: (r) => `${r.record.who.login}  ${r.record.who.arn}` },
    { title: 'ID', width: 37, value: (r) => r.record.id },
  ];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PaneTitle title="History" slice={slice} shown={rows.length} filter={state.filter} sortable={false} extra="newest first" />
      <PaneError error={slice.error} />
      <Table
        columns={columns}
        rows={rows}
        height={Math.max(3, height - 2 - (slice.error ? 1 : 0))}
        width={width}
        selected={state.selected}
        rowKey={(r) => r.key}
        empty={slice.loading && !slice.loaded ? 'reading the history…' : state.filter ? `no record matches "${state.filter}"` : `no applies or destroys recorded in ${state.header.environment}/history/ yet`}
      />
    </Box>
  );
}
