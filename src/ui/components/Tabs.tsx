import { Text } from 'ink';
import React from 'react';
import { PANE_LIST as PANES, type PaneId } from '../../panes/ids.js';

/**
 * The tabs line: `0 Fleet` (every environment), then the panes' number keys and titles; the
 * current one highlighted. On the Fleet screen (`pane` is `fleet`) no environment is open, so the
 * panes' tabs are not shown.
 */
export function Tabs({ pane }: { pane: PaneId | 'fleet' }): React.ReactElement {
  const fleet = pane === 'fleet';
  return (
    <Text wrap="truncate">
      <Text inverse={fleet} bold={fleet} dimColor={!fleet}>
        {' 0 Fleet '}
      </Text>
      {fleet ? (
        <Text dimColor>{'  Enter opens the selected environment’s console (1-8 are its panes)'}</Text>
      ) : (
        PANES.map((p, i) => (
          <Text key={p.id} inverse={p.id === pane} bold={p.id === pane}>
            {` ${i + 1} ${p.title} `}
          </Text>
        ))
      )}
    </Text>
  );
}
