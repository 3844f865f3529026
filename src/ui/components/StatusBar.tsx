import { Box, Text } from 'ink';
import React from 'react';
import type { Message } from '../../state/store.js';
import type { KeyBinding } from '../keymap.js';

/** The status bar: the message line, and the keys that work here. */
export function StatusBar({ keys, message, width, extra }: { keys: readonly KeyBinding[]; message?: Message; width: number; extra?: string }): React.ReactElement {
  const color = message?.level === 'error' ? 'red' : message?.level === 'warn' ? 'yellow' : undefined;
  return (
    <Box flexDirection="column" width={width}>
      <Text color={color} wrap="truncate">
        {message ? `${message.level === 'error' ? '✗ ' : message.level === 'warn' ? '! ' : ''}${message.text}${message.hint ? `  → ${message.hint}` : ''}` : ' '}
      </Text>
      <Text wrap="truncate">
        {keys.map((k) => (
          <Text key={k.key}>
            <Text inverse bold>{` ${k.key} `}</Text>
            <Text>{` ${k.label}  `}</Text>
          </Text>
        ))}
        {extra ? <Text dimColor>{extra}</Text> : null}
      </Text>
    </Box>
  );
}
