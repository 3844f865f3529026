import { Box, Text } from 'ink';
import React from 'react';
import type { AppState } from '../../state/store.js';
import { formatElapsed } from '../format.js';

function lockText(l: AppState['lock']): { text: string; color?: string } {
  if (l.kind === 'free') return { text: 'lock free', color: 'green' };
  if (l.kind === 'held') return { text: `lock held by ${l.lock.who} (${l.lock.operation.replace(/^OperationType/, '').toLowerCase()})`, color: 'yellow' };
  return l.reason === 'not read yet' ? { text: 'lock ...', color: 'gray' } : { text: `lock unknown (${l.reason.slice(0, 60)})`, color: 'gray' };
}

/** `drift none (4m ago)`, `drift 2 (4m ago)`, `drift check failed (4m ago)`; with `--drift-every`, `every 30m`. */
export function driftText(d: NonNullable<AppState['header']['drift']>, now = Date.now()): string {
  const what = d.error ? 'drift check failed' : d.count ? `drift ${d.count}` : 'drift none';
  const every = d.every ? `, every ${formatElapsed(d.every)}` : '';
  return `${what} (${formatElapsed(Math.max(0, now - d.at))} ago${every})`;
}

/**
 * The header: environment, account, region, backend, lock state, engine version. Fields not known
 * yet (the console's frame while the environment opens) are given as "...".
 */
export function Header({ header: h, lock: l, width }: { header: AppState['header']; lock: AppState['lock']; width: number }): React.ReactElement {
  const lock = lockText(l);
  return (
    <Box width={width} flexDirection="column">
      <Text wrap="truncate">
        <Text bold color="cyan">
          platform-console
        </Text>
        {'  env '}
        <Text bold>{h.environment}</Text>
        {'  account '}
        <Text bold>{h.account || '...'}</Text>
        {'  region '}
        <Text bold>{h.region}</Text>
        {'  '}
        <Text color={lock.color}>{lock.text}</Text>
        {'  '}
        <Text dimColor>{h.engine}</Text>
        {h.drift ? <Text color={h.drift.error ? 'red' : h.drift.count ? 'magenta' : 'green'}>{`  ${driftText(h.drift)}`}</Text> : null}
        {h.local ? <Text color="magenta">{`  ${h.local}`}</Text> : null}
      </Text>
      <Text dimColor wrap="truncate">
        {`backend ${h.backend}   credentials ${h.credentials}`}
      </Text>
    </Box>
  );
}
