/**
 * Whether a recorded process still lives, read from Linux procfs (`/proc/PID/stat`, see proc(5)).
 * Used for run records (durable Terraform runs) and the local emulator's record.
 */
import { readFileSync } from 'node:fs';

/** Fields 3 (state, e.g. `R`, `S`, `Z`) and 22 (start time, clock ticks since boot) of `/proc/PID/stat`, or undefined off Linux or when the process is gone. */
function procStat(pid: number): { state: string; startTicks: number | undefined } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may contain spaces: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return { state: rest[0] ?? '', startTicks: Number.isFinite(v) ? v : undefined };
  } catch {
    return undefined;
  }
}

/** Start time of process `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`), or undefined where it cannot be read. */
export function processStartTicks(pid: number): number | undefined {
  return procStat(pid)?.startTicks;
}

/**
 * Whether a process with this pid exists (signal 0; EPERM counts as alive) and is not a zombie
 * (state `Z` or `X`: dead, waiting for a parent that may never reap it, as under a container's
 * PID 1), and, when `procStart` (clock ticks, as {@link processStartTicks}) is given and readable,
 * is the very process that was recorded rather than a later one with the same pid.
 */
export function processAlive(pid: number, procStart?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat && (stat.state === 'Z' || stat.state === 'X')) return false;
  if (procStart === undefined || stat?.startTicks === undefined) return true;
  return stat.startTicks === procStart;
}
