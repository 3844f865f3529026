import { Box, Text } from 'ink';
import React from 'react';

/** Props of {@link LogView}: a source of lines addressed by index, so a ring buffer is read without copying it. */
export interface LogViewProps {
  title: string;
  /** Number of lines. */
  length: number;
  /** Line `i` (0 = oldest). */
  line: (i: number) => string;
  /** Lines scrolled up from the bottom (0 = follow the end). */
  offsetFromEnd: number;
  width: number;
  height: number;
  footer?: string;
}

/** A bordered, scrollable view of many lines; only the visible window is rendered. */
export function LogView(p: LogViewProps): React.ReactElement {
  // Borders (2), the title and the footer take a line each.
  const inner = Math.max(1, p.height - (p.footer ? 4 : 3));
  const maxOffset = Math.max(0, p.length - inner);
  const off = Math.min(Math.max(0, p.offsetFromEnd), maxOffset);
  const end = p.length - off;
  const start = Math.max(0, end - inner);
  const lines: string[] = [];
  for (let i = start; i < end; i++) lines.push(p.line(i));
  return (
    <Box flexDirection="column" borderStyle="round" width={p.width} height={p.height} paddingX={1}>
      <Text bold wrap="truncate">{`${p.title}  (${start + 1}-${end} of ${p.length}${off ? ', scrolled' : ', following'})`}</Text>
      {lines.map((l, i) => (
        <Text key={start + i} wrap="truncate">
          {l || ' '}
        </Text>
      ))}
      {p.footer ? <Text dimColor>{p.footer}</Text> : null}
    </Box>
  );
}
