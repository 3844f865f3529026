/**
 * How `--ci plan` shows a plan: by module, each change with its risk and its changed attributes
 * one line each (`~ instance_type: "t3.small" → "t3.medium"`, sensitive values masked,
 * `# forces replacement` marked), drift and phantom updates apart, then the plan's risk; and the
 * same as the NDJSON `plan` event's `changes[]`. Pure.
 */
import { attributeChanges, Hidden, REASON_WORDS, type AttrChange } from '../core/plan-diff.js';
import { driftClasses, realDrift, rootOf } from '../core/plan-drift.js';
import type { PlanModel, ResourceChange } from '../services/terraform/plan-model.js';

const SYM: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-', forget: '.', read: '<=' };

function value(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (v instanceof Hidden) return v.toJSON();
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, (_k, x: unknown) => (x instanceof Hidden ? x.toJSON() : x));
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

/** One attribute change on one line: `~ path: before → after` (`+ path: after`, `- path: before`). */
export function attributeLine(a: AttrChange): string {
  const fr = a.forcesReplacement ? '  # forces replacement' : '';
  const after = a.unknown ? '(known after apply)' : a.sensitive ? '(sensitive value)' : value(a.after);
  const before = a.sensitive ? '(sensitive value)' : value(a.before);
  if (a.before === undefined && !a.sensitive) return `+ ${a.path}: ${after}${fr}`;
  if (a.after === undefined && !a.unknown && !a.sensitive) return `- ${a.path}: ${before}${fr}`;
  return `~ ${a.path}: ${before} → ${after}${fr}`;
}

/** Per-module counts: `+12 ~1 -0` (a replace counts as + and -). */
export function countsText(changes: readonly ResourceChange[]): string {
  let add = 0;
  let change = 0;
  let del = 0;
  for (const c of changes) {
    if (c.action === 'create' || c.action === 'replace') add++;
    if (c.action === 'update') change++;
    if (c.action === 'delete' || c.action === 'replace') del++;
  }
  return `+${add} ~${change} -${del}`;
}

