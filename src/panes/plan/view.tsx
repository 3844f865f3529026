import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { AppState } from '../../state/store.js';
import type { PlanModel, ResourceChange } from '../../services/terraform/plan-model.js';
import { ACTION_FILTER_TEXT, planLines, type PlanLine, type ResourceRow } from './slice.js';
import { Table, type Column } from '../../ui/components/Table.js';
import { actionStyle, formatElapsed } from '../../ui/format.js';
import { useTick } from '../../ui/hooks/useTick.js';
import { expectedMs, timeLeftMs } from '../../core/eta.js';

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

/** `[████░░░░░░] 12/63`: done of total, 10 cells. */
function bar(done: number, total: number): string {
  const n = Math.round((done / total) * 10);
  return `[${'█'.repeat(n)}${'░'.repeat(10 - n)}] ${done}/${total}`;
}

const RISK_COLOR: Record<string, string> = { low: 'green', medium: 'yellow', high: 'red', critical: 'magenta' };
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function title(s: AppState): string {
  const op = s.plan.operation;
  if (op) {
    const verb = { init: 'Initializing', plan: 'Planning', 'plan-destroy': 'Planning destroy', 'plan-refresh-only': 'Checking drift (plan -refresh-only)', apply: 'Applying', output: 'Reading outputs', unlock: 'Releasing the state lock', 'state-push': 'Pushing a state', 'state-rm': 'Removing from the state', 'state-mv': 'Moving in the state', import: 'Importing (terraform import)' }[op.name];
    const who = s.plan.attachedRun ? ` (followed, read-only: started ${s.plan.attachedRun.startedAt} by ${s.plan.attachedRun.owner}, pid ${s.plan.attachedRun.pid})` : '';
    return `${verb}${who}${op.cancelRequested ? ' (cancelling: waiting for Terraform to write state and release the lock)' : ''}`;
  }
  const r = s.plan.lastResult;
  if (!r) return 'No plan yet';
  const what = r.operation === 'apply' ? 'Apply' : r.operation === 'plan-destroy' ? 'Destroy plan' : r.operation === 'plan-refresh-only' ? 'Drift check' : r.operation === 'plan' ? 'Plan' : r.operation === 'init' ? 'Init' : r.operation === 'unlock' ? 'Unlock' : r.operation === 'state-push' ? 'State push' : 'Outputs';
  return `${what} ${r.cancelled ? 'cancelled' : r.ok ? 'finished' : 'failed'} in ${formatElapsed(r.durationMs)}`;
}

/** The Plan/Apply pane: a row per resource (address, action, status, elapsed), the change summary and diagnostics. */
export function PlanPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const running = state.plan.operation !== undefined;
  const applying = state.plan.rows.some((r) => r.status === 'applying');
  const tick = useTick(applying, 1000);
  const now = Date.now();
  const rows = planLines(state);
  const counts = { done: 0, applying: 0, errored: 0 };
  for (const r of state.plan.rows) if (r.status === 'done' || r.status === 'applying' || r.status === 'errored') counts[r.status]++;
  const sum = state.plan.summary;
  const plan = state.plan.model;
  const phantoms = plan ? plan.changes.filter((c) => c.phantom).length : 0;
  const changes = changesByAddress(plan);
  const eta = state.plan.eta;
  const diags = state.plan.diagnostics.slice(Math.max(0, state.plan.diagnostics.length - 3));
  const diagLines = diags.length ? Math.min(diags.length, 3) + 1 : 0;
  const res = (l: PlanLine): ResourceRow | undefined => (l.kind === 'resource' ? l.row : undefined);
  const columns: Column<PlanLine>[] = [
    {
      title: 'ACTION',
      width: 11,
      value: (l) => (l.kind === 'module' ? (l.open ? '▾' : '▸') : changes.get(l.row.address)?.phantom ? '≈ phantom' : `${actionStyle(l.row.action).symbol} ${l.row.action}`),
      color: (l) => (l.kind === 'module' ? 'cyan' : changes.get(l.row.address)?.phantom ? 'gray' : actionStyle(l.row.action).color),
    },
    { title: 'ADDRESS', width: 'flex', value: (l) => (l.kind === 'module' ? `${l.module || '(root module)'}  +${l.add} ~${l.change} -${l.remove}  (${l.rows} resource${l.rows === 1 ? '' : 's'})` : `${'  '.repeat(l.depth)}${l.row.address}`), color: (l) => (l.kind === 'module' ? 'cyan' : undefined) },
    {
      title: 'STATUS',
      width: 12,
      value: (l) => {
        const r = res(l);
        return !r ? '' : r.status === 'applying' ? `${FRAMES[tick % FRAMES.length]} applying` : STATUS[r.status].text;
      },
      color: (l) => (l.kind === 'resource' ? STATUS[l.row.status].color : undefined),
    },
    {
      title: 'ELAPSED',
      width: 8,
      align: 'right',
      value: (l) => {
        const r = res(l);
        return r ? formatElapsed(r.status === 'applying' && r.startedAt !== undefined ? now - r.startedAt : r.elapsedMs) : '';
      },
    },
    ...(eta
      ? [
          {
            title: 'EXPECTED',
            width: 9,
            align: 'right' as const,
            value: (l: PlanLine) => {
              const r = res(l);
              const e = r ? expectedMs(eta, r.address, r.action) : undefined;
              return e === undefined ? '' : `~${formatElapsed(e)}`;
            },
            color: () => 'gray',
          },
        ]
      : []),
    { title: 'RISK', width: 8, value: (l) => (l.kind === 'resource' ? (changes.get(l.row.address)?.risk ?? '') : ''), color: (l) => (l.kind === 'resource' ? RISK_COLOR[changes.get(l.row.address)?.risk ?? ''] : undefined) },
    { title: 'ID', width: Math.min(24, Math.max(10, Math.floor(width / 6))), value: (l) => res(l)?.id ?? '' },
  ];
  let total = 0;
  if (state.plan.operation?.name === 'apply') for (const r of state.plan.rows) if (r.action !== 'noop' && r.action !== 'read') total++;
  const progress = state.plan.operation?.name === 'apply' && total ? bar(counts.done + counts.errored, total) : '';
  const left = state.plan.operation?.name === 'apply' && eta ? timeLeftMs(eta, state.plan.rows, now) : undefined;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        {running ? (
          <Text color="yellow">
            <Spinner type="dots" />{' '}
          </Text>
        ) : null}
        <Text bold>{title(state)}</Text>
        {state.filter ? <Text color="cyan">{`   filter: ${state.filter}`}</Text> : null}
        {state.plan.actionFilter ? <Text color="cyan">{`   only ${ACTION_FILTER_TEXT[state.plan.actionFilter]} (f: next)`}</Text> : null}
        {progress ? <Text color="yellow">{`   ${progress}`}</Text> : null}
        {left !== undefined ? <Text color="yellow">{`   about ${formatElapsed(left)} left (learned from ${eta!.applies} past appl${eta!.applies === 1 ? 'y' : 'ies'})`}</Text> : null}
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
        {plan && !running ? <Text color="cyan">{plan.refreshOnly ? '   drift check ready: D shows it, a writes the real values into the state' : '   saved plan ready: Enter shows a diff, a applies'}</Text> : null}
      </Text>
      <Table
        columns={columns}
        rows={rows}
        height={Math.max(3, height - 2 - diagLines)}
        width={width}
        selected={state.selected}
        rowKey={(l) => (l.kind === 'module' ? `module ${l.module}` : l.row.address)}
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
