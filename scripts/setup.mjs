#!/usr/bin/env node
// Checks (and where it can, installs) what the tests need besides npm packages:
// Terraform, the AWS provider mirror, moto, the AWS CLI, tmux, OpenSSH's sshd. Run by `npm test` (pretest) before the tests.
// With CI=true a missing component is an error; otherwise the tests that need it skip loudly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ci = process.env.CI === 'true';
const problems = [];
function has(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : undefined;
}
const tf = has(process.env.TF_BINARY || 'terraform', ['version']) ?? has('tofu', ['version']);
console.log(`setup: terraform: ${tf ?? 'MISSING'}`);
if (!tf) problems.push('terraform (or tofu) is not on PATH: install Terraform 1.11');
const mirror = process.env.PLATFORM_PROVIDER_MIRROR || '/opt/tf-plugins';
console.log(`setup: provider mirror: ${existsSync(mirror) ? mirror : 'none (providers come from the public registry)'}`);
const moto = has('moto_server', ['--help']) ? 'moto_server' : has('python3', ['-c', 'import moto.server']) !== undefined ? 'python3 -m moto.server' : undefined;
console.log(`setup: moto: ${moto ?? 'MISSING (pip install "moto[server]")'}`);
if (!moto) problems.push('moto is not installed: pip install "moto[server]"');
// The AWS CLI runs the nodes' bootstrap functions (terraform/modules/bootstrap/scripts/lib.sh) against moto.
const awsCli = has('aws', ['--version']);
console.log(`setup: AWS CLI (bootstrap script tests): ${awsCli ?? 'MISSING (pip install awscli)'}`);
if (!awsCli) problems.push('the AWS CLI is not installed: pip install awscli');
// tmux drives the end-to-end tests and OpenSSH's sshd plays the bastion and the nodes in the SSH
// tests; both are Debian packages: install what is missing when we can (root with apt-get).
const SSHD = process.env.PLATFORM_SSHD || '/usr/sbin/sshd';
const hasSshd = () => existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen') ? SSHD : undefined;
let tmux = has('tmux', ['-V']);
let sshd = hasSshd();
const missing = [...(tmux ? [] : ['tmux']), ...(sshd ? [] : ['openssh-server', 'openssh-client'])];
if (missing.length && process.getuid?.() === 0 && has('apt-get', ['--version'])) {
  console.log(`setup: installing ${missing.join(' ')} with apt-get`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  tmux = has('tmux', ['-V']);
  sshd = hasSshd();
}
console.log(`setup: tmux (end-to-end tests): ${tmux ?? 'MISSING (apt-get install tmux)'}`);
if (!tmux) problems.push('tmux is not installed: apt-get install tmux');
console.log(`setup: sshd (SSH tests): ${sshd ?? 'MISSING (apt-get install openssh-server)'}`);
if (!sshd) problems.push('OpenSSH sshd is not installed: apt-get install openssh-server');
if (problems.length) {
  for (const p of problems) console.error(`setup: ${ci ? 'error' : 'warning'}: ${p}`);
  if (ci) process.exit(1);
}
