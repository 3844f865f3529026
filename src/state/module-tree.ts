/**
 * The module tree shared by the panes that group resources by module (Plan/Apply, State): the
 * tree-or-flat switch, folded modules, and folding the module of the selected line. Plain
 * TypeScript: the slices hold a {@link ModuleTree}, their line functions are memoized on `rev`.
 */
import type { AppState, Store } from './store.js';

/** The part of a slice that shapes its module tree; `rev` is bumped by every change of it. */
export interface ModuleTree {
  rev: number;
  /** Grouped by module (true) or one flat list. */
  tree: boolean;
  /** The module paths that are folded. */
  folded: Set<string>;
}

/** The tree or the flat list. */
export function toggleTree(t: ModuleTree): void {
  t.rev++;
  t.tree = !t.tree;
}

/** Folds (or unfolds) one module. */
export function setFolded(t: ModuleTree, module: string, folded: boolean): void {
  t.rev++;
  if (folded) t.folded.add(module);
  else t.folded.delete(module);
}

/** A line of a module tree: a module header or anything else. */
type TreeLine = { kind: 'module'; module: string } | { kind: string };

/**
 * `←` / `→`: folds or unfolds the module of the selected line (the nearest header above it); the
 * selection goes to that header. `linesOf` gives the pane's lines, `treeOf` its {@link ModuleTree}.
 */
export function foldSelected(store: Store, linesOf: (s: AppState) => readonly TreeLine[], treeOf: (s: AppState) => ModuleTree, folded: boolean): void {
  const lines = linesOf(store.state);
  let i = Math.min(store.state.selected, lines.length - 1);
  while (i >= 0 && lines[i]!.kind !== 'module') i--;
  const header = lines[i] as { kind: 'module'; module: string } | undefined;
  if (header?.kind !== 'module') return;
  store.update((s) => {
    setFolded(treeOf(s), header.module, folded);
    const j = linesOf(s).findIndex((l) => l.kind === 'module' && (l as { module: string }).module === header.module);
    if (j >= 0) s.selected = j;
  });
}
