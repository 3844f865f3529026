/**
 * The EC2 instances of one environment, for the Instances pane and `--ci instances`: a fast,
 * fully paginated listing ({@link listInstances}), one instance's details ({@link describeInstance}),
 * and the pure helpers the table uses to sort and filter rows ({@link sortInstances},
 * {@link filterInstances}, {@link formatLaunchTime}). Plain TypeScript, no Ink.
 *
 * Instances belong to an environment by their `Environment` tag: the root module applies it to
 * every taggable resource through the provider's `default_tags` (with `KubernetesCluster =
 * kube-ENV`, `ManagedBy`), and the bastion, secure and compute modules add `Name` and `Role`.
 */
import { formatLaunchTime } from '../../core/format.js';
import { type InstanceRow } from '../../core/instance-rows.js';

export { filterInstances, instanceSearchText, ipv4ToNumber, sortInstances, type InstanceRow } from '../../core/instance-rows.js';
import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  paginateDescribeInstances,
  type Instance,
  type Reservation,
} from '@aws-sdk/client-ec2';

import { AwsError, ConsoleError } from '../../core/errors.js';
import { clientConfig, type AwsContext } from './context.js';
import { toAwsError } from './errors.js';

/** Options every AWS call of the inventory services takes. */
export interface AwsCallOptions {
  /** Aborts the call (e.g. the pane closes, the poller stops, or `AbortSignal.timeout(ms)`); the promise then rejects. */
  signal?: AbortSignal;
  /**
   * SDK attempts per request (default 3, from {@link clientConfig}). 1 makes an unreachable
   * endpoint fail at once (the SDK otherwise retries connection errors with a back-off).
   */
  maxAttempts?: number;
}


/** Details of one instance, for the pane's Enter view. */
export interface InstanceDetails {
  id: string;
  /** The row as the table shows it (fresh from this call). */
  row: InstanceRow;
  /** Every tag, key → value. */
  tags: Record<string, string>;
  /** The instance's security groups (id `sg-…`, group name). */
  securityGroups: { id: string; name: string }[];
  /** Attached EBS volumes: id `vol-…`, device name (`/dev/xvda`), size in GiB and state (`in-use` …) from DescribeVolumes. */
  volumes: { id: string; device: string; sizeGiB?: number; state?: string }[];
  /** Network interfaces: id `eni-…`, primary private IP, subnet, description when set. */
  enis: { id: string; privateIp: string; subnetId: string; description?: string }[];
  /** '' when none (e.g. terminated). */
  subnetId: string;
  /** '' when none (e.g. terminated). */
  vpcId: string;
  /** AMI id, `ami-…`. */
  imageId: string;
  /** The EC2 key pair name, when the instance was launched with one. */
  keyName?: string;
}

/** DescribeInstances page size: the API's maximum (real AWS counts instances; moto counts reservations). */
export const DEFAULT_INSTANCE_PAGE_SIZE = 1000;

/** An EC2 client for this context; `maxAttempts` overrides the context's 3 attempts. */
export function ec2Client(ctx: AwsContext, opts: AwsCallOptions = {}): EC2Client {
  const cfg = clientConfig(ctx);
  return new EC2Client({ ...cfg, ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}) });
}

/**
 * The error to report for a failed call: a console error as it is; an aborted call by the
 * signal's reason (so `AbortSignal.timeout()` reads as "cannot reach … (TimeoutError)");
 * anything else through {@link toAwsError}.
 * @internal shared by the inventory services.
 */
export function inventoryError(err: unknown, what: string, ctx: AwsContext, signal?: AbortSignal): ConsoleError {
  if (err instanceof ConsoleError) return err;
  let cause = err;
  if (signal?.aborted && signal.reason !== undefined) {
    const r = signal.reason as { name?: string; message?: string };
    // A DOMException's numeric `code` would stand in the message: keep its name instead.
    cause = r?.name === 'TimeoutError' ? Object.assign(new Error(r.message || 'timed out', { cause: err }), { name: 'TimeoutError' }) : signal.reason;
  }
  return toAwsError(cause, what, ctx.endpoint);
}

/** The row of one SDK instance: one pass over its tags, no other allocation than the row. */
function toRow(i: Instance): InstanceRow {
  let name = '';
  let role = '';
  const tags = i.Tags;
  if (tags) {
    for (let t = 0; t < tags.length; t++) {
      const k = tags[t]!.Key;
      if (k === 'Name') name = tags[t]!.Value ?? '';
      else if (k === 'Role') role = tags[t]!.Value ?? '';
    }
  }
  return {
    id: i.InstanceId ?? '',
    name,
    role,
    privateIp: i.PrivateIpAddress ?? '',
    publicIp: i.PublicIpAddress ?? '',
    state: i.State?.Name ?? '',
    az: i.Placement?.AvailabilityZone ?? '',
    launchTime: i.LaunchTime ? i.LaunchTime.getTime() : 0,
    type: i.InstanceType ?? '',
  };
}

