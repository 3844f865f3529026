/**
 * A resource change of a saved plan as an operator reads it: the before and after values with
 * sensitive and unknown parts replaced by markers (the sensitive values themselves are never kept),
 * the attribute changes as a flat list (for `--ci --json`), phantom updates, and the change
 * rendered in Terraform's own notation (`~ instance_type = "t3.small" -> "t3.medium"`,
 * `# forces replacement`, `(known after apply)`, `(sensitive value)`, unchanged attributes
 * counted and hidden). Source of the input shapes: Terraform's "JSON Output Format", plan
 * representation (`change.before`, `after`, `after_unknown`, `before_sensitive`,
 * `after_sensitive`, `replace_paths`). Pure: no I/O.
 */

/** The module part of a resource address (`module.a.module.b` of `module.a.module.b.aws_x.y["k"]`), '' for the root module. */
export function moduleOf(address: string): string {
  const m = /^((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)/.exec(address);
  return (m?.[1] ?? '').replace(/\.$/, '');
}

/** A part of a value that is not shown: sensitive (never kept) or known only after apply. */
export class Hidden {
  private constructor(readonly kind: 'sensitive' | 'unknown') {}
  /** The one sensitive marker. */
  static readonly SENSITIVE = new Hidden('sensitive');
  /** A sensitive value that differs from the one before it (the values themselves are not kept). */
  static readonly SENSITIVE_CHANGED = new Hidden('sensitive');
  /** A sensitive value that differs from the one before only in form (equal once normalised, e.g. reformatted JSON). */
  static readonly SENSITIVE_REFORMATTED = new Hidden('sensitive');
  /** The one unknown marker. */
  static readonly UNKNOWN = new Hidden('unknown');
  toJSON(): string {
    return this.kind === 'sensitive' ? '(sensitive value)' : '(known after apply)';
  }
}

/** A value with its sensitive and unknown parts replaced by {@link Hidden} markers. */
export type SafeValue = null | undefined | string | number | boolean | Hidden | SafeValue[] | { [k: string]: SafeValue };

/** A path into a value: object keys and list indexes, as in `replace_paths`. */
export type AttrPath = (string | number)[];

/** The part of a resource change the diff needs, made safe. */
export interface ChangeDetail {
  before: SafeValue;
  after: SafeValue;
  /** Terraform's `replace_paths`: the attribute paths that force the replacement. */
  replacePaths: AttrPath[];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Hidden);
}

/**
 * `value` with every part that `sensitive` marks `true` replaced by {@link Hidden.SENSITIVE} and
 * every part `unknown` marks `true` by {@link Hidden.UNKNOWN} (`sensitive` and `unknown` have the
 * value's shape, as Terraform's `*_sensitive` and `after_unknown`). Sensitive wins over unknown.
 */
