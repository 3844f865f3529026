/** The body of a view overlay (help, log, outputs, diagnostics, details, the secret viewer, the run and tunnels views). */
import React from 'react';
import { maskSecret, renderValue } from '../../core/mask.js';
import { renderChange } from '../../core/plan-diff.js';
import { driftClasses } from '../../core/plan-drift.js';
import type { ResourceChange } from '../../services/terraform/plan-model.js';
import { runLines, tunnelLines } from '../../panes/instances/overlays.js';
import { stateResource, stateResourceLines } from '../../panes/state/slice.js';
import type { AppState, ViewOverlay } from '../../state/store.js';
import { LogView } from '../components/LogView.js';
import { helpLines } from '../keys/registry.js';

/** The help's lines by what is on display (the Fleet screen, or the pane shown), made once each. */
const HELP = new Map<string, string[]>();
function helpFor(state: AppState): string[] {
  const key = state.screen === 'fleet' ? 'fleet' : state.pane;
  let lines = HELP.get(key);
  if (!lines) HELP.set(key, (lines = helpLines(state.screen, state.pane)));
  return lines;
}

const diffCache = new WeakMap<ResourceChange, Map<string, string[]>>();

/** The change's lines in Terraform's notation, rendered once per change and mode. */
function diffLines(ch: ResourceChange, all: boolean, action: string = ch.action): string[] {
  let m = diffCache.get(ch);
  if (!m) diffCache.set(ch, (m = new Map()));
  const key = `${all} ${action}`;
  let out = m.get(key);
  if (!out) {
    out = renderChange({ address: ch.address, action, type: ch.type, name: ch.name, mode: ch.mode, phantom: ch.phantom, ...(ch.reason ? { reason: ch.reason } : {}), ...(ch.previousAddress ? { previousAddress: ch.previousAddress } : {}), ...(ch.importingId !== undefined ? { importingId: ch.importingId } : {}), ...(ch.detail ? { detail: ch.detail } : {}) }, all);
    m.set(key, out);
  }
  return out;
}

/** What a view overlay shows: title, line count, line i, footer. */
function content(o: ViewOverlay, state: AppState, columns: number): { title: string; length: number; line: (i: number) => string; footer: string } {
  const lines = (title: string, ls: readonly string[], footer: string, empty = '') => ({ title, length: ls.length || 1, line: (i: number) => ls[i] ?? empty, footer });
  switch (o.kind) {
    case 'help':
      return lines('Keys', helpFor(state), '↑↓ scroll, Esc or ? close');
    case 'details':
      return lines(o.title, o.lines, '↑↓ scroll, Esc close');
    case 'secret': {
      const v = state.secrets.view;
      if (!v) return lines('Secret', [], 'Esc close', 'the value was dropped');
      const body = v.revealed ? v.body.toString('utf8').split('\n') : [maskSecret(v.body)];
      return lines(`${v.kind === 'object' ? `s3://${state.secrets.bucket ?? ''}/` : 'SSM '}${v.key}${v.revealed ? '  (REVEALED)' : '  (masked)'}`, body, `r ${v.revealed ? 'mask' : 'reveal'}${v.kind === 'object' ? ', e edit, f fetch' : ''}, Esc close (the value is dropped from memory)`);
    }
    case 'run': {
      const run = state.instances.run;
      return lines(run ? `:run ${run.command}${run.done ? '' : '  (running)'}` : ':run', run ? runLines(run) : [], 'output grouped per node; ↑↓ scroll, Esc close (x reopens it)');
    }
    case 'tunnels':
      return lines('Tunnels through the bastion', tunnelLines(state.instances.tunnels), '1-9 close that tunnel; all close on quit; Esc back');
    case 'state-resource': {
      const r = stateResource(state.tfstate, o.address);
      const footer = `${r?.type === 'aws_instance' ? 's ssh, I its Instances row, ' : r && /^aws_(elb|lb|alb)$/.test(r.type) ? 'L its Load balancers row, ' : ''}t plan -target, ↑↓ scroll, Esc close`;
      return lines(`${o.address}  (state serial ${state.tfstate.read?.doc.serial ?? '?'})`, r ? stateResourceLines(state, r) : [], footer, 'not in the state any more (it was read again)');
    }
    case 'diff': {
      // An import (a note: no change to the infrastructure) has its diff too.
      const ch = state.plan.model?.changes.find((x) => x.address === o.address) ?? state.plan.model?.notes.find((x) => x.address === o.address && x.importingId !== undefined);
      if (!ch) return lines(o.address, [], 'Esc close', 'the plan changed: this resource has no planned change now');
      return lines(`${o.address}  ${ch.action}  risk ${ch.risk}: ${ch.riskWhy}`, diffLines(ch, o.all), `u ${o.all ? 'hide' : 'show'} unchanged, n/N next/previous change, ↑↓ scroll, Esc close`);
    }
    case 'drift': {
      const all = state.plan.driftDetail;
      const { real, setBy: own, phantom } = driftClasses(all);
      const ls = [
        ...real.flatMap((d) => [...diffLines(d, false, 'drift'), '']),
        ...(own.length ? [`= ${own.length} more reported by Terraform, set by other resources of this configuration (e.g. rules of a security group as aws_security_group_rule): not drift; they settle once the state is refreshed`, ...own.map((d) => `    ${d.address}  (by ${d.setBy.join(', ')})`), ''] : []),
        ...(phantom.length ? [`≈ ${phantom.length} more reported by Terraform, equal once normalised (null vs empty, key order, JSON as data): not drift`, ...phantom.map((d) => `    ${d.address}`)] : []),
      ];
      const refreshOnly = state.plan.model?.refreshOnly === true;
      return lines(`Drift: ${real.length} resource(s) changed outside Terraform`, ls, `${refreshOnly && real.length ? 'a writes the real values into the state, ' : ''}↑↓ scroll, Esc close`, 'no drift');
    }
    case 'log':
      return { title: 'Raw log', length: state.log.length, line: (i) => state.log.at(i) ?? '', footer: '↑↓ PgUp PgDn g G scroll, Esc close' };
    case 'outputs': {
      const outs = state.plan.outputs ?? [];
      return lines('Outputs', outs.map((x) => `${x.name} = ${renderValue(x.value, columns)}`), 'sensitive values are masked; Esc close', 'no outputs (apply first)');
    }
    case 'diagnostics': {
      const ls: string[] = [];
      for (const d of state.plan.diagnostics.slice(0)) {
        ls.push(`${d.severity === 'error' ? '✗ Error' : '! Warning'}: ${d.summary}${d.where ? `  (${d.where})` : ''}${d.address ? `  [${d.address}]` : ''}`);
        for (const l of d.detail.split('\n')) ls.push(`    ${l}`);
      }
      return lines('Diagnostics', ls, 'Esc close', 'no diagnostics');
    }
  }
}

/** Lines of content of view overlay `o` (for the scroll bounds). */
export function viewLength(o: ViewOverlay, state: AppState, columns: number): number {
  return content(o, state, columns).length;
}

/** Lines of content a view of `height` rows shows (as LogView: the borders, the title and the footer). */
export function viewInner(height: number): number {
  return Math.max(1, height - 4);
}

/** Renders view overlay `o` in the body. */
export function ViewOverlayBody({ overlay, state, width, height }: { overlay: ViewOverlay; state: AppState; width: number; height: number }): React.ReactElement {
  const c = content(overlay, state, width);
  return <LogView title={c.title} length={c.length} line={c.line} offsetFromEnd={overlay.scroll} width={width} height={height} footer={c.footer} />;
}
