import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import React, { useEffect, useRef, useState } from 'react';
import type { Controller } from '../state/controller.js';
import { PANES, type RunState } from '../state/store.js';
import { renderValue } from '../core/mask.js';
import { Confirm } from './components/Confirm.js';
import { Header } from './components/Header.js';
import { LogView } from './components/LogView.js';
import { StatusBar } from './components/StatusBar.js';
import { Tabs } from './components/Tabs.js';
import { useStore } from './hooks/useStore.js';
import { KEYMAP, SCOPE_NAMES, statusBarKeys, type KeyScope } from './keymap.js';
import { ElbPane } from './panes/ElbPane.js';
import { InstancesPane } from './panes/InstancesPane.js';
import { filterRows, PlanPane } from './panes/PlanPane.js';
import { ClusterPane } from './panes/ClusterPane.js';
import { SecretsPane } from './panes/SecretsPane.js';
import { paneRowCount } from '../state/selectors.js';
import { maskSecret } from '../core/mask.js';

/** The `:run` view's lines: per node, in the targets' order, a header (exit status, or running) and its output. */
function runLines(run: RunState): string[] {
  const out: string[] = [];
  for (const n of run.nodes) {
    const status = n.code === undefined ? 'running…' : n.error ? `✗ unreachable: ${n.error}` : n.code === 0 ? '✓ exit 0' : `✗ exit ${n.code}${n.signal ? ` (signal ${n.signal})` : ''}`;
    out.push(`── ${n.label}  ${status}${n.ms !== undefined ? `  ${(n.ms / 1000).toFixed(1)} s` : ''}`);
    if (n.stdout) for (const l of n.stdout.replace(/\n$/, '').split('\n')) out.push(`   ${l}`);
    if (n.stderr) for (const l of n.stderr.replace(/\n$/, '').split('\n')) out.push(` ! ${l}`);
    if (n.truncated) out.push('   … output truncated (1 MiB per node and stream)');
  }
  return out;
}

const HELP_LINES = KEYMAP.map((k) => `${k.key.padEnd(11)}${SCOPE_NAMES[k.scope].padEnd(15)}${k.description}`);

/** Props of the console's root component. */
export interface AppProps {
  controller: Controller;
  /** Fixed size (tests); else the terminal's. */
  size?: { columns: number; rows: number };
}

/**
 * The console: header, pane tabs, the current pane, the status bar, and overlays (help, log,
 * outputs, diagnostics, confirmation). Reads the store and dispatches actions; calls no service.
 */
