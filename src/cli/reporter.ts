import { realDrift } from '../core/plan-drift.js';
import { CRASH_SUMMARY, type EngineEvent } from '../services/terraform/engine.js';
import { renderValue } from '../services/terraform/mask.js';
import { importsOf } from '../services/terraform/plan-model.js';
import { changesJson, driftLines, planChangesJson, planLines } from './plan-report.js';

/** The last line of a `--ci --json` run. Counts come from Terraform's change_summary / the saved plan. */
export interface Summary {
  type: 'summary';
  command: string;
  environment: string;
  ok: boolean;
  exit_code: number;
  add: number;
  change: number;
  destroy: number;
  duration_ms: number;
  /** With plan: the plan's highest risk (low, medium, high, critical). */
  risk?: string;
  /** With drift: the resources changed outside Terraform (not counting those equal once normalised). */
  drift?: number;
  /** With drift --auto-approve: whether their real values were written into the state. */
  state_updated?: boolean;
  error?: string;
  hint?: string;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * The headless reporter: subscribes to the same engine events as the console and prints one
 * human line per event, or NDJSON (one JSON object per line) with `json`. Secrets cannot reach it:
 * the event parser drops sensitive output values and outputs are masked before they are emitted.
 */
export class CiReporter {
  constructor(
    private readonly write: (line: string) => void,
    private readonly json: boolean,
  ) {}

  /** Prints a progress step of the console itself (opening the environment, …). */
  step(text: string): void {
    if (this.json) this.write(JSON.stringify({ type: 'progress', message: text, timestamp: new Date().toISOString() }));
    else this.write(`[${clock(Date.now())}] ${text}`);
  }

  /** Prints a notice (warnings such as "the local emulator was restarted"). */
  notice(text: string): void {
    if (this.json) this.write(JSON.stringify({ type: 'notice', message: text }));
    else this.write(`! ${text}`);
  }

  /** Prints a warning: something went wrong beside the operation, which went on (e.g. the history could not be written). */
  warning(text: string): void {
    if (this.json) this.write(JSON.stringify({ type: 'warning', message: text }));
    else this.write(`warning: ${text}`);
  }

