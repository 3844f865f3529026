import { TofuError } from '../../core/errors.js';
import { attributeChanges, isPhantom, moduleOf, safePair, type ChangeDetail } from '../../core/plan-diff.js';
import { companionIndex, setByOtherResources, type StateResource } from '../../core/plan-drift.js';
import { highestRisk, riskOf, type Risk } from '../../core/plan-risk.js';
import type { TfEvent } from './events.js';
import { maskSensitive } from './mask.js';

/** The action of one resource in a plan, reduced from Terraform's `change.actions` list. */
export type PlanAction = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'noop' | 'forget';

/** One resource change of a saved plan. */
export interface ResourceChange {
  /** Resource address, e.g. `module.network.aws_subnet.private["a"]`. */
  address: string;
  /** Resource type, e.g. `aws_subnet`. */
  type: string;
  action: PlanAction;
  /** Terraform's reason for a replace or delete (e.g. `replace_because_cannot_update`), if given. */
  reason?: string;
  /** Top-level attribute names whose value changes (masked values are never kept here). */
  changedAttributes: string[];
  /** The module address (`module.network`), '' for the root module. */
  module: string;
  /** The resource's name in its block (`this`). */
  name: string;
  mode: 'managed' | 'data';
  /** Where a `moved` block moved it from. */
  previousAddress?: string;
  /** The id it is imported from (an `import` block), when it is imported. */
  importingId?: string;
  /** Before and after with sensitive and unknown parts as markers (never a sensitive value); absent from the streamed plan. */
  detail?: ChangeDetail;
  /** The platform's risk of this change (see core/plan-risk.ts) and why. */
  risk: Risk;
  riskWhy: string;
  /** An update that changes nothing once normalised (null vs empty, key order, JSON documents as data). */
  phantom: boolean;
  /**
   * Drift only: every changed attribute is one that other resources of this configuration set (see
   * core/plan-drift.ts): the companion types, e.g. `aws_security_group_rule`. Not drift made
   * outside Terraform; it settles once the state is refreshed (a drift check's apply, or any apply).
   */
  setBy?: string[];
}


/** One output's planned value, sensitive parts masked. */
export interface OutputChange {
  name: string;
  action: PlanAction;
  sensitive: boolean;
  /** The value after apply with sensitive parts masked; undefined when known only after apply. */
  after: unknown;
}

/** The structured plan read from `terraform show -json PLANFILE`. */
export interface PlanModel {
  /** Only the resources that change (no-op and reads of data sources are left out). */
  changes: ResourceChange[];
  outputs: OutputChange[];
  summary: { add: number; change: number; destroy: number; replace: number };
  /** Changes made outside Terraform since the last apply (`resource_drift`), with their diffs. */
  drift: ResourceChange[];
  /** What is not a change but is worth showing: data sources read during apply (with the reason), and no-op imports and moves. */
  notes: ResourceChange[];
  /** The highest risk of the changes (`low` when none). */
  risk: Risk;
  /** True when anything would be deleted (a delete or a replace): applying needs the typed confirmation. */
  destroys: boolean;
  /** Whether the plan was made with `-destroy`. */
  destroyMode: boolean;
  /**
   * Whether the plan was made with `-refresh-only` (a drift check): applying it only writes the
   * real values of the drifted resources into the state; nothing in AWS changes.
   */
  refreshOnly: boolean;
  /** Whether applying changes anything (resources, imports into the state, or outputs). */
  hasChanges: boolean;
  /** Terraform's `errored` flag: the plan is incomplete and cannot be applied. */
  errored: boolean;
  /** The plan was limited to these addresses (`-target`): Terraform warns that it may be incomplete. */
  targets?: string[];
  /** The replacement of these addresses was forced (`-replace`). */
  replaceRequested?: string[];
  /** Import blocks the plan was made with (State pane's import, `--ci state import`). */
  imports?: { to: string; id: string }[];
}

/** The resources the plan imports: with no other change (a note) or with one (a change). */
export function importsOf(plan: Pick<PlanModel, 'changes' | 'notes'>): ResourceChange[] {
  return [...plan.changes, ...plan.notes].filter((c) => c.importingId !== undefined);
}

/**
 * Reduces Terraform's `change.actions` to one action. Follows the documented combinations
 * (["no-op"], ["create"], ["read"], ["update"], ["delete","create"], ["create","delete"],
 * ["delete"], ["forget"]) but scans for "delete" rather than matching exact lists, so an unknown
 * combination that deletes is still treated as destructive.
 */
export function reduceActions(actions: readonly string[]): PlanAction {
  const has = (a: string) => actions.includes(a);
  if (has('delete') && has('create')) return 'replace';
  if (has('delete')) return 'delete';
  if (has('create')) return 'create';
  if (has('update')) return 'update';
  if (has('read')) return 'read';
  if (has('forget')) return 'forget';
  return 'noop';
}

