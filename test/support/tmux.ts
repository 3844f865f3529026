import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether tmux is installed (the end-to-end tests drive the console in it). */
export function tmuxAvailable(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A program running in a real pseudo-terminal: a detached tmux session on a private server socket
 * (`tmux -L`), so tests never touch the developer's own tmux.
 */
export class TmuxScreen {
  private constructor(
    readonly socket: string,
    readonly name: string,
  ) {}

  /** Starts `command` (a shell command line) in a `columns`×`rows` terminal. */
  static async start(command: string, columns = 160, rows = 48): Promise<TmuxScreen> {
    const socket = `pc-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const s = new TmuxScreen(socket, 'console');
    await run('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', s.name, '-x', String(columns), '-y', String(rows), command]);
    await run('tmux', ['-L', socket, 'set-option', '-t', s.name, 'remain-on-exit', 'on']);
    return s;
  }

  /** The screen's text now. */
  async capture(): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', this.name]);
    return stdout;
  }

  /** Sends keys as tmux names them (`p`, `Enter`, `Escape`, literal text with `literal`). */
  async send(keys: string, literal = false): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, ...(literal ? ['-l'] : []), keys]);
  }

  /** Waits until the screen matches `re`; returns the screen. Throws with the last screen on timeout. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < end) {
      screen = await this.capture();
      if (re.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`screen never matched ${re} within ${timeoutMs} ms; last screen:\n${screen}`);
  }

  /** Whether the program has exited (pane dead), its exit status, and the signal that ended it if one did. */
  async exited(): Promise<{ dead: boolean; status: number | undefined; signal?: number }> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'display-message', '-p', '-t', this.name, '#{pane_dead} #{pane_dead_status} #{pane_dead_signal}']);
    const [dead, status, signal] = stdout.trim().split(' ');
    return { dead: dead === '1', status: status ? Number(status) : undefined, ...(signal ? { signal: Number(signal) } : {}) };
  }

  /** Ends the session and its server. */
  async kill(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
  }
}
