// Waiting and process lookups shared by the integration tests that kill and follow runs.
import { readdir, readFile } from 'node:fs/promises';

/** Polls `test` every 250 ms until it is true. @throws Error naming `what` after `timeoutMs`. */
export async function until(what: string, test: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Process ids whose command line contains `needle` and every one of `also` (Linux /proc). Tests
 * run two files at a time: pass the workspace's directory in `also` to see only its own processes.
 */
export async function pidsOf(needle: string, ...also: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle) && also.every((a) => cmd.includes(a))) out.push(Number(d));
  }
  return out;
}
