/**
 * The real platform (terraform/: every module) on moto:
 *   - `terraform test` of the root module (terraform/tests/*.tftest.hcl: plan-level tests of each
 *     module on a mocked provider, and one apply of the whole platform on a moto of its own);
 *   - the whole platform through the CLI: apply, re-plan with no changes, outputs, destroy, and
 *     then nothing of the environment is left in the emulator (listed with the AWS APIs);
 *   - bad variables: a Terraform-only validation fails the plan with the variable's own message;
 *     what the console's schema knows fails before Terraform, with the profile's file:line.
 * The three parts run concurrently (each on its own emulator): they spend most of their time in
 * the provider's fixed polling intervals, not on the CPU.
 * Needs moto and Terraform: fails without moto when CI=true, skips loudly otherwise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';

import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

import { findTerraform } from '../../src/services/terraform/binary.js';
import { providerSource, writeCliConfig } from '../../src/services/terraform/cliconfig.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';
import { headerOf } from '../../src/cli/console.js';
import { resolvePaths } from '../../src/core/paths.js';
import { openSession } from '../../src/services/session.js';
import { Controller } from '../../src/state/controller.js';
import { Store, topOverlay } from '../../src/state/store.js';
import { applyFailure, applyPlatform, emulatorRedid, PLATFORM_APPLY_RETRIES } from '../support/platform-apply.js';
import { makeWorkspace, ndjson, tfLogEnv, type Workspace } from '../support/workspace.js';

const skip = await motoSkipReason();

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The outputs the operator and the console rely on. */
const REQUIRED_OUTPUTS = [
  'bastion_public_ip',
  'kubeapi_public',
  'kubeapi_public_elb',
  'compute_asg',
  'secure_asg',
  'secrets_bucket',
  'public_name_services',
  'vpc_id',
] as const;

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command to completion with stdout and stderr interleaved, as a person would read them. */
function run(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`${file} ${args.join(' ')} did not finish in ${opts.timeoutMs} ms:\n${output.slice(-5000)}`));
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The endpoint of the emulator the CLI started for a workspace. */
async function emulatorEndpoint(ws: Workspace): Promise<string> {
  const rec = JSON.parse(await readFile(join(ws.local, 'emulator.json'), 'utf8')) as { endpoint: string };
  return rec.endpoint;
}

/**
 * A call to an AWS API the project has no SDK client for (Auto Scaling, Route 53), straight to the
 * emulator. moto routes a request by the service named in the SigV4 credential scope and does not
 * check signatures, so the scope is all the Authorization header needs.
 */
async function motoApi(endpoint: string, service: string, request: { method: 'GET' | 'POST'; path: string; form?: Record<string, string> }): Promise<string> {
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const res = await fetch(`${endpoint}${request.path}`, {
    method: request.method,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/${REGION}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
      'x-amz-date': date,
      ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}),
    },
    ...(request.form ? { body: new URLSearchParams(request.form).toString() } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${service} ${request.path} answered HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/** Every `<TAG>value</TAG>` in an XML answer. */
function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
}

