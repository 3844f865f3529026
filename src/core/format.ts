// Pure formatters shared by the services, the --ci output and the UI.

/** An EC2 launch time (ms since the epoch) as `YYYY-MM-DD HH:MM` (UTC); '' for 0. */
export function formatLaunchTime(ms: number): string {
  if (!ms) return '';
  const s = new Date(ms).toISOString(); // 2024-05-01T12:34:56.000Z
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}
