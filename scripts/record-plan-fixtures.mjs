#!/usr/bin/env node
// Records test/fixtures/plan-json/*.json: `terraform show -json PLANFILE` documents of the
// real Terraform and hashicorp/aws provider, planned against a moto AWS emulator, for the
// unit tests of the plan-diff renderer (issue 13). One fixture per case below; the README
// beside the fixtures is written from the same case list.
//
//   node scripts/record-plan-fixtures.mjs [--out DIR] [--jobs N] [--keep] [CASE ...]
//
// CASE is a fixture name without `.json` (default: all). --out defaults to
// test/fixtures/plan-json (the README there is written only when all cases run and pass);
// --jobs how many cases run at once (default 3); --keep leaves the temp dirs behind.
//
// Needs on PATH: `terraform` (1.11.4 on the project's machines), `moto_server` (moto 5.x),
// `aws` (the AWS CLI, for the out-of-band changes); and the hashicorp/aws provider 5.100.0
// in a filesystem mirror, /opt/tf-plugins unless TF_PLUGIN_MIRROR says otherwise (no
// network is used). Each case runs in its own temp dir with local state and its own moto
// on a free 127.0.0.1 port, seeded (POST /moto-api/seed) so the ids moto makes are the same
// from run to run; applies run with -parallelism=1 for the same reason. Every moto and
// terraform process started here is stopped before the script exits, also on SIGINT/SIGTERM.
// The fixtures are written re-indented (1 space) but otherwise as Terraform printed them
// (key order kept); only `timestamp`, and the order Terraform gives `relevant_attributes`
// in data-read.json, change between runs.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const REGION = 'eu-west-1';
const SEED = 42;
const PROVIDER_VERSION = '5.100.0';
const MIRROR = process.env.TF_PLUGIN_MIRROR || '/opt/tf-plugins';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const defaultOut = join(repoRoot, 'test', 'fixtures', 'plan-json');

// ---------------------------------------------------------------------------------------
// Child processes: every one is tracked and killed (its whole process group) on exit.

const live = new Set();
/** Temp dirs of running cases, removed on exit unless --keep. */
const tempDirs = new Set();
let keepTemp = false;

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone
    }
  }
}

function killAll(signal = 'SIGKILL') {
  for (const child of live) killGroup(child, signal);
}

process.on('exit', () => {
  killAll('SIGKILL');
  if (!keepTemp) for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll('SIGKILL');
    process.exit(130);
  });
}

/**
 * Runs a command to completion (own process group, so terraform's provider plugins go with
 * it); resolves { code, stdout, stderr }, rejects on a spawn error or the time limit.
 */
