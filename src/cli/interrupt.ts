/** How long (ms) a headless command interrupted while nothing it must protect runs (no Terraform, no roll started) waits for its current step to end before it exits. */
export const INTERRUPT_GRACE_MS = 2_000;
