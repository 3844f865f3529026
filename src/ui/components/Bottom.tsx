/** The bottom of every screen: the status bar, or the question, prompt, command line or filter line on top. */
import { Text } from 'ink';
import React from 'react';
import { topOverlay, type AppState } from '../../state/store.js';
import { completions, keysOf, statusBarActions } from '../keys/registry.js';
import { Confirm } from './Confirm.js';
import { StatusBar } from './StatusBar.js';

/** Lines of the bottom area: the status bar (2), or a question's box, or a prompt's. */
export function bottomHeight(s: AppState): number {
  const top = topOverlay(s);
  if (top?.kind === 'confirm') return 8 + Math.min(6, top.detail?.length ?? 0);
  if (top?.kind === 'prompt') return 8;
  return 2;
}

/**
 * The bottom line(s) of the screen of `state`: a question's box, a prompt's, the `:` command line
 * (with the command words of this screen that fit), the `/` filter line, else the status bar with
 * this screen's keys and the message line.
 */
export function Bottom({ state, width }: { state: AppState; width: number }): React.ReactElement {
  const top = topOverlay(state);
  if (top?.kind === 'confirm') {
    return <Confirm prompt={top.prompt} typed={top.typed} input={top.input} width={width} danger={top.typed} {...(top.detail ? { detail: top.detail } : {})} {...(state.message?.level === 'error' ? { error: state.message.text } : {})} />;
  }
  if (top?.kind === 'prompt') return <Confirm prompt={top.label} typed input={top.input} width={width} danger={false} hint={top.hint} />;
  if (top?.kind === 'command') {
    const fit = completions(top.input.split(/\s/)[0] ?? '', state);
    return (
      <Text wrap="truncate">
        {':'}
        {top.input}
        <Text inverse> </Text>
        <Text dimColor>{`  ${fit.length ? fit.join(' ') : 'no command starts so'} · Tab completes, Enter runs, Esc back`}</Text>
      </Text>
    );
  }
  if (top?.kind === 'filter') {
    return (
      <Text>
        {'/'}
        {top.input}
        <Text inverse> </Text>
        <Text dimColor>{'  Enter keep, Esc clear'}</Text>
      </Text>
    );
  }
  return <StatusBar keys={statusBarActions(state).map((a) => ({ key: keysOf(a), label: a.label, danger: a.dangerous === true }))} {...(state.message ? { message: state.message } : {})} width={width} />;
}
