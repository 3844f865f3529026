/**
 * Which host an SSH target names, and which bastion to hop through: from instance rows
 * (the Instances pane's, or `--ci`'s own listing), Terraform outputs and command-line options.
 */
import { SshError } from '../../core/errors.js';
import type { InstanceRow } from '../aws/instances.js';
import { parseEndpoint, type SshEndpoint } from './endpoint.js';

/** A host to open a session on, with what the operator knows it by. */
export interface SshTarget extends SshEndpoint {
  /** What messages call it: the Name tag and instance id, or HOST:PORT. */
  label: string;
  /** The instance's Role tag (bastion, secure, compute) when the target is an instance; '' otherwise. */
  role: string;
  /** The instance id, when the target is an instance. */
  instanceId?: string;
}

/** Default login user per role: the platform's AMI is Ubuntu, whose cloud user is `ubuntu`. */
export const DEFAULT_USER = 'ubuntu';

const LIVE = new Set(['running', 'pending']);

/** The target of one instance row: its private address, port 22. */
export function targetOfInstance(row: InstanceRow): SshTarget {
  if (!row.privateIp) throw new SshError(`${row.name || row.id} (${row.id}) has no private address (state ${row.state})`, 'only running instances can be reached');
  return { host: row.privateIp, port: 22, label: `${row.name || row.id} (${row.id})`, role: row.role, instanceId: row.id };
}

/**
 * Resolves TARGET: an instance id (`i-…`), a Name tag (exactly one running instance), or
 * `HOST[:PORT]` (used as given). Instances are reached on their private address.
 * @throws SshError when an id or name matches no live instance, or a name matches several.
 */
export function resolveTarget(spec: string, instances: readonly InstanceRow[]): SshTarget {
  const live = instances.filter((r) => LIVE.has(r.state));
  if (/^i-[0-9a-f]{8,17}$/.test(spec)) {
    const row = instances.find((r) => r.id === spec);
    if (!row) throw new SshError(`no instance ${spec} in this environment`, 'list them with --ci instances');
    return targetOfInstance(row);
  }
  const named = live.filter((r) => r.name === spec);
  if (named.length === 1) return targetOfInstance(named[0]!);
  if (named.length > 1) throw new SshError(`${named.length} running instances are named ${spec}: ${named.map((r) => r.id).join(', ')}`, 'give an instance id instead');
  if (instances.some((r) => r.name === spec)) throw new SshError(`the instance named ${spec} is not running`, 'start it, or pick a running one with --ci instances');
  const e = parseEndpoint(spec, 'target');
  return { ...e, label: `${e.host}:${e.port}`, role: '' };
}

/** The live instances of a role (`bastion`, `secure`, `compute`), as targets. */
export function targetsOfRole(role: string, instances: readonly InstanceRow[]): SshTarget[] {
  return instances.filter((r) => r.role === role && LIVE.has(r.state) && r.privateIp).map(targetOfInstance);
}

/**
 * The bastion's endpoint: `--bastion HOST[:PORT]` when given, else the Terraform output
 * `bastion_public_ip`, else the public address of the running instance whose Role is bastion.
 * @throws SshError when none is known (the platform is not applied, or the bastion has no public address).
 */
export function resolveBastion(option: string | undefined, outputIp: string | undefined, instances: readonly InstanceRow[]): SshEndpoint & { label: string } {
  if (option) {
    const e = parseEndpoint(option, '--bastion');
    return { ...e, label: `bastion ${e.host}:${e.port}` };
  }
  if (outputIp) return { host: outputIp, port: 22, label: `bastion ${outputIp}` };
  const b = instances.find((r) => r.role === 'bastion' && r.state === 'running' && r.publicIp);
  if (b) return { host: b.publicIp, port: 22, label: `bastion ${b.name || b.id} ${b.publicIp}` };
  throw new SshError('no bastion address is known for this environment', 'apply the platform first (the bastion has a public address), or give --bastion HOST[:PORT]');
}