export function safeValue(value: unknown, sensitive?: unknown, unknown?: unknown): SafeValue {
  if (sensitive === true) return Hidden.SENSITIVE;
  if (unknown === true) return Hidden.UNKNOWN;
  if (Array.isArray(value) || Array.isArray(unknown)) {
    const v = Array.isArray(value) ? value : [];
    const s = Array.isArray(sensitive) ? sensitive : [];
    const u = Array.isArray(unknown) ? unknown : [];
    const n = Math.max(v.length, u.length);
    const out: SafeValue[] = [];
    for (let i = 0; i < n; i++) out.push(safeValue(v[i], s[i], u[i]));
    return out;
  }
  if (isObj(value) || isObj(unknown)) {
    const v = isObj(value) ? value : {};
    const s = isObj(sensitive) ? sensitive : {};
    const u = isObj(unknown) ? unknown : {};
    const out: Record<string, SafeValue> = {};
    for (const k of new Set([...Object.keys(v), ...Object.keys(u)])) {
      const x = safeValue(v[k], s[k], u[k]);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function rawEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Before and after of a change made safe (see {@link safeValue}); where the after value is
 * sensitive and differs from the before value, it is {@link Hidden.SENSITIVE_CHANGED}, so the
 * change shows without either value being kept.
 */
export function safePair(before: unknown, after: unknown, beforeSensitive: unknown, afterSensitive: unknown, afterUnknown: unknown): { before: SafeValue; after: SafeValue } {
  const b = safeValue(before, beforeSensitive);
  const mark = (rb: unknown, ra: unknown, sa: SafeValue): SafeValue => {
    if (sa === Hidden.SENSITIVE) return rawEqual(rb, ra) ? Hidden.SENSITIVE : sameNormal(normal(rb as SafeValue), normal(ra as SafeValue)) ? Hidden.SENSITIVE_REFORMATTED : Hidden.SENSITIVE_CHANGED;
    if (Array.isArray(sa)) return sa.map((x, i) => mark(Array.isArray(rb) ? rb[i] : undefined, Array.isArray(ra) ? ra[i] : undefined, x));
    if (isObj(sa)) {
      const out: Record<string, SafeValue> = {};
      for (const [k, x] of Object.entries(sa)) out[k] = mark(isObj(rb) ? rb[k] : undefined, isObj(ra) ? ra[k] : undefined, x);
      return out;
    }
    return sa;
  };
  return { before: b, after: mark(before, after, safeValue(after, afterSensitive, afterUnknown)) };
}

/** Deep equality of safe values (markers equal only to themselves; a hidden value is never "equal" to a shown one). */
export function sameValue(a: SafeValue, b: SafeValue): boolean {
  if (a === b) return true;
  if (a instanceof Hidden || b instanceof Hidden) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined && a[k] !== null);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined && b[k] !== null);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k] as SafeValue, b[k] as SafeValue));
  }
  return (a ?? null) === (b ?? null);
}

/** A string that holds a JSON object or array (a policy document), parsed; undefined otherwise. */
function jsonDoc(v: SafeValue): unknown {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

/** The value as it compares once normalised: null = [] = {} = "", JSON documents as data, keys in order. */
function normal(v: SafeValue): unknown {
  if (v instanceof Hidden) return v;
  const doc = jsonDoc(v);
  if (doc !== undefined) return normal(doc as SafeValue);
  if (Array.isArray(v)) return v.length ? v.map(normal) : null;
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const n = normal(v[k] as SafeValue);
      if (n !== null && n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : null;
  }
  return v === '' || v === undefined ? null : v;
}

function sameNormal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Hidden || b instanceof Hidden) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameNormal(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameNormal(a[k], b[k]));
  }
  return false;
}

/**
 * Whether an update changes nothing once normalised (null vs empty list or map, key order, JSON
 * documents compared as data): a "phantom" update, shown apart so the real changes stand out.
 * Never true when anything is unknown or sensitive on either side and differs.
 */
export function isPhantom(d: ChangeDetail): boolean {
  // Computed attributes known only after apply (a new version number) follow from the update:
  // they decide nothing. The known changes must all vanish once normalised.
  // An update (or drift) whose every leaf is equal once normalised has no change left at all:
  // e.g. tags null → {} as moto and the provider read them back.
  const all = attributeChanges(d);
  if (all.length === 0) return true;
  const known = all.filter((a) => !a.unknown);
  return known.length > 0 && known.every((a) => (a.sensitive ? a.reformatted === true : sameNormal(normal(a.before as SafeValue), normal(a.after as SafeValue))));
}

/** One changed attribute (a leaf, or a list of plain values as a whole). Hidden values are never carried. */
export interface AttrChange {
  /** The path as text: `tags.Name`, `ingress[0].cidr_blocks`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /** The after value is known only after apply. */
  unknown: boolean;
  /** Either side is sensitive (no value is given for it). */
  sensitive: boolean;
  /** This path is in `replace_paths`. */
  forcesReplacement: boolean;
  /** A sensitive value that changes only in form (equal once normalised); set only then. */
  reformatted?: true;
}

