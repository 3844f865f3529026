import { Box, Text } from 'ink';
import React from 'react';
import { KEYMAP } from '../keymap.js';

/** The `?` overlay: every key from the keymap. */
export function Help({ width }: { width: number }): React.ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" width={width} paddingX={1}>
      <Text bold>Keys (Esc or ? to close)</Text>
      {KEYMAP.map((k) => (
        <Text key={k.key} wrap="truncate">
          <Text bold color={k.dangerous ? 'red' : 'cyan'}>
            {k.key.padEnd(11)}
          </Text>
          <Text dimColor>{(k.scope === 'global' ? 'everywhere' : k.scope === 'plan' ? 'Plan/Apply' : 'overlays').padEnd(12)}</Text>
          {k.description}
        </Text>
      ))}
    </Box>
  );
}
