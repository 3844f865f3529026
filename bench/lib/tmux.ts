/**
 * A private tmux server (`-L SOCKET`, no config) for the benchmarks that time the console in a
 * pseudo-terminal: its commands, tracked for the cleanup like any child, and refused while an
 * interrupt is cleaning up (except the cleanup's own).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { isStopping, onCleanup, track } from './proc.js';

/** One tmux client command on the private server `socket`; resolves with its exit code and output (10 s timeout). */
export function tmux(socket: string, args: readonly string[], duringCleanup = false): Promise<{ code: number; stdout: string; stderr: string }> {
  // While interrupted, only the cleanup's own tmux commands run: no new session (and no new server).
  if (isStopping() && !duringCleanup) return Promise.resolve({ code: 1, stdout: '', stderr: 'interrupted: cleaning up' });
  return new Promise((resolve) => {
    const child = execFile('tmux', ['-L', socket, '-f', '/dev/null', ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      const c = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof c === 'number' ? c : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    track(child);
  });
}

/** `s` as one POSIX shell word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `K='v' …` for `env -i`: the defined entries of `env`, shell-quoted. */
export function envWords(env: NodeJS.ProcessEnv): string {
  return Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${shellQuote(v as string)}`)
    .join(' ');
}

/** A started private tmux server. */
export interface PrivateTmux {
  socket: string;
  /** Kills the server (every session in it) and removes its socket file; also run on cleanup. Runs once. */
  stop(): Promise<void>;
}

/**
 * Starts a private tmux server on socket `socket`, kept alive by an idle session (`sleep`), so
 * that the server's own start-up is not counted in the sessions timed afterwards. Its stop is
 * registered for the cleanup before anything is started, so an interrupt or a failure anywhere
 * after this call still kills the server.
 */
export async function startPrivateTmux(socket: string): Promise<PrivateTmux> {
  let socketPath = '';
  let started = false;
  const stop = onCleanup(async () => {
    if (!started) return;
    await tmux(socket, ['kill-server'], true);
    // tmux may leave its socket file behind: remove ours.
    if (socketPath.endsWith(`/${socket}`)) await rm(socketPath, { force: true });
  });
  try {
    // Counted as started before the command: if it fails half-way, kill-server is harmless.
    started = true;
    const idle = await tmux(socket, ['new-session', '-d', '-s', 'idle', '-x', '80', '-y', '24', 'sleep 86400']);
    if (idle.code !== 0) throw new Error(`tmux new-session failed: ${idle.stderr.trim()}`);
    socketPath = (await tmux(socket, ['display-message', '-p', '-t', 'idle', '#{socket_path}'])).stdout.trim();
  } catch (err) {
    await stop();
    throw err;
  }
  return { socket, stop };
}

/**
 * Ends session `name` as an operator would: sends `q`, waits up to `waitMs` for the session to
 * close, and kills it if it has not. Resolves true when it ended on `q`.
 */
export async function quitSession(socket: string, name: string, waitMs: number): Promise<boolean> {
  await tmux(socket, ['send-keys', '-t', name, 'q']);
  const end = Date.now() + waitMs;
  const alive = async () => (await tmux(socket, ['has-session', '-t', name], true)).code === 0;
  while (Date.now() < end && (await alive())) await new Promise((r) => setTimeout(r, 20));
  if (!(await alive())) return true;
  await tmux(socket, ['kill-session', '-t', name], true);
  return false;
}