/** `tags.Name`, `ingress[0].from_port`, `tags["kubernetes.io/role"]`. */
export function pathText(p: AttrPath): string {
  let out = '';
  for (const s of p) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function forces(path: AttrPath, replacePaths: readonly AttrPath[]): boolean {
  return replacePaths.some((r) => r.length === path.length && r.every((x, i) => String(x) === String(path[i])));
}

function plainList(v: SafeValue): boolean {
  return Array.isArray(v) && v.every((x) => !isObj(x) && !Array.isArray(x));
}

/**
 * The changed attributes of a change, flat and in order: each differing leaf, and a list of plain
 * values (a set of security group ids, CIDR blocks) as one entry. Sensitive values are left out
 * (`sensitive: true`), unknown ones marked (`unknown: true`).
 */
export function attributeChanges(d: ChangeDetail): AttrChange[] {
  const out: AttrChange[] = [];
  const leaf = (path: AttrPath, b: SafeValue, a: SafeValue) => {
    const sensitive = (b instanceof Hidden && b.kind === 'sensitive') || (a instanceof Hidden && a.kind === 'sensitive');
    const unknown = a === Hidden.UNKNOWN;
    const c: AttrChange = { path: pathText(path), unknown, sensitive, forcesReplacement: forces(path, d.replacePaths), ...(a === Hidden.SENSITIVE_REFORMATTED ? { reformatted: true as const } : {}) };
    if (!sensitive) {
      if (b !== undefined && !(b instanceof Hidden)) c.before = b;
      if (a !== undefined && !(a instanceof Hidden)) c.after = a;
    }
    out.push(c);
  };
  const walk = (path: AttrPath, b: SafeValue, a: SafeValue) => {
    if (sameValue(b, a) || (isEmpty(b) && isEmpty(a))) return;
    if ((isObj(b) || b == null) && (isObj(a) || a == null) && (isObj(a) || isObj(b))) {
      const bo = isObj(b) ? b : {};
      const ao = isObj(a) ? a : {};
      for (const k of [...new Set([...Object.keys(bo), ...Object.keys(ao)])].sort()) walk([...path, k], bo[k] as SafeValue, ao[k] as SafeValue);
      return;
    }
    if (Array.isArray(b) && Array.isArray(a) && !(plainList(b) && plainList(a))) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk([...path, i], b[i], a[i]);
      return;
    }
    if (path.length === 0) return;
    leaf(path, b, a);
  };
  walk([], d.before, d.after);
  return out;
}

// ---------------------------------------------------------------------------
// Terraform's notation

/** Words for Terraform's `action_reason` (source: the JSON Output Format's list of reasons). */
export const REASON_WORDS: Readonly<Record<string, string>> = {
  replace_because_tainted: 'replaced because it is tainted',
  replace_because_cannot_update: 'replaced because it cannot be updated in place',
  replace_by_request: 'replaced because it was asked for (-replace)',
  replace_by_triggers: 'replaced because of a change in replace_triggered_by',
  delete_because_no_resource_config: 'deleted because it is no longer in the configuration',
  delete_because_no_module: 'deleted because its module is no longer in the configuration',
  delete_because_wrong_repetition: 'deleted because it is no longer counted or keyed that way (count / for_each)',
  delete_because_count_index: 'deleted because its count index is out of range',
  delete_because_each_key: 'deleted because its for_each key is no longer in the map',
  delete_because_no_move_target: 'deleted because its move target is not in the configuration',
  read_because_config_unknown: 'read during apply because its configuration depends on values not yet known',
  read_because_dependency_pending: 'read during apply because a resource it depends on has changes pending',
  read_because_check_nested: 'read during apply because a check block needs it',
};

/** What a change shows for a resource and how it is introduced. */
export interface RenderInput {
  address: string;
  /** `create`, `update`, `replace`, `delete`, `read`, `noop`, `forget`, or `drift` (changed outside Terraform). */
  action: string;
  type: string;
  /** The resource's name in its block (`this`), or the address's last part. */
  name: string;
  mode?: 'managed' | 'data';
  reason?: string;
  previousAddress?: string;
  importingId?: string;
  detail?: ChangeDetail;
  phantom?: boolean;
}

