/**
 * The rows of the Instances pane and `--ci instances`: the row type, sorting and filtering. Pure
 * (no AWS client), so the UI's panes use them without loading the EC2 client.
 */
import { formatLaunchTime } from './format.js';

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
