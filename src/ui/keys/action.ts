/**
 * The shape of a key action (k9s's `KeyActions` idea): the one record from which a key is
 * dispatched and the help, the status bar, `:` commands, the README's key table and `--help` are
 * made. Plain TypeScript: the controller is imported as a type only.
 */
import type { FleetController } from '../../panes/fleet/controller.js';
import type { Controller } from '../../state/controller.js';
import type { AppState, OverlayKind, PaneId, Store } from '../../state/store.js';
import type { KeyName } from './key-name.js';

/**
 * Where an action's keys work: everywhere (no overlay open), in one pane, in one kind of overlay,
 * or in any scrollable view overlay (`overlay:view`).
 */
export type Scope = 'global' | PaneId | 'fleet' | `overlay:${OverlayKind}` | 'overlay:view';

/**
 * What every action runs with: the state, the store and the current view's geometry. The shared
 * overlays' actions (questions, prompts, the command and filter lines, scrolling) need no more.
 */
export interface BaseContext {
  readonly state: AppState;
  readonly store: Store;
  /** Rows of a page in the current body (PgUp/PgDn). */
  readonly page: number;
  /** Rows of the current pane's table (selection bounds). */
  readonly rowCount: number;
  /** How far the view overlay on top can scroll up (lines of content beyond one screen; 0 when none). */
  readonly maxScroll: number;
}

/** An environment's console: its controller besides the base context. */
export interface ActionContext extends BaseContext {
  readonly controller: Controller;
}

/** The Fleet screen (every environment, no environment open): its controller besides the base context. */
export interface FleetContext extends BaseContext {
  readonly fleet: FleetController;
}

/** A `:` command word (and its aliases) that runs the action, with its argument if any. */
export interface CommandSpec {
  /** The first is shown; all are accepted (case-insensitive). */
  readonly words: readonly string[];
  /** Whether the rest of the line is passed as the argument. */
  readonly arg?: 'optional' | 'required';
  /** The argument as the help shows it, e.g. `COMMAND`, `HOST:PORT [LOCAL_PORT]`. */
  readonly argName?: string;
}

/**
 * One action of the registry; `C` is the context its scope runs with: {@link ActionContext} in an
 * environment's console, {@link FleetContext} on the Fleet screen, {@link BaseContext} for the
 * overlays both share. The registry routes a key only to the actions of the screen on display.
 */
export interface ActionDef<C extends BaseContext = ActionContext> {
  /** Unique id, e.g. `plan.apply`. */
  readonly id: string;
  /** The keys that run it (see {@link KeyName}); none for a `:`-only action. */
  readonly keys: readonly KeyName[];
  /** The keys as the help shows them when not simply the keys joined (e.g. `1-5`). */
  readonly keyLabel?: string;
  readonly command?: CommandSpec;
  readonly scope: Scope;
  /** Short label for the status bar. */
  readonly label: string;
  /** One line for the help overlay, `--help` and the README. */
  readonly description: string;
  /** Asks before it changes anything (a confirmation; the typed environment name when anything is destroyed). */
  readonly dangerous?: boolean;
  /** Shown in the status bar of its scope (others only in help). */
  readonly statusBar?: boolean;
  /** An extra condition on the state (e.g. y only in a y/N question); default: always in its scope. */
  readonly when?: (s: AppState) => boolean;
  /** Runs it; `arg` is the rest of a `:` command line. Never throws: failures become the message line. */
  readonly run: (ctx: C, arg?: string) => void;
}