const HEAD: Record<string, string> = {
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  read: 'will be read during apply',
  noop: 'is unchanged',
  forget: 'will be removed from the state (not destroyed)',
  drift: 'has changed outside of Terraform',
};

const SYM: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-', read: '<=', noop: ' ', forget: '.', drift: '~' };

function fmt(v: SafeValue): string {
  if (v instanceof Hidden) return v.toJSON();
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = JSON.stringify(v, (_k, x: unknown) => (x instanceof Hidden ? x.toJSON() : x));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function keyText(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k);
}

/** Lines of a line diff (LCS) of two texts: ' ' kept, '-' removed, '+' added. Up to 2,000 lines a side, else all removed then all added. */
export function lineDiff(before: string, after: string): { op: ' ' | '-' | '+'; line: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > 2000 || b.length > 2000) return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  const n = a.length;
  const m = b.length;
  const L: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (L[i + 1]![j]! >= L[i]![j + 1]!) out.push({ op: '-', line: a[i++]! });
    else out.push({ op: '+', line: b[j++]! });
  }
  while (i < n) out.push({ op: '-', line: a[i++]! });
  while (j < m) out.push({ op: '+', line: b[j++]! });
  return out;
}

interface Ctx {
  all: boolean;
  replacePaths: readonly AttrPath[];
  out: string[];
}

function line(c: Ctx, depth: number, sym: string, text: string): void {
  c.out.push(`${'    '.repeat(depth)}  ${sym.padStart(1)} ${text}`);
}

/** null, absent, an empty list or an empty map: nothing to show (Terraform hides them too). */
function isEmpty(v: SafeValue): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
}

function symOf(b: SafeValue, a: SafeValue): string {
  if (b === undefined || b === null) return '+';
  if (a === undefined || a === null) return '-';
  return '~';
}

function renderText(c: Ctx, depth: number, path: AttrPath, key: string, b: SafeValue, a: SafeValue, pad: number): boolean {
  if (typeof b !== 'string' || typeof a !== 'string') return false;
  const db = jsonDoc(b);
  const da = jsonDoc(a);
  const json = db !== undefined && da !== undefined;
  if (!json && !b.includes('\n') && !a.includes('\n')) return false;
  const fr = forces(path, c.replacePaths) ? ' # forces replacement' : '';
  const bt = json ? JSON.stringify(db, null, 2) : b.replace(/\n$/, '');
  const at = json ? JSON.stringify(da, null, 2) : a.replace(/\n$/, '');
  if (json && bt === at) {
    line(c, depth, '~', `${keyText(key).padEnd(pad)} = jsonencode(...) # the same document once parsed: only its formatting differs${fr}`);
    return true;
  }
  line(c, depth, '~', `${keyText(key).padEnd(pad)} = ${json ? 'jsonencode(' : '<<-EOT'}${fr}`);
  let kept = 0;
  for (const d of lineDiff(bt, at)) {
    if (d.op === ' ' && !c.all) {
      kept++;
      continue;
    }
    if (kept) {
      c.out.push(`${'    '.repeat(depth + 1)}      # (${kept} unchanged line${kept === 1 ? '' : 's'} hidden)`);
      kept = 0;
    }
    c.out.push(`${'    '.repeat(depth + 1)}  ${d.op} ${d.line}`);
  }
  if (kept) c.out.push(`${'    '.repeat(depth + 1)}      # (${kept} unchanged line${kept === 1 ? '' : 's'} hidden)`);
  c.out.push(`${'    '.repeat(depth)}    ${json ? ')' : 'EOT'}`);
  return true;
}

