/**
 * The whole platform: the real root module (a copy of terraform/, modules included) with the local
 * profile, against a private local emulator (moto) with the S3 backend. Wall time of a full apply,
 * a re-plan with no changes, and a destroy:
 *
 * - ours:  `bin.js -e bench --local --ci apply --auto-approve`, `--ci plan`, `--ci destroy --auto-approve`
 *          (profiles/bench.tfvars = profiles/local.tfvars with environment = "bench");
 * - bare:  `terraform apply -auto-approve`, `terraform plan -detailed-exitcode`,
 *          `terraform destroy -auto-approve`, each with `-var-file=bench-bare.tfvars -var ami_id=…`,
 *          in an initialised copy of the module with the same S3 backend on the same moto (state
 *          key bench-bare/terraform.tfstate) and the environment the console gives Terraform in
 *          local mode (emulator endpoint, dummy credentials, region, the provider-mirror CLI
 *          config, TF_VAR_enforce_secrets_bucket_policy=false, TF_IN_AUTOMATION…).
 *
 * The bare side is environment "bench-bare" (its own copy of the profile): the secrets bucket, the
 * key pair and the Name tags are derived from the environment name, so the two never clash in the
 * shared emulator. Both sides are initialised and have planned once (untimed) before; then one run
 * of each phase, interleaved (apply: ours first; plan: bare first; destroy: ours first). Then bare
 * once more in ours' steps (`plan -out`, `show -json PLAN`, `apply PLAN`; for destroy with
 * `plan -destroy`), from empty and back: how much of ours − bare is applying exactly the reviewed
 * plan (three processes, each loading the provider) rather than the console. Afterwards
 * the emulator is listed (AWS SDK v3) to show that neither environment left an instance, a VPC or
 * a bucket behind.
 */
import { cp } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadProfile } from '../src/core/profile.js';
import { applyEmulatorEnv } from '../src/services/local/emulator.js';
import { LOCAL_AMI } from '../src/services/session.js';
import { backendConfigArgs, backendFor } from '../src/services/terraform/backend.js';
import { count, inventory, OTHER, type Holdings } from './lib/inventory.js';
import { check, runTimed, type TimedRun } from './lib/proc.js';
import { metText, ms, ratio, table, type Bench, type TargetCheck } from './lib/report.js';
import { makeWorkspace, ROOT, TERRAFORM } from './lib/workspace.js';

const ENV = 'bench';
const BARE_ENV = 'bench-bare';
const TARGET_RATIO = 1.05;
/** An apply of the platform takes ~35 s on moto; a hung run is ended after this. */
const TIMEOUT_MS = 600_000;

type Phase = 'apply' | 'plan' | 'destroy';

/** What one run did, from its output: resource counts, or whether a plan has changes. */
function resultOf(side: 'ours' | 'bare', phase: Phase, r: TimedRun): string {
  if (side === 'ours') {
    // The human summary line: "apply bench: ok — 38 to add/added, 0 changed, 0 destroyed (…)".
    const m = /^\S+ \S+: ok — (\d+) to add\/added, (\d+) changed, (\d+) destroyed/m.exec(r.stdout);
    if (!m) return '?';
    if (phase === 'plan') return r.code === 0 ? 'no changes' : `changes: +${m[1]} ~${m[2]} -${m[3]}`;
    return phase === 'apply' ? `${m[1]} added` : `${m[3]} destroyed`;
  }
  if (phase === 'plan') {
    if (r.code === 0) return 'no changes';
    const p = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(r.stdout);
    return p ? `changes: +${p[1]} ~${p[2]} -${p[3]}` : 'changes';
  }
  const a = /Resources: (\d+) added, (\d+) changed, (\d+) destroyed/.exec(r.stdout);
  if (a) return phase === 'apply' ? `${a[1]} added` : `${a[3]} destroyed`;
  const d = /Destroy complete! Resources: (\d+) destroyed/.exec(r.stdout);
  return d ? `${d[1]} destroyed` : '?';
}

/**
 * Of ours' wall time, what ran outside Terraform's plan/apply processes, from its human lines
 * (best effort; undefined when the lines are not found): `── OP done in N s` gives each Terraform
 * operation's own duration (0.1 s resolution); the quiet `show -json` runs between `── plan… done`
 * and the `plan: …` line.
 */
