import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { processAlive } from '../../core/process.js';

export { processAlive, processStartTicks } from '../../core/process.js';

/**
 * A run record: one Terraform process that writes to files in the environment's work dir and
 * outlives the console (or `--ci` run) that started it. Stored as `runs/ID.json` (0600) beside
 * the run's output files `runs/ID.out` (stdout: the `-json` stream), `runs/ID.err` (stderr) and
 * `runs/ID.exit` (the exit status, written by the wrapper when Terraform ends).
 */
export interface RunRecord {
  /** Unique, sortable by start time: `20261129T101504Z-1a2b3c`. */
  id: string;
  /** The engine operation (`plan`, `plan-destroy`, `apply`). */
  operation: string;
  /** Process id of the wrapper shell; it leads its own session and process group (pgid = pid). */
  pid: number;
  /** Start time of the wrapper process in clock ticks since boot (`/proc/PID/stat` field 22), to tell a reused pid. */
  procStart?: number;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Who started it: the console or `--ci` process, user and host. */
  owner: { pid: number; user: string; host: string };
  /** sha256 (hex) of the plan file an apply applies; for a plan, of the plan file it wrote (set when it ended). */
  planHash?: string;
  /** The plan file (read by apply, written by plan). */
  planFile?: string;
  /** Paths of the run's stdout, stderr and exit-status files. */
  out: string;
  err: string;
  exit: string;
  /** Set once the outcome has been shown to an operator (by the owner, or by a console that found it ended). */
  reported?: boolean;
}

/** A new run id: UTC time to the second plus 6 random hex digits. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/** The paths of run `id`'s files in `runsDir`. */
export function runPaths(runsDir: string, id: string): { record: string; out: string; err: string; exit: string } {
  return { record: join(runsDir, `${id}.json`), out: join(runsDir, `${id}.out`), err: join(runsDir, `${id}.err`), exit: join(runsDir, `${id}.exit`) };
}

/** Who this process is, for `owner`. */
export function thisOwner(): RunRecord['owner'] {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: keep $USER */
  }
  return { pid: process.pid, user, host: hostname() };
}

/**
 * Writes (or rewrites) a run record atomically, mode 0600 ({@link writeFileAtomic}); creates
 * `runsDir` (mode 0700) when missing.
 * @throws ConsoleError "cannot write FILE: …" as {@link writeFileAtomic}; the fs error of mkdir.
 */
export async function writeRunRecord(runsDir: string, rec: RunRecord): Promise<void> {
  await mkdir(runsDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(runPaths(runsDir, rec.id).record, JSON.stringify(rec, null, 1) + '\n', { mode: 0o600 });
}

/** The exit status written by the wrapper, or undefined while the run goes on (or if it was killed). */
export async function readExitStatus(rec: RunRecord): Promise<number | undefined> {
  const text = await readFile(rec.exit, 'utf8').catch(() => '');
  const n = Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : undefined;
}

/** The state of a run: still running, ended with a status, or gone without one (killed). */
export type RunStatus = { kind: 'running' } | { kind: 'ended'; exitCode: number } | { kind: 'vanished' };

/** Reads whether run `rec` is running, ended (its exit status), or vanished (process gone, no status). */
export async function runStatus(rec: RunRecord): Promise<RunStatus> {
  const code = await readExitStatus(rec);
  if (code !== undefined) return { kind: 'ended', exitCode: code };
  if (processAlive(rec.pid, rec.procStart)) return { kind: 'running' };
  // It may have ended between the two reads.
  const again = await readExitStatus(rec);
  return again !== undefined ? { kind: 'ended', exitCode: again } : { kind: 'vanished' };
}

/** Every run record in `runsDir`, oldest first; unreadable ones are skipped. */
export async function listRuns(runsDir: string): Promise<RunRecord[]> {
  const names = await readdir(runsDir).catch(() => [] as string[]);
  const out: RunRecord[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    try {
      const rec = JSON.parse(await readFile(join(runsDir, n), 'utf8')) as RunRecord;
      if (typeof rec.id === 'string' && typeof rec.pid === 'number') out.push(rec);
    } catch {
      /* a torn or foreign file: not a run */
    }
  }
  return out;
}

/** Removes the files of runs that ended (and were reported) more than `maxAgeMs` ago. Never throws. */
export async function pruneRuns(runsDir: string, maxAgeMs: number, now = Date.now()): Promise<void> {
  for (const rec of await listRuns(runsDir)) {
    if (!rec.reported) continue;
    const st = await stat(runPaths(runsDir, rec.id).record).catch(() => undefined);
    if (!st || now - st.mtimeMs < maxAgeMs) continue;
    for (const p of Object.values(runPaths(runsDir, rec.id))) await rm(p, { force: true }).catch(() => undefined);
  }
}
