/**
 * The console's one store: the state every pane and overlay renders, composed of the panes'
 * slices (each written only by its own named transitions in `src/panes/<pane>/slice.ts`), the
 * overlay stack, the message line, the selection and the filter. Plain TypeScript, no Ink.
 */
import type { LockState } from '../services/aws/state-lock.js';
import type { EngineEvent } from '../services/terraform/engine.js';
import { clusterSlice, type ClusterSlice } from '../panes/cluster/slice.js';
import { elbsSlice, type ElbsSlice } from '../panes/elbs/slice.js';
import { fleetSlice, type FleetSlice } from '../panes/fleet/slice.js';
import { rollSlice, type RollSlice } from '../panes/roll/slice.js';
import { historySlice, type HistorySlice } from '../panes/history/slice.js';
import { instancesSlice, type InstancesSlice } from '../panes/instances/slice.js';
import { planOnEngineEvent, planSlice, type PlanSlice } from '../panes/plan/slice.js';
import { secretsSlice, type SecretsSlice } from '../panes/secrets/slice.js';
import { stateSlice, type StateSlice } from '../panes/state/slice.js';
import type { PaneId } from '../panes/ids.js';
import type { Message } from './list-slice.js';
import { RingBuffer } from './ring-buffer.js';

export type { Message } from './list-slice.js';
export type { PaneId } from '../panes/ids.js';

/** A yes/no question or a typed confirmation, shown above whatever is on screen. */
export interface Question {
  kind: 'confirm';
  /** What it confirms (for the record and for tests): `apply`, `destroy`, `host-key`, … */
  action: string;
  /** True: the operator must type {@link expect} (the environment name) and Enter; false: y/N. */
  typed: boolean;
  /** With `typed`: the exact text to type. */
  expect?: string;
  /**
   * With `typed`: what the message line says when the typed text is not {@link expect} (the
   * question stays open, the input is cleared). Default: the environment name's words
   * (`"x" is not "ENV": nothing applied.`), true of apply and destroy only: every other typed
   * question (an address, a lock ID) says its own.
   */
  mismatch?: (input: string) => { text: string; hint: string };
  input: string;
  prompt: string;
  detail?: string[];
  /** apply/destroy: the sha256 of the plan file whose summary the prompt shows (the answer applies only that plan). */
  planHash?: string;
  /** Runs on yes (after the question is closed). */
  onYes: () => void;
  /** Runs on no, Esc or Ctrl-C (after the question is closed); default: the message "Nothing done." */
  onNo?: () => void;
}

/** A line of text to enter: a file path, a tunnel destination, a command to run. */
export interface Prompt {
  kind: 'prompt';
  label: string;
  /** The line under it: what Enter and Esc do. */
  hint: string;
  input: string;
  /** Runs with the trimmed input on Enter (nothing when it is empty). */
  onSubmit: (input: string) => void;
}

/** Overlays drawn above the pane, as a stack: the top one takes the keys; closing it shows the one below. */
export type Overlay =
  | { kind: 'help'; scroll: number }
  | { kind: 'log'; scroll: number }
  | { kind: 'outputs'; scroll: number }
  | { kind: 'diagnostics'; scroll: number }
  | { kind: 'details'; title: string; lines: string[]; scroll: number }
  | { kind: 'secret'; scroll: number }
  | { kind: 'run'; scroll: number }
  | { kind: 'tunnels'; scroll: number }
  /** One resource of the state (the State pane's Enter): attributes masked, dependencies, the live object. */
  | { kind: 'state-resource'; address: string; scroll: number }
  /** One resource's planned change in Terraform's notation (`all`: unchanged attributes shown too). */
  | { kind: 'diff'; address: string; all: boolean; scroll: number }
  /** The changes made outside Terraform that the last plan found, each with its diff. */
  | { kind: 'drift'; scroll: number }
  | Question
  | Prompt
  | { kind: 'command'; input: string }
  | { kind: 'filter'; input: string };

/** The kinds of overlays. */
export type OverlayKind = Overlay['kind'];

/** Overlays that fill the body (scrollable text views); the others are a line or a box at the bottom. */
export type ViewOverlay = Extract<Overlay, { scroll: number }>;

/** Overlays at the bottom of the screen that take typed text. */
export const LINE_OVERLAYS: readonly OverlayKind[] = ['confirm', 'prompt', 'command', 'filter'];

/** Everything the console shows. Mutated in place by {@link Store}; `version` changes on every update. */
export interface AppState {
  version: number;
  header: {
    environment: string;
    account: string;
    region: string;
    backend: string;
    engine: string;
    credentials: string;
    local?: string;
    /** The last drift check's result (`:drift`, `--drift-every`): drifted resources, or the error; `at` ms epoch. */
    drift?: { at: number; count?: number; error?: string; every?: number };
  };
  lock: LockState;
  /** What is on screen: an environment's console (its panes), or the Fleet screen (every environment, none open). */
  screen: 'console' | 'fleet';
  pane: PaneId;
  /** Bottom first; the last is on top. */
  overlays: Overlay[];
  message?: Message;
  /** The current pane's `/` filter. */
  filter: string;
  /** The selected row of the current pane's table. */
  selected: number;
  /** True once the operator asked to quit and it is allowed. */
  quitting: boolean;
  /** Terraform's raw messages (`l`). */
  log: RingBuffer<string>;
  plan: PlanSlice;
  instances: InstancesSlice;
  elbs: ElbsSlice;
  secrets: SecretsSlice;
  cluster: ClusterSlice;
  history: HistorySlice;
  /** The State pane (`terraform state pull`, parsed). */
  tfstate: StateSlice;
  /** The Fleet screen (its store only). */
  fleet: FleetSlice;
  /** The Roll pane (a node group's roll). */
  roll: RollSlice;
}

