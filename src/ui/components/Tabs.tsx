import { Text } from 'ink';
import React from 'react';
import { PANE_LIST as PANES, type PaneId } from '../../panes/ids.js';

/** The pane tabs line: number keys and titles, the current one highlighted. */
export function Tabs({ pane }: { pane: PaneId }): React.ReactElement {
  return (
    <Text wrap="truncate">
      {PANES.map((p, i) => (
        <Text key={p.id} inverse={p.id === pane} bold={p.id === pane}>
          {` ${i + 1} ${p.title} `}
        </Text>
      ))}
    </Text>
  );
}
