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
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

/**
 * Yoga (Ink's layout engine) is WebAssembly inlined as a base64 `data:` URL. Emscripten's loader
 * fetches that URL with `fetch` whenever `fetch` exists, which in Node loads Node's bundled undici
 * and decodes the URL through it: ~90 ms of every console start. Its own synchronous base64 path
 * gives the same bytes; this makes the loader take it. The build fails if the loader's text changes
 * (a new yoga-layout), so that this is looked at again rather than silently lost.
 */
const YOGA_FETCH = '"function"!=typeof fetch?Promise.resolve().then(function(){return wa()})';
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const at = text.indexOf(YOGA_FETCH);
      if (at < 0 || text.indexOf(YOGA_FETCH, at + 1) >= 0) {
        return { errors: [{ text: `yoga-without-fetch: the loader's text "${YOGA_FETCH.slice(0, 40)}…" is not in ${args.path} exactly once (a new yoga-layout?): look at scripts/bundle.mjs` }] };
      }
      return { contents: text.replace(YOGA_FETCH, '"function"!=typeof fetch||true?Promise.resolve().then(function(){return wa()})'), loader: 'js' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
try {
  await build({
    absWorkingDir: root,
    // bin is the executable; the others are entries too so that they keep stable names (the
    // benchmarks time importing them: bench/first-frame, bench/ssh).
    entryPoints: { bin: 'src/cli/bin.ts', main: 'src/cli/main.ts', console: 'src/cli/console.tsx', 'ci-ssh': 'src/cli/ci-ssh.ts', profile: 'src/core/profile.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    jsx: 'automatic',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [yogaWithoutFetch],
    external: ['ssh2', 'cpu-features', '@cdktn/hcl2json', 'react-devtools-core'],
    // CommonJS dependencies bundled into ES modules still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __pcCreateRequire } from 'node:module'; const require = __pcCreateRequire(import.meta.url);" },
  });
} catch {
  // esbuild has printed its errors.
  process.exit(1);
}
