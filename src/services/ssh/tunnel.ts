/**
 * Local port forwards through the bastion (`ssh -L` without the shell): a TCP listener on
 * 127.0.0.1 whose every connection becomes a `direct-tcpip` channel from the bastion to the
 * destination. The console lists them and closes them on quit.
 */
import net from 'node:net';
import type { Client } from 'ssh2';
import { SshError } from '../../core/errors.js';
import { forwardVia } from './connection.js';

/** One open tunnel. */
export interface Tunnel {
  /** 127.0.0.1 port that is forwarded. */
  localPort: number;
  /** The destination as the bastion sees it. */
  remoteHost: string;
  remotePort: number;
  /** What it is for, e.g. "kubeapi (internal load balancer)". */
  label: string;
  /** Connections currently open / ever accepted. */
  stats(): { open: number; total: number; bytesIn: number; bytesOut: number; lastError?: string };
  /** Stops listening and ends every forwarded connection and the bastion session. Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1:`localPort` (0 picks a free port) and forwards each connection through
 * `bastion` to `remoteHost:remotePort`. The tunnel owns `bastion` and ends it on close.
 * @throws SshError when the local port cannot be bound (in use, or privileged).
 */
export async function openTunnel(bastion: Client, o: { localPort?: number; remoteHost: string; remotePort: number; label: string }): Promise<Tunnel> {
  const sockets = new Set<net.Socket>();
  let total = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let lastError: string | undefined;
  const server = net.createServer((sock) => {
    total++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.pause();
    forwardVia(bastion, o.remoteHost, o.remotePort, o.label).then(
      (ch) => {
        sock.on('data', (d: Buffer) => {
          bytesOut += d.length;
        });
        ch.on('data', (d: Buffer) => {
          bytesIn += d.length;
        });
        sock.pipe(ch).pipe(sock);
        ch.on('close', () => sock.destroy());
        sock.on('close', () => ch.close());
        sock.resume();
      },
      (err: Error) => {
        lastError = err.message;
        sock.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new SshError(`cannot listen on 127.0.0.1:${o.localPort ?? 0}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`, 'pick another local port')),
    );
    server.listen(o.localPort ?? 0, '127.0.0.1', () => resolve());
  });
  const bastionClosed = () => {
    lastError = 'the bastion connection closed';
    server.close();
    for (const s of sockets) s.destroy();
  };
  bastion.once('close', bastionClosed);
  let closed: Promise<void> | undefined;
  return {
    localPort: (server.address() as net.AddressInfo).port,
    remoteHost: o.remoteHost,
    remotePort: o.remotePort,
    label: o.label,
    stats: () => ({ open: sockets.size, total, bytesIn, bytesOut, ...(lastError ? { lastError } : {}) }),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        bastion.off('close', bastionClosed);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        bastion.end();
      })),
  };
}
