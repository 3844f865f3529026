/**
 * The console's splash: two lines written straight to the terminal as soon as the command line is
 * read, before Ink, React and Yoga load (~50 ms after Node starts instead of ~150 ms; issue 16).
 * It uses the alternate screen, as the console does, so nothing is left in the operator's
 * scroll-back; the console's first Ink frame replaces it.
 */

/** ANSI: alternate screen on, cursor hidden, home, clear. */
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
/** ANSI: alternate screen off (the operator's screen comes back), cursor shown. */
const LEAVE = '\x1b[?1049l\x1b[?25h';

/** What {@link showSplash} returns. */
export interface Splash {
  /**
   * Ink takes the screen over now: the splash is cleared (home, clear) so that Ink's first frame
   * starts at the top-left on an empty screen. After this, {@link leave} does nothing.
   */
  handOver(): void;
  /** The console did not start (an error before Ink): the operator's screen comes back. Idempotent. */
  leave(): void;
}

/** Where the splash is written: a terminal stream (`process.stdout`). */
export interface SplashTarget {
  write(chunk: string): unknown;
}

/**
 * Shows the splash for `environment` ("platform-console ENV", "starting the console…") on the
 * alternate screen of `out`. Writes nothing else; never throws (a write to a closed terminal is
 * the console's own error to report, later).
 */
export function showSplash(out: SplashTarget, environment: string): Splash {
  let active = true;
  const write = (s: string) => {
    try {
      out.write(s);
    } catch {
      // A terminal that went away: the console's start reports it.
    }
  };
  // The same place and words as the console's boot frame, which follows.
  write(`${ENTER}\n \x1b[1;36mplatform-console\x1b[0m \x1b[1m${environment.replace(/[^\w.-]/g, '')}\x1b[0m\n starting the console…`);
  return {
    handOver() {
      if (!active) return;
      active = false;
      write('\x1b[H\x1b[2J');
    },
    leave() {
      if (!active) return;
      active = false;
      write(LEAVE);
    },
  };
}
