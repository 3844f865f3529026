// The layers stay apart: the UI loads no service module (only their types), and the services
// load no Ink or React, so --ci and the tests use them unchanged.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/core/paths.js';

const root = projectRoot();

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The module specifiers a file loads at run time (`import type` and `export type` left out). */
async function valueImports(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

describe('layers', () => {
  it('src/ui and the panes\' views, slices and actions import no module of src/services (types only; only a pane\'s controller.ts calls services)', async () => {
    const bad: string[] = [];
    const panes = (await sources(join(root, 'src', 'panes'))).filter((f) => !f.endsWith('/controller.ts'));
    assert.ok(panes.some((f) => f.endsWith('/plan/view.tsx')), 'the panes are checked');
    for (const f of [...(await sources(join(root, 'src', 'ui'))), ...panes]) {
      for (const spec of await valueImports(f)) if (/(^|\/)services\//.test(spec)) bad.push(`${relative(root, f)} → ${spec}`);
    }
    assert.deepEqual(bad, []);
  });

  it('src/services imports neither Ink nor React', async () => {
    const bad: string[] = [];
    for (const f of await sources(join(root, 'src', 'services'))) {
      for (const spec of await valueImports(f)) if (/^(ink|react)(\/|$)|^ink-/.test(spec)) bad.push(`${relative(root, f)} → ${spec}`);
    }
    assert.deepEqual(bad, []);
  });

  it('src/state, the panes\' slices and actions, and the key registry import neither Ink nor React (--ci, --help and the tests load them without a terminal)', async () => {
    const files = [...(await sources(join(root, 'src', 'state'))), ...(await sources(join(root, 'src', 'panes'))).filter((f) => /\/(slice|actions|index|ids|overlays|controller)\.ts$/.test(f)), ...(await sources(join(root, 'src', 'ui', 'keys')))];
    assert.ok(files.some((f) => f.endsWith('registry.ts')), 'the registry is checked');
    const bad: string[] = [];
    for (const f of files) for (const spec of await valueImports(f)) if (/^(ink|react)(\/|$)|^ink-/.test(spec)) bad.push(`${relative(root, f)} → ${spec}`);
    assert.deepEqual(bad, []);
  });
});
