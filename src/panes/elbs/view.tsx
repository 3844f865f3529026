import { Box } from 'ink';
import React from 'react';
import type { LoadBalancerRow } from '../../services/aws/load-balancers.js';
import { visibleElbs } from './slice.js';
import type { AppState } from '../../state/store.js';
import { PaneError, PaneTitle } from '../../ui/components/PaneTitle.js';
import { Table, type Column } from '../../ui/components/Table.js';

/** The Load balancers pane: classic ELBs and ELBv2 with listeners and target health. */
export function ElbPane({ state, width, height }: { state: AppState; width: number; height: number }): React.ReactElement {
  const rows = visibleElbs(state);
  const slice = state.elbs;
  const t = (key: string, text: string) => (slice.sortKey === key ? `${text}${slice.sortDir === 'asc' ? '▲' : '▼'}` : text);
  const columns: Column<LoadBalancerRow>[] = [
    { title: t('name', 'NAME'), width: 24, value: (r) => r.name },
    { title: t('kind', 'KIND'), width: 11, value: (r) => r.kind },
    { title: t('scheme', 'SCHEME'), width: 15, value: (r) => r.scheme },
    { title: t('dnsName', 'DNS NAME'), width: 'flex', value: (r) => r.dnsName },
    { title: 'LISTENERS', width: 22, value: (r) => r.listeners.join(', ') },
    { title: t('healthy', 'HEALTHY'), width: 8, align: 'right', value: (r) => String(r.healthy), color: (r) => (r.healthy ? 'green' : undefined) },
    { title: t('unhealthy', 'UNHEALTHY'), width: 9, align: 'right', value: (r) => String(r.unhealthy), color: (r) => (r.unhealthy ? 'red' : undefined) },
  ];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PaneTitle title="Load balancers" slice={slice} shown={rows.length} filter={state.filter} />
      <PaneError error={slice.error} />
      <Table
        columns={columns}
        rows={rows}
        height={Math.max(3, height - 2 - (slice.error ? 1 : 0))}
        width={width}
        selected={state.selected}
        rowKey={(r) => `${r.kind}/${r.name}`}
        empty={slice.loading && !slice.loaded ? 'loading load balancers…' : state.filter ? `no load balancer matches "${state.filter}"` : `no load balancers tagged Environment = ${state.header.environment}`}
      />
    </Box>
  );
}
