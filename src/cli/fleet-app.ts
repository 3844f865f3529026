/**
 * What the Fleet screen needs but its view (no Ink here: `--fleet` starts reading before Ink has
 * loaded): its controller, the store, the fleet's reads and its child runs. {@link makeFleet}
 * wires them.
 */
import { FleetController } from '../panes/fleet/controller.js';
import type { Paths } from '../core/paths.js';
import { runChild, type ProgramPath } from '../services/fleet/child.js';
import { readFleet, readStateResources } from '../services/fleet/read.js';
import { DEFAULT_RULES } from '../services/fleet/rows.js';
import { Store } from '../state/store.js';

export { FleetController } from '../panes/fleet/controller.js';

/** Where the Fleet screen's Enter and q lead: set by the console that shows it (a no-op until then). */
export interface FleetRoute {
  open(environment: string): void;
  quit(): void;
}

/** Options of {@link makeFleet}. */
export interface MakeFleetOptions {
  local: boolean;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** This program, to run each environment's `--ci drift` / `--ci destroy` in a child. */
  program: ProgramPath;
  /** `:drift-all`'s checks at once. */
  concurrency?: number;
  /** `--playground-age` (ms). */
  playgroundAgeMs?: number;
}

/**
 * The Fleet screen's controller on its own store, reading with the services: in local mode the
 * emulator is found (or started) at each read, and every child runs with `--local`. Its
 * `route` says where Enter and q lead; the console that shows the screen sets it.
 */
export function makeFleet(o: MakeFleetOptions): { fleet: FleetController; route: FleetRoute } {
  const route: FleetRoute = { open: () => undefined, quit: () => undefined };
  const store = new Store({ environment: 'fleet', account: '', region: '', backend: '', engine: '', credentials: '' }, 16, 'fleet');
  // Found (or started) at each read: an emulator restarted meanwhile (another port) is followed.
  const endpoint = async (): Promise<{ endpoint: string } | undefined> => {
    if (!o.local) return undefined;
    const { ensureEmulator } = await import('../services/local/emulator.js');
    const e = await ensureEmulator({ ...(o.env.PLATFORM_LOCAL_DIR ? { stateDir: o.env.PLATFORM_LOCAL_DIR } : {}) });
    // A fresh emulator holds nothing: say so, or the rows would silently be fewer.
    if (e.startedNow) store.say('warn', 'The local emulator was not running (or did not answer) and was started again: it holds no state, so environments applied before are not listed.', 'apply an environment again (--local) to see it here');
    return { endpoint: e.endpoint };
  };
  const rules = { ...DEFAULT_RULES, ...(o.playgroundAgeMs ? { playgroundAgeMs: o.playgroundAgeMs } : {}) };
  const fleet = new FleetController(store, {
    read: async (onProgress) => {
      const emu = await endpoint();
      return readFleet({ paths: o.paths, env: o.env, ...(emu ? { emulator: emu } : {}), rules, onProgress });
    },
    stateResources: async (environment) => {
      const emu = await endpoint();
      return readStateResources({ paths: o.paths, env: o.env, ...(emu ? { emulator: emu } : {}) }, environment);
    },
    run: (_environment, args, onEvent, signal) => runChild(o.program, [...(o.local ? ['--local'] : []), ...args], o.env, onEvent, signal),
    open: (environment) => route.open(environment),
    quit: () => route.quit(),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
  });
  return { fleet, route };
}
