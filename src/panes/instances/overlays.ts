/** The lines of the Instances pane's overlays: the `:run` view and the tunnels view. Pure. */
import type { RunState, TunnelRow } from './slice.js';

/** The `:run` view's lines: per node, in the targets' order, a header (exit status, or running) and its output. */
export function runLines(run: RunState): string[] {
  const out: string[] = [];
  for (const n of run.nodes) {
    const status = n.code === undefined ? 'running…' : n.error ? `✗ unreachable: ${n.error}` : n.code === 0 ? '✓ exit 0' : `✗ exit ${n.code}${n.signal ? ` (signal ${n.signal})` : ''}`;
    out.push(`── ${n.label}  ${status}${n.ms !== undefined ? `  ${(n.ms / 1000).toFixed(1)} s` : ''}`);
    if (n.stdout) for (const l of n.stdout.replace(/\n$/, '').split('\n')) out.push(`   ${l}`);
    if (n.stderr) for (const l of n.stderr.replace(/\n$/, '').split('\n')) out.push(` ! ${l}`);
    if (n.truncated) out.push('   … output truncated (1 MiB per node and stream)');
  }
  return out;
}

/** The tunnels view's lines, numbered as 1-9 closes them. */
export function tunnelLines(tunnels: readonly TunnelRow[]): string[] {
  return tunnels.length
    ? tunnels.map((t, i) => `${i + 1}  127.0.0.1:${t.localPort} → ${t.remote}  ${t.label}  ${t.open} open, ${t.total} total, ${t.bytesOut} B out, ${t.bytesIn} B in${t.lastError ? `  last error: ${t.lastError}` : ''}`)
    : ['no tunnels: t in the Instances pane (or :tunnel HOST:PORT [LOCAL_PORT]) opens one'];
}
