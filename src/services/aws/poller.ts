/**
 * Quiet periodic refresh for the AWS panes (instances, load balancers): one fetch at a time,
 * every `intervalMs`, backing off exponentially while AWS throttles. Plain TypeScript, no Ink.
 *
 *   const p = new Poller((signal) => listInstances(ctx, { signal }), { onData, onError, onState });
 *   p.start();   // fetches now, then every 15 s
 *   p.refresh(); // the `r` key: fetch now
 *   p.stop();    // the pane closes: aborts the running fetch, no callback after this
 */
import { ConsoleError } from '../../core/errors.js';
import { isThrottling, toAwsError } from './errors.js';

/** What a pane shows about the refresh: a spinner, "updated 12 s ago", "next in 15 s", "backing off". */
export interface PollerState {
  /** A fetch is running. */
  loading: boolean;
  /** When the last successful fetch ended, ms since the epoch; undefined before the first success. */
  lastOk?: number;
  /** Milliseconds until the next scheduled fetch, counted from this state; 0 while loading or stopped. */
  nextInMs: number;
  /** True while the interval is stretched because AWS throttled the last fetch(es). */
  backoff: boolean;
}

/** Options of a {@link Poller}. */
export interface PollerOptions<T> {
  /** Normal time between the end of one fetch and the start of the next, ms (default 15,000). */
  intervalMs?: number;
  /** Cap of the backed-off interval, ms (default 120,000). */
  maxIntervalMs?: number;
  /** What a fetch does, for errors that are not console errors yet (default "refreshing"). */
  what?: string;
  /** Each successful fetch's result. */
  onData?: (data: T) => void;
  /** Each failed fetch's error (throttling included), as a console error. Not called for a fetch ended by {@link Poller.stop}. */
  onError?: (err: ConsoleError) => void;
  /** Each change of {@link PollerState}: a fetch starts, a fetch ends. */
  onState?: (state: PollerState) => void;
}

/** Default interval between fetches, ms. */
export const DEFAULT_POLL_INTERVAL_MS = 15_000;
/** Default cap of the backed-off interval, ms. */
export const DEFAULT_MAX_POLL_INTERVAL_MS = 120_000;

/** Whether a fetch error (raw SDK error, or a console error made from one) means "throttled". */
export function isThrottlingError(err: unknown): boolean {
  return isThrottling(err) || (err instanceof ConsoleError && isThrottling(err.cause));
}

/**
 * Runs `fetch` now and then every `intervalMs` after the previous fetch ended, never two at once.
 *
 * Back-off: when a fetch fails with throttling ({@link isThrottlingError}), the interval doubles
 * (up to `maxIntervalMs`); the next success restores `intervalMs`. Other errors keep the normal
 * interval. Every error goes to `onError`; the poller itself never logs and never throws.
 *
 * `fetch` gets an AbortSignal that {@link stop} aborts; after `stop()` no callback is called,
 * not even for a fetch that ignores its signal and still ends. Callbacks must not throw: an
 * exception from one escapes as an unhandled rejection (the next fetch is scheduled all the same).
 */
export class Poller<T> {
  readonly #fetch: (signal: AbortSignal) => Promise<T>;
  readonly #opts: PollerOptions<T>;
  readonly #interval: number;
  readonly #max: number;
  #delay: number;
  #backoff = false;
  #lastOk: number | undefined;
  #running = false;
  /** Bumped by start/stop: a fetch of an older generation reports nothing. */
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextAt = 0;
  #controller: AbortController | undefined;
  /** The fetch under way (of any generation), so that a new one waits for it. */
  #inflight: Promise<void> | undefined;

  /**
   * @param fetch one refresh; it should honour its signal (pass it to the SDK as `abortSignal`).
   * @throws RangeError when `intervalMs` is not positive or `maxIntervalMs` is below it.
   */
  constructor(fetch: (signal: AbortSignal) => Promise<T>, opts: PollerOptions<T> = {}) {
    this.#fetch = fetch;
    this.#opts = opts;
    this.#interval = opts.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#max = opts.maxIntervalMs ?? Math.max(DEFAULT_MAX_POLL_INTERVAL_MS, this.#interval);
    if (!(this.#interval > 0)) throw new RangeError(`Poller: intervalMs must be > 0 (got ${this.#interval})`);
    if (!(this.#max >= this.#interval)) throw new RangeError(`Poller: maxIntervalMs (${this.#max}) must be ≥ intervalMs (${this.#interval})`);
    this.#delay = this.#interval;
  }

  /** Whether the poller is started (and not stopped). */
  get running(): boolean {
    return this.#running;
  }

  /** The current interval, ms: `intervalMs`, or more while backing off. */
  get delayMs(): number {
    return this.#delay;
  }

  /** The state as last reported (nextInMs counted from now). */
  get state(): PollerState {
    const loading = this.#controller !== undefined && this.#running;
    return {
      loading,
      ...(this.#lastOk !== undefined ? { lastOk: this.#lastOk } : {}),
      nextInMs: !this.#running || loading || this.#timer === undefined ? 0 : Math.max(0, this.#nextAt - Date.now()),
      backoff: this.#backoff,
    };
  }

  /** Starts polling with a fetch now. Does nothing when already running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#generation++;
    void this.#run(this.#generation);
  }

  /**
   * Fetches now (the operator's refresh key) and resolves when that fetch has ended (its result
   * goes to the callbacks, never to the caller: this promise rejects only when a callback
   * throws). While a fetch is running, returns that one instead of starting a second. Does
   * nothing when stopped. The back-off is kept: only a success ends it.
   */
  refresh(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    // While running, the latest run is the current generation's (start() queues one at once).
    if (this.#inflight) return this.#inflight;
    return this.#run(this.#generation);
  }

  /** Stops polling: clears the timer and aborts the running fetch. No callback after this. Idempotent; `start()` again resumes. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    this.#clearTimer();
    this.#controller?.abort();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emit(): void {
    this.#opts.onState?.(this.state);
  }

  #run(generation: number): Promise<void> {
    this.#clearTimer();
    const previous = this.#inflight;
    const p = (async () => {
      // A fetch of an older generation that ignored its abort signal: never overlap with it.
      if (previous) await previous;
      if (generation !== this.#generation) return;
      const controller = new AbortController();
      this.#controller = controller;
      this.#emit();
      let ok = false;
      let data: T | undefined;
      let error: unknown;
      try {
        data = await this.#fetch(controller.signal);
        ok = true;
      } catch (err) {
        error = err;
      }
      if (this.#controller === controller) this.#controller = undefined;
      if (generation !== this.#generation || controller.signal.aborted) return;
      if (ok) {
        this.#delay = this.#interval;
        this.#backoff = false;
        this.#lastOk = Date.now();
      } else if (isThrottlingError(error)) {
        this.#delay = Math.min(this.#delay * 2, this.#max);
        this.#backoff = true;
      } else {
        this.#delay = this.#interval;
        this.#backoff = false;
      }
      this.#schedule(generation);
      this.#emit();
      if (ok) this.#opts.onData?.(data as T);
      else this.#opts.onError?.(error instanceof ConsoleError ? error : toAwsError(error, this.#opts.what ?? 'refreshing'));
    })();
    const tracked = p.finally(() => {
      if (this.#inflight === tracked) this.#inflight = undefined;
    });
    this.#inflight = tracked;
    return tracked;
  }

  #schedule(generation: number): void {
    this.#clearTimer();
    this.#nextAt = Date.now() + this.#delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (generation === this.#generation && this.#running) void this.#run(generation);
    }, this.#delay);
  }
}
