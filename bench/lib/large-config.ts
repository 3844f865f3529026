/**
 * The large configuration of the large-plan and state benchmarks: 10,000 `terraform_data`
 * resources (built into Terraform: no provider) in 50 modules of 200, each with an `input` object
 * and every 20th with `triggers_replace`; the edits of large-plan's plan 2; and the state that
 * applying it leaves, written as Terraform 1.11.4 writes it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MODULES = 50;
export const PER_MODULE = 200;
export const RESOURCES = MODULES * PER_MODULE;

/** Whether resource `r` of a module has `triggers_replace`. */
const hasTrigger = (r: number): boolean => r % 20 === 0;
/** Plan 2: resources whose input changes (update in place): 20 per module, 1,000 in all. */
const editsInput = (r: number): boolean => r % 10 === 3;
/** Plan 2: resources whose triggers_replace changes (replace): 1 per module, 50 in all. */
const editsTrigger = (r: number): boolean => r === 40;
export const PLAN2_CHANGES = MODULES * (PER_MODULE / 10 + 1);

/** Serial and lineage of the state {@link writeState} writes. */
export const STATE_SERIAL = 1;
export const STATE_LINEAGE = '5e1f0c2a-9b7d-4c3e-8f61-0a2b3c4d5e6f';

export const modName = (m: number): string => `m${String(m).padStart(2, '0')}`;
export const resName = (r: number): string => `r${String(r).padStart(3, '0')}`;
/** The address of resource `r` of module `m`. */
export const addressOf = (m: number, r: number): string => `module.${modName(m)}.terraform_data.${resName(r)}`;
/** The `id` {@link writeState} gives resource `r` of module `m` (a UUID, as terraform_data's). */
export const idOf = (m: number, r: number): string => `00000000-0000-4000-8000-${(m * PER_MODULE + r).toString(16).padStart(12, '0')}`;

interface Input {
  n: number;
  name: string;
  tags: { env: string; module: string; owner: string };
}

function inputOf(m: number, r: number, edited: boolean): Input {
  const n = m * PER_MODULE + r;
  return { n: edited ? n + 100_000 : n, name: `${modName(m)}-${resName(r)}`, tags: { env: 'bench', module: modName(m), owner: `team-${(edited ? n + 1 : n) % 7}` } };
}

function triggerOf(r: number, edited: boolean): string[] | undefined {
  return hasTrigger(r) ? [edited ? 'v2' : 'v1'] : undefined;
}

/** Writes the root module (50 module calls) and the 50 modules; `edited`: plan 2's edits. */
export async function writeConfig(dir: string, edited: boolean): Promise<void> {
  let root = '';
  for (let m = 0; m < MODULES; m++) {
    root += `module "${modName(m)}" {\n  source = "./modules/${modName(m)}"\n}\n\n`;
    let body = '';
    for (let r = 0; r < PER_MODULE; r++) {
      const i = inputOf(m, r, edited && editsInput(r));
      const t = triggerOf(r, edited && editsTrigger(r));
      body +=
        `resource "terraform_data" "${resName(r)}" {\n` +
        `  input = {\n    name = "${i.name}"\n    n    = ${i.n}\n    tags = {\n      env    = "${i.tags.env}"\n      module = "${i.tags.module}"\n      owner  = "${i.tags.owner}"\n    }\n  }\n` +
        (t ? `  triggers_replace = ${JSON.stringify(t)}\n` : '') +
        '}\n\n';
    }
    await mkdir(join(dir, 'modules', modName(m)), { recursive: true });
    await writeFile(join(dir, 'modules', modName(m), 'main.tf'), body);
  }
  await writeFile(join(dir, 'main.tf'), root);
}

/** Terraform's type expression of a JSON value as the state keeps a dynamic attribute's type. */
function typeOf(v: unknown): unknown {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return ['tuple', v.map(typeOf)];
  const o = v as Record<string, unknown>;
  return ['object', Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeOf(o[k])]))];
}

/** Sorts object keys as Terraform writes a dynamic value's object (by name). */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * The local state applying plan 1 leaves, in Terraform 1.11.4's format (the shape of a real
 * apply's terraform.tfstate: dynamic attributes as {value, type}, output = input), as `dir/file`.
 * @returns its path.
 */
export async function writeState(dir: string, file = 'terraform.tfstate'): Promise<string> {
  const resources: unknown[] = [];
  for (let m = 0; m < MODULES; m++) {
    for (let r = 0; r < PER_MODULE; r++) {
      const input = sortedKeys(inputOf(m, r, false));
      const dyn = { value: input, type: typeOf(input) };
      const t = triggerOf(r, false);
      resources.push({
        module: `module.${modName(m)}`,
        mode: 'managed',
        type: 'terraform_data',
        name: resName(r),
        provider: 'provider["terraform.io/builtin/terraform"]',
        instances: [
          {
            schema_version: 0,
            attributes: { id: idOf(m, r), input: dyn, output: dyn, triggers_replace: t ? { value: t, type: typeOf(t) } : null },
            sensitive_attributes: [],
          },
        ],
      });
    }
  }
  const state = { version: 4, terraform_version: '1.11.4', serial: STATE_SERIAL, lineage: STATE_LINEAGE, outputs: {}, resources, check_results: null };
  const path = join(dir, file);
  await writeFile(path, JSON.stringify(state));
  return path;
}
