/**
 * Node's flags for the console (scripts/node-flags): the launchers start Node with exactly them
 * (run as shipped), Node takes them, and the young generation's cap does what the README says (16 MiB,
 * two semi-spaces of 8, under a churn that grows it past that without them). What the console's
 * run-time setting (core/heap-settings.ts) does is measured by bench/screen-load, not here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { consoleNodeFlags, projectRoot } from '../../src/core/paths.js';

const run = promisify(execFile);
const root = projectRoot();

/** Allocates ~400 MB in arrays that live a little while (a burst like the console's under events); prints new space's largest size, MiB. */
const CHURN = `
const v8 = require('node:v8');
let max = 0, keep = [];
for (let i = 0; i < 4000; i++) {
  keep.push(new Array(2000).fill(0).map((_, j) => ({ j })));
  if (keep.length > 8) keep.shift();
  if (i % 50 === 0) for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space') max = Math.max(max, s.space_size);
}
process.stdout.write(String(max / 1048576));
`;

describe('the console\'s Node flags', () => {
  it('scripts/node-flags holds the young generation\'s size, and nothing Node refuses', async () => {
    const flags = consoleNodeFlags();
    assert.deepEqual(flags, ['--max-semi-space-size=8']);
    const r = await run(process.execPath, [...flags, '-e', 'process.stdout.write(process.execArgv.join(" "))']);
    assert.equal(r.stdout.split(' ').slice(0, flags.length).join(' '), flags.join(' '));
  });

  it('play.kube and run.kube start Node with them (its first line; a CRLF file too)', async () => {
    // Each launcher as shipped, in a copy of the project's layout whose ensure-ready.sh does nothing
    // (the real one may compile), Node printing the flags it was started with.
    const dir = await mkdtemp(join(tmpdir(), 'pc-node-flags-'));
    try {
      await mkdir(join(dir, 'scripts'));
      await writeFile(join(dir, 'scripts', 'ensure-ready.sh'), '#!/usr/bin/env bash\nexit 0\n', { mode: 0o755 });
      await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
      await symlink(join(root, 'dist'), join(dir, 'dist'));
      const env = { ...process.env, NODE_OPTIONS: `--import=data:text/javascript,process.stderr.write('EXECARGV'+JSON.stringify(process.execArgv)+'\\n')` };
      for (const launcher of ['play.kube', 'run.kube']) {
        await copyFile(join(root, launcher), join(dir, launcher));
        await chmod(join(dir, launcher), 0o755);
        for (const text of [readFileSync(join(root, 'scripts', 'node-flags'), 'utf8'), `${consoleNodeFlags().join(' ')}\r\n# a second line is not read\r\n`]) {
          await writeFile(join(dir, 'scripts', 'node-flags'), text);
          const r = await run(join(dir, launcher), ['--version'], { env });
          assert.match(r.stdout, /^platform-console \d+\.\d+\.\d+\n$/, launcher);
          assert.match(r.stderr, new RegExp(`^EXECARGV${JSON.stringify(consoleNodeFlags()).replace(/[[\]]/g, '\\$&')}$`, 'm'), `${launcher}: ${r.stderr}`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keep V8\'s young generation at 16 MiB where it grows past that without them', async () => {
    const without = Number((await run(process.execPath, ['-e', CHURN])).stdout);
    const withFlags = Number((await run(process.execPath, [...consoleNodeFlags(), '-e', CHURN])).stdout);
    assert.ok(without > 16, `without the flags the young generation reached ${without} MiB (the churn must grow it past 16 to tell)`);
    assert.ok(withFlags <= 16, `with the flags it reached ${withFlags} MiB`);
  });
});
