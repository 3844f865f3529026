/**
 * SSH endpoints: `HOST[:PORT]` as operators type them (and as `--bastion` takes them).
 */
import { UsageError } from '../../core/errors.js';

/** A TCP endpoint of an SSH server. */
export interface SshEndpoint {
  /** Host name, IPv4 address or IPv6 address (without brackets). */
  host: string;
  /** TCP port, 1–65535 (22 unless given). */
  port: number;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/**
 * Parses `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT` (OpenSSH's bracket form for IPv6 literals).
 * @throws UsageError when the host or the port is not valid (`what` names the option in the message).
 */
export function parseEndpoint(text: string, what = 'host', defaultPort = 22): SshEndpoint {
  const s = text.trim();
  let host = s;
  let port = String(defaultPort);
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = v6[2];
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0 && s.indexOf(':') === i) {
      host = s.slice(0, i);
      port = s.slice(i + 1);
    }
    if (!HOSTNAME.test(host)) throw new UsageError(`${what} "${text}" is not a host name or address`, 'give HOST or HOST:PORT, e.g. 203.0.113.10:22');
  }
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) throw new UsageError(`${what} "${text}" has an invalid port "${port}"`, 'a port is a number from 1 to 65535');
  return { host, port: n };
}

/** `host:port`, or `[v6]:port`, for messages. */
export function formatEndpoint(e: SshEndpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}
