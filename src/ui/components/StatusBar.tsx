import { Box, Text } from 'ink';
import React from 'react';
import type { Message } from '../../state/list-slice.js';

/** One key of the status bar: as shown, and its label. */
export interface StatusKey {
  key: string;
  label: string;
  /** It asks before it changes anything (shown in red). */
  danger?: boolean;
}

/** The status bar: the message line, and the keys that work here (from the registry). */
export function StatusBar({ keys, message, width, extra }: { keys: readonly StatusKey[]; message?: Message; width: number; extra?: string }): React.ReactElement {
  const color = message?.level === 'error' ? 'red' : message?.level === 'warn' ? 'yellow' : undefined;
  return (
    <Box flexDirection="column" width={width}>
      <Text color={color} wrap="truncate">
        {message ? `${message.level === 'error' ? '✗ ' : message.level === 'warn' ? '! ' : ''}${message.text}${message.hint ? `  → ${message.hint}` : ''}` : ' '}
      </Text>
      <Text wrap="truncate">
        {keys.map((k) => (
          <Text key={`${k.key} ${k.label}`}>
            <Text inverse bold {...(k.danger ? { color: 'red' } : {})}>{` ${k.key} `}</Text>
            <Text>{` ${k.label}  `}</Text>
          </Text>
        ))}
        {extra ? <Text dimColor>{extra}</Text> : null}
      </Text>
    </Box>
  );
}
