/**
 * A Terraform state as an operator reads it: every resource instance with its address, module,
 * type, index key, id, dependencies and attributes (sensitive parts replaced by markers, never
 * kept), and the state's serial, lineage, Terraform version and size. Source of the format:
 * Terraform's state file format version 4 (what `terraform state pull` prints: `version`,
 * `terraform_version`, `serial`, `lineage`, `outputs`, `resources[]` with `module`, `mode`,
 * `type`, `name`, `provider`, `instances[]` with `index_key`, `status`, `attributes`,
 * `sensitive_attributes` (paths of `{type: "get_attr"|"index", value}` steps), `dependencies`).
 * Pure: no I/O.
 */
import { ConsoleError } from './errors.js';
import { Hidden, renderChange, safeValue, type AttrPath, type SafeValue } from './plan-diff.js';

/** One resource instance of the state. */
export interface StateResource {
  /** Its resource address, e.g. `module.network.aws_subnet.private[0]`, `data.aws_ami.ubuntu`. */
  address: string;
  /** The module path (`module.network`), '' for the root module. */
  module: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  /** `count` index or `for_each` key; absent for a single instance. */
  indexKey?: string | number;
  /** The `id` attribute, when it has one (a string). */
  id?: string;
  /** The provider configuration address, e.g. `provider["registry.terraform.io/hashicorp/aws"]`. */
  provider: string;
  /** `tainted` when Terraform marked it for replacement; absent otherwise. */
  status?: 'tainted';
  /** Addresses of the resources it depends on (as Terraform stored them). */
  dependencies: string[];
  /** The attributes with every sensitive part replaced by {@link Hidden.SENSITIVE}. */
  attributes: SafeValue;
  /** How many attribute paths are sensitive (masked). */
  sensitiveCount: number;
  /** Bytes of this instance in the state text (its attributes as JSON): for sizes. */
  bytes: number;
}

/** A parsed state. */
export interface StateDoc {
  /** State format version (4). */
  version: number;
  /** The Terraform version that last wrote it. */
  terraformVersion: string;
  serial: number;
  lineage: string;
  /** Size of the state text in bytes. */
  bytes: number;
  /** Every resource instance, in the state's order (Terraform sorts by module, then address). */
  resources: StateResource[];
  /** Names of the root module's outputs. */
  outputs: string[];
}

type Step = { type?: string; value?: unknown };

/** A state v4 `sensitive_attributes` entry (a list of steps) as an {@link AttrPath}; undefined when unreadable. */
function stepsToPath(steps: unknown): AttrPath | undefined {
  if (!Array.isArray(steps)) return undefined;
  const out: AttrPath = [];
  for (const s of steps as Step[]) {
    if (!s || typeof s !== 'object') return undefined;
    if (s.type === 'get_attr' && typeof s.value === 'string') out.push(s.value);
    else if (s.type === 'index') {
      // index steps carry a typed value: {value: 0, type: "number"} or {value: "k", type: "string"}
      const v = (s.value as { value?: unknown } | undefined)?.value ?? s.value;
      if (typeof v === 'number' || typeof v === 'string') out.push(v);
      else return undefined;
    } else return undefined;
  }
  return out;
}

/**
 * A `sensitive` shape for {@link safeValue} from sensitive paths: `true` at each path. A path that
 * cannot be followed in `value` marks its whole top-level attribute sensitive (never show too much).
 */
export function sensitiveShape(value: unknown, paths: readonly AttrPath[]): unknown {
  if (!paths.length) return undefined;
  const root: Record<string, unknown> = {};
  for (const p of paths) {
    if (!p.length) return true;
    let node: Record<string | number, unknown> = root;
    let v: unknown = value;
    for (let i = 0; i < p.length; i++) {
      const k = p[i]!;
      v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
      if (i === p.length - 1) {
        node[k] = true;
        break;
      }
      const next = node[k];
      if (next === true) break;
      if (next === undefined) {
        const fresh = Array.isArray(v) ? ([] as unknown as Record<string | number, unknown>) : {};
        node[k] = fresh;
        node = fresh;
      } else node = next as Record<string | number, unknown>;
    }
  }
  return root;
}