function renderList(c: Ctx, depth: number, path: AttrPath, key: string, b: SafeValue[], a: SafeValue[], pad: number): void {
  const fr = forces(path, c.replacePaths) ? ' # forces replacement' : '';
  const kept = b.filter((x) => a.some((y) => sameValue(x, y)));
  const removed = b.filter((x) => !a.some((y) => sameValue(x, y)));
  const added = a.filter((y) => !b.some((x) => sameValue(x, y)));
  if (!removed.length && !added.length && kept.length === b.length && b.length === a.length && !c.all) {
    line(c, depth, '~', `${keyText(key).padEnd(pad)} = [ # the same elements, in another order${fr} ]`);
    return;
  }
  line(c, depth, symOf(b.length ? b : null, a.length ? a : null), `${keyText(key).padEnd(pad)} = [${fr}`);
  for (const x of removed) line(c, depth + 1, '-', `${fmt(x)},`);
  for (const y of added) line(c, depth + 1, '+', `${fmt(y)},`);
  if (c.all) for (const x of kept) line(c, depth + 1, ' ', `${fmt(x)},`);
  else if (kept.length) c.out.push(`${'    '.repeat(depth + 1)}    # (${kept.length} unchanged element${kept.length === 1 ? '' : 's'} hidden)`);
  c.out.push(`${'    '.repeat(depth)}    ]`);
}

function renderBlocks(c: Ctx, depth: number, path: AttrPath, key: string, b: SafeValue[], a: SafeValue[]): number {
  let unchanged = 0;
  const usedA = new Set<number>();
  const pairs: [SafeValue, SafeValue][] = [];
  for (const x of b) {
    const j = a.findIndex((y, k) => !usedA.has(k) && sameValue(x, y));
    if (j >= 0) {
      usedA.add(j);
      if (c.all) pairs.push([x, a[j]!]);
      else unchanged++;
    } else pairs.push([x, undefined]);
  }
  const restA = a.filter((_y, k) => !usedA.has(k));
  // Pair the changed blocks by position (a changed rule rather than one removed and one added).
  for (const p of pairs) if (p[1] === undefined && restA.length) p[1] = restA.shift()!;
  for (const y of restA) pairs.push([undefined, y]);
  pairs.forEach(([x, y], i) => {
    const sym = sameValue(x, y) ? ' ' : symOf(x ?? null, y ?? null);
    line(c, depth, sym, `${keyText(key)} {${forces([...path, i], c.replacePaths) ? ' # forces replacement' : ''}`);
    const hidden = renderObject(c, depth + 1, [...path, i], isObj(x) ? x : {}, isObj(y) ? y : {});
    if (hidden) c.out.push(`${'    '.repeat(depth + 1)}    # (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`);
    c.out.push(`${'    '.repeat(depth)}    }`);
  });
  return unchanged;
}