/** Capacity of the raw log ring buffer (lines). */
export const LOG_CAPACITY = 20_000;

/** The top overlay, or undefined when the pane has the keys. */
export function topOverlay(s: AppState): Overlay | undefined {
  return s.overlays.at(-1);
}

/** The top overlay that fills the body (below any question or prompt), or undefined: the pane shows. */
export function topView(s: AppState): ViewOverlay | undefined {
  for (let i = s.overlays.length - 1; i >= 0; i--) {
    const o = s.overlays[i]!;
    if ('scroll' in o) return o;
  }
  return undefined;
}

/**
 * Opens an overlay above the current one. A view of the kind already on top replaces it (a new
 * details view, `?` twice); a question or prompt always opens above what is there.
 */
export function openOverlay(s: AppState, o: Overlay): void {
  const top = topOverlay(s);
  if (top && 'scroll' in top && top.kind === o.kind) s.overlays[s.overlays.length - 1] = o;
  else s.overlays.push(o);
}

/** Closes the top overlay (or the given one, wherever it is in the stack); the one below comes back. */
export function closeOverlay(s: AppState, o: Overlay | undefined = topOverlay(s)): void {
  const i = o ? s.overlays.lastIndexOf(o) : -1;
  if (i >= 0) s.overlays.splice(i, 1);
}

/** Closes every overlay of a kind (e.g. the secret viewer when its value is dropped). */
export function closeOverlays(s: AppState, kind: OverlayKind): void {
  s.overlays = s.overlays.filter((o) => o.kind !== kind);
}

/** Moves the selection to `index`, kept within 0 … rowCount-1. */
export function select(s: AppState, index: number, rowCount: number): void {
  s.selected = Math.max(0, Math.min(index, rowCount - 1));
}

/** Sets the current pane's filter; the selection goes back to the top. */
export function setFilter(s: AppState, text: string): void {
  s.filter = text;
  s.selected = 0;
}

/** Shows pane `pane` (filter cleared, selection at the top, overlays closed). */
export function showPane(s: AppState, pane: PaneId): void {
  s.pane = pane;
  s.filter = '';
  s.selected = 0;
  s.overlays = [];
}

/**
 * The store. Services' events and UI actions update the state in place (so a 1,000-resource
 * apply costs O(1) per event, not a copy of every row); subscribers are told at most once per
 * `throttleMs` (renders are throttled), and always on the next tick after the first change of a
 * quiet period.
 */
export class Store {
  readonly state: AppState;
  private listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private lastNotify = 0;

  constructor(
    header: AppState['header'],
    private readonly throttleMs = 16,
    /** The screen this store is for: an environment's console, or the Fleet screen. */
    screen: AppState['screen'] = 'console',
  ) {
    this.state = {
      version: 0,
      header,
      lock: { kind: 'unknown', reason: 'not read yet' },
      screen,
      pane: 'plan',
      overlays: [],
      filter: '',
      selected: 0,
      quitting: false,
      log: new RingBuffer(LOG_CAPACITY),
      plan: planSlice(),
      instances: instancesSlice(),
      elbs: elbsSlice(),
      secrets: secretsSlice(),
      cluster: clusterSlice(),
      history: historySlice(),
      tfstate: stateSlice(),
      fleet: fleetSlice(),
      roll: rollSlice(),
    };
  }

  /** Subscribes to (throttled) change notifications; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current version (for useSyncExternalStore). */
  getVersion = (): number => this.state.version;

  /** Applies `mutate` (named transitions of the state) and schedules a notification. */
  update(mutate: (s: AppState) => void): void {
    mutate(this.state);
    this.changed();
  }

  /** Marks the state changed and schedules a throttled notification. */
  changed(): void {
    this.state.version++;
    if (this.timer) return;
    const wait = Math.max(0, this.lastNotify + this.throttleMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastNotify = Date.now();
      for (const l of this.listeners) l();
    }, wait);
  }

  /** Sends any pending notification now (tests, exit). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastNotify = Date.now();
    for (const l of this.listeners) l();
  }

  /** Sets the status-bar message. */
  say(level: Message['level'], text: string, hint?: string): void {
    this.update((s) => {
      s.message = hint ? { level, text, hint } : { level, text };
    });
  }

  /** Opens an overlay (see {@link openOverlay}). */
  open(o: Overlay): void {
    this.update((s) => openOverlay(s, o));
  }

  /** Asks a question above what is on screen (the message line is cleared so the question stands alone). */
  ask(q: Omit<Question, 'kind' | 'input'>): void {
    this.update((s) => {
      s.message = undefined;
      openOverlay(s, { kind: 'confirm', input: '', ...q });
    });
  }

  /** Feeds one engine event into the state (the Plan/Apply pane, the log, the lock). */
  onEngineEvent(e: EngineEvent): void {
    const s = this.state;
    if (e.kind === 'lock-held') s.lock = { kind: 'held', lock: e.lock };
    else if (planOnEngineEvent(s.plan, s.log, e) && s.pane === 'plan') s.selected = 0;
    this.changed();
  }
}
