import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { AppState } from '../../state/store.js';
import { Table, type Column } from '../../ui/components/Table.js';
import { formatElapsed } from '../../ui/format.js';
import { filterResources, formatBytes, keyText, moduleCount, stateLines, type StateLine } from './slice.js';

/** The title: resources and modules, serial, lineage, Terraform version, size, age of the read, filter. */
function title(state: AppState, shown: number): string {
  const read = state.tfstate.read;
  if (!read) return 'State';
  const d = read.doc;
  const modules = moduleCount(read);
  const count = shown !== d.resources.length ? `${shown} of ${d.resources.length}` : String(d.resources.length);
  return `State  ${count} resource${d.resources.length === 1 ? '' : 's'} in ${modules} module${modules === 1 ? '' : 's'}  serial ${d.serial}  lineage ${d.lineage || '(none)'}  terraform ${d.terraformVersion || '?'}  ${formatBytes(d.bytes)}  read ${formatElapsed(Date.now() - read.at)} ago (${read.source === 'object' ? 'state object' : 'state pull'} ${(read.readMs / 1000).toFixed(1)} s)`;
}

/**
 * The State pane: every resource instance of the state (as `terraform state pull` gives it) in a
 * module tree, with its type, index key and id; the state's identity in the title and the lock's
 * holder under it when the lock is held.
 */
export function StatePane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const sl = state.tfstate;
  const lines = stateLines(state);
  const shown = filterResources(sl, state.filter).length;
  const lock = state.lock.kind === 'held' ? state.lock.lock : undefined;
  const columns: Column<StateLine>[] = [
    {
      title: 'RESOURCE',
      width: 'flex',
      value: (l) => (l.kind === 'module' ? `${l.open ? '▾' : '▸'} ${l.module || '(root module)'}  (${l.shown !== l.total ? `${l.shown} of ${l.total}` : l.total} resource${l.total === 1 ? '' : 's'})` : `${'  '.repeat(l.depth)}${l.res.address}`),
      color: (l) => (l.kind === 'module' ? 'cyan' : l.res.status === 'tainted' ? 'red' : l.res.mode === 'data' ? 'gray' : undefined),
    },
    { title: 'TYPE', width: 30, value: (l) => (l.kind === 'resource' ? `${l.res.mode === 'data' ? 'data.' : ''}${l.res.type}` : '') },
    { title: 'KEY', width: 16, value: (l) => (l.kind === 'resource' ? keyText(l.res) : '') },
    { title: 'ID', width: 36, value: (l) => (l.kind === 'resource' ? (l.res.id ?? '') : '') },
    { title: 'NOTE', width: 12, value: (l) => (l.kind === 'resource' ? (l.res.status === 'tainted' ? 'tainted' : l.res.sensitiveCount ? `${l.res.sensitiveCount} sensitive` : '') : ''), color: (l) => (l.kind === 'resource' && l.res.status === 'tainted' ? 'red' : 'gray') },
  ];
  const extra = (sl.error ? 1 : 0) + (lock ? 1 : 0);
  const empty = sl.error && !sl.read ? 'no state shown' : !sl.read ? 'reading the state (terraform state pull)…' : state.filter ? `no resource matches "${state.filter}"` : `the state is empty (serial ${sl.read.doc.serial}): nothing has been applied to ${state.header.environment} yet`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        {sl.loading ? (
          <Text color="yellow">
            <Spinner type="dots" />{' '}
          </Text>
        ) : null}
        <Text bold>{title(state, shown)}</Text>
        {state.filter ? <Text color="cyan">{`  filter: ${state.filter}`}</Text> : null}
        {!sl.tree ? <Text dimColor>{'  flat'}</Text> : null}
      </Text>
      {lock ? (
        <Text color="yellow" wrap="truncate">
          {`lock held by ${lock.who} (${lock.operation}, since ${lock.created}, ID ${lock.id}): state changes are refused until it is released (U, only if that run is dead)`}
        </Text>
      ) : null}
      {sl.error ? (
        <Text color="red" wrap="truncate">
          {`✗ ${sl.error.text}${sl.error.hint ? `  → ${sl.error.hint}` : ''}`}
        </Text>
      ) : null}
      <Table columns={columns} rows={lines} height={Math.max(3, height - 2 - extra)} width={width} selected={state.selected} rowKey={(l) => (l.kind === 'module' ? `m:${l.module}` : l.res.address)} empty={empty} />
    </Box>
  );
}
