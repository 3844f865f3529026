import { Box } from 'ink';
import React from 'react';
import { visibleSecretNodes, type SecretNode } from './slice.js';
import type { AppState } from '../../state/store.js';
import { PaneError, PaneTitle } from '../../ui/components/PaneTitle.js';
import { Table, type Column } from '../../ui/components/Table.js';

function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The Secrets pane: the secrets bucket as a tree, and the SSM parameters under /ENV/. Values are never shown here. */
export function SecretsPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const nodes = visibleSecretNodes(state);
  const slice = state.secrets;
  const columns: Column<SecretNode>[] = [
    {
      title: 'NAME',
      width: 'flex',
      value: (n) => `${'  '.repeat(n.depth)}${n.kind === 'folder' || n.kind === 'parameters-root' ? (n.open ? '▾ ' : '▸ ') : '  '}${n.name}`,
      color: (n) => (n.kind === 'folder' || n.kind === 'parameters-root' ? 'cyan' : undefined),
    },
    { title: 'KIND', width: 12, value: (n) => (n.kind === 'object' ? 'object' : n.kind === 'parameter' ? (n.param?.type ?? '') : n.kind === 'folder' ? 'folder' : '') },
    { title: 'SIZE', width: 10, align: 'right', value: (n) => (n.entry ? bytes(n.entry.size) : '') },
    {
      title: 'MODIFIED',
      width: 16,
      value: (n) => {
        const t = n.entry?.lastModified ?? n.param?.lastModified;
        return t ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : '';
      },
    },
  ];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PaneTitle title="Secrets" sortable={false} slice={slice} shown={slice.rows.length} filter={state.filter} extra={slice.bucket ? `s3://${slice.bucket}  ·  ${slice.params.length} SSM parameters` : undefined} />
      <PaneError error={slice.error} />
      <Table
        columns={columns}
        rows={nodes}
        height={Math.max(3, height - 2 - (slice.error ? 1 : 0))}
        width={width}
        selected={state.selected}
        rowKey={(n) => n.path}
        empty={slice.loading ? 'loading the secrets bucket…' : 'no secrets'}
      />
    </Box>
  );
}
