/**
 * Pause, resume and abort of a running roll, between its batches. A plain class with no imports, so
 * the Roll pane can make one without loading the roll's services (and the Kubernetes client).
 */
export class RollControl {
  private paused = false;
  private aborted = false;
  private wake: (() => void) | undefined;
  /** Pauses after the current node (batch). */
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.wake?.();
  }
  /** Stops after the current node (batch); a paused roll stops at once. */
  abort(): void {
    this.aborted = true;
    this.wake?.();
  }
  get isPaused(): boolean {
    return this.paused;
  }
  get isAborted(): boolean {
    return this.aborted;
  }
  /** @internal Waits while paused; true when aborted. */
  async checkpoint(onPause: () => void, onResume: () => void): Promise<boolean> {
    if (this.aborted) return true;
    if (!this.paused) return false;
    onPause();
    while (this.paused && !this.aborted) await new Promise<void>((r) => (this.wake = r));
    this.wake = undefined;
    if (!this.aborted) onResume();
    return this.aborted;
  }
}

