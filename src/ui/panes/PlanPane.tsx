import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { AppState, ResourceRow } from '../../state/store.js';
import { Table, type Column } from '../components/Table.js';
import { actionStyle, formatElapsed } from '../format.js';
import { useTick } from '../hooks/useTick.js';

const STATUS: Record<ResourceRow['status'], { text: string; color?: string }> = {
  planned: { text: 'planned', color: 'gray' },
  refreshing: { text: 'refreshing', color: 'cyan' },
  refreshed: { text: 'refreshed', color: 'gray' },
  applying: { text: 'applying', color: 'yellow' },
  done: { text: '✓ done', color: 'green' },
  errored: { text: '✗ errored', color: 'red' },
  cancelled: { text: '◌ cancelled', color: 'yellow' },
};
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Rows matching the filter (substring over address, action, status, id; case-insensitive). */
export function filterRows(rows: readonly ResourceRow[], filter: string): readonly ResourceRow[] {
  if (!filter) return rows;
  const f = filter.toLowerCase();
  return rows.filter((r) => r.address.toLowerCase().includes(f) || r.action.includes(f) || r.status.includes(f) || (r.id ?? '').toLowerCase().includes(f));
}

function title(s: AppState): string {
  const op = s.operation;
  if (op) {
    const verb = { init: 'Initializing', plan: 'Planning', 'plan-destroy': 'Planning destroy', apply: 'Applying', output: 'Reading outputs', unlock: 'Releasing the state lock', 'state-push': 'Pushing the unpersisted state' }[op.name];
    const who = s.attachedRun ? ` (followed, read-only: started ${s.attachedRun.startedAt} by ${s.attachedRun.owner}, pid ${s.attachedRun.pid})` : '';
    return `${verb}${who}${op.cancelRequested ? ' (cancelling: waiting for Terraform to write state and release the lock)' : ''}`;
  }
  const r = s.lastResult;
  if (!r) return 'No plan yet';
  const what = r.operation === 'apply' ? 'Apply' : r.operation === 'plan-destroy' ? 'Destroy plan' : r.operation === 'plan' ? 'Plan' : r.operation === 'init' ? 'Init' : r.operation === 'unlock' ? 'Unlock' : r.operation === 'state-push' ? 'State push' : 'Outputs';
  return `${what} ${r.cancelled ? 'cancelled' : r.ok ? 'finished' : 'failed'} in ${formatElapsed(r.durationMs)}`;
}

/** The Plan/Apply pane: a row per resource (address, action, status, elapsed), the change summary and diagnostics. */
export function PlanPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const running = state.operation !== undefined;
  const applying = state.rows.some((r) => r.status === 'applying');
  const tick = useTick(applying, 1000);
  const now = Date.now();
  const rows = filterRows(state.rows, state.filter);
  const counts = { done: 0, applying: 0, errored: 0 };
  for (const r of state.rows) if (r.status === 'done' || r.status === 'applying' || r.status === 'errored') counts[r.status]++;
  const sum = state.summary;
  const plan = state.plan;
  const diags = state.diagnostics.slice(Math.max(0, state.diagnostics.length - 3));
  const diagLines = diags.length ? Math.min(diags.length, 3) + 1 : 0;
  const columns: Column<ResourceRow>[] = [
    { title: 'ACTION', width: 11, value: (r) => `${actionStyle(r.action).symbol} ${r.action}`, color: (r) => actionStyle(r.action).color },
    { title: 'ADDRESS', width: 'flex', value: (r) => r.address },
    {
      title: 'STATUS',
      width: 12,
      value: (r) => (r.status === 'applying' ? `${FRAMES[tick % FRAMES.length]} applying` : STATUS[r.status].text),
      color: (r) => STATUS[r.status].color,
    },
    { title: 'ELAPSED', width: 8, align: 'right', value: (r) => formatElapsed(r.status === 'applying' && r.startedAt !== undefined ? now - r.startedAt : r.elapsedMs) },
    { title: 'ID', width: Math.min(24, Math.max(10, Math.floor(width / 6))), value: (r) => r.id ?? '' },
  ];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        {running ? (
          <Text color="yellow">
            <Spinner type="dots" />{' '}
          </Text>
        ) : null}
        <Text bold>{title(state)}</Text>
        {sum ? (
          <Text>
            {'   '}
            <Text color="green">{`+${sum.add}`}</Text> <Text color="yellow">{`~${sum.change}`}</Text> <Text color="red">{`-${sum.remove}`}</Text>
            <Text dimColor>{` (${sum.operation})`}</Text>
          </Text>
        ) : null}
        {state.rows.length ? <Text dimColor>{`   ${state.rows.length} resource${state.rows.length === 1 ? '' : 's'}, ${counts.done} done, ${counts.applying} applying, ${counts.errored} errored`}</Text> : null}
        {state.drift ? <Text color="magenta">{`   drift: ${state.drift} resource${state.drift === 1 ? '' : 's'} changed outside Terraform (l shows which)`}</Text> : null}
        {plan && !running ? <Text color="cyan">{'   saved plan ready: a to apply'}</Text> : null}
        {state.filter ? <Text color="cyan">{`   filter: ${state.filter}`}</Text> : null}
      </Text>
      <Table
        columns={columns}
        rows={rows}
        height={Math.max(3, height - 2 - diagLines)}
        width={width}
        selected={state.selected}
        rowKey={(r) => r.address}
        empty={state.filter ? `no resource matches "${state.filter}"` : running ? 'waiting for Terraform…' : 'Press p to plan.'}
      />
      {diags.length ? (
        <Box flexDirection="column" width={width}>
          <Text bold color="red" wrap="truncate">{`Diagnostics (${state.diagnostics.length}, e shows all):`}</Text>
          {diags.map((d, i) => (
            <Text key={i} color={d.severity === 'error' ? 'red' : 'yellow'} wrap="truncate">
              {`${d.severity === 'error' ? '✗' : '!'} ${d.summary}${d.where ? ` — ${d.where}` : ''}${d.address ? ` [${d.address}]` : ''}${d.detail ? `: ${d.detail.split('\n')[0]}` : ''}`}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
