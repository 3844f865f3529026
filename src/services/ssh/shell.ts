/**
 * An interactive remote shell on the local terminal: raw mode, the terminal's size and type,
 * window-change on resize; the terminal is restored exactly when the shell ends. The console
 * calls it inside Ink's `suspendTerminal`, `--ci ssh` with no command calls it directly.
 */
import type { Client } from 'ssh2';
import { SshError } from '../../core/errors.js';
import type { RemoteExit } from './exec.js';

/** The local terminal the shell takes over. */
export interface ShellTerminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/**
 * Opens a shell with a pseudo-terminal (`$TERM`, else xterm-256color) and connects it to the
 * terminal until the remote side closes. Returns the remote exit status (255 without one).
 * @throws SshError when the server refuses the pty or the shell.
 */
export function interactiveShell(client: Client, t: ShellTerminal): Promise<RemoteExit> {
  const { stdin, stdout } = t;
  const size = () => ({ rows: stdout.rows || 24, cols: stdout.columns || 80 });
  return new Promise((resolve, reject) => {
    const { rows, cols } = size();
    client.shell({ term: process.env.TERM || 'xterm-256color', rows, cols, width: 0, height: 0 }, (err, stream) => {
      if (err) return reject(new SshError(`the server refused a shell: ${err.message}`));
      const wasRaw = stdin.isTTY ? stdin.isRaw : false;
      if (stdin.isTTY) stdin.setRawMode(true);
      const onResize = () => {
        const s = size();
        stream.setWindow(s.rows, s.cols, 0, 0);
      };
      const onData = (d: Buffer) => stream.write(d);
      stdout.on('resize', onResize);
      stdin.on('data', onData);
      stdin.resume();
      stream.on('data', (d: Buffer) => stdout.write(d));
      stream.stderr.on('data', (d: Buffer) => stdout.write(d));
      let exit: RemoteExit | undefined;
      stream.on('exit', (code: number | null, signal?: string) => {
        exit = code === null || code === undefined ? { code: 255, signal: signal ?? undefined } : { code };
      });
      stream.on('close', () => {
        stdout.off('resize', onResize);
        stdin.off('data', onData);
        if (stdin.isTTY) stdin.setRawMode(wasRaw);
        stdin.pause();
        resolve(exit ?? { code: 255 });
      });
    });
  });
}
