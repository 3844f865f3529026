#!/usr/bin/env node
/**
 * The executable entry (dist/bundle/bin.js, what `play.kube` and `run.kube` run). It does two
 * things before the rest of the console is loaded, so that they apply to all of it:
 * - turns on Node's compile cache (V8 code cache on disk, one per checkout in
 *   `.cache/node-compile-cache`, or `$NODE_COMPILE_CACHE`); a cache that cannot be written is
 *   ignored by Node;
 * - with `PLATFORM_DEBUG=1`, turns on source maps, so that the stack trace printed for an
 *   unexpected error names the TypeScript files under src/ (for a bug report).
 * Then it runs {@link runMain}.
 */
import module from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.js';

(module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(projectRoot(), '.cache', 'node-compile-cache'));
if (process.env.PLATFORM_DEBUG) process.setSourceMapsEnabled(true);
const { runMain } = await import('./main.js');
runMain(process.argv.slice(2));
