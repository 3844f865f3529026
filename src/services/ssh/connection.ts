/**
 * SSH connections through the bastion with ssh2: one connection to the bastion, a
 * `direct-tcpip` channel (forwardOut) from it to the node's private address, and a second
 * SSH session over that channel. Both host keys are verified against known_hosts.
 */
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { SshError } from '../../core/errors.js';
import { formatEndpoint, type SshEndpoint } from './endpoint.js';
import { hostVerifier, type UnknownHostPolicy } from './host-keys.js';
import type { SshIdentity } from './identity.js';

/** Everything a connection needs besides the target. */
export interface SshSettings {
  /** The bastion to hop through; undefined connects to the target directly. */
  bastion?: SshEndpoint & { label?: string };
  /** Login user on the nodes. */
  user: string;
  /** Login user on the bastion (default: `user`). */
  bastionUser?: string;
  identity: SshIdentity;
  /** The known_hosts file (OpenSSH format) both host keys are checked against. */
  knownHostsFile: string;
  /** What to do with a host key that is not in known_hosts. */
  onUnknownHost: UnknownHostPolicy;
  /** Limit for each hop's TCP connect + SSH handshake + authentication, ms (default 10,000). */
  timeoutMs?: number;
  /** Seconds between keepalives (default 15); the connection is dropped after 3 missed ones. */
  keepaliveSeconds?: number;
}

/** An open session on one host (and the bastion connection under it). */
export interface SshConnection {
  /** The node's session (the bastion's own when there was no hop). */
  client: Client;
  /** The bastion's session, when there was one. */
  bastion?: Client;
  /** Label of the host, for messages. */
  label: string;
  /** Closes both sessions. Idempotent. */
  close(): void;
}

/** Text for an ssh2 error: what failed and why, in the operator's terms. */
function explain(err: Error & { level?: string; code?: string }, where: string, user: string, identity: SshIdentity): SshError {
  const level = err.level ?? '';
  if (level === 'client-authentication') {
    return new SshError(`${where}: permission denied for user ${user} (publickey; offered ${identity.describe})`, 'check --user and --identity: the key must be in the user\'s authorized_keys');
  }
  if (level === 'client-timeout') return new SshError(`${where}: no SSH answer in time (connection or handshake timed out)`, 'check the address, the port and that your address is in ssh_access_list');
  if (err.code === 'ECONNREFUSED') return new SshError(`${where}: connection refused`, 'is sshd running there, and is the port right?');
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new SshError(`${where}: host name not found`, 'check the address');
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return new SshError(`${where}: no route to host`, 'check the address and your network');
  return new SshError(`${where}: ${err.message}`);
}

/** Opens one SSH session, over `sock` when given; rejects with an SshError. */
function openSession(target: SshEndpoint & { label: string }, user: string, s: SshSettings, sock?: Duplex): Promise<Client> {
  const client = new ssh2.Client();
  // Our own handshake timer instead of ssh2's readyTimeout: it stops while the operator is asked
  // about an unknown host key (OpenSSH does not time out at that prompt either).
  const limitMs = s.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let onTimeout: () => void = () => undefined;
  const arm = () => {
    timer = setTimeout(() => onTimeout(), limitMs);
  };
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const policy: UnknownHostPolicy = async (k) => {
    disarm();
    try {
      return await s.onUnknownHost(k);
    } finally {
      arm();
    }
  };
  const hv = hostVerifier({ knownHostsFile: s.knownHostsFile, host: target.host, port: target.port, label: target.label, policy });
  const where = `ssh ${user}@${target.label}${target.label.includes(formatEndpoint(target)) ? '' : ` (${formatEndpoint(target)})`}`;
  const cfg: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: user,
    readyTimeout: 0,
    keepaliveInterval: (s.keepaliveSeconds ?? 15) * 1000,
    keepaliveCountMax: 3,
    hostVerifier: hv.verify,
    ...(s.identity.privateKey ? { privateKey: s.identity.privateKey } : {}),
    ...(s.identity.agent ? { agent: s.identity.agent } : {}),
    ...(sock ? { sock } : {}),
  };
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    onTimeout = () => {
      if (settled) return;
      settled = true;
      // destroy, not end: end() half-closes and leaves a silent peer's socket open (ssh2's
      // destroy() does nothing once the socket is no longer writable).
      client.destroy();
      reject(new SshError(`${where}: no SSH answer in ${(limitMs / 1000).toFixed(1)} s (connection or handshake timed out)`, 'check the address, the port and that your address is in ssh_access_list'));
    };
    arm();
    client.once('ready', () => {
      disarm();
      settled = true;
      resolve(client);
    });
    // `on`, not `once`: ssh2 can emit a second error (e.g. "Connection lost before handshake"
    // after a timeout), and a later one mid-session; unhandled, either would end the process.
    client.on('error', (err: Error) => {
      if (settled) return;
      disarm();
      settled = true;
      client.end();
      reject(hv.refusal() ?? explain(err, where, user, s.identity));
    });
    client.once('close', () => {
      if (settled) return;
      disarm();
      settled = true;
      reject(hv.refusal() ?? new SshError(`${where}: the connection closed during the handshake`));
    });
    client.connect(cfg);
    // TCP_NODELAY on our own socket (a no-op over a forwarded channel). ssh2 writes each packet
    // in several pieces (AES-GCM: length, ciphertext, tag); with Nagle's algorithm the later
    // pieces wait for the server's delayed ACK (40 ms on Linux), on every round trip of the
    // handshake and authentication, and on the window adjusts of a download.
    if (!sock) client.setNoDelay(true);
  });
}

/**
 * Opens a `direct-tcpip` channel from the bastion to `host:port` (the bastion connects to it).
 * @throws SshError when the bastion refuses or cannot reach it.
 */
export function forwardVia(bastion: Client, host: string, port: number, what: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err) reject(new SshError(`the bastion could not open a channel to ${what} (${host}:${port}): ${err.message}`, 'is the host up, and does its security group admit SSH from the bastion?'));
      else resolve(stream);
    });
  });
}

/** Connects to the bastion alone (for tunnels). @throws SshError */
export async function connectBastion(s: SshSettings): Promise<Client> {
  if (!s.bastion) throw new SshError('no bastion to connect to');
  return openSession({ ...s.bastion, label: s.bastion.label ?? `bastion ${formatEndpoint(s.bastion)}` }, s.bastionUser ?? s.user, s);
}

/**
 * Connects to `target`, through the bastion when the settings name one (reusing `via`, an open
 * bastion session, when given: fan-out shares one).
 * @throws SshError (exit code 255) on connect, host-key, authentication or channel failure.
 */
export async function connect(target: SshEndpoint & { label: string }, s: SshSettings, via?: Client): Promise<SshConnection> {
  if (!s.bastion) {
    const client = await openSession(target, s.user, s);
    return { client, label: target.label, close: () => client.end() };
  }
  const bastion = via ?? (await connectBastion(s));
  const ownBastion = !via;
  try {
    const channel = await forwardVia(bastion, target.host, target.port, target.label);
    const client = await openSession(target, s.user, s, channel);
    return {
      client,
      bastion,
      label: target.label,
      close: () => {
        client.end();
        if (ownBastion) bastion.end();
      },
    };
  } catch (err) {
    if (ownBastion) bastion.end();
    throw err;
  }
}