/** Changes grouped by module address ('' = the root module first), in address order within a module. */
export function byModule(changes: readonly ResourceChange[]): Map<string, ResourceChange[]> {
  const m = new Map<string, ResourceChange[]>();
  for (const c of [...changes].sort((a, b) => a.address.localeCompare(b.address))) m.set(c.module, [...(m.get(c.module) ?? []), c]);
  return new Map([...m.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
}

function changeLines(c: ResourceChange, indent: string): string[] {
  const out = [`${indent}${(SYM[c.action] ?? '~').padEnd(3)} ${c.address}${c.reason ? `  (${REASON_WORDS[c.reason] ?? c.reason})` : ''}${c.previousAddress ? `  (moved from ${c.previousAddress})` : ''}${c.importingId !== undefined ? `  (imported from "${c.importingId}")` : ''}  [risk ${c.risk}]`];
  if (c.detail && c.action !== 'create' && c.action !== 'delete') for (const a of attributeChanges(c.detail)) out.push(`${indent}      ${attributeLine(a)}`);
  return out;
}

/** The human lines of a plan (after the summary line the reporter prints). */
export function planLines(plan: PlanModel): string[] {
  const out: string[] = [];
  const real = plan.changes.filter((c) => !c.phantom);
  const phantom = plan.changes.filter((c) => c.phantom);
  for (const [mod, cs] of byModule(real)) {
    out.push(`${mod || '(root module)'}  ${countsText(cs)}`);
    for (const c of cs) out.push(...changeLines(c, '  '));
  }
  if (phantom.length) {
    out.push(`phantom updates (${phantom.length}: equal once normalised, e.g. null vs empty, JSON formatting):`);
    for (const c of phantom) out.push(`  ~   ${c.address}`);
  }
  out.push(...driftLines(plan));
  if (plan.notes.length) {
    out.push(`also (${plan.notes.length}: no change to the infrastructure):`);
    for (const n of plan.notes) out.push(...changeLines(n, '  '));
  }
  const top = plan.changes.find((c) => c.risk === plan.risk && plan.risk !== 'low');
  out.push(`risk: ${plan.risk}${top ? ` (${top.address}: ${top.riskWhy})` : ''}`);
  return out;
}

/**
 * The drift section: each resource changed outside Terraform with its attribute lines (`- ADDRESS`
 * when it was deleted outside Terraform), then those equal once normalised, apart; empty without drift.
 */
export function driftLines(plan: PlanModel): string[] {
  const { real, setBy: own, phantom } = driftClasses(plan.drift);
  const out: string[] = [];
  if (real.length) {
    out.push(`drift (${real.length} changed outside Terraform since the last apply):`);
    for (const d of real) {
      out.push(d.action === 'delete' ? `  -   ${d.address}  (deleted outside Terraform)` : `  ~   ${d.address}`);
      if (d.detail && d.action !== 'delete') for (const a of attributeChanges(d.detail)) out.push(`        ${attributeLine(a)}`);
    }
  }
  if (own.length) {
    out.push(`reported as drift but set by other resources of this configuration (${own.length}: not drift; settles once the state is refreshed):`);
    for (const d of own) out.push(`  =   ${d.address}  (${[...new Set(attributeChanges(d.detail!).map((a) => rootOf(a.path)))].join(', ')} by ${d.setBy.join(', ')})`);
  }
  if (phantom.length) {
    out.push(`reported as drift but equal once normalised (${phantom.length}: not drift):`);
    for (const d of phantom) out.push(`  ≈   ${d.address}`);
  }
  return out;
}

/** The NDJSON `plan` event's `changes[]` (sensitive values never present). */
export function planChangesJson(plan: PlanModel): unknown[] {
  return changesJson(plan.changes);
}

/** `changes[]` or `drift_changes[]` of the NDJSON `plan` event: address, module, action, reason, risk, phantom, attributes. */
export function changesJson(changes: PlanModel['changes']): unknown[] {
  return changes.map((c) => ({
    address: c.address,
    module: c.module,
    action: c.action,
    ...(c.reason ? { reason: c.reason } : {}),
    risk: c.risk,
    phantom: c.phantom,
    ...(c.setBy ? { set_by: c.setBy } : {}),
    ...(c.previousAddress ? { previous_address: c.previousAddress } : {}),
    ...(c.importingId !== undefined ? { importing_id: c.importingId } : {}),
    attributes: c.detail
      ? attributeChanges(c.detail).map((a) => ({
          path: a.path,
          ...(a.before !== undefined ? { before: a.before } : {}),
          ...(a.after !== undefined ? { after: a.after } : {}),
          unknown: a.unknown,
          sensitive: a.sensitive,
          forces_replacement: a.forcesReplacement,
        }))
      : [],
  }));
}

/** Past this many characters the Markdown is cut with a note (GitHub refuses comments over 65,536; Atlantis cuts the same way). */
export const MARKDOWN_LIMIT = 60_000;

/**
 * The plan as one Markdown document for a pull-request comment: the summary and risk in a table,
 * one collapsible `<details>` per module with each change and its changed attributes (a diff
 * block), drift and phantom updates apart; cut with a note past {@link MARKDOWN_LIMIT} characters.
 */
export function planMarkdown(plan: PlanModel, environment: string, limit = MARKDOWN_LIMIT): string {
  const s = plan.summary;
  const real = plan.changes.filter((c) => !c.phantom);
  const phantom = plan.changes.filter((c) => c.phantom);
  const drift = realDrift(plan);
  const top = plan.changes.find((c) => c.risk === plan.risk && plan.risk !== 'low');
  const head = [
    `### Plan for \`${environment}\`${plan.destroyMode ? ' (destroy)' : ''}`,
    '',
    '| to add | to change | to destroy | replaced | risk | drift | phantom updates |',
    '|---:|---:|---:|---:|---|---:|---:|',
    `| ${s.add} | ${s.change} | ${s.destroy} | ${s.replace} | **${plan.risk}**${top ? ` (${top.riskWhy})` : ''} | ${drift.length} | ${phantom.length} |`,
    '',
  ];
  if (!plan.hasChanges) head.push('No changes: the infrastructure matches the configuration.', '');
  const sections: string[] = [];
  for (const [mod, cs] of byModule(real)) {
    const body: string[] = [];
    for (const c of cs) body.push(...changeLines(c, ''));
    sections.push(`<details><summary><code>${mod || '(root module)'}</code> ${countsText(cs)}</summary>\n\n\`\`\`diff\n${body.map(diffLine).join('\n')}\n\`\`\`\n</details>\n`);
  }
  if (drift.length) {
    const body = drift.flatMap((d) => [`~   ${d.address}`, ...(d.detail ? attributeChanges(d.detail).map((a) => `      ${attributeLine(a)}`) : [])]);
    sections.push(`<details><summary>Drift: ${drift.length} changed outside Terraform</summary>\n\n\`\`\`diff\n${body.map(diffLine).join('\n')}\n\`\`\`\n</details>\n`);
  }
  if (phantom.length) sections.push(`<details><summary>Phantom updates: ${phantom.length} (equal once normalised)</summary>\n\n${phantom.map((c) => `- \`${c.address}\``).join('\n')}\n</details>\n`);
  let out = head.join('\n');
  let shown = 0;
  for (const sec of sections) {
    if (out.length + sec.length > limit - 200) break;
    out += `\n${sec}`;
    shown++;
  }
  if (shown < sections.length) out += `\n> The plan is too long for one comment: ${sections.length - shown} of ${sections.length} sections are left out (over ${limit.toLocaleString('en')} characters). Run \`--ci plan\` for all of it.\n`;
  return out;
}

/** A line for a ```diff block: `+`, `-` and `~` lines keep a leading marker GitHub colours. */
function diffLine(l: string): string {
  const t = l.trimStart();
  if (t.startsWith('-/+')) return `! ${l}`;
  if (t.startsWith('+')) return `+ ${l}`;
  if (t.startsWith('-')) return `- ${l}`;
  if (t.startsWith('~')) return `! ${l}`;
  return `  ${l}`;
}
