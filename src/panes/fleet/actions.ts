/** The Fleet screen's actions: open an environment, read again, drift checks, a playground's destroy, and the screen's own movement, filter, help and quit. */
import { openOverlay } from '../../state/store.js';
import type { ActionDef, FleetContext } from '../../ui/keys/action.js';
import { moveActions } from '../../ui/keys/global-actions.js';

export const FLEET_ACTIONS: readonly ActionDef<FleetContext>[] = [
  { id: 'fleet.open', keys: ['Enter'], scope: 'fleet', label: 'open', description: "open the selected environment's console here (0 there comes back to this screen)", statusBar: true, run: (c) => c.fleet.enter() },
  { id: 'fleet.refresh', keys: ['r'], command: { words: ['refresh'] }, scope: 'fleet', label: 'refresh', description: 'read every row again, and clear what failed or was skipped here (also read every 60 s while this screen shows)', statusBar: true, run: (c) => void c.fleet.refresh(true) },
  { id: 'fleet.drift-all', keys: [], command: { words: ['drift-all'] }, scope: 'fleet', label: 'drift all', description: 'a drift check of every listed environment (--concurrency N at a time, default 2), each recorded in its history; never where the lock is held', run: (c) => c.fleet.driftAll() },
  { id: 'fleet.destroy', keys: ['d'], scope: 'fleet', label: 'destroy', description: "destroy the selected playground (play-…): all its state's resources, after its typed name; recorded in its history", dangerous: true, statusBar: true, run: (c) => void c.fleet.askDestroy() },
  ...moveActions<FleetContext>('fleet', 'fleet'),
  { id: 'fleet.filter', keys: ['/'], scope: 'fleet', label: 'filter', description: 'filter the rows (substring over all columns; Enter keeps it, Esc clears it)', run: (c) => c.store.update((s) => openOverlay(s, { kind: 'filter', input: s.filter })) },
  { id: 'fleet.command', keys: [':'], scope: 'fleet', label: 'command', description: 'the command line (:drift-all, :refresh, :help, :quit)', statusBar: true, run: (c) => c.store.open({ kind: 'command', input: '' }) },
  { id: 'fleet.help', keys: ['?'], command: { words: ['help'] }, scope: 'fleet', label: 'help', description: 'every key', statusBar: true, run: (c) => c.store.open({ kind: 'help', scroll: Number.MAX_SAFE_INTEGER }) },
  { id: 'fleet.quit', keys: ['q', 'C-c'], command: { words: ['quit', 'q'] }, scope: 'fleet', label: 'quit', description: 'quit (refused while a destroy started here runs; drift checks under way are interrupted once and awaited)', statusBar: true, run: (c) => c.fleet.quit() },
];
