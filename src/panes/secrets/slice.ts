/**
 * The Secrets pane's slice: the bucket's objects and the SSM parameters under /ENV/ as one tree,
 * which folders are open, and the viewer's value (masked until revealed), with the named
 * transitions that are their only writers. Plain TypeScript.
 */
import type { ParameterRow } from '../../services/aws/parameters.js';
import type { SecretEntry } from '../../services/aws/secrets.js';
import { listLoaded, listSlice, type ListSlice } from '../../state/list-slice.js';
import type { AppState } from '../../state/store.js';

/** What the viewer shows: an object of the bucket or an SSM parameter, masked until revealed. */
export interface SecretView {
  kind: 'object' | 'parameter';
  key: string;
  /** The value; kept only while the viewer is open, never logged. */
  body: Buffer;
  etag?: string;
  revealed: boolean;
}

/** The Secrets pane's state. */
export interface SecretsSlice extends ListSlice<SecretEntry> {
  bucket?: string;
  params: ParameterRow[];
  expanded: Set<string>;
  view?: SecretView;
}

/** An empty pane; the usual folders (secrets/, secrets/secure/, secure/) open. */
export function secretsSlice(): SecretsSlice {
  return { ...listSlice<SecretEntry>('key'), params: [], expanded: new Set(['secrets', 'secrets/secure', 'secure']) };
}

/** The secrets bucket was found (Terraform output secrets_bucket). */
export function bucketFound(sl: SecretsSlice, bucket: string): void {
  sl.bucket = bucket;
}

/** A listing succeeded: the bucket's objects and the parameters. */
export function secretsListed(sl: SecretsSlice, rows: SecretEntry[], params: ParameterRow[]): void {
  listLoaded(sl, rows);
  sl.params = params;
}

/** Enter on a folder: opens or closes it. */
export function toggleFolder(sl: SecretsSlice, key: string): void {
  if (sl.expanded.has(key)) sl.expanded.delete(key);
  else sl.expanded.add(key);
}

/** Enter on an object or parameter: the viewer holds its value, masked. */
export function secretOpened(sl: SecretsSlice, view: Omit<SecretView, 'revealed'>): void {
  sl.view = { ...view, revealed: false };
}

/** `r` in the viewer: reveal or mask again. */
export function toggleReveal(sl: SecretsSlice): void {
  if (sl.view) sl.view.revealed = !sl.view.revealed;
}

/** Closing the viewer drops the value from memory. */
export function secretClosed(sl: SecretsSlice): void {
  sl.view = undefined;
}

/** One line of the Secrets pane's tree. */
export interface SecretNode {
  /** Full path: an S3 key or folder prefix (`secure/`), or an SSM parameter name (`/ENV/…`). */
  path: string;
  name: string;
  depth: number;
  kind: 'folder' | 'object' | 'parameters-root' | 'parameter';
  entry?: SecretEntry;
  param?: ParameterRow;
  /** For folders: whether they are open. */
  open?: boolean;
}

/** Root node path of the SSM parameters section. */
export const PARAMS_ROOT = 'ssm:';

function buildNodes(slice: SecretsSlice): SecretNode[] {
  const out: SecretNode[] = [];
  // Folders from the keys (a/b/c → a/, a/b/), files under them.
  type Dir = { dirs: Map<string, Dir>; files: SecretEntry[] };
  const root: Dir = { dirs: new Map(), files: [] };
  for (const e of slice.rows) {
    const parts = e.key.split('/');
    let d = root;
    for (const p of parts.slice(0, -1)) {
      let next = d.dirs.get(p);
      if (!next) d.dirs.set(p, (next = { dirs: new Map(), files: [] }));
      d = next;
    }
    if (parts.at(-1)) d.files.push(e);
  }
  const walk = (d: Dir, prefix: string, depth: number) => {
    for (const name of [...d.dirs.keys()].sort()) {
      const path = `${prefix}${name}/`;
      const open = slice.expanded.has(path.slice(0, -1));
      out.push({ path, name: `${name}/`, depth, kind: 'folder', open });
      if (open) walk(d.dirs.get(name)!, path, depth + 1);
    }
    for (const e of [...d.files].sort((a, b) => a.key.localeCompare(b.key))) out.push({ path: e.key, name: e.key.slice(prefix.length), depth, kind: 'object', entry: e });
  };
  walk(root, '', 0);
  const open = slice.expanded.has(PARAMS_ROOT);
  out.push({ path: PARAMS_ROOT, name: 'SSM parameters', depth: 0, kind: 'parameters-root', open });
  if (open) for (const p of slice.params) out.push({ path: p.name, name: p.name, depth: 1, kind: 'parameter', param: p });
  return out;
}

let lastNodesKey: unknown[] = [];
let lastNodes: SecretNode[] = [];

/** The Secrets pane's visible tree lines (open folders expanded), filtered by `/` on the path. */
export function visibleSecretNodes(s: AppState): readonly SecretNode[] {
  const slice = s.secrets;
  const key = [slice.rows, slice.params, [...slice.expanded].join('|')];
  if (key.some((k, i) => k !== lastNodesKey[i])) {
    lastNodes = buildNodes(slice);
    lastNodesKey = key;
  }
  const f = s.pane === 'secrets' ? s.filter.toLowerCase() : '';
  return f ? lastNodes.filter((n) => n.kind === 'parameters-root' || n.path.toLowerCase().includes(f)) : lastNodes;
}