function run(cmd, args, { cwd, env, timeoutMs = 300_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(child);
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no answer after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// moto

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

function request(method, url) {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(url, { method, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolvePromise(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Starts a fresh moto on a free 127.0.0.1 port, seeded; resolves { endpoint, stop() }. */
async function startMoto() {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('moto_server', ['-H', HOST, '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    live.add(child);
    let log = '';
    child.stderr.on('data', (b) => {
      log = (log + b.toString('utf8')).slice(-4_000);
    });
    let spawnError;
    child.on('error', (e) => {
      spawnError = e;
    });
    const exited = new Promise((r) => child.on('close', r));
    const stop = async () => {
      killGroup(child, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(3_000).then(() => false)]);
      if (!gone) {
        killGroup(child, 'SIGKILL');
        await exited;
      }
      live.delete(child);
    };
    const endpoint = `http://${HOST}:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null && !spawnError) {
      try {
        const ready = await request('GET', `${endpoint}/moto-api/config`);
        if (ready >= 200 && ready < 300) {
          const status = await request('POST', `${endpoint}/moto-api/seed?a=${SEED}`);
          if (status < 200 || status >= 300) throw new Error(`moto: seed answered ${status}`);
          return { endpoint, stop };
        }
      } catch (e) {
        if (String(e.message).startsWith('moto: seed')) throw e;
      }
      await sleep(200);
    }
    await stop();
    if (spawnError) throw new Error(`moto_server could not be started: ${spawnError.message}`);
    if (attempt >= 3) throw new Error(`moto_server did not answer on ${endpoint}:\n${log}`);
  }
}

// ---------------------------------------------------------------------------------------
// One case's workspace

const PROVIDER_TF = `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "${PROVIDER_VERSION}"
    }
  }
}

# Credentials and the endpoint (moto) come from the environment.
provider "aws" {
  region                      = "${REGION}"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}
`;

const CLI_CONFIG = `provider_installation {
  filesystem_mirror {
    path = "${MIRROR}"
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`;

function baseEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Nothing from the caller's AWS or Terraform setup may leak into the recordings.
    if (k.startsWith('AWS_') || k.startsWith('TF_')) continue;
    env[k] = v;
  }
  return env;
}

class Workspace {
  constructor(dir, endpoint) {
    this.dir = dir;
    this.endpoint = endpoint;
    this.env = {
      ...baseEnv(),
      TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc'),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
    this.root = join(dir, 'root');
    this.log = [];
  }

  async init() {
    await writeFile(join(this.dir, 'cli.tfrc'), CLI_CONFIG);
    await mkdir(this.root, { recursive: true });
    await writeFile(join(this.root, 'provider.tf'), PROVIDER_TF);
  }

  /** Replaces the configuration (every file but provider.tf) by `files` (relative path -> text). */
  async config(files) {
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (entry.name === 'provider.tf' || entry.name.startsWith('.') || entry.name.startsWith('terraform.tfstate')) continue;
      if (entry.isDirectory() ? entry.name === 'modules' : entry.name.endsWith('.tf')) {
        await rm(join(this.root, entry.name), { recursive: true, force: true });
      }
    }
    for (const [name, text] of Object.entries(files)) {
      const path = join(this.root, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
    if (!this.initialised) {
      await this.tf('init', '-input=false', '-no-color');
      this.initialised = true;
    } else if (Object.keys(files).some((f) => f.startsWith('modules/'))) {
      await this.tf('init', '-input=false', '-no-color');
    }
  }

  async tf(...args) {
    this.log.push(`terraform ${args.join(' ')}`);
    const r = await run('terraform', args, { cwd: this.root, env: this.env });
    if (r.code !== 0) {
      throw new Error(`terraform ${args.join(' ')} exited ${r.code}:\n${r.stderr || r.stdout}`);
    }
    return r.stdout;
  }

  /**
   * `terraform apply`, then (unless `settle` is false) `terraform apply -refresh-only`: moto
   * and the provider read some attributes back differently from what the apply stored (tags
   * null -> {}, empty sets null -> []); taking that into the state keeps such non-changes out of
   * the case's `resource_drift`. The phantom case keeps them on purpose.
   */
  async apply(...args) {
    await this.applyOnce(...args);
    if (this.settle !== false) await this.tf('apply', '-refresh-only', '-auto-approve', '-input=false', '-no-color', '-parallelism=1');
  }

  applyOnce(...args) {
    return this.tf('apply', '-auto-approve', '-input=false', '-no-color', '-parallelism=1', ...args);
  }

  /** `terraform plan -out` then `terraform show -json` of that plan file: the parsed document. */
  async plan(...args) {
    await this.tf('plan', '-input=false', '-no-color', '-parallelism=1', '-out=case.tfplan', ...args);
    return JSON.parse(await this.tf('show', '-json', '-no-color', 'case.tfplan'));
  }

  async outputs() {
    const out = JSON.parse(await this.tf('output', '-json'));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
  }

  /** The AWS CLI against this case's moto (for out-of-band changes). */
  async aws(...args) {
    this.log.push(`aws ${args.join(' ')}`);
    const r = await run('aws', ['--endpoint-url', this.endpoint, '--region', REGION, '--output', 'json', ...args], {
      cwd: this.dir,
      env: this.env,
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${r.code}:\n${r.stderr || r.stdout}`);
    return r.stdout;
  }
}

// ---------------------------------------------------------------------------------------
// Checks on a recorded document

function changeOf(doc, address) {
  const rc = (doc.resource_changes ?? []).find((r) => r.address === address);
  if (!rc) throw new Error(`no resource_changes entry for ${address}`);
  return rc;
}

function expect(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function expectChange(doc, address, actions, reason) {
  const rc = changeOf(doc, address);
  expect(
    JSON.stringify(rc.change.actions) === JSON.stringify(actions),
    `${address} actions ${JSON.stringify(rc.change.actions)}, expected ${JSON.stringify(actions)}`,
  );
  if (reason !== undefined) expect(rc.action_reason === reason, `${address} action_reason ${rc.action_reason}, expected ${reason}`);
  return rc;
}

// ---------------------------------------------------------------------------------------
// The cases. Each `run` leaves the workspace planned and returns the show -json document;
// `check` throws when the document lacks what the case is for.

const hcl = (s) => s.replace(/^\n/, '');

const CASES = [
  {
    name: 'update-in-place',
    how: 'an `aws_launch_template`: `instance_type` t3.small → t3.medium, `metadata_options.http_tokens` optional → required (nested block attribute), tags: Env changed, Owner added, Name/Team unchanged. Applied twice first (moto copies the tags into `tag_specifications` on create; the second apply settles that), then `plan` with the new config.',
    async run(w) {
      const lt = (type, tokens, tags) =>
        hcl(`
resource "aws_launch_template" "web" {
  name          = "pcfx-web"
  description   = "web servers"
  image_id      = "ami-12c6146b"
  instance_type = "${type}"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "${tokens}"
    http_put_response_hop_limit = 2
  }

  tags = {
${tags}
  }
}
`);
      await w.config({ 'main.tf': lt('t3.small', 'optional', '    Name = "web"\n    Env  = "dev"\n    Team = "platform"') });
      await w.applyOnce();
      await w.apply();
      await w.config({
        'main.tf': lt('t3.medium', 'required', '    Name  = "web"\n    Env   = "staging"\n    Team  = "platform"\n    Owner = "ops"'),
      });
      return w.plan();
    },
    check(doc) {
      const rc = expectChange(doc, 'aws_launch_template.web', ['update']);
      const { before, after } = rc.change;
      expect(before.instance_type === 't3.small' && after.instance_type === 't3.medium', 'instance_type change');
      expect(before.tags.Env === 'dev' && after.tags.Env === 'staging' && after.tags.Owner === 'ops' && !('Owner' in before.tags), 'tag changes');
      expect(before.metadata_options[0].http_tokens === 'optional' && after.metadata_options[0].http_tokens === 'required', 'nested change');
    },
  },
  {
    name: 'replace-paths',
    how: 'an `aws_vpc` with two `aws_subnet`s whose `cidr_block` changes (a: 10.10.1.0/24 → 10.10.3.0/24, delete then create; b: 10.10.2.0/24 → 10.10.4.0/24 with `create_before_destroy`, plus a tag change); `apply`, then `plan` with the new CIDRs.',
    async run(w) {
      const cfg = (a, b, tier) =>
        hcl(`
resource "aws_vpc" "main" {
  cidr_block = "10.10.0.0/16"
  tags       = { Name = "pcfx-replace" }
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "${a}"
  availability_zone = "${REGION}a"
  tags              = { Name = "pcfx-replace-a" }
  # (creation order fixed: moto's seeded ids stay the same from run to run; a resource that a
  # create_before_destroy one depends on would become create_before_destroy too, so a waits for b)
  depends_on        = [aws_subnet.b]
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "${b}"
  availability_zone = "${REGION}b"
  tags              = { Name = "pcfx-replace-b", Tier = "${tier}" }

  lifecycle {
    create_before_destroy = true
  }
}
`);
      await w.config({ 'main.tf': cfg('10.10.1.0/24', '10.10.2.0/24', 'private') });
      await w.apply();
      await w.config({ 'main.tf': cfg('10.10.3.0/24', '10.10.4.0/24', 'public') });
      return w.plan();
    },
    check(doc) {
      const a = expectChange(doc, 'aws_subnet.a', ['delete', 'create'], 'replace_because_cannot_update');
      expect(JSON.stringify(a.change.replace_paths) === '[["cidr_block"]]', `subnet a replace_paths ${JSON.stringify(a.change.replace_paths)}`);
      const b = expectChange(doc, 'aws_subnet.b', ['create', 'delete'], 'replace_because_cannot_update');
      expect(b.change.replace_paths?.length > 0, 'subnet b replace_paths');
    },
  },
  {
    name: 'sensitive',
    how: 'an `aws_ssm_parameter` SecureString whose `value` changes (provider-sensitive), a String parameter whose `description` and `Owner` tag come from a `sensitive = true` variable (changed), an unchanged SecureString, and a sensitive output; `apply`, then `plan` with the new values.',
    async run(w) {
      const cfg = (token, owner) =>
        hcl(`
variable "owner" {
  type      = string
  sensitive = true
  default   = "${owner}"
}

resource "aws_ssm_parameter" "api_token" {
  name  = "/pcfx/sensitive/api-token"
  type  = "SecureString"
  value = "${token}"
}

resource "aws_ssm_parameter" "db_password" {
  name  = "/pcfx/sensitive/db-password"
  type  = "SecureString"
  value = "dummy-db-password"
}

resource "aws_ssm_parameter" "endpoint" {
  name           = "/pcfx/sensitive/endpoint"
  type           = "String"
  insecure_value = "https://api.example.test"
  description    = "owned by \${var.owner}"
  tags = {
    Env   = "dev"
    Owner = var.owner
  }
}

output "api_token" {
  value     = aws_ssm_parameter.api_token.value
  sensitive = true
}
`);
      await w.config({ 'main.tf': cfg('dummy-token-v1', 'alice@example.test') });
      await w.apply();
      await w.config({ 'main.tf': cfg('dummy-token-v2', 'bob@example.test') });
      return w.plan();
    },
    check(doc) {
      const t = expectChange(doc, 'aws_ssm_parameter.api_token', ['update']);
      expect(t.change.before_sensitive.value === true && t.change.after_sensitive.value === true, 'api_token value marked sensitive');
      const e = expectChange(doc, 'aws_ssm_parameter.endpoint', ['update']);
      expect(e.change.after_sensitive.description === true, 'description marked sensitive');
      expect(e.change.after_sensitive.tags?.Owner === true, 'Owner tag marked sensitive');
      expectChange(doc, 'aws_ssm_parameter.db_password', ['no-op']);
    },
  },
  {
    name: 'unknown-after-apply',
    how: 'creates only (`plan` on empty state): an `aws_vpc`, an `aws_subnet` whose `vpc_id` is the unknown VPC id, an `aws_s3_bucket` with a fixed name and tags, and an output of the unknown VPC id.',
    async run(w) {
      await w.config({
        'main.tf': hcl(`
resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
  tags       = { Name = "pcfx-unknown" }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.20.1.0/24"
}

resource "aws_s3_bucket" "logs" {
  bucket = "pcfx-unknown-logs"
  tags   = { Purpose = "logs" }
}

output "vpc_id" {
  value = aws_vpc.main.id
}
`),
      });
      return w.plan();
    },
    check(doc) {
      const v = expectChange(doc, 'aws_vpc.main', ['create']);
      expect(v.change.before === null && v.change.after_unknown.id === true && v.change.after_unknown.arn === true, 'vpc id/arn unknown');
      const s = expectChange(doc, 'aws_subnet.a', ['create']);
      expect(s.change.after_unknown.vpc_id === true, 'subnet vpc_id unknown');
      expectChange(doc, 'aws_s3_bucket.logs', ['create']);
    },
  },
  {
    name: 'nested-blocks',
    how: 'an `aws_security_group` (default VPC) with inline `ingress` blocks (a set of objects): the port-80 rule becomes 8080 with a new description, the 443 rule and the egress stay; and an `aws_launch_template` whose `block_device_mappings.ebs.volume_size` goes 20 → 40 and a second device is added; `apply`, then `plan`.',
    async run(w) {
      const cfg = (port, desc, size, extra) =>
        hcl(`
resource "aws_security_group" "web" {
  name        = "pcfx-nested-web"
  description = "web tier"

  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "${desc}"
    from_port   = ${port}
    to_port     = ${port}
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "disks" {
  name     = "pcfx-nested-disks"
  image_id = "ami-12c6146b"
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on = [aws_security_group.web]

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = ${size}
      volume_type           = "gp3"
      delete_on_termination = "true"
    }
  }
${extra}}
`);
      await w.config({ 'main.tf': cfg(80, 'http', 20, '') });
      await w.apply();
      await w.config({
        'main.tf': cfg(
          8080,
          'http-alt',
          40,
          '\n  block_device_mappings {\n    device_name = "/dev/xvdb"\n    ebs {\n      volume_size = 100\n      volume_type = "st1"\n    }\n  }\n',
        ),
      });
      return w.plan();
    },
    check(doc) {
      const sg = expectChange(doc, 'aws_security_group.web', ['update']);
      expect(sg.change.before.ingress.some((r) => r.from_port === 80) && sg.change.after.ingress.some((r) => r.from_port === 8080), 'ingress rule change');
      const lt = expectChange(doc, 'aws_launch_template.disks', ['update']);
      expect(lt.change.before.block_device_mappings[0].ebs[0].volume_size === 20, 'volume_size before');
      expect(lt.change.after.block_device_mappings.length === 2, 'second device after');
    },
  },
  {
    name: 'list-set',
    how: 'an `aws_security_group` whose ingress `cidr_blocks` list loses 10.1.0.0/16 and gains 10.2.0.0/16 and 10.3.0.0/16; an `aws_launch_template` whose `vpc_security_group_ids` set goes {web, db} → {web, cache}; an `aws_iam_openid_connect_provider` whose `thumbprint_list` (list) loses its first element and gains a last one and whose `client_id_list` (set) swaps one element; `apply`, then `plan`.',
    async run(w) {
      const cfg = (cidrs, sgs, clients, thumbs) =>
        hcl(`
resource "aws_security_group" "web" {
  name        = "pcfx-list-web"
  description = "web"

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ${cidrs}
  }
}

resource "aws_security_group" "db" {
  name        = "pcfx-list-db"
  description = "db"
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on  = [aws_security_group.web]
}

resource "aws_security_group" "cache" {
  name        = "pcfx-list-cache"
  description = "cache"
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on  = [aws_security_group.db]
}

resource "aws_launch_template" "app" {
  name                   = "pcfx-list-app"
  image_id               = "ami-12c6146b"
  vpc_security_group_ids = ${sgs}
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on             = [aws_security_group.cache]
}

resource "aws_iam_openid_connect_provider" "ci" {
  url             = "https://token.actions.example.test"
  client_id_list  = ${clients}
  thumbprint_list = ${thumbs}
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on      = [aws_launch_template.app]
}
`);
      await w.config({
        'main.tf': cfg(
          '["10.0.0.0/16", "10.1.0.0/16"]',
          '[aws_security_group.web.id, aws_security_group.db.id]',
          '["sts.amazonaws.com", "pcfx"]',
          '["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]',
        ),
      });
      await w.apply();
      await w.config({
        'main.tf': cfg(
          '["10.0.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]',
          '[aws_security_group.web.id, aws_security_group.cache.id]',
          '["sts.amazonaws.com", "pcfx-ci"]',
          '["1c58a3a8518e8759bf075b76b750d4f2df264fcd", "ffffffffffffffffffffffffffffffffffffffff"]',
        ),
      });
      return w.plan();
    },
    check(doc) {
      const sg = expectChange(doc, 'aws_security_group.web', ['update']);
      expect(sg.change.after.ingress[0].cidr_blocks.length === 3, 'cidr_blocks after');
      const lt = expectChange(doc, 'aws_launch_template.app', ['update']);
      expect(lt.change.before.vpc_security_group_ids.length === 2, 'vpc_security_group_ids before');
      const oidc = expectChange(doc, 'aws_iam_openid_connect_provider.ci', ['update']);
      expect(oidc.change.after.thumbprint_list[1] === 'ffffffffffffffffffffffffffffffffffffffff', 'thumbprint_list after');
    },
  },
  {
    name: 'moved',
    how: '`moved {}` blocks: `aws_ssm_parameter.old_name` → `.renamed` (no change: no-op), `.old_changed` → `.changed` whose value also changes (update), `.old_in_module` → `module.params.aws_ssm_parameter.this` (into a module, no change); `apply`, then `plan` with the renamed config.',
    async run(w) {
      const param = (res, name, value) =>
        `resource "aws_ssm_parameter" "${res}" {\n  name  = "/pcfx/moved/${name}"\n  type  = "String"\n  value = "${value}"\n}\n`;
      await w.config({
        'main.tf': [param('old_name', 'plain', 'same'), param('old_changed', 'changed', 'v1'), param('old_in_module', 'module', 'same')].join('\n'),
      });
      await w.apply();
      await w.config({
        'main.tf': [
          param('renamed', 'plain', 'same'),
          param('changed', 'changed', 'v2'),
          hcl(`
module "params" {
  source = "./modules/params"
}

moved {
  from = aws_ssm_parameter.old_name
  to   = aws_ssm_parameter.renamed
}

moved {
  from = aws_ssm_parameter.old_changed
  to   = aws_ssm_parameter.changed
}

moved {
  from = aws_ssm_parameter.old_in_module
  to   = module.params.aws_ssm_parameter.this
}
`),
        ].join('\n'),
        'modules/params/main.tf': param('this', 'module', 'same'),
      });
      return w.plan();
    },
    check(doc) {
      const r = expectChange(doc, 'aws_ssm_parameter.renamed', ['no-op']);
      expect(r.previous_address === 'aws_ssm_parameter.old_name', 'renamed previous_address');
      const c = expectChange(doc, 'aws_ssm_parameter.changed', ['update']);
      expect(c.previous_address === 'aws_ssm_parameter.old_changed', 'changed previous_address');
      const m = expectChange(doc, 'module.params.aws_ssm_parameter.this', ['no-op']);
      expect(m.previous_address === 'aws_ssm_parameter.old_in_module', 'module previous_address');
    },
  },
  {
    name: 'import',
    how: '`import {}` blocks: an S3 bucket made out of band (`aws s3api create-bucket`) imported with a matching config (no-op + importing), and an SSM parameter made out of band (`aws ssm put-parameter`, value "from-cli") imported with value "from-terraform" (update + importing); `plan`.',
    async run(w) {
      await w.aws('s3api', 'create-bucket', '--bucket', 'pcfx-imported', '--create-bucket-configuration', `LocationConstraint=${REGION}`);
      await w.aws('ssm', 'put-parameter', '--name', '/pcfx/import/setting', '--type', 'String', '--value', 'from-cli');
      await w.config({
        'main.tf': hcl(`
import {
  to = aws_s3_bucket.imported
  id = "pcfx-imported"
}

resource "aws_s3_bucket" "imported" {
  bucket = "pcfx-imported"
}

import {
  to = aws_ssm_parameter.setting
  id = "/pcfx/import/setting"
}

resource "aws_ssm_parameter" "setting" {
  name  = "/pcfx/import/setting"
  type  = "String"
  value = "from-terraform"
}
`),
      });
      return w.plan();
    },
    check(doc) {
      const b = expectChange(doc, 'aws_s3_bucket.imported', ['no-op']);
      expect(b.change.importing?.id === 'pcfx-imported', 'bucket importing');
      const p = expectChange(doc, 'aws_ssm_parameter.setting', ['update']);
      expect(p.change.importing?.id === '/pcfx/import/setting', 'parameter importing');
    },
  },
  {
    name: 'forced-replace',
    how: 'an `aws_vpc` and an `aws_subnet` in it; `apply`, then `plan -replace=aws_vpc.main` (the subnet is replaced too, because its `vpc_id` becomes unknown).',
    async run(w) {
      await w.config({
        'main.tf': hcl(`
resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
  tags       = { Name = "pcfx-forced" }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.30.1.0/24"
}
`),
      });
      await w.apply();
      return w.plan('-replace=aws_vpc.main');
    },
    check(doc) {
      expectChange(doc, 'aws_vpc.main', ['delete', 'create'], 'replace_by_request');
      const s = expectChange(doc, 'aws_subnet.a', ['delete', 'create'], 'replace_because_cannot_update');
      expect(JSON.stringify(s.change.replace_paths) === '[["vpc_id"]]', 'subnet replace_paths vpc_id');
    },
  },
  {
    name: 'data-read',
    how: 'a new `aws_s3_bucket`, a `data "aws_iam_policy_document"` whose resources use the unknown bucket ARN (read at apply: `read_because_config_unknown`), a `data "aws_s3_bucket"` of the same fixed name with `depends_on` the new bucket (`read_because_dependency_pending`), and an `aws_s3_bucket_policy` from the document; `plan` on empty state.',
    async run(w) {
      await w.config({
        'main.tf': hcl(`
resource "aws_s3_bucket" "new" {
  bucket = "pcfx-data-read"
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["\${aws_s3_bucket.new.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
  }
}

data "aws_s3_bucket" "same" {
  bucket     = "pcfx-data-read"
  depends_on = [aws_s3_bucket.new]
}

resource "aws_s3_bucket_policy" "read" {
  bucket = aws_s3_bucket.new.id
  policy = data.aws_iam_policy_document.read.json
}

output "bucket_region" {
  value = data.aws_s3_bucket.same.region
}
`),
      });
      return w.plan();
    },
    check(doc) {
      expectChange(doc, 'data.aws_iam_policy_document.read', ['read'], 'read_because_config_unknown');
      expectChange(doc, 'data.aws_s3_bucket.same', ['read'], 'read_because_dependency_pending');
      expectChange(doc, 'aws_s3_bucket.new', ['create']);
    },
  },
  {
    name: 'drift',
    how: 'an `aws_vpc` and an `aws_s3_bucket` with tags; `apply`; out of band `aws ec2 create-tags` (Env dev → prod, Owner added) and `aws ec2 delete-tags` (Team) on the VPC, `aws s3api put-bucket-tagging` (Env dev → prod) on the bucket; then a normal `plan` (drift in `resource_drift`, updates back to the config in `resource_changes`).',
    async run(w) {
      await w.config({
        'main.tf': hcl(`
resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
  tags = {
    Name = "pcfx-drift"
    Env  = "dev"
    Team = "platform"
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "pcfx-drift-logs"
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on = [aws_vpc.main]
  tags = {
    Env = "dev"
  }
}

output "vpc_id" {
  value = aws_vpc.main.id
}
`),
      });
      await w.apply();
      const { vpc_id: vpcId } = await w.outputs();
      await w.aws('ec2', 'create-tags', '--resources', vpcId, '--tags', 'Key=Env,Value=prod', 'Key=Owner,Value=someone-else');
      await w.aws('ec2', 'delete-tags', '--resources', vpcId, '--tags', 'Key=Team');
      await w.aws('s3api', 'put-bucket-tagging', '--bucket', 'pcfx-drift-logs', '--tagging', 'TagSet=[{Key=Env,Value=prod}]');
      const doc = await w.plan();
      // The same drift, planned -refresh-only, is the second fixture of this case.
      this.extra = { 'drift-refresh-only': await w.plan('-refresh-only') };
      return doc;
    },
    extraHow: {
      'drift-refresh-only': 'the `drift` case\'s workspace after its out-of-band changes: `plan -refresh-only` (the same drift in `resource_drift`, no `resource_changes`, the output as no-op).',
    },
    check(doc) {
      const d = (doc.resource_drift ?? []).find((r) => r.address === 'aws_vpc.main');
      expect(d && d.change.after.tags.Env === 'prod', 'vpc drift in resource_drift');
      expect((doc.resource_drift ?? []).some((r) => r.address === 'aws_s3_bucket.logs'), 'bucket drift in resource_drift');
      const v = expectChange(doc, 'aws_vpc.main', ['update']);
      expect(v.change.before.tags.Env === 'prod' && v.change.after.tags.Env === 'dev', 'vpc update back to config');
    },
    checkExtra: {
      'drift-refresh-only'(doc) {
        expect((doc.resource_drift ?? []).some((r) => r.address === 'aws_vpc.main'), 'refresh-only vpc drift');
      },
    },
  },
  {
    name: 'delete-module',
    how: 'deletes for every reason: `module "regions"` (`for_each`) loses the key "us" (`delete_because_no_module`: Terraform gives it only when the module call remains but the instance is gone), `module "old_params"` removed from the config altogether (Terraform 1.11 says `delete_because_no_resource_config` for that), `aws_ssm_parameter.gone` removed (`delete_because_no_resource_config`), `count` 3 → 1 (`delete_because_count_index`), a resource `for_each` key removed (`delete_because_each_key`), a `removed {}` block with `destroy = false` (action `forget`) and an unchanged resource; `apply`, then `plan` with the reduced config.',
    async run(w) {
      const param = (res, name, extra = '') =>
        `resource "aws_ssm_parameter" "${res}" {\n${extra}  name  = "/pcfx/delete/${name}"\n  type  = "String"\n  value = "v1"\n}\n`;
      const modParam = `variable "suffix" {\n  type = string\n}\n\nresource "aws_ssm_parameter" "this" {\n  name  = "/pcfx/delete/module-\${var.suffix}"\n  type  = "String"\n  value = "v1"\n}\n`;
      const regions = (keys) =>
        `module "regions" {\n  source   = "./modules/params"\n  for_each = toset(${keys})\n  suffix   = each.key\n}\n`;
      await w.config({
        'main.tf': [
          'module "old_params" {\n  source = "./modules/params"\n  suffix = "old"\n}\n',
          regions('["eu", "us"]'),
          param('kept', 'kept'),
          param('gone', 'gone'),
          param('forgotten', 'forgotten'),
          param('counted', '${count.index}', '  count = 3\n'),
          param('keyed', '${each.key}', '  for_each = toset(["blue", "green"])\n'),
        ].join('\n'),
        'modules/params/main.tf': modParam,
      });
      await w.apply();
      await w.config({
        'main.tf': [
          regions('["eu"]'),
          param('kept', 'kept'),
          param('counted', '${count.index}', '  count = 1\n'),
          param('keyed', '${each.key}', '  for_each = toset(["blue"])\n'),
          'removed {\n  from = aws_ssm_parameter.forgotten\n\n  lifecycle {\n    destroy = false\n  }\n}\n',
        ].join('\n'),
        'modules/params/main.tf': modParam,
      });
      return w.plan();
    },
    check(doc) {
      expectChange(doc, 'module.regions["us"].aws_ssm_parameter.this', ['delete'], 'delete_because_no_module');
      expectChange(doc, 'module.regions["eu"].aws_ssm_parameter.this', ['no-op']);
      expectChange(doc, 'module.old_params.aws_ssm_parameter.this', ['delete'], 'delete_because_no_resource_config');
      expectChange(doc, 'aws_ssm_parameter.gone', ['delete'], 'delete_because_no_resource_config');
      expectChange(doc, 'aws_ssm_parameter.counted[2]', ['delete'], 'delete_because_count_index');
      expectChange(doc, 'aws_ssm_parameter.keyed["green"]', ['delete'], 'delete_because_each_key');
      expectChange(doc, 'aws_ssm_parameter.forgotten', ['forget']);
      expectChange(doc, 'aws_ssm_parameter.kept', ['no-op']);
    },
  },
  {
    name: 'long-string',
    how: 'an `aws_iam_policy` (`policy` from `jsonencode`, three statements, the second one\'s actions and resource change) and an `aws_s3_object` whose multi-line `content` (a heredoc config file) has one line changed and one added; `apply`, then `plan`.',
    async run(w) {
      const cfg = (actions, resource, body) =>
        hcl(`
resource "aws_iam_policy" "app" {
  name = "pcfx-long-app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadConfig"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:GetParameters"]
        Resource = "arn:aws:ssm:${REGION}:123456789012:parameter/pcfx/*"
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ${actions}
        Resource = "${resource}"
      },
      {
        Sid      = "DenyDelete"
        Effect   = "Deny"
        Action   = "s3:DeleteBucket"
        Resource = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "config" {
  bucket = "pcfx-long-config"
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on = [aws_iam_policy.app]
}

resource "aws_s3_object" "app_conf" {
  bucket       = aws_s3_bucket.config.id
  key          = "app.conf"
  content_type = "text/plain"
  content      = <<-EOT
${body}
  EOT
}
`);
      const v1 = [
        '    # app.conf: written by Terraform',
        '    [server]',
        '    listen = 0.0.0.0:8080',
        '    workers = 4',
        '    timeout = 30s',
        '',
        '    [log]',
        '    level = info',
        '    format = json',
      ];
      const v2 = [...v1];
      v2[3] = '    workers = 8';
      v2.splice(5, 0, '    keepalive = 75s');
      await w.config({ 'main.tf': cfg('["logs:CreateLogStream", "logs:PutLogEvents"]', `arn:aws:logs:${REGION}:123456789012:log-group:/pcfx/app:*`, v1.join('\n')) });
      await w.apply();
      await w.config({
        'main.tf': cfg(
          '["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]',
          `arn:aws:logs:${REGION}:123456789012:log-group:/pcfx/*`,
          v2.join('\n'),
        ),
      });
      return w.plan();
    },
    check(doc) {
      const p = expectChange(doc, 'aws_iam_policy.app', ['update']);
      expect(p.change.before.policy !== p.change.after.policy && p.change.after.policy.includes('DescribeLogStreams'), 'policy changes');
      const o = expectChange(doc, 'aws_s3_object.app_conf', ['update']);
      expect(o.change.before.content.includes('workers = 4') && o.change.after.content.includes('keepalive'), 'content changes');
    },
  },
  {
    name: 'phantom',
    how: 'an `aws_ssm_parameter` (String, `insecure_value`) whose JSON text is only re-formatted and re-ordered (`jsonencode` one-liner → pretty heredoc: a real update for Terraform, equal once parsed), and an `aws_iam_policy` whose policy JSON is likewise re-formatted (the provider treats it as equivalent: no-op, and `after` keeps the old text); `apply` (without the `-refresh-only` settle step), then `plan`: the refresh reads `tags` back as {} where the apply stored null, so both resources also have a `resource_drift` update that is no real change.',
    async run(w) {
      const cfg = (value, policy) =>
        hcl(`
resource "aws_ssm_parameter" "settings" {
  name           = "/pcfx/phantom/settings"
  type           = "String"
  insecure_value = ${value}
}

resource "aws_iam_policy" "read" {
  name   = "pcfx-phantom-read"
  policy = ${policy}
  # (creation order fixed: moto's seeded ids stay the same from run to run)
  depends_on = [aws_ssm_parameter.settings]
}
`);
      w.settle = false;
      await w.config({
        'main.tf': cfg(
          'jsonencode({ retries = 3, endpoints = ["a.example.test", "b.example.test"], tls = true })',
          'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }] })',
        ),
      });
      await w.apply();
      await w.config({
        'main.tf': cfg(
          '<<-JSON\n    {\n      "tls": true,\n      "retries": 3,\n      "endpoints": [\n        "a.example.test",\n        "b.example.test"\n      ]\n    }\n  JSON',
          '<<-JSON\n    {\n      "Statement": [\n        {\n          "Resource": "*",\n          "Action": "s3:GetObject",\n          "Effect": "Allow"\n        }\n      ],\n      "Version": "2012-10-17"\n    }\n  JSON',
        ),
      });
      return w.plan();
    },
    check(doc) {
      const s = expectChange(doc, 'aws_ssm_parameter.settings', ['update']);
      const { before, after } = s.change;
      expect(before.insecure_value !== after.insecure_value, 'text differs');
      const norm = (t) => JSON.stringify(JSON.parse(t), (k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
      expect(norm(before.insecure_value) === norm(after.insecure_value), 'JSON equal once normalised');
      expectChange(doc, 'aws_iam_policy.read', ['no-op']);
      expect((doc.resource_drift ?? []).length > 0, 'phantom drift (tags null -> {})');
    },
  },
];

// ---------------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { out: defaultOut, jobs: 3, keep: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = resolve(argv[++i]);
    else if (a === '--jobs') opts.jobs = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--keep') opts.keep = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/record-plan-fixtures.mjs [--out DIR] [--jobs N] [--keep] [CASE ...]');
      console.log(`cases: ${CASES.map((c) => c.name).join(' ')}`);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else opts.only.push(a.replace(/\.json$/, ''));
  }
  for (const name of opts.only) {
    if (!CASES.some((c) => c.name === name)) throw new Error(`unknown case ${name} (cases: ${CASES.map((c) => c.name).join(' ')})`);
  }
  return opts;
}

function serialise(doc) {
  return `${JSON.stringify(doc, null, 1)}\n`;
}

async function runCase(c, opts) {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), `plan-fixture-${c.name}-`));
  tempDirs.add(dir);
  const moto = await startMoto();
  const w = new Workspace(dir, moto.endpoint);
  try {
    await w.init();
    const docs = { [c.name]: await c.run(w) };
    Object.assign(docs, c.extra ?? {});
    for (const [name, doc] of Object.entries(docs)) {
      (name === c.name ? c.check : c.checkExtra?.[name])?.call(c, doc);
      const text = serialise(doc);
      if (text.includes(moto.endpoint) || text.includes(`${HOST}:`)) throw new Error(`${name}: the document names the moto endpoint`);
      await writeFile(join(opts.out, `${name}.json`), text);
    }
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    console.log(`${c.name}: ${Object.keys(docs).map((n) => `${n}.json`).join(', ')} (${secs} s)`);
    return { name: c.name, ok: true, versions: docs[c.name] };
  } catch (e) {
    console.error(`${c.name}: FAILED: ${e.message}\n  commands: ${w.log.join(' | ')}\n  dir: ${dir}`);
    return { name: c.name, ok: false };
  } finally {
    await moto.stop();
    if (!opts.keep) {
      await rm(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    }
    else console.log(`${c.name}: kept ${dir}`);
  }
}

function readme(doc, motoVersion) {
  const lines = [
    '# `terraform show -json` plan documents',
    '',
    `Real output of Terraform ${doc.terraform_version} with the hashicorp/aws provider ${PROVIDER_VERSION}`,
    `(from a filesystem mirror), planned against ${motoVersion} (the AWS emulator, region ${REGION}) with local`,
    'state, one small configuration per case in a temp dir. Each file is one plan file\'s',
    '`terraform show -json PLANFILE` (Terraform\'s JSON plan representation, format',
    `${doc.format_version}), re-indented with one space and otherwise as Terraform printed it.`,
    'Used by the unit tests of the plan-diff renderer (issue 13).',
    '',
    'Regenerate them all (five to six minutes on a 2-core machine) with `node scripts/record-plan-fixtures.mjs`',
    '(needs `terraform`, `moto_server` and `aws` on PATH); a single case with',
    '`node scripts/record-plan-fixtures.mjs CASE`. The script checks that each document holds',
    'what its case is for. moto is seeded and applies run with `-parallelism=1`, so the ids',
    'are the same from run to run (where a case creates several independent objects, a',
    '`depends_on` fixes their order); `timestamp` is not, nor the order of `relevant_attributes`',
    'in `data-read.json`. Account ids are moto\'s 123456789012; launch template ARNs have an',
    'empty account (the provider builds them itself and skips the account lookup), and',
    'every "secret" is a dummy value. Names start with `pcfx-` or `/pcfx/`. Every set-up',
    '`apply` is followed by `apply -refresh-only`, which takes into the state what moto and the',
    'provider read back differently (tags null → {}, empty sets null → []), so that',
    '`resource_drift` holds only the case\'s own drift; `phantom.json` keeps those on purpose.',
    '',
    '| file | how it was made |',
    '|---|---|',
  ];
  for (const c of CASES) {
    lines.push(`| \`${c.name}.json\` | ${c.how} |`);
    for (const [name, how] of Object.entries(c.extraHow ?? {})) lines.push(`| \`${name}.json\` | ${how} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Best effort: "moto X.Y.Z" from the python that runs moto_server, else "moto". */
async function motoVersion() {
  try {
    const r = await run('python3', ['-c', "import importlib.metadata as m; print(m.version('moto'))"], { env: baseEnv(), timeoutMs: 30_000 });
    const v = r.stdout.trim();
    return r.code === 0 && /^[0-9][\w.]*$/.test(v) ? `moto ${v}` : 'moto';
  } catch {
    return 'moto';
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  keepTemp = opts.keep;
  const cases = opts.only.length ? CASES.filter((c) => opts.only.includes(c.name)) : CASES;
  await mkdir(opts.out, { recursive: true });
  const version = await run('terraform', ['version', '-json'], { env: baseEnv() });
  if (version.code !== 0) throw new Error(`terraform version failed: ${version.stderr}`);
  console.log(`terraform ${JSON.parse(version.stdout).terraform_version}, aws provider ${PROVIDER_VERSION}, ${cases.length} case(s), ${opts.jobs} at a time`);
  const started = Date.now();
  const queue = [...cases];
  const results = [];
  await Promise.all(
    Array.from({ length: Math.min(opts.jobs, queue.length) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.push(await runCase(c, opts));
    }),
  );
  const failed = results.filter((r) => !r.ok);
  const sample = results.find((r) => r.ok)?.versions;
  if (!failed.length && cases.length === CASES.length && sample) {
    await writeFile(join(opts.out, 'README.md'), readme(sample, await motoVersion()));
  }
  console.log(`${results.length - failed.length} recorded, ${failed.length} failed, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failed.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e.stack || e.message);
  killAll('SIGKILL');
  process.exit(1);
});
