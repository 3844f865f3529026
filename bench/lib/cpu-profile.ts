/**
 * A short summary of V8 CPU profiles (`.cpuprofile`, as node:inspector's Profiler.stop returns
 * them) for the benchmarks' reports: self time by where the code lives (the project's file, a
 * package, Node's internals; idle, GC) and the functions with the most self time.
 */
import { readFile } from 'node:fs/promises';
import { table } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a frame's code lives: `src/core/tf-state.js`, `ink`, `node:internal`, `(idle)`. */
function placeOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/((?:src|bench)\/.*)$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

/** Self time (ms) summed over `files`, by place and by function; the top `n` of each as text. */
export async function summarizeProfile(files: readonly string[], n = 12): Promise<string> {
  const byPlace = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(await readFile(f, 'utf8')) as Profile;
    const nodes = new Map(p.nodes.map((x) => [x.id, x]));
    const samples = p.samples ?? [];
    const deltas = p.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const node = nodes.get(samples[i]!);
      if (!node) continue;
      // The delta before sample i+1 is the time spent in sample i.
      const ms = (deltas[i + 1] ?? 0) / 1000;
      total += ms;
      const { functionName, url, lineNumber } = node.callFrame;
      const place = placeOf(url, functionName);
      byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
      const key = `${functionName || '(anonymous)'}  ${place}${url ? `:${lineNumber + 1}` : ''}`;
      byFn.set(key, (byFn.get(key) ?? 0) + ms);
    }
  }
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [`    ${k}`, `${v.toFixed(0)} ms`, `${((v / total) * 100).toFixed(1)} %`]);
  return [
    table([`    where (${files.length} profile${files.length === 1 ? '' : 's'}, ${total.toFixed(0)} ms sampled)`, 'self', 'share'], top(byPlace), ['l', 'r', 'r']),
    '',
    table(['    function', 'self', 'share'], top(byFn), ['l', 'r', 'r']),
  ].join('\n');
}
