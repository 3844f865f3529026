import { Box, Text } from 'ink';
import React from 'react';

/** A confirmation box: y/N, or a typed answer (the environment name) for anything that destroys. */
export function Confirm({ prompt, typed, input, width, danger, error, detail, hint }: { prompt: string; typed: boolean; input: string; width: number; danger: boolean; error?: string; detail?: string[]; hint?: string }): React.ReactElement {
  return (
    <Box flexDirection="column" borderStyle="double" borderColor={danger ? 'red' : 'yellow'} width={width} paddingX={1}>
      <Text bold color={danger ? 'red' : 'yellow'} wrap="wrap">
        {prompt}
      </Text>
      {detail?.slice(0, 6).map((d, i) => (
        <Text key={i} wrap="truncate">
          {`  ${d}`}
        </Text>
      ))}
      {detail && detail.length > 6 ? <Text dimColor>{`  … and ${detail.length - 6} more`}</Text> : null}
      {typed ? (
        <Text>
          {'> '}
          <Text bold>{input}</Text>
          <Text inverse> </Text>
        </Text>
      ) : null}
      {error ? (
        <Text color="red" wrap="truncate">
          {`✗ ${error}`}
        </Text>
      ) : null}
      <Text dimColor>{hint ?? (typed ? 'Enter to confirm, Esc to back out' : 'y to go ahead, n or Esc to back out')}</Text>
    </Box>
  );
}
