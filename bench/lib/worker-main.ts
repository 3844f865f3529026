/**
 * The entry of a benchmark worker (a process forked by a benchmark so that its RSS is its own):
 * when `moduleUrl` is the script node was started with, parses the JSON arguments (argv[2]), runs
 * `run`, sends the result to the parent over IPC (or prints it as one JSON line when started by
 * hand) and exits; a failure prints its stack and exits 1, bad arguments exit 2.
 */
export function workerMain<A, R>(moduleUrl: string, usage: string, run: (args: A) => Promise<R>): void {
  const isEntry = process.argv[1] !== undefined && moduleUrl === new URL(`file://${process.argv[1]}`).href;
  if (!isEntry) return;
  let args: A;
  try {
    args = JSON.parse(process.argv[2] ?? '') as A;
  } catch {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(2);
  }
  run(args).then(
    (r) => {
      if (process.send) process.send(r as object, () => process.exit(0));
      else {
        process.stdout.write(JSON.stringify(r) + '\n');
        process.exit(0);
      }
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
