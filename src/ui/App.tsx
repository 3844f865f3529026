import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import React, { useEffect } from 'react';
import { paneOf } from '../panes/index.js';
import { PANE_VIEWS } from '../panes/views.js';
import type { Controller } from '../state/controller.js';
import { topView } from '../state/store.js';
import { Bottom, bottomHeight } from './components/Bottom.js';
import { Header } from './components/Header.js';
import { Tabs } from './components/Tabs.js';
import { useStore } from './hooks/useStore.js';
import type { ActionContext } from './keys/action.js';
import { handleInput } from './keys/input.js';
import { viewInner, viewLength, ViewOverlayBody } from './overlays/ViewOverlay.js';

/** Props of the console's root component. */
export interface AppProps {
  controller: Controller;
  /** Fixed size (tests); else the terminal's. */
  size?: { columns: number; rows: number };
}

/**
 * The console's frame: header, pane tabs, the current pane or the view overlay on top, and the
 * bottom line (status bar, question, prompt, command or filter line). Keys go to the registry
 * (`keys/input.ts`); it renders the store and calls no service.
 */
export function App({ controller, size }: AppProps): React.ReactElement {
  const state = useStore(controller.store);
  const win = useWindowSize();
  const { exit, suspendTerminal } = useApp();
  const columns = Math.max(40, size?.columns ?? win.columns ?? 120);
  // Keep the live area one line shorter than the terminal: a taller frame makes Ink clear the screen.
  const rows = Math.max(12, (size?.rows ?? win.rows ?? 40) - 1);
  const bodyHeight = rows - 3 - bottomHeight(state);

  useEffect(() => {
    void controller.quitRequested.then(() => exit());
  }, [controller, exit]);
  useEffect(() => {
    // The editor (e in the Secrets pane) and the SSH shell (s) get the whole terminal; the console repaints after.
    const handoff = async (fn: () => Promise<void>) => {
      await suspendTerminal(fn);
    };
    controller.aws?.setTerminalHandoff(handoff);
    controller.ssh?.setTerminalHandoff(handoff);
  }, [controller, suspendTerminal]);

  // Each key sees the state the previous one left (keys typed faster than a render).
  const ctx = (): ActionContext => {
    const s = controller.store.state;
    const v = topView(s);
    const page = v ? viewInner(bodyHeight) : Math.max(1, bodyHeight - 3);
    const maxScroll = v ? Math.max(0, viewLength(v, s, columns) - viewInner(bodyHeight)) : 0;
    return { state: s, store: controller.store, controller, page, rowCount: paneOf(s.pane).rowCount(s), maxScroll };
  };
  useInput((input, key) => handleInput(input, key, ctx));

  const view = topView(state);
  const Pane = PANE_VIEWS[state.pane];
  const body = view ? <ViewOverlayBody overlay={view} state={state} width={columns} height={bodyHeight} /> : <Pane state={state} width={columns} height={bodyHeight} />;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header header={state.header} lock={state.lock} width={columns} />
      <Tabs pane={state.pane} />
      <Box flexDirection="column" height={bodyHeight} width={columns}>
        {body}
      </Box>
      <Bottom state={state} width={columns} />
    </Box>
  );
}
