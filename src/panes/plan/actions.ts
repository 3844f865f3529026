/** The Plan/Apply pane's actions: plan, apply, destroy, cancel, outputs, diagnostics, and the lock and state repairs. */
import type { ActionDef } from '../../ui/keys/action.js';

export const PLAN_ACTIONS: readonly ActionDef[] = [
  { id: 'plan.plan', keys: ['p'], command: { words: ['plan'] }, scope: 'plan', label: 'plan', description: 'plan: refresh and compute the changes (terraform plan -out); the plan is saved for apply', statusBar: true, run: (c) => void c.controller.plan(false) },
  { id: 'plan.apply', keys: ['a'], command: { words: ['apply'] }, scope: 'plan', label: 'apply', description: 'apply the saved plan exactly as shown (y/N; the typed environment name when it destroys anything)', dangerous: true, statusBar: true, run: (c) => c.controller.requestApply() },
  { id: 'plan.destroy', keys: ['d'], command: { words: ['destroy'] }, scope: 'plan', label: 'destroy', description: 'plan a destroy of the whole environment, then apply it once you type the environment name', dangerous: true, statusBar: true, run: (c) => void c.controller.plan(true) },
  { id: 'plan.cancel', keys: ['c'], command: { words: ['cancel'] }, scope: 'plan', label: 'cancel', description: 'cancel the running plan/apply: one interrupt, then Terraform writes state and releases the lock (never killed)', statusBar: true, run: (c) => c.controller.cancel() },
  { id: 'plan.outputs', keys: ['o'], command: { words: ['outputs', 'output'] }, scope: 'plan', label: 'outputs', description: 'show the outputs (terraform output; sensitive values masked)', statusBar: true, run: (c) => void c.controller.outputs() },
  { id: 'plan.errors', keys: ['e'], command: { words: ['errors'] }, scope: 'plan', label: 'errors', description: 'show all diagnostics (errors and warnings) in full, with file:line', run: (c) => c.store.open({ kind: 'diagnostics', scroll: Number.MAX_SAFE_INTEGER }) },
  { id: 'plan.unlock', keys: [], command: { words: ['unlock'] }, scope: 'plan', label: 'unlock', description: 'release a stale state lock, showing who holds it and since when (refused while a run on this machine holds it)', dangerous: true, run: (c) => void c.controller.askUnlock() },
  { id: 'plan.state-push-errored', keys: [], command: { words: ['state-push-errored'] }, scope: 'plan', label: 'push errored state', description: 'push the state Terraform could not write to the backend (errored.tfstate; refused when the backend holds a newer state or another lineage)', run: (c) => void c.controller.pushErroredState() },
];