/** The instance part of an address: `[0]`, `["a"]`, or ''. */
export function indexText(key: string | number | undefined): string {
  return key === undefined ? '' : typeof key === 'number' ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

/**
 * Parses `terraform state pull` output (state format version 4).
 * An empty text (a backend with no state yet) is an empty state of serial 0.
 * @throws ConsoleError when the text is not JSON or not a version 4 state.
 */
export function parseState(text: string): StateDoc {
  const bytes = Buffer.byteLength(text);
  if (!text.trim()) return { version: 4, terraformVersion: '', serial: 0, lineage: '', bytes, resources: [], outputs: [] };
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConsoleError(`the state is not JSON (${(err as Error).message.slice(0, 80)})`, 'look at it with terraform state pull; nothing was changed');
  }
  if (o.version !== 4) throw new ConsoleError(`the state has format version ${String(o.version)}; this console reads version 4 (Terraform 0.12 and later)`, 'upgrade the state with a current Terraform first');
  const resources: StateResource[] = [];
  for (const r of Array.isArray(o.resources) ? (o.resources as Record<string, unknown>[]) : []) {
    const module = typeof r.module === 'string' ? r.module : '';
    const mode = r.mode === 'data' ? 'data' : 'managed';
    const type = String(r.type ?? '');
    const name = String(r.name ?? '');
    const base = `${module ? `${module}.` : ''}${mode === 'data' ? 'data.' : ''}${type}.${name}`;
    for (const inst of Array.isArray(r.instances) ? (r.instances as Record<string, unknown>[]) : []) {
      const key = typeof inst.index_key === 'number' || typeof inst.index_key === 'string' ? inst.index_key : undefined;
      const attrs = inst.attributes ?? (typeof inst.attributes_flat === 'object' ? inst.attributes_flat : {});
      const paths = (Array.isArray(inst.sensitive_attributes) ? inst.sensitive_attributes : []).map(stepsToPath);
      // An unreadable path: mask every attribute rather than show a secret.
      const safe = paths.some((p) => p === undefined) ? Hidden.SENSITIVE : safeValue(attrs, sensitiveShape(attrs, paths as AttrPath[]));
      const id = (attrs as Record<string, unknown>)?.id;
      resources.push({
        address: base + indexText(key),
        module,
        mode,
        type,
        name,
        ...(key !== undefined ? { indexKey: key } : {}),
        ...(typeof id === 'string' && id ? { id } : {}),
        provider: String(r.provider ?? ''),
        ...(inst.status === 'tainted' ? { status: 'tainted' as const } : {}),
        dependencies: Array.isArray(inst.dependencies) ? (inst.dependencies as unknown[]).map(String) : [],
        attributes: safe,
        sensitiveCount: paths.length,
        bytes: JSON.stringify(attrs ?? null).length,
      });
    }
  }
  return {
    version: 4,
    terraformVersion: String(o.terraform_version ?? ''),
    serial: typeof o.serial === 'number' ? o.serial : 0,
    lineage: String(o.lineage ?? ''),
    bytes,
    resources,
    outputs: o.outputs && typeof o.outputs === 'object' ? Object.keys(o.outputs) : [],
  };
}

/** Serial and lineage of a state text without parsing its resources' meaning; undefined when not a state. */
export function stateIdentity(text: string): { serial: number; lineage: string } | undefined {
  if (!text.trim()) return undefined;
  try {
    const o = JSON.parse(text) as { serial?: unknown; lineage?: unknown };
    return typeof o.serial === 'number' && typeof o.lineage === 'string' ? { serial: o.serial, lineage: o.lineage } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `text` is a resource address Terraform accepts on the command line (`state rm`, `-target`,
 * `-replace`, an import block's `to`): optional `module.NAME[KEY].` parts, optional `data.`, then
 * `TYPE.NAME[KEY]`. Keys are numbers or double-quoted strings.
 */
export function isResourceAddress(text: string): boolean {
  const key = String.raw`(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])`;
  const ident = '[A-Za-z_][A-Za-z0-9_-]*';
  return new RegExp(`^(?:module\\.${ident}${key}?\\.)*(?!module\\.)(?:data\\.)?${ident}\\.${ident}${key}?$`).test(text);
}

/** The resource block with every attribute in Terraform's notation (`(sensitive value)` where the state marks it). */
export function stateAttributeLines(r: StateResource): string[] {
  return renderChange({ address: r.address, action: 'noop', type: r.type, name: r.name, mode: r.mode, detail: { before: r.attributes, after: r.attributes, replacePaths: [] } }, true).slice(1);
}

/**
 * A resource instance as lines in Terraform's notation (as `terraform state show` prints it):
 * a `#` line with the address (and `tainted`), then the resource block with every attribute,
 * `(sensitive value)` where the state marks it; then its dependencies. Never a sensitive value.
 */
export function stateResourceLines(r: StateResource): string[] {
  const out = [`# ${r.address}${r.status === 'tainted' ? ' (tainted: the next apply replaces it)' : ''}`, ...stateAttributeLines(r)];
  out.push('', `# dependencies (${r.dependencies.length})`, ...(r.dependencies.length ? r.dependencies.map((d) => `#   ${d}`) : ['#   (none recorded)']));
  return out;
}

/** An import's error that `terraform import` would hit too (the address is not in the configuration): no fallback to offer. */
export const IMPORT_NO_CONFIG = /import target does not exist|does not exist in the configuration/i;
