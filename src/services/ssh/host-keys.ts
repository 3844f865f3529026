/**
 * Host-key verification for ssh2 connections, OpenSSH's model: the key must be in the
 * known_hosts file; an unknown key is added only when the caller's policy accepts it (the
 * console asks with the SHA256 fingerprint, `--ci` needs `--accept-new-host-key`); a changed
 * or revoked key is always refused.
 */
import { SshError } from '../../core/errors.js';
import { addHostKey, checkHostKey, fingerprintSha256, hostKeyName, keyTypeOfBlob, removeHint } from './known-hosts.js';

/** The host a key was offered by, as the policy sees it. */
export interface UnknownHostKey {
  /** `host` or `[host]:port`, as in known_hosts. */
  name: string;
  /** What the operator knows it by (e.g. "bastion 203.0.113.10", "node-1 (i-0abc…)"). */
  label: string;
  keyType: string;
  /** `SHA256:…`, as OpenSSH prints it. */
  fingerprint: string;
}

/** Decides on a key that is not in known_hosts: true accepts (and remembers) it. */
export type UnknownHostPolicy = (key: UnknownHostKey) => Promise<boolean>;

/**
 * Makes an ssh2 `hostVerifier` for one host. When it refuses, `refusal()` gives the SshError to
 * report instead of ssh2's generic "Host denied (verification failed)".
 */
export function hostVerifier(o: { knownHostsFile: string; host: string; port: number; label: string; policy: UnknownHostPolicy }): {
  verify: (key: Buffer, done: (ok: boolean) => void) => void;
  refusal: () => SshError | undefined;
} {
  let refused: SshError | undefined;
  const name = hostKeyName(o.host, o.port);
  const verify = (key: Buffer, done: (ok: boolean) => void): void => {
    const keyType = keyTypeOfBlob(key) ?? 'unknown';
    const fingerprint = fingerprintSha256(key);
    void (async () => {
      const r = await checkHostKey(o.knownHostsFile, o.host, o.port, keyType, key);
      if (r.status === 'known') return true;
      if (r.status === 'revoked') {
        refused = new SshError(`the host key of ${o.label} (${name}) is REVOKED in ${o.knownHostsFile} line ${r.line}: connection refused`, `${fingerprint} must not be trusted; ask who manages ${name}`);
        return false;
      }
      if (r.status === 'changed') {
        refused = new SshError(
          `WARNING: the host key of ${o.label} (${name}) has CHANGED. Someone could be intercepting the connection, or the host was rebuilt. Known ${r.knownType} key ${r.knownFingerprint} (${o.knownHostsFile} line ${r.line}), offered ${keyType} key ${fingerprint}. Connection refused.`,
          `only if you know the host was rebuilt: ${removeHint(o.knownHostsFile, r.line, o.host, o.port)}`,
        );
        return false;
      }
      const ok = await o.policy({ name, label: o.label, keyType, fingerprint });
      if (!ok) {
        refused = new SshError(
          `the host key of ${o.label} (${name}) is not known: ${keyType} ${fingerprint}`,
          `check the fingerprint with the host's owner; accept it in the console, or with --accept-new-host-key (it is then remembered in ${o.knownHostsFile})`,
        );
        return false;
      }
      await addHostKey(o.knownHostsFile, o.host, o.port, keyType, key, { hash: true });
      return true;
    })().then(done, (err: unknown) => {
      refused = new SshError(`cannot check the host key of ${o.label}: ${(err as Error).message}`, `check ${o.knownHostsFile}`);
      done(false);
    });
  };
  return { verify, refusal: () => refused };
}
