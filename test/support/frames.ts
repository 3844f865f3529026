/**
 * Reading the console's frames in ink-testing-library tests: ANSI stripped, polled until a
 * pattern shows (the store throttles renders and the services take their time).
 */

/** The frame's text without ANSI escape sequences. */
export const strip = (s: string | undefined): string => (s ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `lastFrame` every 40 ms until its text matches `re`, and returns that text.
 * @throws Error after `timeoutMs` (default 15,000) with the last frame.
 */
export async function frameMatching(lastFrame: () => string | undefined, re: RegExp, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const f = strip(lastFrame());
    if (re.test(f)) return f;
    if (Date.now() > end) throw new Error(`no frame matched ${re} in ${timeoutMs} ms; last frame:\n${f}`);
    await sleep(40);
  }
}
