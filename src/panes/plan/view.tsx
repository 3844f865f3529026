import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { AppState } from '../../state/store.js';
import type { PlanModel, ResourceChange } from '../../services/terraform/plan-model.js';
import { filterRows, type ResourceRow } from './slice.js';
import { Table, type Column } from '../../ui/components/Table.js';
import { actionStyle, formatElapsed } from '../../ui/format.js';
import { useTick } from '../../ui/hooks/useTick.js';

const STATUS: Record<ResourceRow['status'], { text: string; color?: string }> = {
  planned: { text: 'planned', color: 'gray' },
  refreshing: { text: 'refreshing', color: 'cyan' },
  refreshed: { text: 'refreshed', color: 'gray' },
  applying: { text: 'applying', color: 'yellow' },
  done: { text: '✓ done', color: 'green' },
  errored: { text: '✗ errored', color: 'red' },
  cancelled: { text: '◌ cancelled', color: 'yellow' },
};
const byAddress = new WeakMap<PlanModel, Map<string, ResourceChange>>();
const NONE = new Map<string, ResourceChange>();

/** The saved plan's changes by address (built once per plan). */
function changesByAddress(plan: PlanModel | undefined): Map<string, ResourceChange> {
  if (!plan) return NONE;
  let m = byAddress.get(plan);
  if (!m) byAddress.set(plan, (m = new Map(plan.changes.map((c) => [c.address, c]))));
  return m;
}

const RISK_COLOR: Record<string, string> = { low: 'green', medium: 'yellow', high: 'red', critical: 'magenta' };
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function title(s: AppState): string {
  const op = s.plan.operation;
  if (op) {
    const verb = { init: 'Initializing', plan: 'Planning', 'plan-destroy': 'Planning destroy', apply: 'Applying', output: 'Reading outputs', unlock: 'Releasing the state lock', 'state-push': 'Pushing the unpersisted state' }[op.name];
    const who = s.plan.attachedRun ? ` (followed, read-only: started ${s.plan.attachedRun.startedAt} by ${s.plan.attachedRun.owner}, pid ${s.plan.attachedRun.pid})` : '';
    return `${verb}${who}${op.cancelRequested ? ' (cancelling: waiting for Terraform to write state and release the lock)' : ''}`;
  }
  const r = s.plan.lastResult;
  if (!r) return 'No plan yet';
  const what = r.operation === 'apply' ? 'Apply' : r.operation === 'plan-destroy' ? 'Destroy plan' : r.operation === 'plan' ? 'Plan' : r.operation === 'init' ? 'Init' : r.operation === 'unlock' ? 'Unlock' : r.operation === 'state-push' ? 'State push' : 'Outputs';
  return `${what} ${r.cancelled ? 'cancelled' : r.ok ? 'finished' : 'failed'} in ${formatElapsed(r.durationMs)}`;
}

/** The Plan/Apply pane: a row per resource (address, action, status, elapsed), the change summary and diagnostics. */
export function PlanPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const running = state.plan.operation !== undefined;
  const applying = state.plan.rows.some((r) => r.status === 'applying');
  const tick = useTick(applying, 1000);
  const now = Date.now();
  const rows = filterRows(state.plan.rows, state.filter);
  const counts = { done: 0, applying: 0, errored: 0 };
  for (const r of state.plan.rows) if (r.status === 'done' || r.status === 'applying' || r.status === 'errored') counts[r.status]++;
  const sum = state.plan.summary;
  const plan = state.plan.model;
  const phantoms = plan ? plan.changes.filter((c) => c.phantom).length : 0;
  const changes = changesByAddress(plan);
  const diags = state.plan.diagnostics.slice(Math.max(0, state.plan.diagnostics.length - 3));
  const diagLines = diags.length ? Math.min(diags.length, 3) + 1 : 0;
  const columns: Column<ResourceRow>[] = [
    { title: 'ACTION', width: 11, value: (r) => (changes.get(r.address)?.phantom ? '≈ phantom' : `${actionStyle(r.action).symbol} ${r.action}`), color: (r) => (changes.get(r.address)?.phantom ? 'gray' : actionStyle(r.action).color) },
    { title: 'ADDRESS', width: 'flex', value: (r) => r.address },
    {
      title: 'STATUS',
      width: 12,
      value: (r) => (r.status === 'applying' ? `${FRAMES[tick % FRAMES.length]} applying` : STATUS[r.status].text),
      color: (r) => STATUS[r.status].color,
    },
    { title: 'ELAPSED', width: 8, align: 'right', value: (r) => formatElapsed(r.status === 'applying' && r.startedAt !== undefined ? now - r.startedAt : r.elapsedMs) },
    { title: 'RISK', width: 8, value: (r) => changes.get(r.address)?.risk ?? '', color: (r) => RISK_COLOR[changes.get(r.address)?.risk ?? ''] },
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
        {state.plan.rows.length ? <Text dimColor>{`   ${state.plan.rows.length} resource${state.plan.rows.length === 1 ? '' : 's'}, ${counts.done} done, ${counts.applying} applying, ${counts.errored} errored`}</Text> : null}
        {state.plan.drift ? <Text color="magenta">{`   drift: ${state.plan.drift} resource${state.plan.drift === 1 ? '' : 's'} changed outside Terraform (D shows them)`}</Text> : null}
        {plan && phantoms ? <Text dimColor>{`   ${phantoms} phantom update${phantoms === 1 ? '' : 's'} (≈: equal once normalised)`}</Text> : null}
        {plan && !running ? <Text color={RISK_COLOR[plan.risk]}>{`   risk ${plan.risk}`}</Text> : null}
        {plan && !running ? <Text color="cyan">{'   saved plan ready: Enter shows a diff, a applies'}</Text> : null}
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
          <Text bold color="red" wrap="truncate">{`Diagnostics (${state.plan.diagnostics.length}, e shows all):`}</Text>
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
