/**
 * esbuild's options and plugins for the console's bundle (scripts/bundle.mjs), shared with the
 * benchmark that bundles a bare Ink program the same way (bench/first-frame: the floor of any Ink
 * console).
 */
import { readFile } from 'node:fs/promises';

/**
 * Yoga (Ink's layout engine) is WebAssembly inlined as a base64 `data:` URL. Emscripten's loader
 * fetches that URL with `fetch` whenever `fetch` exists, which in Node loads Node's bundled undici
 * and decodes the URL through it: ~90 ms of every console start. Its own synchronous base64 path
 * gives the same bytes; this makes the loader take it. The build fails if the loader's text changes
 * (a new yoga-layout), so that this is looked at again rather than silently lost.
 */
const YOGA_FETCH = '"function"!=typeof fetch?Promise.resolve().then(function(){return wa()})';
export const yogaWithoutFetch = {
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

/**
 * The bundle's options besides its entries and output directory: ES modules split into chunks,
 * Node 24, linked source maps without the sources' text (they point at src/), the yoga plugin, and
 * what stays outside the bundle (resolved from node_modules at run time): ssh2 (its optional native
 * crypto binding is found relative to its own files), the HCL parser (it reads its WebAssembly file
 * beside itself), and Ink's optional React devtools (never loaded in production).
 */
export const BUNDLE_OPTIONS = {
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
};
