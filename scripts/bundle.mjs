#!/usr/bin/env node
/**
 * Bundles the console with esbuild into dist/bundle/ (ES modules, one chunk per lazily imported
 * part: the --ci path, Ink and React, the AWS SDK clients, the Kubernetes client…), with linked
 * source maps that point at the TypeScript under src/. `./play.kube`, `./run.kube`, the tests that
 * start the console and the Dockerfile run dist/bundle/bin.js; tsc's dist/src/ stays for the tests
 * that import modules directly.
 *
 * The options, and what is left outside the bundle, are in bundle-options.mjs.
 *
 * Exit code 1 (esbuild's errors on stderr) when the bundle cannot be built.
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from './bundle-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

await rm(outdir, { recursive: true, force: true });
try {
  await build({
    absWorkingDir: root,
    // bin is the executable; the others are entries too so that they keep stable names (the
    // benchmarks time importing them: bench/first-frame, bench/ssh).
    entryPoints: { bin: 'src/cli/bin.ts', main: 'src/cli/main.ts', console: 'src/cli/console.tsx', 'ci-ssh': 'src/cli/ci-ssh.ts', profile: 'src/core/profile.ts' },
    outdir,
    ...BUNDLE_OPTIONS,
  });
} catch {
  // esbuild has printed its errors.
  process.exit(1);
}
