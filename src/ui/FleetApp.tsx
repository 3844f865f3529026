import { Box, Text, useInput, useWindowSize } from 'ink';
import React from 'react';
import type { FleetController } from '../panes/fleet/controller.js';
import { visibleFleet } from '../panes/fleet/slice.js';
import { FleetView } from '../panes/fleet/view.js';
import { topView } from '../state/store.js';
import { Bottom, bottomHeight } from './components/Bottom.js';
import { Tabs } from './components/Tabs.js';
import { useStore } from './hooks/useStore.js';
import type { FleetContext } from './keys/action.js';
import { handleInput } from './keys/input.js';
import { viewInner, viewLength, ViewOverlayBody } from './overlays/ViewOverlay.js';

/** Props of the Fleet screen's root component. */
export interface FleetAppProps {
  fleet: FleetController;
  /** `local emulator http://…` in local mode, else the AWS accounts of the profiles. */
  where: string;
  /** Fixed size (tests); else the terminal's. */
  size?: { columns: number; rows: number };
}

/**
 * The Fleet screen: every environment of `profiles/` on one screen, those that need attention
 * first; no environment is open. Keys go to the registry's Fleet scope; it renders the store and
 * calls no service.
 */
export function FleetApp({ fleet, where, size }: FleetAppProps): React.ReactElement {
  const state = useStore(fleet.store);
  const win = useWindowSize();
  const columns = Math.max(40, size?.columns ?? win.columns ?? 120);
  const rows = Math.max(12, (size?.rows ?? win.rows ?? 40) - 1);
  const bodyHeight = rows - 3 - bottomHeight(state);
  const ctx = (): FleetContext => {
    const s = fleet.store.state;
    const v = topView(s);
    const page = v ? viewInner(bodyHeight) : Math.max(1, bodyHeight - 3);
    const maxScroll = v ? Math.max(0, viewLength(v, s, columns) - viewInner(bodyHeight)) : 0;
    return { state: s, store: fleet.store, fleet, page, rowCount: visibleFleet(s).length, maxScroll };
  };
  useInput((input, key) => handleInput(input, key, ctx));
  const view = topView(state);
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Box width={columns} flexDirection="column">
        <Text wrap="truncate">
          <Text bold color="cyan">
            platform-console
          </Text>
          {'  fleet: every environment of profiles/  '}
          <Text color="magenta">{where}</Text>
        </Text>
        <Text dimColor wrap="truncate">
          {'read from the state buckets: the lock, the newest history records, the state object (no Terraform run)'}
        </Text>
      </Box>
      <Tabs pane="fleet" />
      <Box flexDirection="column" height={bodyHeight} width={columns}>
        {view ? <ViewOverlayBody overlay={view} state={state} width={columns} height={bodyHeight} /> : <FleetView state={state} width={columns} height={bodyHeight} />}
      </Box>
      <Bottom state={state} width={columns} />
    </Box>
  );
}
