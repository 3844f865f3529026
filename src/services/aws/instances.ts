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

/** One row of the Instances table. All strings are '' when AWS has no value. */
export interface InstanceRow {
  /** Instance id, `i-…`. */
  id: string;
  /** The `Name` tag; '' when none. */
  name: string;
  /** The `Role` tag as the Terraform modules set it (bastion, secure, compute); '' when none. */
  role: 'bastion' | 'secure' | 'compute' | string;
  /** Primary private IPv4 address, dotted quad; '' when none (e.g. terminated). */
  privateIp: string;
  /** Public IPv4 address; '' when none. */
  publicIp: string;
  /** `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`. */
  state: string;
  /** Availability zone, e.g. `eu-west-1a`. */
  az: string;
  /** Launch time in milliseconds since the epoch (UTC); 0 when AWS gave none. */
  launchTime: number;
  /** Instance type, e.g. `t3.medium`. */
  type: string;
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

/** Dotted-quad IPv4 → 32-bit number; NaN for '' or anything else. */
export function ipv4ToNumber(ip: string): number {
  if (!ip) return Number.NaN;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return Number.NaN;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else {
      return Number.NaN;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return Number.NaN;
  return n * 256 + octet;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * A sorted copy of `rows` by one column. Stable (equal keys keep their order, so sorting by
 * role after name keeps names in order within a role). Empty values ('' or 0) sort last in both
 * directions. `launchTime` compares as numbers, `privateIp`/`publicIp` numerically by octets
 * (10.0.0.9 before 10.0.0.10), other columns as text: case-insensitive, digits by value
 * (node-2 before node-10).
 * @returns a new array; `rows` is not changed.
 */
export function sortInstances(rows: readonly InstanceRow[], key: keyof InstanceRow, dir: 'asc' | 'desc'): InstanceRow[] {
  const n = rows.length;
  const sign = dir === 'desc' ? -1 : 1;
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (key === 'launchTime' || key === 'privateIp' || key === 'publicIp') {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const v = key === 'launchTime' ? r.launchTime || Number.NaN : ipv4ToNumber(r[key]);
      keys[i] = v;
    }
    idx.sort((a, b) => {
      const x = keys[a]!;
      const y = keys[b]!;
      const xn = Number.isNaN(x);
      const yn = Number.isNaN(y);
      if (xn || yn) return xn === yn ? a - b : xn ? 1 : -1;
      return x === y ? a - b : (x < y ? -1 : 1) * sign;
    });
  } else {
    const keys = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = String(rows[i]![key]);
    idx.sort((a, b) => {
      const x = keys[a]!;
      const y = keys[b]!;
      if (x === '' || y === '') return x === y ? a - b : x === '' ? 1 : -1;
      if (x === y) return a - b;
      const c = collator.compare(x, y);
      return c === 0 ? a - b : c * sign;
    });
  }
  const out = new Array<InstanceRow>(n);
  for (let i = 0; i < n; i++) out[i] = rows[idx[i]!]!;
  return out;
}

/** Lower-case search text per row, built on first use. Rows are treated as immutable. */
const searchKeys = new WeakMap<InstanceRow, string>();

/**
 * The text the filter searches in one row: every displayed column (name, role, private IP,
 * public IP, id, state, AZ, type, launch time as {@link formatLaunchTime}), lower-cased, one
 * column per line so that a match cannot span two columns. Cached per row object.
 */
export function instanceSearchText(row: InstanceRow): string {
  let k = searchKeys.get(row);
  if (k === undefined) {
    k = `${row.name}\n${row.role}\n${row.privateIp}\n${row.publicIp}\n${row.id}\n${row.state}\n${row.az}\n${row.type}\n${formatLaunchTime(row.launchTime)}`.toLowerCase();
    searchKeys.set(row, k);
  }
  return k;
}

/**
 * The rows whose displayed columns contain `text`, case-insensitively, in their order. Words
 * separated by spaces must each match (in any column): `compute running` keeps the running
 * compute nodes. An empty or blank `text` keeps every row.
 * Rows must not be mutated once filtered (their search text is cached per object).
 * @returns a new array; `rows` is not changed.
 */
export function filterInstances(rows: readonly InstanceRow[], text: string): InstanceRow[] {
  const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return rows.slice();
  const out: InstanceRow[] = [];
  if (terms.length === 1) {
    const t = terms[0]!;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (instanceSearchText(r).includes(t)) out.push(r);
    }
    return out;
  }
  outer: for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const k = instanceSearchText(r);
    for (const t of terms) if (!k.includes(t)) continue outer;
    out.push(r);
  }
  return out;
}
