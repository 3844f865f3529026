/**
 * Gives memory back to the operating system when the console falls quiet, as a browser's "memory
 * reducer" does for an idle tab.
 *
 * V8 keeps what a burst of work made it grow (its young generation's semi-spaces, freed old-space
 * pages) committed after the garbage is gone: the console at rest after start-up held ~125 MB of
 * RSS, of which ~20 MB were such pages (issue 16's target at rest is < 120 MB). A full collection
 * of the "last resort" flavour (V8's `CollectAllAvailableGarbage`, which also shrinks the young
 * generation and releases pooled pages) returns them; an ordinary major collection frees the
 * objects but keeps the pages.
 *
 * The collection blocks the thread (~40–90 ms for the console's heap), so it runs only when
 * nothing has happened for `quietMs` (no state change, hence no key and no event) and only after
 * the RSS has grown by `growthBytes` since the last one: at rest nothing runs, so the console's
 * idle CPU stays what it was.
 */

/** A full collection that returns freed memory to the operating system (blocks; ms-scale). */
export type Collect = () => void;

/** Options of {@link IdleMemoryRelease}. */
export interface IdleMemoryOptions {
  /** How long nothing must happen before a collection (ms). */
  quietMs: number;
  /**
   * The RSS growth (bytes) since the last collection that makes one worth its pause. There is no
   * baseline before the first one: the first quiet period after start-up always collects.
   */
  growthBytes: number;
  /** The collection; default {@link lastResortCollect} (none where V8 offers none: then nothing runs). */
  collect?: Collect | undefined;
  /** The process's resident set size (bytes); default `process.memoryUsage.rss`. */
  rss?: () => number;
  /** The clock (ms); default `Date.now`. */
  now?: () => number;
  /** Told after each collection: RSS before and after (bytes) and the pause (ms). */
  onRelease?: (r: { beforeBytes: number; afterBytes: number; pauseMs: number }) => void;
}

let cached: Collect | null | undefined;

/**
 * V8's last-resort full collection, reached through its `gc` extension: `--expose-gc` is set at run
 * time (a flag of the whole process: contexts and worker threads made after it get a global `gc`;
 * the program's own global does not) and the function is taken from a fresh context. Node 24's V8
 * (13.6, what this project runs) has the `last-resort` flavour; a V8 without it ignores the option
 * and runs an ordinary major collection, which frees objects but keeps the pages.
 * @returns the collection, or undefined where the `gc` extension cannot be had (the caller then does nothing).
 */
export function lastResortCollect(): Collect | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  try {
    // Loaded here, not at the module's top: the console's first frame waits for its module graph.
    const v8 = process.getBuiltinModule('node:v8');
    const vm = process.getBuiltinModule('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') {
      const f = gc as (o: { type: string; execution: string; flavor: string }) => unknown;
      cached = () => void f({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    }
  } catch {
    cached = null;
  }
  return cached ?? undefined;
}

/**
 * Watches for activity ({@link activity}, O(1): a field and at most one pending timer) and, once
 * the process has been quiet for `quietMs` with its RSS grown by `growthBytes` since the last
 * collection, runs one collection. Its timer is unref'd: it never keeps the process alive.
 */
export class IdleMemoryRelease {
  private lastActivity: number;
  private timer: NodeJS.Timeout | undefined;
  private baseline = 0;
  private stopped = false;
  private readonly collect: Collect | undefined;
  private readonly rss: () => number;
  private readonly now: () => number;
  /** Collections run so far. */
  releases = 0;

  constructor(private readonly o: IdleMemoryOptions) {
    this.collect = 'collect' in o ? o.collect : lastResortCollect();
    this.rss = o.rss ?? (() => process.memoryUsage.rss());
    this.now = o.now ?? Date.now;
    this.lastActivity = this.now();
    this.arm(o.quietMs);
  }

  /** Something happened (a state change, a key): the quiet period starts again. */
  activity(): void {
    this.lastActivity = this.now();
    if (!this.timer && !this.stopped) this.arm(this.o.quietMs);
  }

  /** No more collections (the console is closing). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    if (!this.collect) return;
    this.timer = setTimeout(() => this.due(), Math.max(1, ms));
    this.timer.unref();
  }

  private due(): void {
    this.timer = undefined;
    if (this.stopped || !this.collect) return;
    const quietFor = this.now() - this.lastActivity;
    if (quietFor < this.o.quietMs) {
      this.arm(this.o.quietMs - quietFor);
      return;
    }
    const before = this.rss();
    if (before < this.baseline + this.o.growthBytes) return; // not worth a pause: wait for the next activity (baseline 0 before the first)
    const t0 = performance.now();
    this.collect();
    const pauseMs = performance.now() - t0;
    const after = this.rss();
    this.baseline = after;
    this.releases++;
    this.o.onRelease?.({ beforeBytes: before, afterBytes: after, pauseMs });
  }
}

/**
 * Releases memory whenever the screen fed by `subscribe` (a Store's) falls quiet, with the
 * console's settings; returns the stop function (unsubscribes, no more collections).
 */
export function releaseWhenQuiet(subscribe: (listener: () => void) => () => void, o: Pick<IdleMemoryOptions, 'quietMs' | 'growthBytes'>): () => void {
  const memory = new IdleMemoryRelease(o);
  const off = subscribe(() => memory.activity());
  return () => {
    off();
    memory.stop();
  };
}
