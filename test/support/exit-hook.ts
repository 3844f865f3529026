/**
 * Last-resort cleanup of the servers a test process started (moto, sshd): `killAll` runs when
 * the process exits normally or on SIGINT/SIGTERM/SIGHUP, which are then re-raised so the process
 * still ends as it would have. A SIGKILLed test process cannot clean up.
 */
const installed = new Set<() => void>();

/** Runs `killAll` (synchronously) on exit and on SIGINT/SIGTERM/SIGHUP. Installing the same function twice does nothing. */
export function killOnExit(killAll: () => void): void {
  if (installed.has(killAll)) return;
  installed.add(killAll);
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      // Re-raise with the default disposition so the process still ends as it would have.
      process.kill(process.pid, sig);
    });
  }
}
