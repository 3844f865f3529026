/** How long (ms) a headless command interrupted while nothing it must protect runs (no Terraform, no roll started) waits for its current step to end before it exits. */
export const INTERRUPT_GRACE_MS = 2_000;

/**
 * The exit of a headless command interrupted while nothing it must protect runs. At the first
 * signal (`count` 1) the process exits with `code` after {@link INTERRUPT_GRACE_MS} at the latest
 * (an unref'd timer: it ends sooner when the step in progress ends), at a later one at once.
 * `say`, when given, has the words for each case, printed by `err`.
 */
export function exitAfterGrace(count: number, code: number, say?: { err: (text: string) => void; first: string; late: string; again: string }): void {
  if (count === 1) {
    say?.err(say.first);
    setTimeout(() => {
      say?.err(say.late);
      process.exit(code);
    }, INTERRUPT_GRACE_MS).unref();
    return;
  }
  say?.err(say.again);
  process.exit(code);
}
