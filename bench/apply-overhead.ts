/**
 * Apply overhead: what `--ci apply --auto-approve` costs on top of Terraform itself.
 *
 * A generated root module of 200 `terraform_data` resources (`backend "s3" {}` + a copy of
 * terraform/variables.tf so the profile's var file matches), applied against a private local
 * emulator (moto) with the S3 backend (KMS-encrypted state, S3 lock file):
 *
 * - ours:  `main.js -e bench --local --ci apply --auto-approve` (openSession, then
 *          plan -json -out, show -json, apply -json PLAN; init was done by an untimed warm-up);
 * - bare:  `terraform apply -auto-approve -var-file=PROFILE` in an equally initialised copy
 *          (same backend settings, state key bench-bare/terraform.tfstate, same moto);
 * - bare:  `terraform plan -out=PLAN` then `terraform apply PLAN` (the steps ours runs).
 *
 * Each variant runs 3 times, interleaved (order rotated each round), and every run creates 200
 * resources: each is followed by an untimed destroy. Figures: median wall time, the ratio
 * ours/bare (target ≤ 1.05), and where ours spends its time (from its output lines' arrival).
 */
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadProfile } from '../src/core/profile.js';
import { applyEmulatorEnv } from '../src/services/local/emulator.js';
import { backendConfigArgs, backendFor } from '../src/services/terraform/backend.js';
import { check, runTimed, type TimedRun } from './lib/proc.js';
import { median, metText, ms, ratio, table, type Bench, type TargetCheck } from './lib/report.js';
import { makeWorkspace, TERRAFORM, writeModule } from './lib/workspace.js';

const RESOURCES = 200;
const REPS = 3;
const ENV = 'bench';
const TARGET_RATIO = 1.05;

type Variant = 'ours' | 'bareApply' | 'barePlanApply';

/**
 * Phases of ours, from the arrival of its output lines: the progress steps of openSession
 * ("starting the local AWS emulator", "creating the state bucket…", "checking credentials") and
 * the engine's `── plan`, `── plan done`, `── apply`, `── apply done`.
 */
interface Phases {
  /** spawn → first progress line: node start-up, module loading, profile validation. */
  load: number;
  /** → "creating the state bucket": finding the running emulator (lock-free check, probe). */
  emulator: number;
  /** → "checking credentials": bootstrap of the state bucket and KMS key (idempotent calls). */
  bootstrap: number;
  /** → `── plan`: STS, terraform version, CLI config, init check. */
  rest: number;
  plan: number;
  show: number;
  apply: number;
  exit: number;
}

function phasesOf(r: TimedRun): Phases | undefined {
  const at = (re: RegExp) => r.lines.find((l) => re.test(l.text))?.at;
  const emu = at(/starting the local AWS emulator/);
  const boot = at(/creating the state bucket/);
  const creds = at(/checking credentials/);
  const planStart = at(/── plan$/);
  const planEnd = at(/── plan done/);
  const applyStart = at(/── apply$/);
  const applyEnd = at(/── apply done/);
  if ([emu, boot, creds, planStart, planEnd, applyStart, applyEnd].some((x) => x === undefined)) return undefined;
  return {
    load: emu!,
    emulator: boot! - emu!,
    bootstrap: creds! - boot!,
    rest: planStart! - creds!,
    plan: planEnd! - planStart!,
    show: applyStart! - planEnd!,
    apply: applyEnd! - applyStart!,
    exit: r.ms - applyEnd!,
  };
}

function expectCount(what: string, r: TimedRun, re: RegExp): void {
  if (!re.test(r.stdout)) throw new Error(`${what}: expected ${re} in its output, got:\n${r.stdout.trimEnd().split('\n').slice(-6).join('\n')}`);
}

