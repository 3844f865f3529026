/**
 * A synthetic but realistic `terraform apply -json` stream for 1,000 resources: the message
 * shapes are copied from the real Terraform 1.11.4 recordings in test/fixtures/tf-json/
 * (apply_start, apply_progress, apply_complete, provision_progress as log lines, change_summary),
 * with addresses, messages, ids and timestamps filled in the way Terraform writes them.
 *
 * Layout of the 100,000 events: 100 waves of 10 resources in flight (Terraform's default
 * parallelism); a wave is 10 `apply_start`, then 98 rounds over its 10 resources (95 rounds of
 * `apply_progress` "Still creating... [Ns elapsed]" and 3 rounds of provisioner output lines),
 * then 10 `apply_complete`: 1,000 events per wave, 100 per resource.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/core/paths.js';

export const RESOURCES = 1_000;
export const PARALLELISM = 10;
export const EVENTS_PER_RESOURCE = 100;
export const TOTAL_EVENTS = RESOURCES * EVENTS_PER_RESOURCE;
const WAVE = PARALLELISM * EVENTS_PER_RESOURCE; // 1,000 events
const LOG_ROUNDS = new Set([31, 63, 95]);

type Json = Record<string, unknown>;

function templates(): Record<string, Json> {
  const file = join(projectRoot(), 'test', 'fixtures', 'tf-json', 'apply-create-slow.ndjson');
  const out: Record<string, Json> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as Json;
    const type = msg.type as string;
    // Keep the first of each type; for change_summary the apply one.
    if (type === 'change_summary' && (msg.changes as Json).operation !== 'apply') continue;
    out[type] ??= msg;
  }
  for (const t of ['version', 'apply_start', 'apply_progress', 'apply_complete', 'provision_progress', 'change_summary']) {
    if (!out[t]) throw new Error(`test/fixtures/tf-json/apply-create-slow.ndjson has no ${t} line to copy the shape from`);
  }
  return out;
}

const MODULES = ['network', 'bastion', 'secure', 'compute', 'elb', 'secrets', 'dns', 'iam'];
const TYPES: [string, string][] = [
  ['aws_instance', 'node'],
  ['aws_security_group_rule', 'ingress'],
  ['aws_route53_record', 'node'],
  ['aws_iam_role_policy_attachment', 'attach'],
  ['aws_subnet', 'private'],
  ['aws_ebs_volume', 'data'],
  ['aws_network_interface', 'eni'],
];
const LOG_LINES = ['Executing: ["/bin/sh" "-c" "cloud-init status --wait"]', 'status: running', 'status: done'];

/** Generates the stream's lines, one NDJSON line per event, in order. */
export class ApplyStream {
  private readonly t = templates();
  private readonly resources: Json[] = [];

  constructor() {
    for (let i = 0; i < RESOURCES; i++) {
      const [type, name] = TYPES[i % TYPES.length]!;
      const module = `module.${MODULES[i % MODULES.length]!}`;
      const resource = `${type}.${name}[${i}]`;
      this.resources.push({
        addr: `${module}.${resource}`,
        module,
        resource,
        implied_provider: 'aws',
        resource_type: type,
        resource_name: name,
        resource_key: i,
      });
    }
  }

  /** The `version` line that starts every stream. */
  versionLine(ts: string): string {
    return JSON.stringify({ ...this.t.version, '@timestamp': ts });
  }

  /** The closing `change_summary` line. */
  summaryLine(ts: string): string {
    const tpl = this.t.change_summary!;
    return JSON.stringify({
      ...tpl,
      '@message': `Apply complete! Resources: ${RESOURCES} added, 0 changed, 0 destroyed.`,
      '@timestamp': ts,
      changes: { add: RESOURCES, change: 0, import: 0, remove: 0, operation: 'apply' },
    });
  }

  /** Line `k` (0 ≤ k < TOTAL_EVENTS) of the stream, stamped `ts`. */
  line(k: number, ts: string): string {
    const wave = Math.floor(k / WAVE);
    const o = k % WAVE;
    const j = o % PARALLELISM;
    const idx = wave * PARALLELISM + j;
    const res = this.resources[idx]!;
    const addr = res.addr as string;
    if (o < PARALLELISM) {
      const tpl = this.t.apply_start!;
      return JSON.stringify({ ...tpl, '@message': `${addr}: Creating...`, '@timestamp': ts, hook: { ...(tpl.hook as Json), resource: res, action: 'create' } });
    }
    if (o >= WAVE - PARALLELISM) {
      const tpl = this.t.apply_complete!;
      const id = `i-0${(0x1000000 + idx * 7919).toString(16)}${idx.toString(16).padStart(8, '0')}`;
      const elapsed = 960;
      return JSON.stringify({
        ...tpl,
        '@message': `${addr}: Creation complete after ${elapsed}s [id=${id}]`,
        '@timestamp': ts,
        hook: { ...(tpl.hook as Json), resource: res, action: 'create', id_key: 'id', id_value: id, elapsed_seconds: elapsed },
      });
    }
    const round = Math.floor((o - PARALLELISM) / PARALLELISM); // 0..97
    if (LOG_ROUNDS.has(round)) {
      const tpl = this.t.provision_progress!;
      const output = LOG_LINES[[...LOG_ROUNDS].indexOf(round)]!;
      return JSON.stringify({ ...tpl, '@message': `${addr}: (remote-exec): ${output}`, '@timestamp': ts, hook: { ...(tpl.hook as Json), resource: res, provisioner: 'remote-exec', output } });
    }
    const progressRound = round - [...LOG_ROUNDS].filter((r) => r < round).length; // 0..94
    const elapsed = (progressRound + 1) * 10;
    const tpl = this.t.apply_progress!;
    return JSON.stringify({
      ...tpl,
      '@message': `${addr}: Still creating... [${elapsed}s elapsed]`,
      '@timestamp': ts,
      hook: { ...(tpl.hook as Json), resource: res, action: 'create', elapsed_seconds: elapsed },
    });
  }
}
