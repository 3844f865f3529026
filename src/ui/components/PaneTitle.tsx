import { Text } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { ListSlice } from '../../state/list-slice.js';
import { formatElapsed } from '../format.js';

/** The first line of an AWS pane: what it lists, how many, loading / backoff state, last refresh, filter. */
export function PaneTitle({ title, slice, shown, filter, extra, sortable = true }: { title: string; slice: ListSlice<unknown>; shown: number; filter: string; extra?: string; sortable?: boolean }): React.ReactElement {
  const age = slice.lastOk !== undefined ? formatElapsed(Date.now() - slice.lastOk) : undefined;
  return (
    <Text wrap="truncate">
      {slice.loading ? (
        <Text color="yellow">
          <Spinner type="dots" />{' '}
        </Text>
      ) : null}
      <Text bold>{title}</Text>
      <Text>{`  ${shown}${shown !== slice.rows.length ? ` of ${slice.rows.length}` : ''}`}</Text>
      {slice.loading && !slice.loaded ? <Text dimColor>{'  loading…'}</Text> : null}
      {age !== undefined ? <Text dimColor>{`  refreshed ${age} ago`}</Text> : null}
      {slice.backoff ? <Text color="yellow">{'  throttled: refreshing less often'}</Text> : null}
      {sortable ? <Text dimColor>{`  sort ${slice.sortKey} ${slice.sortDir === 'asc' ? '▲' : '▼'}`}</Text> : null}
      {filter ? <Text color="cyan">{`  filter: ${filter}`}</Text> : null}
      {extra ? <Text dimColor>{`  ${extra}`}</Text> : null}
    </Text>
  );
}

/** An error line inside a pane (what failed, what to do); the other panes keep working. */
export function PaneError({ error }: { error?: { text: string; hint?: string } }): React.ReactElement | null {
  if (!error) return null;
  return (
    <Text color="red" wrap="truncate">
      {`✗ ${error.text}${error.hint ? `  → ${error.hint}` : ''}`}
    </Text>
  );
}
