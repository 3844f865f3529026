// Bounded input (issue 11): oversized, endless or blocking profiles and repeated options end the
// real CLI (`--ci plan`) with exit 1, a few lines on stderr, and nothing written. Every case fails
// before Terraform or AWS is touched, so no emulator is needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitOf, waitFor } from '../support/cli-child.js';
import { startSilentServer } from '../support/kube-standin.js';
import { listing, makeWorkspace, type Workspace } from '../support/workspace.js';

/** A hang fails the test instead of blocking the suite; a healthy run takes well under this. */
const KILL_AFTER_MS = 20_000;

describe('bounded input: bad profiles and options exit 1 with a short message and write nothing', () => {
  let ws: Workspace;
  before(async () => {
    ws = await makeWorkspace('slow');
    // 10 MiB of printable junk (not HCL).
    const junk = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = 33 + ((i * 7919) % 94);
    await writeFile(join(ws.profiles, 'junk.tfvars'), junk);
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `"10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32"`).join(', ');
    await ws.profile('cidrs', (t) => t.replace(/^ssh_access_list\s*=.*$/m, `ssh_access_list = [${cidrs(600_000)}]`));
    await ws.profile('cidrs51', (t) => t.replace(/^ssh_access_list\s*=.*$/m, `ssh_access_list = [${cidrs(51)}]`));
    await ws.profile('longkey', (t) => t.replace(/^ssh_public_key\s*=.*$/m, `ssh_public_key = "ssh-ed25519 ${'A'.repeat(20 * 1024)} x"`));
    await ws.profile('manybad', (t) =>
      t
        .replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.0.0/16"')
        .replace(/^az_count\s*=.*$/m, 'az_count = 9')
        .replace(/^secure_count\s*=.*$/m, 'secure_count = 99')
        .replace(/^compute_count\s*=.*$/m, 'compute_count = -1')
        .replace(/^kubernetes_version\s*=.*$/m, 'kubernetes_version = "one"'),
    );
    execFileSync('mkfifo', [join(ws.profiles, 'fifo.tfvars')]);
    await symlink('/dev/zero', join(ws.profiles, 'zero.tfvars'));
    await ws.profile('a');
    await ws.profile('b');
  });
  after(() => ws.dispose());


  const cases: [string, string[], RegExp][] = [
    ['a 10 MiB junk profile', ['-e', 'junk', '--ci', 'plan'], /junk\.tfvars is larger than 64 KiB \(10\.0 MiB\); a profile is at most 64 KiB/],
    ['600,000 CIDRs in ssh_access_list', ['-e', 'cidrs', '--ci', 'plan'], /cidrs\.tfvars is larger than 64 KiB/],
    ['51 CIDRs in ssh_access_list', ['-e', 'cidrs51', '--ci', 'plan'], /cidrs51\.tfvars:\d+: field "ssh_access_list" has 51 entries; at most 50 are allowed \(a security group holds 60 inbound rules\)/],
    ['a 20 KiB ssh_public_key', ['-e', 'longkey', '--ci', 'plan'], /longkey\.tfvars:\d+: field "ssh_public_key" is 20\d{3} characters long; at most 16384 are allowed/],
    ['five invalid fields', ['-e', 'manybad', '--ci', 'plan'], /manybad\.tfvars:\d+: field "vpc_cidr" must be an IPv4 CIDR[^;]*; line \d+: field "az_count" must be 1, 2 or 3; .* \(\+\d+ more\)$/m],
    ['a FIFO as the profile', ['-e', 'fifo', '--ci', 'plan'], /fifo\.tfvars is not a regular file \(it is a FIFO\)/],
    ['/dev/zero as the profile', ['-e', 'zero', '--ci', 'plan'], /zero\.tfvars is not a regular file \(it is a character device\)/],
    ['-e given twice', ['-e', 'a', '-e', 'b', '--ci', 'plan'], /-e\/--env was given twice/],
    ['--ci given twice', ['-e', 'a', '--ci', 'plan', '--ci', 'apply'], /--ci was given twice/],
  ];
  for (const [what, args, re] of cases) {
    it(`${what} → exit 1, short message, nothing written`, async (t) => {
      const before = await listing(ws.dir);
      const started = performance.now();
      const r = await ws.cli(args, { timeoutMs: KILL_AFTER_MS });
      t.diagnostic(`${what}: exit ${r.code} after ${Math.round(performance.now() - started)} ms, stderr ${r.stderr.length} bytes`);
      assert.equal(r.code, 1, r.stdout.slice(0, 2000) + r.stderr.slice(0, 2000));
      assert.match(r.stderr, re);
      assert.ok(r.stderr.length < 2048, `stderr is ${r.stderr.length} bytes`);
      assert.ok(r.stderr.split('\n').length <= 5, `stderr has ${r.stderr.split('\n').length} lines`);
      assert.match(r.stderr, /^error: .*\n(hint: .*\n)?$/, `expected one error line and an optional hint, got:\n${r.stderr.slice(0, 2000)}`);
      assert.equal(r.stdout, '');
      assert.deepEqual(await listing(ws.dir), before, 'files were written');
    });
  }
});

describe('interrupted while no Terraform runs: a hung AWS endpoint never keeps the process', () => {
  let ws: Workspace;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  before(async () => {
    ws = await makeWorkspace('slow');
    await ws.profile('away');
    // A TCP server on 127.0.0.1 that accepts and never answers: STS hangs on it.
    silent = await startSilentServer();
  });
  after(async () => {
    await silent.stop();
    await ws.dispose();
  });

  for (const [signals, last] of [
    [['SIGTERM'], /interrupted: exiting now \(the step in progress did not end\)\n/],
    [['SIGINT', 'SIGINT'], /interrupted again: exiting now\n/],
  ] as const) {
    it(`${signals.join(' then ')} while STS does not answer: exit 1 with what happened`, async () => {
      const child = ws.spawnCli(['-e', 'away', '--ci', 'plan'], { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: `http://127.0.0.1:${silent.port}` });
      const done = exitOf(child);
      await waitFor(child, /checking credentials/, 60_000);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      for (const sig of signals) {
        // Each signal once the previous one was handled (two at once may arrive as one).
        const handled = stderr.split('interrupted').length;
        child.kill(sig);
        while (stderr.split('interrupted').length === handled && child.exitCode === null) await new Promise((res) => setTimeout(res, 20));
      }
      const r = await done;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^interrupted: stopping \(nothing is running in Terraform; exiting in 2 s at the latest\)\n/m);
      // It is our exit (the grace timer, or the second signal), not the SDK giving up on the request.
      assert.match(r.stderr, last);
      assert.doesNotMatch(r.stderr, /did not accept the credentials/);
    });
  }
});