describe('the whole platform on the emulator', { skip, concurrency: 3 }, () => {
  describe('terraform test of the root module (terraform/tests)', { concurrency: 1 }, () => {
    let ws: Workspace;
    let moto: MotoServer;
    before(async () => {
      ws = await makeWorkspace('platform');
      moto = await startMoto();
    });
    after(async () => {
      await moto?.stop();
      await ws?.dispose();
    });

    it('passes: every module plan-tested on a mocked provider, the whole platform applied on moto', async (t) => {
      const binary = await findTerraform(process.env);
      const cliConfig = await writeCliConfig(ws.work, providerSource(process.env));
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: ws.dir,
        LANG: 'C.UTF-8',
        TF_CLI_CONFIG_FILE: cliConfig,
        TF_DATA_DIR: join(ws.work, 'tfdata'),
        TF_IN_AUTOMATION: '1',
        CHECKPOINT_DISABLE: '1',
        ...tfLogEnv(),
      };
      // The emulator's environment: endpoint, dummy credentials, region (empty values: unset).
      for (const [k, v] of Object.entries(moto.env)) {
        if (v === '') delete env[k];
        else env[k] = v;
      }
      const init = await run(binary.path, ['init', '-backend=false', '-input=false', '-no-color'], { cwd: ws.terraform, env, timeoutMs: 120_000 });
      assert.equal(init.code, 0, `terraform init failed:\n${init.output}`);
      let test = await run(binary.path, ['test', '-no-color'], { cwd: ws.terraform, env, timeoutMs: 600_000 });
      for (let retry = 1; test.code !== 0 && emulatorRedid(test.output) && retry <= PLATFORM_APPLY_RETRIES; retry++) {
        // The emulator's lost answer (test/support/platform-apply.ts): once more on a wiped moto.
        t.diagnostic(`the emulator refused a request it had carried out; terraform test once more on a reset moto:\n${test.output.split('\n').filter((l) => /Error:|api error|InvalidPermission|AlreadyExists/.test(l)).join('\n')}`);
        await moto.reset();
        test = await run(binary.path, ['test', '-no-color'], { cwd: ws.terraform, env, timeoutMs: 600_000 });
      }
      assert.equal(test.code, 0, `terraform test failed:\n${test.output}`);
      assert.match(test.output, /Success! \d+ passed, 0 failed\./);
      assert.match(test.output, /tests\/moto\.tftest\.hcl\.\.\. pass/);
      assert.match(test.output, /run "platform"\.\.\. pass/);
      for (const m of ['network', 'bastion', 'ami', 'secure', 'compute', 'elb', 'secrets', 'dns', 'iam', 'bootstrap', 'root']) {
        assert.match(test.output, new RegExp(`tests/${m}\\.tftest\\.hcl\\.\\.\\. pass`), `tests/${m}.tftest.hcl did not pass`);
      }
    });
  });

  describe('apply, re-plan, outputs, destroy through the CLI', { concurrency: 1 }, () => {
    const ENV = 'platform';
    let ws: Workspace;
    let outputs: Record<string, { sensitive: boolean; value: unknown }> = {};
    /** What the environment had before the destroy, to tell its leftovers from the emulator's. */
    const before_: { vpcId: string; instanceIds: Set<string>; natInterfaceIds: Set<string> } = { vpcId: '', instanceIds: new Set(), natInterfaceIds: new Set() };
    let endpoint: string;
    let ec2: EC2Client;
    /** The platform's profile: the local one with a public zone and three control-plane nodes over the profile's two AZs. */
    const baseProfile = (t: string) =>
      t.replace(/^public_dns_zone\s*=.*$/m, `public_dns_zone = "${ENV}.example.test"`).replace(/^secure_count\s*=.*$/m, 'secure_count = 3').replace(/^compute_count\s*=.*$/m, 'compute_count = 1');


    before(async () => {
      ws = await makeWorkspace('platform');
      // The local profile, with a public zone (so public_name_services is not empty) and three
      // control-plane nodes over the profile's two AZs.
      await ws.profile(ENV, baseProfile);
    });
    after(async () => {
      ec2?.destroy();
      await ws?.dispose();
    });

    const timed = async (t: TestContext, args: string[]) => {
      const t0 = Date.now();
      const r = await ws.cli(['-e', ENV, '--local', '--ci', ...args], { timeoutMs: 600_000 });
      t.diagnostic(`${args.join(' ')}: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return r;
    };

    it('apply --auto-approve exits 0', async (t) => {
      const applied = await applyPlatform(ws, ENV, { t });
      const r = applied.result;
      if (r.code !== 0) assert.fail(await applyFailure(ws, applied));
      const m = /Apply complete! Resources: (\d+) added, 0 changed, 0 destroyed/.exec(r.stdout);
      assert.ok(m, r.stdout.slice(-3000));
      t.diagnostic(`${m[1]} resources`);
      assert.ok(Number(m[1]) >= 80, `expected the whole platform (80+ resources), got ${m[1]}`);
      endpoint = await emulatorEndpoint(ws);
      ec2 = new EC2Client({ region: REGION, endpoint, credentials: CREDENTIALS });
    });

    it('plan right after exits 0: no changes', async (t) => {
      const r = await timed(t, ['plan']);
      assert.equal(r.code, 0, `the re-plan has changes (exit ${r.code}):\n${r.stdout.slice(-5000)}\n${r.stderr}`);
    });

    it('a drift check right after the apply finds no drift: what Terraform reports is equal once normalised or set by other resources of the configuration', async (t) => {
      const r = await timed(t, ['drift', '--json']);
      const events = ndjson(r.stdout);
      const plan = events.find((e) => e.type === 'plan') as { refresh_only: boolean; drift: string[]; drift_changes: { address: string; phantom: boolean; set_by?: string[] }[] } | undefined;
      assert.ok(plan, r.stdout.slice(-3000) + r.stderr);
      assert.equal(plan.refresh_only, true);
      assert.deepEqual(plan.drift, [], `real drift right after the apply: ${JSON.stringify(plan.drift_changes.filter((d) => !d.phantom && !d.set_by))}`);
      assert.equal(r.code, 0, r.stderr);
      t.diagnostic(`Terraform reported ${plan.drift_changes.length}: ${plan.drift_changes.filter((d) => d.phantom).length} phantom, ${plan.drift_changes.filter((d) => d.set_by).length} set by other resources`);
      // The security groups' rules are aws_vpc_security_group_*_rule resources: their drift is named as such.
      const sg = plan.drift_changes.find((d) => d.address === 'module.bastion.aws_security_group.this');
      if (sg) assert.deepEqual(sg.set_by, ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']);
      const text = await timed(t, ['drift']);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^drift check: no drift$/m);
    });

    it('output --json has every output the operator relies on', async () => {
      const r = await ws.cli(['-e', ENV, '--local', '--ci', 'output', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const ev = ndjson(r.stdout).find((e) => e.type === 'outputs') as { outputs: typeof outputs } | undefined;
      assert.ok(ev, r.stdout);
      outputs = ev.outputs;
      for (const name of REQUIRED_OUTPUTS) assert.ok(name in outputs, `output ${name} is missing`);
      const v = (name: string) => outputs[name]!.value;
      assert.match(String(v('vpc_id')), /^vpc-/);
      assert.match(String(v('bastion_public_ip')), /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(v('kubeapi_public'), `kube-${ENV}.${ENV}.example.test`);
      assert.match(String(v('kubeapi_public_elb')), new RegExp(`^${ENV}-kubeapi\\b`));
      assert.equal(v('secure_asg'), `${ENV}-secure`);
      assert.equal(v('compute_asg'), `${ENV}-compute`);
      assert.equal(v('secrets_bucket'), `kube-${ENV}-secrets-123456789012`);
      assert.ok(Array.isArray(v('public_name_services')) && (v('public_name_services') as unknown[]).length > 0, 'the public zone has name servers');
    });

    it('the environment is in the emulator as planned', async () => {
      const tag = (k: string, val: string): Filter => ({ Name: `tag:${k}`, Values: [val] });
      before_.vpcId = String(outputs.vpc_id?.value);
      const res = await ec2.send(new DescribeInstancesCommand({ Filters: [tag('Environment', ENV)] }));
      const instances = (res.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
      for (const i of instances) before_.instanceIds.add(i.InstanceId!);
      const roles = instances.map((i) => i.Tags?.find((x) => x.Key === 'Role')?.Value).sort();
      assert.deepEqual(roles, ['bastion', 'compute', 'secure', 'secure', 'secure']);
      for (const i of instances) {
        const keys = new Set((i.Tags ?? []).map((x) => x.Key));
        for (const k of ['Environment', 'Role', 'Name', 'KubernetesCluster']) assert.ok(keys.has(k), `instance ${i.InstanceId} lacks the ${k} tag`);
      }
      // Per control-plane slot, in the slot's AZ: an etcd volume and a network interface. Three
      // nodes over two AZs: the group may put two in either AZ, so each AZ has two slots.
      const slots = ['0:us-east-1a', '1:us-east-1b', '2:us-east-1a', '3:us-east-1b'];
      const vols = (await ec2.send(new DescribeVolumesCommand({ Filters: [tag('KubernetesCluster', `kube-${ENV}`), tag('Role', 'secure')] }))).Volumes ?? [];
      assert.deepEqual(vols.map((x) => `${x.Tags?.find((t) => t.Key === 'Slot')?.Value}:${x.AvailabilityZone}`).sort(), slots);
      const enis = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [tag('KubernetesCluster', `kube-${ENV}`), tag('Role', 'secure')] }))).NetworkInterfaces ?? [];
      assert.deepEqual(enis.map((x) => `${x.TagSet?.find((t) => t.Key === 'Slot')?.Value}:${x.AvailabilityZone}`).sort(), slots);
      const nats = (await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [before_.vpcId] }] }))).NatGateways ?? [];
      for (const n of nats) for (const a of n.NatGatewayAddresses ?? []) if (a.NetworkInterfaceId) before_.natInterfaceIds.add(a.NetworkInterfaceId);
      assert.equal(nats.length, 2, 'one NAT gateway per AZ');
    });

    // Plan review (issue 13) on the applied platform: what --ci plan and its NDJSON say of a change.
    type PlanEvent = { type: 'plan'; risk: string; destroys: boolean; changes: { address: string; action: string; risk: string; attributes: { path: string; before?: unknown; after?: unknown; forces_replacement: boolean; sensitive: boolean }[] }[] };

    it('compute_instance_type changed: the launch template shows ~ instance_type with both values and the risk, in text and NDJSON', async (t) => {
      await ws.profile(ENV, (x) => baseProfile(x).replace(/^compute_instance_type\s*=.*$/m, 'compute_instance_type = "t3.medium"'));
      const r = await timed(t, ['plan']);
      assert.equal(r.code, 2, r.stderr + r.stdout.slice(-3000));
      const lt = /^ {2}~ +(module\.compute\.\S*aws_launch_template\.this\S*)\s+\[risk (\w+)\]\n((?: {6}.*\n)*)/m.exec(r.stdout);
      assert.ok(lt, `no launch template change in:\n${r.stdout.slice(r.stdout.indexOf('── plan done'), r.stdout.length).slice(0, 4000)}`);
      assert.equal(lt[2], 'medium');
      assert.match(lt[3]!, /^ {8}~ instance_type: "t3\.small" → "t3\.medium"$/m);
      assert.match(r.stdout, /^module\.compute\S*  \+\d+ ~[1-9]\d* -\d+$/m, 'the compute module\'s header with its counts');
      assert.match(r.stdout, /^risk: (medium|high) \(/m);
      const j = await timed(t, ['plan', '--json']);
      assert.equal(j.code, 2, j.stderr);
      const plan = ndjson(j.stdout).find((e) => e.type === 'plan') as PlanEvent | undefined;
      assert.ok(plan, j.stdout.slice(-2000));
      const ltj = plan.changes.find((c) => /^module\.compute\..*aws_launch_template\.this/.test(c.address));
      assert.ok(ltj, JSON.stringify(plan.changes.map((c) => c.address)));
      assert.equal(ltj.risk, 'medium');
      assert.deepEqual(ltj.attributes.find((a) => a.path === 'instance_type'), { path: 'instance_type', before: 't3.small', after: 't3.medium', unknown: false, sensitive: false, forces_replacement: false });
      const summary = ndjson(j.stdout).at(-1) as { type: string; risk?: string };
      assert.equal(summary.type, 'summary');
      assert.equal(summary.risk, plan.risk);
    });

    it('vpc_cidr changed: the subnets are replaced with # forces replacement on cidr_block, and the plan destroys (the typed confirmation)', async (t) => {
      await ws.profile(ENV, (x) => baseProfile(x).replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.1.0.0/16"'));
      const r = await timed(t, ['plan']);
      assert.equal(r.code, 2, r.stderr + r.stdout.slice(-3000));
      assert.match(r.stdout, /-\/\+ +module\.network\.aws_subnet\.\S+  \(replaced because it cannot be updated in place\)  \[risk high\]/);
      assert.match(r.stdout, /~ cidr_block: "10\.0\.\d+\.\d+\/\d+" → "10\.1\.\d+\.\d+\/\d+"  # forces replacement/);
      const j = await timed(t, ['plan', '--json']);
      const plan = ndjson(j.stdout).find((e) => e.type === 'plan') as PlanEvent;
      assert.equal(plan.destroys, true, 'a destroying plan: the console asks for the typed environment name');
      const subnet = plan.changes.find((c) => /aws_subnet/.test(c.address))!;
      assert.equal(subnet.action, 'replace');
      assert.equal(subnet.attributes.find((a) => a.path === 'cidr_block')?.forces_replacement, true);
      // The console on the same plan (an in-process session, as ./play.kube opens it): a asks for the typed environment name.
      const session = await openSession({ environment: ENV, local: true, paths: resolvePaths(ws.env), env: ws.env });
      const controller = new Controller(new Store(headerOf(session)), session);
      try {
        await controller.plan(false);
        controller.requestApply();
        const q = topOverlay(controller.store.state);
        assert.ok(q?.kind === 'confirm', `a question is open: ${JSON.stringify(controller.store.state.message)}`);
        assert.equal(q.typed, true, 'a typed confirmation');
        assert.equal(q.expect, ENV);
        assert.match(q.prompt, new RegExp(`^This plan DESTROYS (\\d+) resources? in ${ENV} \\(\\+\\d+ ~\\d+ -\\1\\)\\. Type the environment name to apply it:$`));
        assert.match(q.detail?.[0] ?? '', /^risk (high|critical): /, `the risk line: ${q.detail?.join(' | ')}`);
        q.onNo?.();
      } finally {
        controller.stop();
        session.close();
      }
    });

    it('a tag of the bastion changed out of band: the plan\'s drift section shows that tag, before and after', async (t) => {
      await ws.profile(ENV, baseProfile);
      const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Environment', Values: [ENV] }, { Name: 'tag:Role', Values: ['bastion'] }] }));
      const bastion = (res.Reservations ?? []).flatMap((x) => x.Instances ?? []).find((i) => i.State?.Name !== 'terminated');
      assert.ok(bastion?.InstanceId);
      await ec2.send(new CreateTagsCommand({ Resources: [bastion.InstanceId], Tags: [{ Key: 'Owner', Value: 'someone-else' }] }));
      const r = await timed(t, ['plan']);
      assert.ok(r.code === 2 || r.code === 0, r.stderr);
      const drift = r.stdout.slice(r.stdout.indexOf('drift ('));
      assert.match(drift, /^drift \(\d+ changed outside Terraform since the last apply\):/m);
      assert.match(drift, /~ +module\.bastion\.aws_instance\.this\n(\s+.*\n)*?\s+\+ tags\.Owner: "someone-else"/);
    });

    it('--ci drift names the bastion and its tag (exit 2); the console\'s :drift shows it and a writes it into the state; then --ci drift exits 0', async (t) => {
      const r = await timed(t, ['drift']);
      assert.equal(r.code, 2, r.stderr + r.stdout.slice(-3000));
      assert.match(r.stdout, /^drift \(\d+ changed outside Terraform since the last apply\):$/m);
      assert.match(r.stdout, /~ +module\.bastion\.aws_instance\.this\n(\s+.*\n)*?\s+\+ tags\.Owner: "someone-else"/);
      assert.match(r.stdout, /^drift check: \d+ resources? changed outside Terraform$/m);
      const session = await openSession({ environment: ENV, local: true, paths: resolvePaths(ws.env), env: ws.env });
      const controller = new Controller(new Store(headerOf(session)), session);
      // The engine's events into the pane's state, as Controller.start() feeds them (without its polling).
      const off = session.engine.on((e) => controller.store.onEngineEvent(e));
      // …and the history's recorder, as start() attaches it.
      const warnings: string[] = [];
      const recorder = session.historyRecorder({ onWarning: (w) => warnings.push(w), onNotice: () => {} });
      const offRecorder = recorder.attach();
      try {
        await controller.driftCheck();
        const s = controller.store.state;
        assert.equal(topOverlay(s)?.kind, 'drift', JSON.stringify(s.message));
        assert.match(s.message?.text ?? '', /^Drift: (\d+) resources? changed outside Terraform.*\. a writes the real values into the state; p plans to change them back\.$/);
        assert.ok(s.plan.driftDetail.some((d) => d.address === 'module.bastion.aws_instance.this' && !d.phantom));
        controller.requestApply();
        const q = topOverlay(controller.store.state);
        assert.ok(q?.kind === 'confirm', JSON.stringify(controller.store.state.message));
        assert.equal(q.typed, false);
        assert.match(q.prompt, new RegExp(`^Apply the drift check to ${ENV}: the state takes the real values of \\d+ resources? \\([1-9]\\d* changed outside Terraform\\); nothing in AWS changes\\. \\(y/N\\)$`));
        assert.ok(q.detail?.includes('  module.bastion.aws_instance.this'), q.detail?.join(' | '));
        q.onYes();
        const deadline = Date.now() + 300_000;
        while (!/^State updated|error/i.test(controller.store.state.message?.text ?? '') || controller.store.state.message?.text.startsWith('Applying')) {
          if (Date.now() > deadline) assert.fail(`no result of the refresh-only apply: ${JSON.stringify(controller.store.state.message)}`);
          await new Promise((res) => setTimeout(res, 200));
        }
        assert.match(controller.store.state.message?.text ?? '', /^State updated from the real infrastructure in \d+\.\d s: nothing in AWS was changed\.$/);
        await recorder.flush();
        assert.deepEqual(warnings, [], 'the history was written');
      } finally {
        offRecorder();
        off();
        controller.stop();
        session.close();
      }
      const again = await timed(t, ['drift', '--json']);
      assert.equal(again.code, 0, again.stdout.slice(-3000));
      const sum = ndjson(again.stdout).at(-1) as { drift?: number };
      assert.equal(sum.drift, 0);
      // Each drift check and the state's refresh left a record in the history beside the state.
      const h = await timed(t, ['history', '--json', '--limit', '10']);
      assert.equal(h.code, 0, h.stderr);
      const recs = ndjson(h.stdout).filter((e) => e.type === 'history_record') as { operation: string; outcome: string; drift?: { changed: string[]; notDrift: number } }[];
      assert.equal(recs[0]?.operation, 'drift', 'the newest: the last drift check');
      assert.deepEqual(recs[0]?.drift?.changed, []);
      assert.ok(recs.some((r) => r.operation === 'state-refresh' && r.outcome === 'succeeded'), recs.map((r) => `${r.operation} ${r.outcome}`).join(', '));
      assert.ok(recs.some((r) => r.operation === 'drift' && r.outcome === 'succeeded' && r.drift?.changed.includes('module.bastion.aws_instance.this')), JSON.stringify(recs.map((r) => r.drift)));
    });

    it('destroy --auto-approve exits 0 and nothing of the environment is left', async (t) => {
      const r = await timed(t, ['destroy', '--auto-approve']);
      assert.equal(r.code, 0, r.stderr + r.stdout.slice(-5000));
      assert.match(r.stdout, /Apply complete! Resources: 0 added, 0 changed, \d+ destroyed/);

      const byEnv: Filter[] = [{ Name: 'tag:Environment', Values: [ENV] }];
      const inVpc: Filter[] = [{ Name: 'vpc-id', Values: [before_.vpcId] }];

      const instances = [
        ...((await ec2.send(new DescribeInstancesCommand({ Filters: byEnv }))).Reservations ?? []),
        ...((await ec2.send(new DescribeInstancesCommand({ Filters: inVpc }))).Reservations ?? []),
      ]
        .flatMap((x) => x.Instances ?? [])
        .filter((i) => i.State?.Name !== 'terminated');
      assert.deepEqual(instances.map((i) => i.InstanceId), [], 'instances left running');

      const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
      assert.deepEqual(vpcs.filter((x) => !x.IsDefault).map((x) => x.VpcId), [], 'VPCs left (besides the default one)');

      const subnets = [...((await ec2.send(new DescribeSubnetsCommand({ Filters: byEnv }))).Subnets ?? []), ...((await ec2.send(new DescribeSubnetsCommand({ Filters: inVpc }))).Subnets ?? [])];
      assert.deepEqual(subnets.map((x) => x.SubnetId), [], 'subnets left');

      // moto limitation: it keeps the root volumes of terminated instances (attached to them,
      // untagged), which AWS deletes with the instance. Those are not the environment's leftovers.
      const isMotoRoot = (v: { Attachments?: { InstanceId?: string }[] }) => (v.Attachments ?? []).length > 0 && (v.Attachments ?? []).every((a) => before_.instanceIds.has(a.InstanceId ?? ''));
      const tagged = (await ec2.send(new DescribeVolumesCommand({ Filters: byEnv }))).Volumes ?? [];
      assert.deepEqual(tagged.map((x) => x.VolumeId), [], 'volumes of the environment left');
      const volumes = ((await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).filter((v) => !isMotoRoot(v));
      assert.deepEqual(volumes.map((x) => `${x.VolumeId} ${x.State}`), [], 'volumes left');

      // moto limitation: it keeps the primary interfaces of terminated instances and the interfaces
      // of deleted NAT gateways, which AWS deletes with them.
      const taggedEnis = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: byEnv }))).NetworkInterfaces ?? [];
      assert.deepEqual(taggedEnis.map((x) => x.NetworkInterfaceId), [], 'network interfaces of the environment left');
      const enis = ((await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: inVpc }))).NetworkInterfaces ?? []).filter(
        (n) => !before_.natInterfaceIds.has(n.NetworkInterfaceId ?? '') && !before_.instanceIds.has(n.Attachment?.InstanceId ?? ''),
      );
      assert.deepEqual(enis.map((x) => `${x.NetworkInterfaceId} ${x.Description ?? ''}`), [], 'network interfaces left');

      const elb = new ElasticLoadBalancingClient({ region: REGION, endpoint, credentials: CREDENTIALS });
      const lbs = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancerDescriptions ?? [];
      elb.destroy();
      assert.deepEqual(lbs.map((x) => x.LoadBalancerName), [], 'load balancers left');

      const asgXml = await motoApi(endpoint, 'autoscaling', { method: 'POST', path: '/', form: { Action: 'DescribeAutoScalingGroups', Version: '2011-01-01' } });
      assert.match(asgXml, /<DescribeAutoScalingGroupsResponse/);
      assert.deepEqual(xmlValues(asgXml, 'AutoScalingGroupName'), [], 'auto-scaling groups left');

      const zonesXml = await motoApi(endpoint, 'route53', { method: 'GET', path: '/2013-04-01/hostedzone' });
      assert.match(zonesXml, /<ListHostedZonesResponse/);
      assert.deepEqual(xmlValues(zonesXml, 'Name'), [], 'Route53 zones left');

      const s3 = new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: CREDENTIALS });
      const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
      s3.destroy();
      // The state bucket is the console's, not the environment's: it stays.
      assert.deepEqual(buckets, ['platform-console-local-state'], 'buckets left');
    });
  });

  describe('bad variables fail at plan, with the message and the place', { concurrency: 1 }, () => {
    let ws: Workspace;
    let variablesTf: string[];
    before(async () => {
      ws = await makeWorkspace('platform');
      variablesTf = (await readFile(join(ws.terraform, 'variables.tf'), 'utf8')).split('\n');
      // Passes the console's schema (any IPv4 CIDR), not Terraform's validation (/16 to /23).
      await ws.profile('widenet', (t) => t.replace(/^vpc_cidr\s*=.*$/m, 'vpc_cidr = "10.0.0.0/8"'));
      await ws.profile('nozones', (t) => t.replace(/^az_count\s*=.*$/m, 'az_count = 0'));
      await ws.profile('strayfield', (t) => `${t}\nnode_pools = 3\n`);
    });
    after(() => ws?.dispose());

    const lineOf = (text: string, re: RegExp) => text.split('\n').findIndex((l) => re.test(l)) + 1;

    it('a Terraform-only validation (vpc_cidr /8): exit 1, the validation message, variables.tf:LINE of the rule', async () => {
      const r = await ws.cli(['-e', 'widenet', '--local', '--ci', 'plan']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const profileText = await readFile(join(ws.profiles, 'widenet.tfvars'), 'utf8');
      const profileLine = lineOf(profileText, /^vpc_cidr\s*=/);
      // The console's one error line names the value's place (the profile, file:line) and its hint
      // is the variable's own message.
      assert.match(r.stderr, new RegExp(`^error: plan failed: Invalid value for variable \\(.*widenet\\.tfvars:${profileLine}\\)\\n`));
      assert.match(r.stderr, /^hint: vpc_cidr must be an IPv4 network address with a prefix from \/16 to \/23/m);
      // Terraform's diagnostic detail, printed in full, names the rule: variables.tf:LINE.
      const all = r.stdout + r.stderr;
      const m = /checked by the validation rule at variables\.tf:(\d+)/.exec(all);
      assert.ok(m, `no variables.tf:LINE in the output:\n${all}`);
      const ruleLine = Number(m[1]);
      const declLine = lineOf(variablesTf.join('\n'), /^variable "vpc_cidr"/);
      assert.ok(declLine > 0 && ruleLine > declLine && ruleLine < declLine + 20, `variables.tf:${ruleLine} is not vpc_cidr's rule (declared at ${declLine})`);
      assert.match(variablesTf[ruleLine - 1] ?? '', /validation \{/);
    });

    it('0 AZs is refused by the console before Terraform: exit 1, the profile file:line', async () => {
      const r = await ws.cli(['-e', 'nozones', '--ci', 'plan']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const line = lineOf(await readFile(join(ws.profiles, 'nozones.tfvars'), 'utf8'), /^az_count\s*=/);
      assert.match(r.stderr, new RegExp(`^error: .*nozones\\.tfvars:${line}: field "az_count" must be 1, 2 or 3`));
      assert.doesNotMatch(r.stdout, /── plan/, 'Terraform ran');
    });

    it('an unknown field is refused by the console before Terraform: exit 1, the profile file:line', async () => {
      const r = await ws.cli(['-e', 'strayfield', '--ci', 'plan']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const line = lineOf(await readFile(join(ws.profiles, 'strayfield.tfvars'), 'utf8'), /^node_pools\s*=/);
      assert.match(r.stderr, new RegExp(`^error: .*strayfield\\.tfvars:${line}: unknown field "node_pools"`));
      assert.doesNotMatch(r.stdout, /── plan/, 'Terraform ran');
    });
  });
});
