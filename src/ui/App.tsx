import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import React, { useEffect } from 'react';
import { paneOf } from '../panes/index.js';
import { PANE_VIEWS } from '../panes/views.js';
import type { Controller } from '../state/controller.js';
import { topOverlay, topView, type AppState } from '../state/store.js';
import { Confirm } from './components/Confirm.js';
import { Header } from './components/Header.js';
import { StatusBar } from './components/StatusBar.js';
import { Tabs } from './components/Tabs.js';
import { useStore } from './hooks/useStore.js';
import type { ActionContext } from './keys/action.js';
import { handleInput } from './keys/input.js';
import { completions, keysOf, statusBarActions } from './keys/registry.js';
import { viewInner, viewLength, ViewOverlayBody } from './overlays/ViewOverlay.js';

/** Props of the console's root component. */
export interface AppProps {
  controller: Controller;
  /** Fixed size (tests); else the terminal's. */
  size?: { columns: number; rows: number };
}

/** Lines of the bottom area: the status bar (2), or a question's box, or a prompt's. */
function bottomHeight(s: AppState): number {
  const top = topOverlay(s);
  if (top?.kind === 'confirm') return 8 + Math.min(6, top.detail?.length ?? 0);
  if (top?.kind === 'prompt') return 8;
  return 2;
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
  const top = topOverlay(state);
  let bottom: React.ReactElement;
  if (top?.kind === 'confirm') {
    bottom = <Confirm prompt={top.prompt} typed={top.typed} input={top.input} width={columns} danger={top.typed} {...(top.detail ? { detail: top.detail } : {})} {...(state.message?.level === 'error' ? { error: state.message.text } : {})} />;
  } else if (top?.kind === 'prompt') {
    bottom = <Confirm prompt={top.label} typed input={top.input} width={columns} danger={false} hint={top.hint} />;
  } else if (top?.kind === 'command') {
    const fit = completions(top.input.split(/\s/)[0] ?? '');
    bottom = (
      <Text wrap="truncate">
        {':'}
        {top.input}
        <Text inverse> </Text>
        <Text dimColor>{`  ${fit.length ? fit.join(' ') : 'no command starts so'} · Tab completes, Enter runs, Esc back`}</Text>
      </Text>
    );
  } else if (top?.kind === 'filter') {
    bottom = (
      <Text>
        {'/'}
        {top.input}
        <Text inverse> </Text>
        <Text dimColor>{'  Enter keep, Esc clear'}</Text>
      </Text>
    );
  } else {
    bottom = <StatusBar keys={statusBarActions(state).map((a) => ({ key: keysOf(a), label: a.label, danger: a.dangerous === true }))} {...(state.message ? { message: state.message } : {})} width={columns} />;
  }

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header header={state.header} lock={state.lock} width={columns} />
      <Tabs pane={state.pane} />
      <Box flexDirection="column" height={bodyHeight} width={columns}>
        {body}
      </Box>
      {bottom}
    </Box>
  );
}