/** Renders the members of an object pair; returns how many unchanged attributes it hid. */
function renderObject(c: Ctx, depth: number, path: AttrPath, b: Record<string, SafeValue>, a: Record<string, SafeValue>): number {
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const isBlocks = (v: SafeValue) => Array.isArray(v) && v.length > 0 && v.every(isObj);
  const attrs = keys.filter((k) => !isBlocks(b[k]) && !isBlocks(a[k]));
  const blocks = keys.filter((k) => isBlocks(b[k]) || isBlocks(a[k]));
  let hidden = 0;
  const shown = attrs.filter((k) => {
    const x = b[k];
    const y = a[k];
    if (isEmpty(x) && isEmpty(y)) return false;
    if (sameValue(x, y) && !c.all) {
      hidden++;
      return false;
    }
    return true;
  });
  const pad = Math.min(32, Math.max(0, ...shown.filter((k) => !isObj(b[k]) && !isObj(a[k])).map((k) => keyText(k).length)));
  for (const k of shown) {
    const x = b[k];
    const y = a[k];
    const p = [...path, k];
    const fr = forces(p, c.replacePaths) ? ' # forces replacement' : '';
    if (sameValue(x, y)) {
      line(c, depth, ' ', `${keyText(k).padEnd(pad)} = ${fmt(y)}`);
      continue;
    }
    if ((isObj(x) || x == null) && (isObj(y) || y == null)) {
      line(c, depth, symOf(x, y), `${keyText(k)} = {${fr}`);
      const h = renderObject(c, depth + 1, p, isObj(x) ? x : {}, isObj(y) ? y : {});
      if (h) c.out.push(`${'    '.repeat(depth + 1)}    # (${h} unchanged element${h === 1 ? '' : 's'} hidden)`);
      c.out.push(`${'    '.repeat(depth)}    }`);
      continue;
    }
    if ((Array.isArray(x) || x == null) && (Array.isArray(y) || y == null) && (Array.isArray(x) || Array.isArray(y))) {
      renderList(c, depth, p, k, Array.isArray(x) ? x : [], Array.isArray(y) ? y : [], pad);
      continue;
    }
    if (renderText(c, depth, p, k, x, y, pad)) continue;
    if (x instanceof Hidden && y instanceof Hidden && x.kind === 'sensitive' && y.kind === 'sensitive') line(c, depth, '~', `${keyText(k).padEnd(pad)} = (sensitive value)${fr}`);
    else if (x === undefined || x === null) line(c, depth, '+', `${keyText(k).padEnd(pad)} = ${fmt(y)}${fr}`);
    else if (y === undefined || y === null) line(c, depth, '-', `${keyText(k).padEnd(pad)} = ${fmt(x)} -> null${fr}`);
    else line(c, depth, '~', `${keyText(k).padEnd(pad)} = ${fmt(x)} -> ${fmt(y)}${fr}`);
  }
  for (const k of blocks) {
    const x = b[k];
    const y = a[k];
    if (sameValue(x, y) && !c.all) {
      hidden += Array.isArray(x) ? 0 : 1;
      c.out.push(`${'    '.repeat(depth)}    # (${Array.isArray(x) ? x.length : 1} unchanged ${keyText(k)} block${Array.isArray(x) && x.length === 1 ? '' : 's'} hidden)`);
      continue;
    }
    const un = renderBlocks(c, depth, [...path, k], k, Array.isArray(x) ? x : [], Array.isArray(y) ? y : []);
    if (un) c.out.push(`${'    '.repeat(depth)}    # (${un} unchanged ${keyText(k)} block${un === 1 ? '' : 's'} hidden)`);
  }
  return hidden;
}

/**
 * The change in Terraform's notation, as `terraform show` prints it: a `#` line saying what
 * happens and why (the reason in words, moved-from and import addresses), then the resource block
 * with changed attributes (`+`, `-`, `~`), `(known after apply)`, `(sensitive value)`,
 * `# forces replacement`, and counts of the hidden unchanged attributes (all shown with `all`).
 */
export function renderChange(r: RenderInput, all = false): string[] {
  const c: Ctx = { all, replacePaths: r.detail?.replacePaths ?? [], out: [] };
  const head = r.action === 'noop' && r.importingId !== undefined ? 'will be imported' : r.action === 'noop' && r.previousAddress ? `has moved to ${r.address}` : (HEAD[r.action] ?? r.action);
  c.out.push(`# ${r.action === 'noop' && r.previousAddress && r.importingId === undefined ? r.previousAddress : r.address} ${head}${r.phantom ? ' (a phantom update: equal once normalised)' : ''}`);
  if (r.reason) c.out.push(`# (${REASON_WORDS[r.reason] ?? r.reason.replace(/_/g, ' ')})`);
  if (r.previousAddress && r.previousAddress !== r.address) c.out.push(`# (moved from ${r.previousAddress})`);
  if (r.importingId !== undefined) c.out.push(`# (imported from "${r.importingId}")`);
  const sym = SYM[r.action] ?? '~';
  c.out.push(`${sym.padStart(3)} ${r.mode === 'data' ? 'data' : 'resource'} "${r.type}" "${r.name}" {`);
  const d = r.detail;
  if (d) {
    const b = isObj(d.before) ? d.before : {};
    const a = isObj(d.after) ? d.after : {};
    const hidden = renderObject(c, 1, [], r.action === 'create' ? {} : b, r.action === 'delete' ? {} : a);
    if (hidden) c.out.push(`        # (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`);
  }
  c.out.push('    }');
  return c.out;
}
