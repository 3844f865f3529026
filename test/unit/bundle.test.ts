/**
 * The esbuild bundle (dist/bundle/, built by scripts/bundle.mjs as part of `npm run build`) is what
 * operators run: these check that its stack traces still name the TypeScript sources (source maps)
 * and that an unexpected error prints its stack trace only under PLATFORM_DEBUG.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { failureText, ProfileError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/core/paths.js';

const BUNDLE_MAIN = pathToFileURL(join(projectRoot(), 'dist', 'bundle', 'main.js')).href;

/** Calls the bundle's main() with an argv it cannot handle (null: a programming error, never user input). */
function unexpected(env: Record<string, string>, sourceMaps: boolean) {
  const script = `${sourceMaps ? 'process.setSourceMapsEnabled(true);' : ''} const m = await import(${JSON.stringify(BUNDLE_MAIN)}); process.exitCode = await m.main(null, ${JSON.stringify(env)});`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('failureText', () => {
  it("a ConsoleError is its message and hint, never a stack trace, even under PLATFORM_DEBUG", () => {
    const e = new ProfileError('profiles/x.tfvars: field "az_count" must be 1, 2 or 3', 'edit profiles/x.tfvars');
    const want = 'error: profiles/x.tfvars: field "az_count" must be 1, 2 or 3\nhint: edit profiles/x.tfvars\n';
    assert.equal(failureText(e, {}), want);
    assert.equal(failureText(e, { PLATFORM_DEBUG: '1' }), want);
  });

  it('an unexpected error gets the PLATFORM_DEBUG hint, or its stack under PLATFORM_DEBUG', () => {
    const e = new TypeError('boom');
    assert.equal(failureText(e, {}), 'error: boom\nhint: this is unexpected; run again with PLATFORM_DEBUG=1 for its stack trace and add it to a bug report\n');
    const debug = failureText(e, { PLATFORM_DEBUG: '1' });
    assert.ok(debug.startsWith('error: boom\nTypeError: boom\n    at '), debug);
  });
});

describe('the bundle', () => {
  it('an unexpected error is one line and a hint, without a stack trace, by default', () => {
    const r = unexpected({}, true);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "error: Cannot read properties of null (reading 'indexOf')\nhint: this is unexpected; run again with PLATFORM_DEBUG=1 for its stack trace and add it to a bug report\n");
  });

  it('under PLATFORM_DEBUG its stack trace names the TypeScript files under src/ (source maps)', () => {
    const r = unexpected({ PLATFORM_DEBUG: '1' }, true);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: Cannot read properties of null/);
    assert.match(r.stderr, /at parseInvocation \(.*\/src\/cli\/args\.ts:\d+:\d+\)/);
    assert.match(r.stderr, /at .*main \(.*\/src\/cli\/main\.ts:\d+:\d+\)/);
    assert.doesNotMatch(r.stderr, /dist\/bundle/);
  });

  it('bin.js turns source maps on under PLATFORM_DEBUG (and only then)', () => {
    const bin = join(projectRoot(), 'dist', 'bundle', 'bin.js');
    const probe = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent("process.on('exit', () => process.stdout.write(' maps=' + String(process.sourceMapsEnabled)));")}`, bin, '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
    const off = probe({ PLATFORM_DEBUG: '' });
    const on = probe({ PLATFORM_DEBUG: '1' });
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /^platform-console \S+\n maps=false$/);
    assert.match(on.stdout, /^platform-console \S+\n maps=true$/);
  });
});
