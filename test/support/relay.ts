import { createServer, connect, type Server, type Socket } from 'node:net';
import { killOnExit } from './exit-hook.js';

/** A TCP relay on 127.0.0.1 in front of a local port, that a test can cut and restore. */
export interface Relay {
  /** The relay's own port (stays the same across cut and restore). */
  port: number;
  /** Closes the listener and every open connection: new connections are refused until restore(). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** Starts a relay 127.0.0.1:(free port) → 127.0.0.1:targetPort. Loopback only. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let server: Server;
  const make = () =>
    createServer((client) => {
      accepted++;
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = make();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);
  const closeAll = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  killOnExit(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return {
    port,
    cut: closeAll,
    restore: async () => {
      await listen(port);
    },
    get accepted() {
      return accepted;
    },
    close: closeAll,
  };
}