  /** Prints one engine event. */
  event(e: EngineEvent): void {
    if (this.json) {
      switch (e.kind) {
        case 'tf': {
          const { timestamp, ...rest } = e.event;
          this.write(JSON.stringify({ ...rest, operation: e.operation, timestamp: new Date(timestamp).toISOString() }));
          break;
        }
        case 'stderr':
          if (e.line.trim()) this.write(JSON.stringify({ type: 'stderr', operation: e.operation, message: e.line }));
          break;
        case 'text':
          if (e.line.trim()) this.write(JSON.stringify({ type: 'text', operation: e.operation, message: e.line }));
          break;
        case 'operation-start':
          this.write(JSON.stringify({ type: 'operation_start', operation: e.operation, timestamp: new Date(e.at).toISOString() }));
          break;
        case 'operation-end':
          this.write(JSON.stringify({ type: 'operation_end', operation: e.operation, ok: e.ok, exit_code: e.exitCode, cancelled: e.cancelled, duration_ms: e.durationMs, timestamp: new Date(e.at).toISOString() }));
          break;
        case 'plan':
          this.write(
            JSON.stringify({
              type: 'plan',
              destroy_mode: e.plan.destroyMode,
              refresh_only: e.plan.refreshOnly,
              summary: e.plan.summary,
              destroys: e.plan.destroys,
              risk: e.plan.risk,
              changes: planChangesJson(e.plan),
              drift: realDrift(e.plan).map((d) => d.address),
              drift_changes: changesJson(e.plan.drift),
              ...(e.plan.targets ? { targets: e.plan.targets } : {}),
              ...(e.plan.replaceRequested ? { replace_requested: e.plan.replaceRequested } : {}),
              ...(e.plan.imports ? { imports: e.plan.imports, importing: importsOf(e.plan).map((n) => ({ address: n.address, id: n.importingId })) } : {}),
            }),
          );
          break;
        case 'outputs':
          this.write(JSON.stringify({ type: 'outputs', outputs: Object.fromEntries(e.outputs.map((o) => [o.name, { sensitive: o.sensitive, value: o.value }])) }));
          break;
        case 'lock-held':
          this.write(JSON.stringify({ type: 'lock_held', lock: e.lock }));
          break;
        case 'cancel-requested':
          this.write(JSON.stringify({ type: 'cancel_requested', operation: e.operation }));
          break;
        case 'attached':
          this.write(JSON.stringify({ type: 'attached', operation: e.operation, run_id: e.record.id, pid: e.record.pid, started_at: e.record.startedAt, owner: `${e.record.owner.user}@${e.record.owner.host}`, running: e.running }));
          break;
        case 'endpoint':
          this.write(JSON.stringify({ type: 'endpoint', reachable: e.reachable, ...(e.reason ? { reason: e.reason } : {}), timestamp: new Date().toISOString() }));
          break;
        case 'state-not-persisted':
          this.write(JSON.stringify({ type: 'state_not_persisted', path: e.path }));
          break;
      }
      return;
    }
    switch (e.kind) {
      case 'tf': {
        const ev = e.event;
        if (ev.type === 'diagnostic') {
          const where = ev.range ? ` (${ev.range.filename}:${ev.range.line})` : '';
          this.write(`[${clock(ev.timestamp)}] ${ev.severity === 'error' ? 'Error' : 'Warning'}: ${ev.summary}${where}`);
          if (ev.summary.startsWith(CRASH_SUMMARY)) this.write('    (its stack trace is printed above)');
          else for (const l of ev.detail.split('\n')) if (l.trim()) this.write(`    ${l}`);
        } else if (ev.type === 'planned_change' && e.operation === 'apply') {
          // apply -json PLANFILE repeats the plan's planned_change lines: shown once, under the plan.
        } else if (ev.type !== 'version' && ev.type !== 'outputs') {
          this.write(`[${clock(ev.timestamp)}] ${ev.message}`);
        }
        break;
      }
      case 'stderr':
      case 'text':
        if (e.line.trim()) this.write(`    ${e.line}`);
        break;
      case 'operation-start':
        this.write(`[${clock(e.at)}] ── ${e.operation}`);
        break;
      case 'operation-end':
        this.write(`[${clock(e.at)}] ── ${e.operation} ${e.cancelled ? 'cancelled' : e.ok ? 'done' : 'failed'} in ${(e.durationMs / 1000).toFixed(1)} s`);
        break;
      case 'plan': {
        const s = e.plan.summary;
        if (e.plan.refreshOnly) {
          for (const l of driftLines(e.plan)) this.write(l);
          const n = realDrift(e.plan).length;
          this.write(`drift check: ${n ? `${n} resource${n === 1 ? '' : 's'} changed outside Terraform` : 'no drift'}`);
          break;
        }
        for (const l of planLines(e.plan)) this.write(l);
        this.write(`plan${e.plan.destroyMode ? ' (destroy)' : ''}: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy`);
        break;
      }
      case 'outputs':
        for (const o of e.outputs) this.write(`${o.name} = ${renderValue(o.value, 10_000)}`);
        break;
      case 'lock-held':
        this.write(`state lock held by ${e.lock.who} (${e.lock.operation}, since ${e.lock.created}, ID ${e.lock.id})`);
        break;
      case 'cancel-requested':
        this.write('cancelling: one interrupt sent; waiting for Terraform to write state and release the lock (not interrupting again)');
        break;
      case 'attached':
        this.write(`[${clock(Date.now())}] following the ${e.operation} ${e.record.id} (pid ${e.record.pid}, started ${e.record.startedAt} by ${e.record.owner.user}@${e.record.owner.host})${e.running ? '' : ', which has ended'}`);
        break;
      case 'endpoint':
        this.write(e.reachable ? `[${clock(Date.now())}] AWS answers again; Terraform goes on` : `[${clock(Date.now())}] AWS does not answer (${e.reason ?? 'no answer'}): Terraform is retrying; Ctrl-C cancels (one interrupt)`);
        break;
      case 'state-not-persisted':
        this.write(`[${clock(Date.now())}] Terraform could not write the state to the backend: it kept it in ${e.path} (0600); push it with --ci state-push-errored once the backend answers`);
        break;
    }
  }

  /** Prints the closing summary (NDJSON's last line, or one human line). */
  summary(s: Omit<Summary, 'type'>): void {
    if (this.json) this.write(JSON.stringify({ type: 'summary', ...s }));
    else if (s.ok && s.command === 'drift') this.write(`drift ${s.environment}: ${s.drift ? `${s.drift} resource${s.drift === 1 ? '' : 's'} changed outside Terraform${s.state_updated ? ', their real values written into the state' : ''}` : 'no drift'} (${(s.duration_ms / 1000).toFixed(1)} s, exit ${s.exit_code})`);
    else if (s.ok && (s.command === 'unlock' || s.command === 'state-push-errored')) this.write(`${s.command} ${s.environment}: ok (${(s.duration_ms / 1000).toFixed(1)} s, exit ${s.exit_code})`);
    else if (s.ok) this.write(`${s.command} ${s.environment}: ok — ${s.add} to add/added, ${s.change} changed, ${s.destroy} destroyed (${(s.duration_ms / 1000).toFixed(1)} s, exit ${s.exit_code})`);
  }
}