export const applyOverhead: Bench = async (log) => {
  const ws = await makeWorkspace('apply');
  try {
    await writeModule(ws.terraform, RESOURCES);
    const profileFile = await ws.profile(ENV);
    const profile = await loadProfile(profileFile, ENV);

    // Warm-up of ours: starts the private moto, bootstraps the state bucket and KMS key, runs init
    // (remembered in the work dir) and one plan. Not timed.
    log(`apply-overhead: warm-up (private moto, bootstrap, terraform init, one plan) in ${ws.dir}`);
    check('warm-up --ci plan', await ws.cli(['-e', ENV, '--local', '--ci', 'plan'], 120_000), [2]);

    // The bare side: a copy of the module with the same backend settings and another state key,
    // the same child environment the console gives Terraform (emulator env, CLI config, TF_IN_AUTOMATION…).
    const emu = await ws.emulator();
    const bareDir = join(ws.dir, 'bare');
    await cp(ws.terraform, bareDir, { recursive: true });
    const bareEnv: NodeJS.ProcessEnv = {
      ...applyEmulatorEnv(emu, profile.aws_region, ws.env),
      TF_CLI_CONFIG_FILE: join(ws.work, 'terraform.rc'),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
    const backend = { ...backendFor(ENV, profile, true), key: 'bench-bare/terraform.tfstate' };
    const tf = (args: string[], timeoutMs = 120_000) => runTimed(TERRAFORM, args, { env: bareEnv, cwd: bareDir, timeoutMs });
    log('apply-overhead: bare terraform init + one plan (warm-up, not timed)');
    check('bare terraform init', await tf(['init', '-input=false', '-reconfigure', ...backendConfigArgs(backend)]));
    check('bare warm-up plan', await tf(['plan', '-input=false', `-var-file=${profileFile}`]));

    const planFile = join(bareDir, 'bench.tfplan');
    const added = new RegExp(`Resources: ${RESOURCES} added`);
    const destroyed = new RegExp(`Resources: ${RESOURCES} destroyed`);
    const runVariant = async (v: Variant): Promise<{ ms: number; phases?: Phases; split?: [number, number] }> => {
      switch (v) {
        case 'ours': {
          const r = check('ours --ci apply', await ws.cli(['-e', ENV, '--local', '--ci', 'apply', '--auto-approve'], 180_000));
          expectCount('ours --ci apply', r, added);
          const phases = phasesOf(r);
          check('ours --ci destroy (untimed)', await ws.cli(['-e', ENV, '--local', '--ci', 'destroy', '--auto-approve'], 180_000));
          return { ms: r.ms, ...(phases ? { phases } : {}) };
        }
        case 'bareApply': {
          const r = check('bare terraform apply', await tf(['apply', '-auto-approve', '-input=false', `-var-file=${profileFile}`]));
          expectCount('bare terraform apply', r, added);
          expectCount('bare terraform destroy (untimed)', check('bare terraform destroy', await tf(['destroy', '-auto-approve', '-input=false', `-var-file=${profileFile}`])), destroyed);
          return { ms: r.ms };
        }
        case 'barePlanApply': {
          await rm(planFile, { force: true });
          const p = check('bare terraform plan -out', await tf(['plan', '-input=false', `-var-file=${profileFile}`, `-out=${planFile}`]));
          const a = check('bare terraform apply PLAN', await tf(['apply', '-input=false', planFile]));
          expectCount('bare terraform apply PLAN', a, added);
          expectCount('bare terraform destroy (untimed)', check('bare terraform destroy', await tf(['destroy', '-auto-approve', '-input=false', `-var-file=${profileFile}`])), destroyed);
          return { ms: p.ms + a.ms, split: [p.ms, a.ms] };
        }
      }
    };

    const order: Variant[] = ['ours', 'bareApply', 'barePlanApply'];
    const times: Record<Variant, number[]> = { ours: [], bareApply: [], barePlanApply: [] };
    const phases: Phases[] = [];
    const splits: [number, number][] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const round = [...order.slice(rep % order.length), ...order.slice(0, rep % order.length)];
      for (const v of round) {
        const r = await runVariant(v);
        times[v].push(r.ms);
        if (r.phases) phases.push(r.phases);
        if (r.split) splits.push(r.split);
        log(`apply-overhead: round ${rep + 1}/${REPS} ${v}: ${ms(r.ms)}`);
      }
    }

    const mOurs = median(times.ours);
    const mApply = median(times.bareApply);
    const mPlanApply = median(times.barePlanApply);
    const rApply = mOurs / mApply;
    const rPlanApply = mOurs / mPlanApply;
    const runs = (xs: number[]) => xs.map((x) => Math.round(x)).join(' / ');
    const main = table(
      ['variant (200 × terraform_data, S3 backend on moto)', 'median', 'runs (ms)', 'ours / this', 'target', 'met'],
      [
        ['ours: --ci apply --auto-approve (plan + show + apply)', ms(mOurs), runs(times.ours), '', '', ''],
        ['bare: terraform apply -auto-approve', ms(mApply), runs(times.bareApply), ratio(rApply), `≤ ${TARGET_RATIO.toFixed(2)}×`, metText(rApply <= TARGET_RATIO)],
        ['bare: terraform plan -out + terraform apply PLAN', ms(mPlanApply), runs(times.barePlanApply), ratio(rPlanApply), `≤ ${TARGET_RATIO.toFixed(2)}×`, metText(rPlanApply <= TARGET_RATIO)],
      ],
      ['l', 'r', 'r', 'r', 'r', 'l'],
    );
    let breakdown = '';
    if (phases.length) {
      const m = (k: keyof Phases) => median(phases.map((p) => p[k]));
      const bp = median(splits.map((s) => s[0]));
      const ba = median(splits.map((s) => s[1]));
      breakdown = table(
        ['where the time goes (medians)', 'ours', 'bare plan -out + apply PLAN'],
        [
          ['node start-up, module loading, profile validation', ms(m('load')), ''],
          ['open session: find the running emulator', ms(m('emulator')), ''],
          ['open session: bootstrap state bucket + KMS key (idempotent)', ms(m('bootstrap')), ''],
          ['open session: STS, terraform version, CLI config; init check', ms(m('rest')), ''],
          ['terraform plan', ms(m('plan')), ms(bp)],
          ['terraform show -json + plan model', ms(m('show')), ''],
          ['terraform apply PLAN', ms(m('apply')), ms(ba)],
          ['after the apply until the process exits', ms(m('exit')), ''],
          ['total', ms(mOurs), ms(mPlanApply)],
        ],
        ['l', 'r', 'r'],
      );
    }
    const notes = [
      `Median of ${REPS} runs each, interleaved (order rotated each round); each run creates ${RESOURCES} resources and is followed by an untimed destroy.`,
      'Warm: ours did init in an untimed warm-up (its init check then only hashes the module); the bare copy was initialised the same way beforehand.',
      'Ours phases come from the arrival times of its output lines (progress steps, "── plan", "── plan done", "── apply", "── apply done").',
      'If no breakdown is printed, those lines changed and the phases could not be told apart.',
    ];
    const targets: TargetCheck[] = [
      { figure: 'apply: ours / bare terraform apply -auto-approve', value: ratio(rApply), target: `≤ ${TARGET_RATIO.toFixed(2)}×`, met: rApply <= TARGET_RATIO },
      { figure: 'apply: ours / bare plan -out + apply PLAN', value: ratio(rPlanApply), target: `≤ ${TARGET_RATIO.toFixed(2)}×`, met: rPlanApply <= TARGET_RATIO },
    ];
    return { name: 'apply-overhead', title: `Apply overhead: --ci apply vs bare terraform (${RESOURCES} terraform_data, local moto)`, text: [main, '', breakdown, '', ...notes.map((n) => `  ${n}`)].join('\n'), targets };
  } finally {
    await ws.dispose();
  }
};