function oursSplit(r: TimedRun): { terraform: number; show: number } | undefined {
  const done = r.lines.filter((l) => /── \S+ (done|failed) in [\d.]+ s$/.test(l.text));
  if (!done.length) return undefined;
  const terraform = done.reduce((s, l) => s + Number(/in ([\d.]+) s$/.exec(l.text)![1]) * 1000, 0);
  const planDone = done.find((l) => /── plan(-destroy)? (done|failed)/.test(l.text));
  const model = r.lines.find((l) => /^plan( \(destroy\))?: \d+ to add/.test(l.text));
  if (!planDone || !model) return undefined;
  return { terraform, show: model.at - planDone.at };
}

export const platform: Bench = async (log) => {
  const ws = await makeWorkspace('platform');
  try {
    // The real root module, without anything a local init may have left in the repo's copy.
    await cp(join(ROOT, 'terraform'), ws.terraform, {
      recursive: true,
      filter: (src) => !['.terraform', '.terraform.lock.hcl'].includes(basename(src)) && !/\.tfstate(\.backup)?$|\.tfplan$/.test(src),
    });
    const profileFile = await ws.profile(ENV);
    const bareProfileFile = await ws.profile(BARE_ENV);
    const profile = await loadProfile(profileFile, ENV);
    const bareProfile = await loadProfile(bareProfileFile, BARE_ENV);

    log(`platform: warm-up of ours (private moto, bootstrap, terraform init with the aws provider, one plan) in ${ws.dir}`);
    check('ours warm-up --ci plan', await ws.cli(['-e', ENV, '--local', '--ci', 'plan'], TIMEOUT_MS), [2]);

    // The bare side: the same module, the same backend settings but its own state key, the same
    // child environment as the console gives Terraform in local mode (src/services/session.ts,
    // src/services/terraform/engine.ts childEnv).
    const emu = await ws.emulator();
    const bareDir = join(ws.dir, 'bare');
    await cp(ws.terraform, bareDir, { recursive: true });
    const bareEnv: NodeJS.ProcessEnv = {
      ...applyEmulatorEnv(emu, bareProfile.aws_region, ws.env),
      TF_VAR_enforce_secrets_bucket_policy: 'false',
      TF_CLI_CONFIG_FILE: join(ws.work, 'terraform.rc'),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
    // As the console does: a KMS key id that is not an alias cannot exist in the emulator, so the
    // emulator's key (created by the bootstrap under this alias) is used instead.
    const kms = bareProfile.kms_master_id.startsWith('alias/') ? bareProfile.kms_master_id : 'alias/platform-console-local';
    const backend = { ...backendFor(BARE_ENV, bareProfile, true), kmsKeyId: kms };
    const vars = ['-input=false', `-var-file=${bareProfileFile}`, `-var`, `ami_id=${LOCAL_AMI}`, ...(kms !== bareProfile.kms_master_id ? ['-var', `kms_master_id=${kms}`] : [])];
    const tf = (args: string[]) => runTimed(TERRAFORM, args, { env: bareEnv, cwd: bareDir, timeoutMs: TIMEOUT_MS });
    log(`platform: bare terraform init + one plan (warm-up, not timed), environment ${BARE_ENV}, state key ${backend.key}`);
    check('bare terraform init', await tf(['init', '-input=false', '-reconfigure', ...backendConfigArgs(backend)]));
    check('bare warm-up plan', await tf(['plan', ...vars]));

    const ours: Record<Phase, () => Promise<TimedRun>> = {
      apply: async () => check('ours --ci apply', await ws.cli(['-e', ENV, '--local', '--ci', 'apply', '--auto-approve'], TIMEOUT_MS)),
      plan: async () => check('ours --ci plan', await ws.cli(['-e', ENV, '--local', '--ci', 'plan'], TIMEOUT_MS), [0, 2]),
      destroy: async () => check('ours --ci destroy', await ws.cli(['-e', ENV, '--local', '--ci', 'destroy', '--auto-approve'], TIMEOUT_MS)),
    };
    const bare: Record<Phase, () => Promise<TimedRun>> = {
      apply: async () => check('bare terraform apply', await tf(['apply', '-auto-approve', ...vars])),
      plan: async () => check('bare terraform plan', await tf(['plan', '-detailed-exitcode', ...vars]), [0, 2]),
      destroy: async () => check('bare terraform destroy', await tf(['destroy', '-auto-approve', ...vars])),
    };
    const list = () => inventory({ endpoint: emu.endpoint, region: profile.aws_region, stateBucket: profile.terraform_bucket_name, envs: [ENV, BARE_ENV] });

    const runs: Record<Phase, { ours?: TimedRun; bare?: TimedRun }> = { apply: {}, plan: {}, destroy: {} };
    const schedule: [Phase, 'ours' | 'bare'][] = [
      ['apply', 'ours'],
      ['apply', 'bare'],
      ['plan', 'bare'],
      ['plan', 'ours'],
      ['destroy', 'ours'],
      ['destroy', 'bare'],
    ];
    let afterApply: Map<string, Holdings> | undefined;
    for (const [phase, side] of schedule) {
      if (phase === 'plan' && !afterApply) afterApply = await list();
      const r = await (side === 'ours' ? ours : bare)[phase]();
      runs[phase][side] = r;
      log(`platform: ${phase} ${side}: ${ms(r.ms)} (${resultOf(side, phase, r)})`);
    }
    // The steps ours runs, bare: plan -out, show -json of the plan, apply PLAN (each process loads
    // the aws provider), for apply from empty and for destroy. Shows how much of ours − bare is the
    // process count of applying exactly the reviewed plan rather than ours.
    const planFile = join(bareDir, 'bench.tfplan');
    const steps = async (what: 'apply' | 'destroy'): Promise<{ ms: number; split: [number, number, number]; last: TimedRun }> => {
      const p = check(`bare terraform plan${what === 'destroy' ? ' -destroy' : ''} -out`, await tf(['plan', ...(what === 'destroy' ? ['-destroy'] : []), ...vars, `-out=${planFile}`]));
      const sh = check('bare terraform show -json PLAN', await tf(['show', '-json', planFile]));
      const a = check('bare terraform apply PLAN', await tf(['apply', '-input=false', planFile]));
      return { ms: p.ms + sh.ms + a.ms, split: [p.ms, sh.ms, a.ms], last: a };
    };
    const stepped: Partial<Record<'apply' | 'destroy', Awaited<ReturnType<typeof steps>>>> = {};
    for (const what of ['apply', 'destroy'] as const) {
      const r = await steps(what);
      stepped[what] = r;
      log(`platform: ${what} bare in ours' steps (plan -out, show -json, apply PLAN): ${ms(r.ms)} (${r.split.map((x) => ms(x)).join(' + ')}; ${resultOf('bare', what, r.last)})`);
    }
    const afterDestroy = await list();

    const phases: { phase: Phase; label: string }[] = [
      { phase: 'apply', label: 'apply (full platform, from empty)' },
      { phase: 'plan', label: 're-plan (no changes expected)' },
      { phase: 'destroy', label: 'destroy' },
    ];
    const rApply = runs.apply.ours!.ms / runs.apply.bare!.ms;
    const main = table(
      ['phase (real root module, S3 backend on moto)', 'ours', 'bare', 'ours / bare', 'target', 'met', 'ours: result', 'bare: result'],
      phases.map(({ phase, label }) => {
        const o = runs[phase].ours!;
        const b = runs[phase].bare!;
        const r = o.ms / b.ms;
        const t = phase === 'apply';
        return [label, ms(o.ms), ms(b.ms), ratio(r), t ? `≤ ${TARGET_RATIO.toFixed(2)}×` : '', t ? metText(r <= TARGET_RATIO) : '', resultOf('ours', phase, o), resultOf('bare', phase, b)];
      }),
      ['l', 'r', 'r', 'r', 'r', 'l', 'l', 'l'],
    );

    const splitRows = phases.map(({ phase, label }) => {
      const o = runs[phase].ours!;
      const s = oursSplit(o);
      const b = runs[phase].bare!.ms;
      return s
        ? [label, ms(o.ms), ms(s.terraform), ms(s.show), ms(o.ms - s.terraform - s.show), ms(b), ms(o.ms - b)]
        : [label, ms(o.ms), 'n/a', 'n/a', 'n/a', ms(b), ms(o.ms - b)];
    });
    const split = table(
      ['ours: where the time goes (from its human lines)', 'ours', 'terraform plan/apply', 'terraform show -json', 'rest (node, session, exit)', 'bare', 'ours − bare'],
      splitRows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    );

    const steppedTable = table(
      ["bare in ours' steps: plan -out, show -json, apply PLAN", 'ours', 'bare, 3 steps', 'ours / that', 'plan -out', 'show -json', 'apply PLAN', 'bare, 1 step'],
      (['apply', 'destroy'] as const).map((what) => {
        const o = runs[what].ours!.ms;
        const st = stepped[what]!;
        return [what === 'apply' ? 'apply (full platform, from empty)' : 'destroy', ms(o), ms(st.ms), ratio(o / st.ms), ms(st.split[0]), ms(st.split[1]), ms(st.split[2]), ms(runs[what].bare!.ms)];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    );

    const envs = [ENV, BARE_ENV, OTHER];
    const invRow = (when: string, inv: Map<string, Holdings>, env: string) => {
      const h = inv.get(env)!;
      return [when, env, String(h.instances.length), String(h.vpcs.length), String(h.buckets.length)];
    };
    const inv = table(
      ['emulator inventory (AWS SDK v3)', 'environment', 'EC2 instances (not terminated)', 'VPCs (not default)', 'S3 buckets (not the state bucket)'],
      [...envs.map((e) => invRow('after both applies', afterApply!, e)), ...envs.map((e) => invRow('after both destroys', afterDestroy, e))],
      ['l', 'l', 'r', 'r', 'r'],
    );
    const left = envs.reduce((n, e) => n + count(afterDestroy.get(e)!), 0);
    const leftText = envs.flatMap((e) => {
      const h = afterDestroy.get(e)!;
      return [...h.instances, ...h.vpcs, ...h.buckets].map((x) => `${e}: ${x}`);
    });
    const seen = (e: string) => count(afterApply!.get(e)!) > 0;
    const cleanLine = left === 0
      ? `  Nothing of either environment is left in the emulator after destroy${seen(ENV) && seen(BARE_ENV) ? ' (both were seen there after the applies)' : ' — but the listing found nothing after the applies either, so it may not see them'}.`
      : `  LEFT in the emulator after destroy: ${leftText.join(', ')}.`;

    const notes = [
      'One run of each phase, interleaved (apply: ours, bare; re-plan: bare, ours; destroy: ours, bare), then bare in ours\' steps (apply, destroy); both sides initialised and planned once beforehand (untimed).',
      `Ours plans with -out, reads the plan with terraform show -json and applies the saved plan (3 Terraform processes for apply and destroy, 2 for a plan, each loading the aws provider); bare terraform apply/destroy -auto-approve plans and applies in one process.`,
      `Ours is environment ${ENV}, bare is ${BARE_ENV} (own tfvars copy): resource names derived from the environment (secrets bucket, key pair, Name tags) never clash in the shared emulator.`,
      'The split of ours is best effort from its human lines ("── OP done in N s", 0.1 s resolution, and the plan summary line after the quiet show -json); n/a when those lines changed.',
    ];
    const targets: TargetCheck[] = [
      { figure: 'platform apply: ours / bare terraform apply', value: ratio(rApply), target: `≤ ${TARGET_RATIO.toFixed(2)}×`, met: rApply <= TARGET_RATIO },
      { figure: 'platform: instances/VPCs/buckets left after destroy', value: String(left), target: '0', met: left === 0 },
    ];
    return {
      name: 'platform',
      title: `Platform: --ci apply / plan / destroy vs bare terraform (real root module, local moto)`,
      text: [main, '', split, '', steppedTable, '', inv, cleanLine, '', ...notes.map((n) => `  ${n}`)].join('\n'),
      targets,
    };
  } finally {
    await ws.dispose();
  }
};
