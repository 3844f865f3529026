#!/usr/bin/env node
// Runs every test: unit, ui, integration, e2e (compiled by `npm run build` in pretest).
// Usage: npm test [-- PATTERN...]   (patterns are paths under dist/test, e.g. dist/test/unit)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const roots = args.length ? args : ['dist/test/unit', 'dist/test/ui', 'dist/test/integration', 'dist/test/e2e'];
// The two longest files (the whole platform applied on moto, 7-8 min each) start first, so the
// rest runs beside them (two files at a time) instead of after them.
const LONG = ['integration/platform.test.js', 'integration/state.test.js'];
const all = roots.flatMap((r) => (r.endsWith('.js') ? [r] : collect(r)));
const files = [...all.filter((f) => LONG.some((l) => f.endsWith(l))), ...all.filter((f) => !LONG.some((l) => f.endsWith(l)))];
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '), '(did `npm run build` run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: process.env,
});
process.exit(r.status ?? 1);
