/**
 * The credentials an SSH session offers: a private key file and/or the SSH agent.
 * Order (first that exists): `--identity FILE`, the profile's `ssh_identity_file`, the
 * environment's key where the seed copied it (`~/.ssh/kube-ENV`, `~/.ssh/kube-ENV.pem`,
 * `~/.ssh/ENV`, `~/.ssh/ENV.pem`: the EC2 key pair is named `kube-ENV`); the agent
 * (`SSH_AUTH_SOCK`) is offered as well whenever it is set.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import { SshError } from '../../core/errors.js';

/** What a connection authenticates with. At least one of `privateKey` and `agent` is set. */
export interface SshIdentity {
  /** The private key file's content (OpenSSH or PEM format). */
  privateKey?: Buffer;
  /** Where the key came from, for messages. */
  keyFile?: string;
  /** The agent's socket path. */
  agent?: string;
  /** `key ~/.ssh/kube-dev`, `ssh-agent`, or both, for messages. */
  describe: string;
}

/** Options of {@link resolveIdentity}. */
export interface IdentityOptions {
  /** `--identity FILE`: must exist. */
  identityFile?: string;
  /** The profile's `ssh_identity_file` ('' for none): must exist when set. */
  profileIdentityFile?: string;
  environment: string;
  /** Home directory (default `os.homedir()`). */
  home?: string;
  /** The agent socket (default `SSH_AUTH_SOCK`). */
  agentSocket?: string;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : resolve(p);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads and checks the identity. A key with a passphrase is refused with a hint to load it
 * into the agent (the console never asks for passphrases).
 * @throws SshError when a named file is missing or unreadable, a key cannot be parsed or is
 *   encrypted, or there is neither a key nor an agent.
 */
export async function resolveIdentity(o: IdentityOptions): Promise<SshIdentity> {
  const home = o.home ?? homedir();
  const agent = (o.agentSocket ?? process.env.SSH_AUTH_SOCK) || undefined;
  let keyFile: string | undefined;
  for (const [given, what] of [
    [o.identityFile, '--identity'],
    [o.profileIdentityFile, "the profile's ssh_identity_file"],
  ] as const) {
    if (!given) continue;
    const p = expandHome(given, home);
    if (!(await isFile(p))) throw new SshError(`${what} ${given}: no such file`, 'give the private key file of the environment\'s key pair');
    keyFile = p;
    break;
  }
  if (!keyFile) {
    for (const name of [`kube-${o.environment}`, `kube-${o.environment}.pem`, o.environment, `${o.environment}.pem`]) {
      const p = join(home, '.ssh', name);
      if (await isFile(p)) {
        keyFile = p;
        break;
      }
    }
  }
  if (!keyFile && !agent) {
    throw new SshError(
      `no SSH identity for ${o.environment}: no --identity, no ssh_identity_file in the profile, no ~/.ssh/kube-${o.environment} and no SSH agent`,
      `give --identity FILE, set ssh_identity_file in profiles/${o.environment}.tfvars, or load the key into ssh-agent`,
    );
  }
  if (!keyFile) return { agent, describe: 'ssh-agent' };
  let privateKey: Buffer;
  try {
    privateKey = await readFile(keyFile);
  } catch (err) {
    throw new SshError(`cannot read the SSH key ${keyFile}: ${(err as Error).message}`, 'check the file and its permissions');
  }
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    if (/passphrase|encrypted/i.test(parsed.message) && agent) return { agent, describe: 'ssh-agent' };
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    throw new SshError(
      encrypted ? `the SSH key ${keyFile} has a passphrase` : `${keyFile} is not an SSH private key: ${parsed.message}`,
      encrypted ? `load it into the agent (ssh-add ${keyFile}) and try again: the console never asks for passphrases` : 'give the private half of the key pair (OpenSSH or PEM format)',
    );
  }
  return { privateKey, keyFile, agent, describe: agent ? `key ${keyFile}, ssh-agent` : `key ${keyFile}` };
}
