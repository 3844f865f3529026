import { Box, Text } from 'ink';
import React from 'react';
import { KEYMAP, SCOPE_NAMES } from '../keymap.js';

/** The `?` overlay: every key from the keymap. */
export function Help({ width }: { width: number }): React.ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" width={width} paddingX={1}>
      <Text bold>Keys (Esc or ? to close)</Text>
      {KEYMAP.map((k) => (
        <Text key={`${k.scope} ${k.key}`} wrap="truncate">
          <Text bold color={k.dangerous ? 'red' : 'cyan'}>
            {k.key.padEnd(11)}
          </Text>
          <Text dimColor>{SCOPE_NAMES[k.scope].padEnd(15)}</Text>
          {k.description}
        </Text>
      ))}
    </Box>
  );
}
