/**
 * `--ci fleet [--json] [--playground-age DAYS]`: every environment of `profiles/` on one screen,
 * read from the state buckets only (the state and lock objects, history records), with what
 * needs the operator first. Exit 0 when nothing needs attention, 2 when something does, 1 on an
 * error that stops the whole listing (the emulator, the profiles directory); one environment that
 * cannot be read is a row that says why (and needs attention).
 */
import { failureText } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { readFleet } from '../services/fleet/read.js';
import { fleetCells } from '../core/fleet-cells.js';
import { DEFAULT_RULES, type FleetRow } from '../services/fleet/rows.js';

/** While the fleet is read, a progress line this often (ms). */
export const PROGRESS_EVERY_MS = 2_000;

/** Options of {@link runCiFleet}. */
export interface CiFleetOptions {
  local: boolean;
  json: boolean;
  playgroundAgeMs?: number;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The row as one line of text columns (environment, region, lock, last operation, drift, state, what it needs). */
export function fleetLine(r: FleetRow, now: number): string[] {
  const c = fleetCells(r, now);
  return [r.environment, r.region || '-', c.lock, c.last, c.drift, c.state, c.needs];
}

/** Columns padded to their widest cell (the last one left as it is). */
function columns(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/**
 * Runs `--ci fleet`. In local mode the emulator is started when it is not running (as the console
 * does) and only environments with state or history in it are listed.
 * @returns the exit code: 0 all clear, 2 attention, 1 error.
 */
export async function runCiFleet(o: CiFleetOptions): Promise<number> {
  const started = Date.now();
  try {
    let emulator: { endpoint: string } | undefined;
    if (o.local) {
      const { ensureEmulator } = await import('../services/local/emulator.js');
      const emu = await ensureEmulator({ ...(o.env.PLATFORM_LOCAL_DIR ? { stateDir: o.env.PLATFORM_LOCAL_DIR } : {}) });
      emulator = { endpoint: emu.endpoint };
    }
    const now = Date.now();
    // Progress: the count at the start, then every PROGRESS_EVERY_MS while reading (stderr, or
    // {"type":"progress"} events with --json, as the other commands say theirs).
    const progress = (text: string) => (o.json ? o.out(JSON.stringify({ type: 'progress', message: text, timestamp: new Date().toISOString() })) : o.err(`fleet: ${text}`));
    let read = { done: 0, total: 0 };
    const ticker = setInterval(() => progress(`read ${read.done} of ${read.total} environments`), PROGRESS_EVERY_MS);
    let rows: Awaited<ReturnType<typeof readFleet>>;
    try {
      rows = await readFleet({
        paths: o.paths,
        env: o.env,
        ...(emulator ? { emulator } : {}),
        rules: { ...DEFAULT_RULES, ...(o.playgroundAgeMs ? { playgroundAgeMs: o.playgroundAgeMs } : {}) },
        now: () => now,
        onProgress: (done, total) => {
          if (done === 0) progress(`reading ${total} environment${total === 1 ? '' : 's'} of ${o.paths.profiles}`);
          read = { done, total };
        },
      });
    } finally {
      clearInterval(ticker);
    }
    const attention = rows.filter((r) => r.attention.length).length;
    const code = attention ? 2 : 0;
    if (o.json) {
      for (const r of rows) o.out(JSON.stringify({ type: 'fleet_row', ...r }));
      o.out(JSON.stringify({ type: 'summary', command: 'fleet', ok: true, exit_code: code, count: rows.length, attention, duration_ms: Date.now() - started }));
    } else {
      if (!rows.length) o.err(o.local ? 'no environment of profiles/ has state or history in the local emulator' : `no profiles in ${o.paths.profiles}`);
      else for (const l of columns([['ENVIRONMENT', 'REGION', 'LOCK', 'LAST OPERATION', 'DRIFT', 'STATE', 'NEEDS'], ...rows.map((r) => fleetLine(r, now))])) o.out(l);
      o.out(`fleet: ${rows.length} environment${rows.length === 1 ? '' : 's'}, ${attention} need${attention === 1 ? 's' : ''} attention`);
    }
    return code;
  } catch (e) {
    if (o.json) o.out(JSON.stringify({ type: 'summary', command: 'fleet', ok: false, exit_code: 1, error: (e as Error).message, duration_ms: Date.now() - started }));
    o.err(failureText(e, o.env).trimEnd());
    return 1;
  }
}