export function App({ controller, size }: AppProps): React.ReactElement {
  const state = useStore(controller.store);
  const win = useWindowSize();
  const { exit, suspendTerminal } = useApp();
  const columns = Math.max(40, size?.columns ?? win.columns ?? 120);
  // Keep the live area one line shorter than the terminal: a taller frame makes Ink clear the screen.
  const rows = Math.max(12, (size?.rows ?? win.rows ?? 40) - 1);
  // The drafts live in refs too: keys typed faster than a render (paste, scripts) must see the
  // latest value, not the one of the last render.
  const [filterDraft, setFilterState] = useState<string | undefined>(undefined);
  const [commandDraft, setCommandState] = useState<string | undefined>(undefined);
  const filterRef = useRef<string | undefined>(undefined);
  const commandRef = useRef<string | undefined>(undefined);
  const setFilterDraft = (v: string | undefined) => {
    filterRef.current = v;
    setFilterState(v);
  };
  const setCommandDraft = (v: string | undefined) => {
    commandRef.current = v;
    setCommandState(v);
  };
  const [scroll, setScroll] = useState(0);
  const dispatch = controller.dispatch.bind(controller);

  useEffect(() => {
    void controller.quitRequested.then(() => exit());
  }, [controller, exit]);
  useEffect(() => {
    // The editor (e in the Secrets pane) gets the whole terminal; the console repaints after.
    const handoff = async (fn: () => Promise<void>) => {
      await suspendTerminal(fn);
    };
    controller.aws?.setTerminalHandoff(handoff);
    // The SSH shell (s in the Instances pane) takes the whole terminal the same way.
    controller.ssh?.setTerminalHandoff(handoff);
  }, [controller, suspendTerminal]);

  const paneRows = paneRowCount(state, state.pane === 'plan' ? filterRows(state.rows, state.filter).length : 0);
  // header 2 + tabs 1 + status bar 2, or the confirmation box instead of the status bar.
  const bottom = state.overlay.kind === 'confirm' ? 8 + Math.min(6, state.overlay.detail?.length ?? 0) : state.overlay.kind === 'prompt' ? 8 : 2;
  const bodyHeight = rows - 3 - bottom;

  useInput((input, key) => {
    const o = state.overlay;
    if (o.kind === 'confirm') {
      if (key.escape) dispatch({ type: 'close-overlay' });
      else if (key.return) (o.typed ? dispatch({ type: 'confirm-submit' }) : dispatch({ type: 'close-overlay' }));
      else if (key.backspace || key.delete) dispatch({ type: 'confirm-backspace' });
      else if (key.ctrl && input === 'c') dispatch({ type: 'close-overlay' });
      else if (input && !key.ctrl && !key.meta) {
        // Typed text may arrive in one chunk with its Enter (fast typing, paste, tmux send-keys).
        const [text, ...rest] = input.split(/[\r\n]/);
        if (text) dispatch({ type: 'confirm-input', text });
        if (rest.length && o.typed) dispatch({ type: 'confirm-submit' });
      }
      return;
    }
    if (o.kind === 'prompt') {
      if (key.escape) dispatch({ type: 'close-overlay' });
      else if (key.return) dispatch({ type: 'prompt-submit' });
      else if (key.backspace || key.delete) dispatch({ type: 'prompt-backspace' });
      else if (input && !key.ctrl && !key.meta) {
        const [text, ...rest] = input.split(/[\r\n]/);
        if (text) dispatch({ type: 'prompt-input', text });
        if (rest.length) dispatch({ type: 'prompt-submit' });
      }
      return;
    }
    const commandDraft = commandRef.current;
    const filterDraft = filterRef.current;
    if (commandDraft !== undefined) {
      if (key.escape) setCommandDraft(undefined);
      else if (key.return) {
        setCommandDraft(undefined);
        dispatch({ type: 'command', text: commandDraft });
      } else if (key.backspace || key.delete) setCommandDraft(commandDraft.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) {
        const [text, ...rest] = input.split(/[\r\n]/);
        const d = commandDraft + (text ?? '');
        if (rest.length) {
          setCommandDraft(undefined);
          dispatch({ type: 'command', text: d });
        } else setCommandDraft(d);
      }
      return;
    }
    if (filterDraft !== undefined) {
      if (key.escape) {
        setFilterDraft(undefined);
        dispatch({ type: 'filter', text: '' });
      } else if (key.return) setFilterDraft(undefined);
      else if (key.backspace || key.delete) {
        const d = filterDraft.slice(0, -1);
        setFilterDraft(d);
        dispatch({ type: 'filter', text: d });
      } else if (input && !key.ctrl && !key.meta) {
        const [text, ...rest] = input.split(/[\r\n]/);
        const d = filterDraft + (text ?? '');
        dispatch({ type: 'filter', text: d });
        setFilterDraft(rest.length ? undefined : d);
      }
      return;
    }
    if (o.kind !== 'none') {
      const page = Math.max(1, bodyHeight - 4);
      if (o.kind === 'secret' && input === 'r') return dispatch({ type: 'reveal' });
      if (o.kind === 'secret' && input === 'e') return dispatch({ type: 'edit' });
      if (o.kind === 'secret' && input === 'f') return dispatch({ type: 'fetch' });
      if (o.kind === 'tunnels' && /^[1-9]$/.test(input)) return dispatch({ type: 'close-tunnel', n: Number(input) });
      if (key.escape || input === 'q' || (o.kind === 'help' && input === '?') || (o.kind === 'log' && input === 'l')) {
        setScroll(0);
        dispatch({ type: 'close-overlay' });
      } else if (key.upArrow || input === 'k') setScroll((n) => n + 1);
      else if (key.downArrow || input === 'j') setScroll((n) => Math.max(0, n - 1));
      else if (key.pageUp) setScroll((n) => n + page);
      else if (key.pageDown) setScroll((n) => Math.max(0, n - page));
      else if (input === 'g') setScroll(Number.MAX_SAFE_INTEGER);
      else if (input === 'G') setScroll(0);
      return;
    }
    if (input === 'q' || (key.ctrl && input === 'c')) return dispatch({ type: 'quit' });
    if (input === '?') return dispatch({ type: 'show', overlay: 'help' });
    if (input === 'l') return dispatch({ type: 'show', overlay: 'log' });
    if (key.tab) return dispatch({ type: 'pane-step', delta: key.shift ? -1 : 1 });
    if (/^[1-5]$/.test(input)) return dispatch({ type: 'pane', pane: PANES[Number(input) - 1]!.id });
    if (input === '/') return setFilterDraft(state.filter);
    if (input === ':') return setCommandDraft('');
    const page = Math.max(1, bodyHeight - 3);
    // In the Cluster pane k writes the kubeconfig (as the issue and k9s-like muscle memory want); ↑ still moves.
    if (key.upArrow || (input === 'k' && state.pane !== 'cluster')) return dispatch({ type: 'select', index: state.selected - 1 });
    if (key.downArrow || input === 'j') return dispatch({ type: 'select', index: Math.min(paneRows - 1, state.selected + 1) });
    if (key.pageUp) return dispatch({ type: 'select', index: state.selected - page });
    if (key.pageDown) return dispatch({ type: 'select', index: Math.min(paneRows - 1, state.selected + page) });
    if (input === 'g') return dispatch({ type: 'select', index: 0 });
    if (input === 'G') return dispatch({ type: 'select', index: Math.max(0, paneRows - 1) });
    if (state.pane === 'instances') {
      if (input === 's') return dispatch({ type: 'ssh-shell' });
      if (input === ' ') return dispatch({ type: 'mark' });
      if (input === 't') return dispatch({ type: 'tunnel' });
      if (input === 'T') return dispatch({ type: 'show-tunnels' });
      if (input === 'x') return dispatch({ type: 'show-run' });
    }
    if (state.pane === 'instances' || state.pane === 'elbs') {
      if (key.return) return dispatch({ type: 'enter' });
      if (input === 'r') return dispatch({ type: 'refresh' });
      if (input === '>') return dispatch({ type: 'sort', change: 1 });
      if (input === '<') return dispatch({ type: 'sort', change: -1 });
      if (input === '!') return dispatch({ type: 'sort', change: 'reverse' });
    }
    if (state.pane === 'secrets') {
      if (key.return || key.rightArrow) return dispatch({ type: 'enter' });
      if (input === 'r') return dispatch({ type: 'refresh' });
      if (input === 'e') return dispatch({ type: 'edit' });
      if (input === 'f') return dispatch({ type: 'fetch' });
      if (input === 'u') return dispatch({ type: 'upload' });
      if (input === 'F') return dispatch({ type: 'tree', direction: 'fetch' });
      if (input === 'U') return dispatch({ type: 'tree', direction: 'upload' });
    }
    if (state.pane === 'cluster') {
      if (key.return) return dispatch({ type: 'enter' });
      if (input === 'n') return dispatch({ type: 'cluster-section', section: 'nodes' });
      if (input === 'u') return dispatch({ type: 'cluster-section', section: 'pods' });
      if (input === 'k') return dispatch({ type: 'merge-kubeconfig' });
      if (input === 's') return dispatch({ type: 'ssh-shell' });
      if (input === 'r') return dispatch({ type: 'refresh' });
    }
    if (state.pane === 'plan') {
      if (input === 'p') return dispatch({ type: 'plan' });
      if (input === 'a') return dispatch({ type: 'apply' });
      if (input === 'd') return dispatch({ type: 'destroy' });
      if (input === 'c') return dispatch({ type: 'cancel' });
      if (input === 'o') return dispatch({ type: 'outputs' });
      if (input === 'e') return dispatch({ type: 'show', overlay: 'diagnostics' });
    }
  });

  const o = state.overlay;
  let body: React.ReactElement;
  if (o.kind === 'help') {
    body = <LogView title="Keys" length={HELP_LINES.length} line={(i) => HELP_LINES[i] ?? ''} offsetFromEnd={scroll} width={columns} height={bodyHeight} footer="↑↓ scroll, Esc or ? close" />;
  } else if (o.kind === 'details') {
    body = <LogView title={o.title} length={o.lines.length} line={(i) => o.lines[i] ?? ''} offsetFromEnd={scroll} width={columns} height={bodyHeight} footer="↑↓ scroll, Esc close" />;
  } else if (o.kind === 'secret' && state.secrets.view) {
    const v = state.secrets.view;
    const lines = v.revealed ? v.body.toString('utf8').split('\n') : [maskSecret(v.body)];
    body = (
      <LogView
        title={`${v.kind === 'object' ? `s3://${state.secrets.bucket ?? ''}/` : 'SSM '}${v.key}${v.revealed ? '  (REVEALED)' : '  (masked)'}`}
        length={lines.length}
        line={(i) => lines[i] ?? ''}
        offsetFromEnd={scroll}
        width={columns}
        height={bodyHeight}
        footer={`r ${v.revealed ? 'mask' : 'reveal'}${v.kind === 'object' ? ', e edit, f fetch' : ''}, Esc close (the value is dropped from memory)`}
      />
    );
  }
  else if (o.kind === 'run' && state.run) {
    const lines = runLines(state.run);
    body = <LogView title={`:run ${state.run.command}${state.run.done ? '' : '  (running)'}`} length={lines.length} line={(i) => lines[i] ?? ''} offsetFromEnd={scroll} width={columns} height={bodyHeight} footer="output grouped per node; ↑↓ scroll, Esc close (x reopens it)" />;
  } else if (o.kind === 'tunnels') {
    const lines = state.tunnels.length
      ? state.tunnels.map((t, i) => `${i + 1}  127.0.0.1:${t.localPort} → ${t.remote}  ${t.label}  ${t.open} open, ${t.total} total, ${t.bytesOut} B out, ${t.bytesIn} B in${t.lastError ? `  last error: ${t.lastError}` : ''}`)
      : ['no tunnels: t in the Instances pane (or :tunnel HOST:PORT [LOCAL_PORT]) opens one'];
    body = <LogView title="Tunnels through the bastion" length={lines.length} line={(i) => lines[i] ?? ''} offsetFromEnd={scroll} width={columns} height={bodyHeight} footer="1-9 close that tunnel; all close on quit; Esc back" />;
  } else if (o.kind === 'log') {
    body = <LogView title="Raw log" length={state.log.length} line={(i) => state.log.at(i) ?? ''} offsetFromEnd={scroll} width={columns} height={bodyHeight} footer="↑↓ PgUp PgDn g G scroll, Esc close" />;
  } else if (o.kind === 'outputs') {
    const outs = state.outputs ?? [];
    body = (
      <LogView
        title="Outputs"
        length={outs.length || 1}
        line={(i) => (outs.length ? `${outs[i]!.name} = ${renderValue(outs[i]!.value, columns)}${outs[i]!.sensitive ? '' : ''}` : 'no outputs (apply first)')}
        offsetFromEnd={scroll}
        width={columns}
        height={bodyHeight}
        footer="sensitive values are masked; Esc close"
      />
    );
  } else if (o.kind === 'diagnostics') {
    const lines: string[] = [];
    for (const d of state.diagnostics.slice(0)) {
      lines.push(`${d.severity === 'error' ? '✗ Error' : '! Warning'}: ${d.summary}${d.where ? `  (${d.where})` : ''}${d.address ? `  [${d.address}]` : ''}`);
      for (const l of d.detail.split('\n')) lines.push(`    ${l}`);
    }
    body = <LogView title="Diagnostics" length={lines.length || 1} line={(i) => lines[i] ?? 'no diagnostics'} offsetFromEnd={scroll} width={columns} height={bodyHeight} footer="Esc close" />;
  } else if (state.pane === 'plan') body = <PlanPane state={state} width={columns} height={bodyHeight} />;
  else if (state.pane === 'instances') body = <InstancesPane state={state} width={columns} height={bodyHeight} />;
  else if (state.pane === 'elbs') body = <ElbPane state={state} width={columns} height={bodyHeight} />;
  else if (state.pane === 'secrets') body = <SecretsPane state={state} width={columns} height={bodyHeight} />;
  else body = <ClusterPane state={state.cluster} instances={state.instances.rows} filter={state.filter} selected={state.selected} width={columns} height={bodyHeight} />;

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header state={state} width={columns} />
      <Tabs pane={state.pane} />
      <Box flexDirection="column" height={bodyHeight} width={columns}>
        {body}
      </Box>
      {o.kind === 'confirm' ? (
        <Confirm prompt={o.prompt} typed={o.typed} input={o.input} width={columns} danger={o.typed} {...(o.detail ? { detail: o.detail } : {})} {...(state.message?.level === 'error' ? { error: state.message.text } : {})} />
      ) : o.kind === 'prompt' ? (
        <Confirm prompt={o.label} typed input={o.input} width={columns} danger={false} hint={o.purpose === 'tunnel' ? 'Enter to open the tunnel, Esc to back out' : o.purpose === 'run' ? 'Enter to run, Esc to back out' : 'Enter to upload, Esc to back out'} />
      ) : commandDraft !== undefined ? (
        <Text>
          {':'}
          {commandDraft}
          <Text inverse> </Text>
          <Text dimColor>{'  plan apply destroy outputs run CMD mark ROLE tunnel tunnels kubeconfig bootstrap help quit · Enter run, Esc back'}</Text>
        </Text>
      ) : filterDraft !== undefined ? (
        <Text>
          {'/'}
          {filterDraft}
          <Text inverse> </Text>
          <Text dimColor>{'  Enter keep, Esc clear'}</Text>
        </Text>
      ) : (
        <StatusBar keys={statusBarKeys(state.pane as KeyScope)} message={state.message} width={columns} />
      )}
    </Box>
  );
}
