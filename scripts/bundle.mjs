#!/usr/bin/env node
/**
 * Bundles the console with esbuild into dist/bundle/ (ES modules, one chunk per lazily imported
 * part: the --ci path, Ink and React, the AWS SDK clients, the Kubernetes client…), with linked
 * source maps that point at the TypeScript under src/. `./play.kube`, `./run.kube`, the tests that
 * start the console and the Dockerfile run dist/bundle/bin.js; tsc's dist/src/ stays for the tests
 * that import modules directly.
 *
 * Left outside the bundle, resolved from node_modules at run time: ssh2 (its optional native
 * crypto binding is found relative to its own files), the HCL parser (it reads its WebAssembly
 * file beside itself), and Ink's optional React devtools (never loaded in production).
 *
 * Exit code 1 (esbuild's errors on stderr) when the bundle cannot be built.
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

await rm(outdir, { recursive: true, force: true });
try {
  await build({
    absWorkingDir: root,
    // bin is the executable; main and console are entries too so that they keep stable names
    // (bench/first-frame times importing them).
    entryPoints: { bin: 'src/cli/bin.ts', main: 'src/cli/main.ts', console: 'src/cli/console.tsx' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    jsx: 'automatic',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    external: ['ssh2', 'cpu-features', '@cdktn/hcl2json', 'react-devtools-core'],
    // CommonJS dependencies bundled into ES modules still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __pcCreateRequire } from 'node:module'; const require = __pcCreateRequire(import.meta.url);" },
  });
} catch {
  // esbuild has printed its errors.
  process.exit(1);
}
