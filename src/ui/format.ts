/** Elapsed time for tables: `850ms`, `12s`, `3m04s`, `1h02m`. */
export function formatElapsed(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Symbol and colour of a plan action, as Terraform's own UI shows them (+ ~ - -/+ <=). */
export function actionStyle(action: string): { symbol: string; color?: string } {
  switch (action) {
    case 'create':
      return { symbol: '+', color: 'green' };
    case 'update':
      return { symbol: '~', color: 'yellow' };
    case 'delete':
      return { symbol: '-', color: 'red' };
    case 'replace':
      return { symbol: '-/+', color: 'magenta' };
    case 'read':
      return { symbol: '<=', color: 'cyan' };
    case 'import':
      return { symbol: '<-', color: 'cyan' };
    default:
      return { symbol: ' ' };
  }
}

/** `text` in at most `width` cells (one per character): cut with `…` when longer, never silently. */
export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width > 1 ? `${text.slice(0, width - 1)}…` : text.slice(0, Math.max(0, width));
}
