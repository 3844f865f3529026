import { Box, Text, useInput, useWindowSize } from 'ink';
import Spinner from 'ink-spinner';
import React from 'react';
import type { AppState } from '../state/store.js';
import { Header } from './components/Header.js';
import { StatusBar } from './components/StatusBar.js';
import { Tabs } from './components/Tabs.js';

/** Props of {@link Opening}. */
export interface OpeningProps {
  environment: string;
  /** The profile's region once it is read; "…" before. */
  region?: string;
  /** The steps of opening the environment so far, oldest first; the last one is under way. */
  steps: readonly string[];
  /** q or Ctrl-C: the operator quits before the environment is open. */
  onQuit: () => void;
}

/** What the header says before the environment is open: only what is known, "…" for the rest. */
function openingHeader(environment: string, region: string | undefined): AppState['header'] {
  return { environment, account: '', region: region ?? '…', backend: '…', engine: 'terraform …', credentials: '…' };
}

/**
 * The console's frame while its environment opens (profile, Terraform, credentials, the emulator,
 * the state bucket and key): the header (what is known so far), the pane tabs, the steps with a
 * spinner on the current one, and a status bar whose only key is the one that works now, q quit.
 * It is drawn as soon as Ink has loaded; the console replaces it once the environment is open.
 */
export function Opening({ environment, region, steps, onQuit }: OpeningProps): React.ReactElement {
  const win = useWindowSize();
  const columns = Math.max(40, win.columns ?? 120);
  const rows = Math.max(12, (win.rows ?? 40) - 1);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
  });
  const done = steps.slice(0, -1);
  const current = steps.at(-1) ?? 'opening the environment';
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
          <Text color="yellow">
            <Spinner type="dots" />
          </Text>{' '}
          {current}
        </Text>
      </Box>
      <StatusBar keys={[{ key: 'q', label: 'quit' }]} message={{ level: 'info', text: `opening ${environment}: the other keys work once it is open` }} width={columns} />
    </Box>
  );
}
