import { Box, Text } from 'ink';
import React from 'react';
import type { AppState } from '../../state/store.js';
import { Table, type Column } from '../../ui/components/Table.js';
import { truncate } from '../../ui/format.js';
import type { RollRow } from './slice.js';

const STATE_COLOR: Record<RollRow['state'], string | undefined> = { waiting: undefined, running: 'cyan', done: 'green', failed: 'red' };
const PHASE_TEXT: Record<string, string> = {
  idle: 'no roll planned: :roll secure or :roll compute',
  planning: 'planning…',
  planned: 'planned: a rolls (asks first); nothing has changed yet',
  running: 'rolling: c pauses after the current node, X aborts',
  pausing: 'pausing after the current node…',
  paused: 'paused: g resumes, X aborts',
  succeeded: 'rolled',
  failed: 'stopped: a gate or step said no (r plans again; a roll resumes where it stopped)',
  aborted: 'aborted (r plans again)',
  interrupted: 'interrupted (r plans again)',
};

/** The Roll pane: the plan of a node group's roll, its gates, each instance's state and the steps. */
export function RollPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const r = state.roll;
  const title = r.layer ? `Roll ${r.layer}${r.group ? `: ${r.group} → launch template version ${r.version}` : ''}` : 'Roll';
  const columns: Column<RollRow>[] = [
    { title: 'INSTANCE', width: 20, value: (x) => x.instanceId },
    { title: 'ZONE', width: 11, value: (x) => x.availabilityZone },
    { title: 'WHY', width: 22, value: (x) => x.reason },
    { title: 'NOW', width: 'flex', value: (x) => x.status, color: (x) => STATE_COLOR[x.state] },
  ];
  const gateLines = r.gates.length;
  const extra = (r.resume ? 1 : 0) + (r.error ? (r.error.hint ? 2 : 1) : 0) + r.blockers.length;
  const tableHeight = Math.max(3, Math.min(r.rows.length + 1, Math.floor((height - 3 - gateLines - extra) / 2)));
  const logHeight = Math.max(0, height - 2 - gateLines - extra - tableHeight);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text>
        <Text bold>{title}</Text>
        <Text dimColor>{`  ${PHASE_TEXT[r.phase] ?? r.phase}`}</Text>
      </Text>
      {r.error ? <Text color="red">{truncate(`✗ ${r.error.text}`, width)}</Text> : null}
      {r.error?.hint ? <Text color="red">{truncate(`  → ${r.error.hint}`, width)}</Text> : null}
      {r.resume ? <Text color="yellow">{truncate(`first: ${r.resume}, which an earlier roll left half-done`, width)}</Text> : null}
      {r.gates.map((g) => (
        <Text key={g.name} color={g.ok ? 'green' : 'red'}>{truncate(`${g.ok ? '✓' : '✗'} ${g.name}: ${g.detail}`, width)}</Text>
      ))}
      {r.blockers.map((b, i) => (
        <Text key={`b${i}`} color="red">{truncate(`blocker: ${b}`, width)}</Text>
      ))}
      <Table
        columns={columns}
        rows={r.rows}
        height={tableHeight}
        width={width}
        selected={state.selected}
        rowKey={(x) => x.instanceId}
        empty={r.phase === 'idle' ? 'no roll planned: :roll secure (the control plane) or :roll compute (the workers)' : r.phase === 'planning' ? 'reading the group…' : 'nothing to roll: every instance runs the current version'}
      />
      <Box flexDirection="column" height={logHeight}>
        {r.lines.slice(-logHeight).map((l, i) => (
          <Text key={i} dimColor={!l.includes('✗')} color={l.includes('✗') ? 'red' : undefined}>{l.slice(0, width)}</Text>
        ))}
      </Box>
    </Box>
  );
}