interface RawChange {
  actions?: string[];
  replace_paths?: (string | number)[][];
  importing?: { id?: string };
  before?: unknown;
  after?: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
}
interface RawResourceChange {
  address?: string;
  module_address?: string;
  type?: string;
  name?: string;
  mode?: string;
  action_reason?: string;
  previous_address?: string;
  change?: RawChange;
}
interface RawPlan {
  format_version?: string;
  errored?: boolean;
  resource_changes?: RawResourceChange[];
  resource_drift?: RawResourceChange[];
  output_changes?: Record<string, RawChange>;
  prior_state?: { values?: { root_module?: RawModule } };
}
interface RawModule {
  resources?: { type?: string; values?: Record<string, unknown> }[];
  child_modules?: RawModule[];
}

/** Every resource of a state's module tree (Terraform's JSON state representation, `values.root_module`). */
function* stateResources(m: RawModule | undefined): Generator<StateResource> {
  if (!m) return;
  for (const r of m.resources ?? []) if (r.type && r.values && typeof r.values === 'object') yield { type: r.type, values: r.values };
  for (const c of m.child_modules ?? []) yield* stateResources(c);
}

function changedKeys(c: RawChange): string[] {
  const b = (c.before ?? {}) as Record<string, unknown>;
  const a = (c.after ?? {}) as Record<string, unknown>;
  const u = (c.after_unknown ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return [];
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  const out: string[] = [];
  for (const k of keys) if (u[k] === true || JSON.stringify(b[k]) !== JSON.stringify(a[k])) out.push(k);
  return out.sort();
}

export { moduleOf } from '../../core/plan-diff.js';

function resourceChange(rc: RawResourceChange, action: PlanAction): ResourceChange {
  const address = rc.address ?? '?';
  const type = rc.type ?? '';
  const c = rc.change;
  const detail: ChangeDetail | undefined = c
    ? { ...safePair(c.before, c.after, c.before_sensitive, c.after_sensitive, c.after_unknown), replacePaths: Array.isArray(c.replace_paths) ? c.replace_paths : [] }
    : undefined;
  const { risk, why } = riskOf(address, type, action);
  return {
    address,
    type,
    action,
    ...(rc.action_reason ? { reason: rc.action_reason } : {}),
    changedAttributes: c ? changedKeys(c) : [],
    module: rc.module_address ?? moduleOf(address),
    name: rc.name ?? address.split('.').at(-1)!.replace(/\[.*$/, ''),
    mode: rc.mode === 'data' ? 'data' : 'managed',
    ...(rc.previous_address ? { previousAddress: rc.previous_address } : {}),
    ...(c?.importing ? { importingId: c.importing.id ?? '' } : {}),
    ...(detail ? { detail } : {}),
    risk,
    riskWhy: why,
    phantom: action === 'update' && detail !== undefined && isPhantom(detail),
  };
}

/**
 * Builds the {@link PlanModel} from the JSON document printed by `terraform show -json PLANFILE`
 * (source: Terraform's "JSON Output Format" documentation, "Plan Representation";
 * `format_version` 1.x accepted).
 * @param destroyMode whether the plan was made with `-destroy`.
 * @param refreshOnly whether it was made with `-refresh-only`: then it has changes when anything drifted.
 * @throws TofuError when the document is not JSON or has another major format version.
 */
export function parsePlanJson(text: string, destroyMode = false, refreshOnly = false): PlanModel {
  let raw: RawPlan;
  try {
    raw = JSON.parse(text) as RawPlan;
  } catch (err) {
    throw new TofuError(`terraform show -json printed something that is not JSON: ${(err as Error).message}`, 'run terraform show -json on the plan file by hand to see why');
  }
  if (raw.format_version && !raw.format_version.startsWith('1.')) {
    throw new TofuError(`unsupported plan format ${raw.format_version}`, 'upgrade platform-console or use Terraform 1.x');
  }
  const changes: ResourceChange[] = [];
  const summary = { add: 0, change: 0, destroy: 0, replace: 0 };
  const notes: ResourceChange[] = [];
  for (const rc of raw.resource_changes ?? []) {
    const action = reduceActions(rc.change?.actions ?? []);
    if (action === 'noop' || action === 'read') {
      if (action === 'read' || rc.change?.importing || (rc.previous_address && rc.previous_address !== rc.address)) notes.push(resourceChange(rc, action));
      continue;
    }
    if (action === 'create') summary.add++;
    else if (action === 'update') summary.change++;
    else if (action === 'delete') summary.destroy++;
    else if (action === 'replace') {
      summary.replace++;
      summary.add++;
      summary.destroy++;
    }
    changes.push(resourceChange(rc, action));
  }
  const drift = (raw.resource_drift ?? []).map((rc) => resourceChange(rc, reduceActions(rc.change?.actions ?? []) === 'delete' ? 'delete' : 'update'));
  const maybeSetBy = drift.filter((d) => !d.phantom && d.action === 'update' && d.detail);
  if (maybeSetBy.length) {
    const index = companionIndex(stateResources(raw.prior_state?.values?.root_module));
    for (const d of maybeSetBy) {
      const before = d.detail!.before as Record<string, unknown> | null;
      const after = d.detail!.after as Record<string, unknown> | null;
      const id = typeof before?.id === 'string' ? before.id : typeof after?.id === 'string' ? after.id : undefined;
      const by = setByOtherResources(d.type, id, attributeChanges(d.detail!).map((a) => a.path), index, { before, after });
      if (by) d.setBy = by;
    }
  }
  const outputs: OutputChange[] = [];
  for (const [name, c] of Object.entries(raw.output_changes ?? {})) {
    const action = reduceActions(c.actions ?? []);
    const sensitive = c.after_sensitive === true || c.before_sensitive === true;
    outputs.push({
      name,
      action,
      sensitive,
      after: c.after_unknown === true ? undefined : maskSensitive(c.after, c.after_sensitive),
    });
  }
  return {
    changes,
    outputs,
    summary,
    drift,
    notes,
    risk: highestRisk(changes.map((c) => c.risk)),
    destroys: changes.some((c) => c.action === 'delete' || c.action === 'replace'),
    destroyMode,
    refreshOnly,
    hasChanges: changes.length > 0 || notes.some((n) => n.importingId !== undefined) || outputs.some((o) => o.action !== 'noop') || (refreshOnly && drift.length > 0),
    errored: raw.errored === true,
  };
}

/** One output of `terraform output -json`, sensitive values masked. */
export interface OutputValue {
  name: string;
  sensitive: boolean;
  /** The value, or the mask when sensitive. */
  value: unknown;
  /** Terraform's type expression, e.g. "string" or ["list","string"]. */
  type: unknown;
}

/**
 * Parses `terraform output -json` (an object of name → {sensitive, type, value}; source:
 * Terraform's `output` command documentation) and masks every sensitive value.
 * @throws TofuError when the text is not that JSON object.
 */
export function parseOutputsJson(text: string): OutputValue[] {
  let raw: Record<string, { sensitive?: boolean; type?: unknown; value?: unknown }>;
  try {
    raw = JSON.parse(text || '{}') as typeof raw;
  } catch (err) {
    throw new TofuError(`terraform output -json printed something that is not JSON: ${(err as Error).message}`);
  }
  return Object.entries(raw)
    // Fail closed, as events.ts does: only an explicit `sensitive: false` shows the value.
    .map(([name, o]) => {
      const sensitive = o.sensitive !== false;
      return { name, sensitive, value: sensitive ? maskSensitive(o.value, true) : o.value, type: o.type };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Builds a {@link PlanModel} from the streamed messages of `plan -json` (`planned_change`,
 * `change_summary`; source: Terraform's "Machine Readable UI" documentation), without
 * `show -json`. It has no changed attributes and no output changes.
 * @param hasChanges whether plan exited 2 (`-detailed-exitcode`): output-only changes count too.
 */
export function planFromStream(events: readonly TfEvent[], destroyMode: boolean, hasChanges: boolean): PlanModel {
  const changes: ResourceChange[] = [];
  const summary = { add: 0, change: 0, destroy: 0, replace: 0 };
  for (const e of events) {
    if (e.type === 'planned_change') {
      const a = String(e.action);
      const action: PlanAction = a === 'create' || a === 'update' || a === 'replace' || a === 'delete' || a === 'read' || a === 'forget' ? a : a === 'remove' ? 'forget' : 'noop';
      if (action === 'noop' || action === 'read') continue;
      if (action === 'replace') summary.replace++;
      const { risk, why } = riskOf(e.address, e.resourceType, action);
      changes.push({ address: e.address, type: e.resourceType, action, ...(e.reason ? { reason: e.reason } : {}), changedAttributes: [], module: moduleOf(e.address), name: e.address.split('.').at(-1)!.replace(/\[.*$/, ''), mode: e.address.includes('data.') ? 'data' : 'managed', risk, riskWhy: why, phantom: false });
    } else if (e.type === 'change_summary') {
      summary.add = e.add;
      summary.change = e.change;
      summary.destroy = e.remove;
    }
  }
  return {
    changes,
    outputs: [],
    summary,
    drift: [],
    notes: [],
    risk: highestRisk(changes.map((c) => c.risk)),
    destroys: changes.some((c) => c.action === 'delete' || c.action === 'replace'),
    destroyMode,
    refreshOnly: false,
    hasChanges,
    errored: false,
  };
}