function byNameThenId(a: InstanceRow, b: InstanceRow): number {
  if (a.name !== b.name) {
    // Unnamed instances last.
    if (a.name === '') return 1;
    if (b.name === '') return -1;
    return a.name < b.name ? -1 : 1;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Every EC2 instance of `ctx.environment` (all states, terminated ones included while AWS still
 * lists them), sorted by name (unnamed last, plain code-point order) then id.
 *
 * One DescribeInstances call per page (SDK paginator, NextToken, `MaxResults` = `pageSize`),
 * filtered on the server by `tag:Environment = ctx.environment`: an account holds several
 * environments (playgrounds beside production), and a server-side filter sends only this one's
 * instances over the wire, in fewer pages, and matches what the Terraform modules tag (their
 * provider `default_tags`). Reservations are flattened; one object per instance is allocated.
 *
 * @param opts.onPage called after each page with the number of rows so far (for a progress line).
 * @param opts.pageSize `MaxResults` per page (5–1000, default 1000). Real AWS counts instances,
 *   moto counts reservations.
 * @returns rows as described by {@link InstanceRow}.
 * @throws AwsError or CredentialsError (through {@link toAwsError}, "listing instances: …"): denied,
 *   throttled, unreachable endpoint (also when `signal` is `AbortSignal.timeout()`), or aborted.
 */
export async function listInstances(
  ctx: AwsContext,
  opts: AwsCallOptions & { onPage?: (rowsSoFar: number) => void; pageSize?: number } = {},
): Promise<InstanceRow[]> {
  const client = ec2Client(ctx, opts);
  const rows: InstanceRow[] = [];
  try {
    const pages = paginateDescribeInstances(
      { client, pageSize: opts.pageSize ?? DEFAULT_INSTANCE_PAGE_SIZE },
      { Filters: [{ Name: 'tag:Environment', Values: [ctx.environment] }] },
      { abortSignal: opts.signal },
    );
    for await (const page of pages) {
      const reservations: Reservation[] = page.Reservations ?? [];
      for (let r = 0; r < reservations.length; r++) {
        const instances = reservations[r]!.Instances;
        if (!instances) continue;
        for (let i = 0; i < instances.length; i++) rows.push(toRow(instances[i]!));
      }
      opts.onPage?.(rows.length);
    }
  } catch (err) {
    throw inventoryError(err, 'listing instances', ctx, opts.signal);
  } finally {
    client.destroy();
  }
  return rows.sort(byNameThenId);
}

/**
 * One instance's details: DescribeInstances by id, then DescribeVolumes for the attached EBS
 * volumes (sizes in GiB, states). Does not check the instance's environment.
 * @param id an instance id, `i-…`.
 * @throws AwsError "describing instance ID: …" when the instance does not exist (any more), or
 *   the call fails (see {@link listInstances}); CredentialsError for refused credentials.
 */
export async function describeInstance(ctx: AwsContext, id: string, opts: AwsCallOptions = {}): Promise<InstanceDetails> {
  const client = ec2Client(ctx, opts);
  const what = `describing instance ${id}`;
  try {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }), { abortSignal: opts.signal });
    const inst = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    if (!inst) throw new AwsError(`${what}: no such instance`, 'refresh the list: it may have been terminated and purged');
    const tags: Record<string, string> = {};
    for (const t of inst.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
    const volumes: InstanceDetails['volumes'] = [];
    for (const m of inst.BlockDeviceMappings ?? []) {
      if (m.Ebs?.VolumeId) volumes.push({ id: m.Ebs.VolumeId, device: m.DeviceName ?? '' });
    }
    if (volumes.length) {
      const vols = await client.send(new DescribeVolumesCommand({ VolumeIds: volumes.map((v) => v.id) }), { abortSignal: opts.signal });
      const byId = new Map((vols.Volumes ?? []).map((v) => [v.VolumeId, v]));
      for (const v of volumes) {
        const d = byId.get(v.id);
        if (d?.Size !== undefined) v.sizeGiB = d.Size;
        if (d?.State !== undefined) v.state = d.State;
      }
    }
    return {
      id,
      row: toRow(inst),
      tags,
      securityGroups: (inst.SecurityGroups ?? []).map((g) => ({ id: g.GroupId ?? '', name: g.GroupName ?? '' })),
      volumes,
      enis: (inst.NetworkInterfaces ?? []).map((n) => ({
        id: n.NetworkInterfaceId ?? '',
        privateIp: n.PrivateIpAddress ?? '',
        subnetId: n.SubnetId ?? '',
        ...(n.Description ? { description: n.Description } : {}),
      })),
      subnetId: inst.SubnetId ?? '',
      vpcId: inst.VpcId ?? '',
      imageId: inst.ImageId ?? '',
      ...(inst.KeyName ? { keyName: inst.KeyName } : {}),
    };
  } catch (err) {
    throw inventoryError(err, what, ctx, opts.signal);
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers for the table.

export { formatLaunchTime };

