import { Box, Text, useInput, useWindowSize } from 'ink';
import React, { useEffect, useState } from 'react';
import type { AppState } from '../state/store.js';
import { Header } from './components/Header.js';
import { StatusBar } from './components/StatusBar.js';
import { Tabs } from './components/Tabs.js';

/** Props of {@link Opening}. */
export interface OpeningProps {
  environment: string;
  /** The profile's region once it is read; "..." before. */
  region?: string;
  /** The steps of opening the environment so far, oldest first; the last one is under way. */
  steps: readonly string[];
  /** When the step under way started (ms since the epoch); its seconds are shown from 1 s on. */
  since: number;
  /** q or Ctrl-C: the operator quits before the environment is open. */
  onQuit: () => void;
}

/**
 * What the header says before the environment is open: only what is known, "..." for the rest.
 * ASCII on purpose, like the rest of the first frame: the first non-ASCII text Ink measures loads
 * Unicode's segmentation tables (~15 ms), which can wait for the next frame.
 */
function openingHeader(environment: string, region: string | undefined): AppState['header'] {
  return { environment, account: '', region: region ?? '...', backend: '...', engine: 'terraform ...', credentials: '...' };
}

/**
 * The console's frame while its environment opens (profile, Terraform, credentials, the emulator,
 * the state bucket and key): the header (what is known so far), the pane tabs, the steps done and
 * the current one (with the seconds it has taken, once it takes one), and a status bar whose only
 * key is the one that works now, q quit. It is drawn as soon as Ink has loaded; the console
 * replaces it once the environment is open.
 */
export function Opening({ environment, region, steps, since, onQuit }: OpeningProps): React.ReactElement {
  const win = useWindowSize();
  const columns = Math.max(40, win.columns ?? 120);
  const rows = Math.max(12, (win.rows ?? 40) - 1);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
  });
  const done = steps.slice(0, -1);
  const current = steps.at(-1) ?? 'opening the environment';
  // How long the current step has taken, in whole seconds, redrawn once a second: a step that
  // hangs (an endpoint that does not answer) shows it. Not a spinner: every redraw lays out the
  // whole frame, and ten a second cost the opening ~0.2 s of CPU (bench/first-frame).
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const seconds = Math.max(0, Math.floor((Math.max(now, since) - since) / 1000));
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header header={openingHeader(environment, region)} lock={{ kind: 'unknown', reason: 'not read yet' }} width={columns} />
      <Tabs pane="plan" />
      <Box flexDirection="column" height={rows - 5} width={columns}>
        <Text bold>Opening the environment</Text>
        {done.map((s, i) => (
          <Text key={i} dimColor wrap="truncate">
            {`✓ ${s}`}
          </Text>
        ))}
        <Text wrap="truncate">
          <Text color="yellow">{'> '}</Text>
          {current}
          {seconds > 0 ? <Text dimColor>{` (${seconds} s)`}</Text> : null}
        </Text>
      </Box>
      <StatusBar keys={[{ key: 'q', label: 'quit' }]} message={{ level: 'info', text: `opening ${environment}: the other keys work once it is open` }} width={columns} />
    </Box>
  );
}
