import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { InstanceRow } from '../../core/instance-rows.js';
import { summarize, type PodRow } from '../../core/kube-rows.js';
import { PaneError } from '../../ui/components/PaneTitle.js';
import { clusterPaneRows, type ClusterSlice, type NodeView } from './slice.js';
import { Table, type Column } from '../../ui/components/Table.js';

/** Props of {@link ClusterPane}. */
export interface ClusterPaneProps {
  state: ClusterSlice;
  /** The Instances pane's rows: a node's InternalIP is matched to an instance's private IP. */
  instances: readonly InstanceRow[];
  /** The `/` filter: a case-insensitive substring of a row's cells. */
  filter: string;
  /** Selected row index within the current section's (filtered) rows. */
  selected: number;
  width: number;
  height: number;
}

/** Age as kubectl prints it: `45s`, `12m`, `5h`, `3d`, `2y`; '' when unknown. */
export function formatAge(createdAt: number, now = Date.now()): string {
  if (!createdAt) return '';
  const s = Math.max(0, Math.floor((now - createdAt) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60 * 3) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const READY_COLOR: Record<string, string> = { True: 'green', False: 'red', Unknown: 'yellow' };

/** The Cluster pane: a header line, the nodes table, the unhealthy pods table, the namespaces line. */
export function ClusterPane({ state, instances, filter, selected, width, height }: ClusterPaneProps): React.ReactElement {
  const snap = state.snapshot;
  const section: string = state.section;
  const { nodes, pods } = clusterPaneRows(state, instances, filter);
  const now = Date.now();
  const nodeColumns: Column<NodeView>[] = [
    { title: 'NAME', width: 'flex', value: (n) => n.name },
    { title: 'READY', width: 8, value: (n) => (n.ready === 'True' ? 'Ready' : n.ready === 'False' ? 'NotReady' : 'Unknown') + (n.unschedulable ? '*' : ''), color: (n) => READY_COLOR[n.ready] },
    { title: 'ROLES', width: 14, value: (n) => n.roles.join(',') || '<none>' },
    { title: 'VERSION', width: 10, value: (n) => n.kubeletVersion },
    { title: 'AGE', width: 5, align: 'right', value: (n) => formatAge(n.createdAt, now) },
    { title: 'INTERNAL IP', width: 15, value: (n) => n.internalIp },
    { title: 'INSTANCE', width: 19, value: (n) => n.instanceId || '-', color: (n) => (n.instanceId ? undefined : 'gray') },
  ];
  const podColumns: Column<PodRow>[] = [
    { title: 'NAMESPACE', width: 16, value: (p) => p.namespace, color: (p) => (p.namespace === 'kube-system' ? 'magenta' : undefined) },
    { title: 'POD', width: 'flex', value: (p) => p.name },
    { title: 'READY', width: 5, value: (p) => `${p.readyContainers}/${p.containers}` },
    { title: 'STATUS', width: 22, value: (p) => p.reason, color: () => 'red' },
    { title: 'RESTARTS', width: 8, align: 'right', value: (p) => String(p.restarts) },
    { title: 'NODE', width: 18, value: (p) => p.node || '-' },
  ];

  const error = snap?.error ? { text: snap.error.message, ...(snap.error.hint ? { hint: snap.error.hint } : {}) } : state.error;
  const titleLine = (
    <Text wrap="truncate">
      {state.loading || (snap && !snap.synced) ? (
        <Text color="yellow">
          <Spinner type="dots" />{' '}
        </Text>
      ) : null}
      <Text bold>Cluster</Text>
      {snap ? <Text>{`  ${summaryText(snap)}`}</Text> : null}
      {snap ? snap.connected ? <Text color="green">{'  ● live'}</Text> : snap.synced ? <Text color="yellow">{'  ○ reconnecting'}</Text> : null : null}
      {state.source ? <Text dimColor>{`  ${state.source}`}</Text> : snap ? <Text dimColor>{`  ${snap.server}`}</Text> : null}
      {filter ? <Text color="cyan">{`  filter: ${filter}`}</Text> : null}
    </Text>
  );

  if (!snap) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        {titleLine}
        <PaneError error={error} />
        {!error ? <Text dimColor>{state.loading ? 'connecting to the Kubernetes API…' : 'no cluster yet: the kubeconfig comes from the secrets bucket (secure/kubeconfig_admin) or --kubeconfig FILE'}</Text> : null}
      </Box>
    );
  }

  // Lines: title, error?, nodes (header + rows), a blank, pods (header + rows), namespaces line.
  const errorLines = error ? 1 : 0;
  const avail = Math.max(6, height - 1 - errorLines - 2);
  const podsWanted = Math.max(1, pods.length);
  const nodesWanted = Math.max(1, nodes.length);
  let nodeRows = Math.min(nodesWanted, Math.max(2, Math.floor(avail / 2) - 1));
  let podRows = Math.min(podsWanted, Math.max(1, avail - nodeRows - 2));
  nodeRows = Math.min(nodesWanted, Math.max(2, avail - podRows - 2)); // give the nodes what the pods leave
  podRows = Math.max(1, Math.min(podRows, avail - nodeRows - 2));
  const nsNames = snap.namespaces.map((n) => (n.phase === 'Terminating' ? `${n.name}(Terminating)` : n.name));

  return (
    <Box flexDirection="column" width={width} height={height}>
      {titleLine}
      <PaneError error={error} />
      <Table
        columns={nodeColumns}
        rows={nodes}
        height={nodeRows}
        width={width}
        selected={section === 'nodes' ? selected : -1}
        rowKey={(n) => n.name}
        empty={!snap.synced ? 'listing nodes…' : filter ? `no node matches "${filter}"` : 'no nodes have joined the cluster'}
      />
      <Text bold dimColor={section !== 'pods'}>{`Unhealthy pods  ${pods.length}${pods.length !== snap.unhealthyPods.length ? ` of ${snap.unhealthyPods.length}` : ''} (of ${snap.podCount} pods, kube-system first)`}</Text>
      <Table
        columns={podColumns}
        rows={pods}
        height={podRows}
        width={width}
        selected={section === 'pods' ? selected : -1}
        rowKey={(p) => `${p.namespace}/${p.name}`}
        empty={!snap.synced ? 'listing pods…' : filter ? `no unhealthy pod matches "${filter}"` : 'all pods are Running or Completed'}
      />
      <Text wrap="truncate" dimColor>{`Namespaces ${snap.namespaces.length}: ${nsNames.join(' ')}`}</Text>
    </Box>
  );
}

function summaryText(snap: NonNullable<ClusterSlice['snapshot']>): string {
  const s = summarize(snap);
  return `${s.nodesReady}/${s.nodesTotal} nodes ready · ${snap.podCount} pods · ${s.unhealthyPods} unhealthy · ${s.namespaces} namespaces`;
}
