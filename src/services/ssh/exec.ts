/**
 * Commands on nodes: one command on one host (exit status carried), and the same command on
 * many hosts at once with a concurrency limit, sharing one bastion connection.
 */
import type { Writable } from 'node:stream';
import type { Client } from 'ssh2';
import { mapLimit } from '../../core/concurrency.js';
import { SshError } from '../../core/errors.js';
import { connect, connectBastion, type SshSettings } from './connection.js';
import type { SshTarget } from './targets.js';

/** How a remote command ended. */
export interface RemoteExit {
  /** The remote exit status; 255 when the command was killed by a signal or the channel closed without a status. */
  code: number;
  /** The signal name (e.g. `TERM`) when the remote command was killed by one. */
  signal?: string;
}

/**
 * Copies `from` into `to` (not ended), with backpressure: while `to` is full, `from` is paused, so
 * ssh2 stops adjusting the channel's window and the server waits, instead of the output piling up
 * in memory (100 MB into a pipe held most of it: 270 MB peak RSS).
 */
function forward(from: NodeJS.ReadableStream, to: Writable): void {
  from.on('data', (d: Buffer) => {
    if (to.write(d) === false) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}

/**
 * Runs `command` on an open session, streaming its output into `stdout`/`stderr` (not ended; a
 * full `stdout` pauses the remote output).
 * @throws SshError when the server refuses the exec request.
 */
export function runCommand(client: Client, command: string, io: { stdout: Writable; stderr: Writable; stdin?: NodeJS.ReadableStream }): Promise<RemoteExit> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(new SshError(`the server refused to run the command: ${err.message}`));
      let exit: RemoteExit | undefined;
      stream.on('exit', (code: number | null, signal?: string) => {
        exit = code === null || code === undefined ? { code: 255, signal: signal ?? undefined } : { code };
      });
      forward(stream, io.stdout);
      // stderr is not paused: ssh2 emits the channel's 'close' once stdout has ended, not stderr,
      // so a paused stderr could still hold output then. It is small; stdout carries the bulk.
      stream.stderr.on('data', (d: Buffer) => io.stderr.write(d));
      if (io.stdin) io.stdin.pipe(stream);
      else stream.end();
      stream.on('close', () => {
        if (io.stdin) io.stdin.unpipe(stream);
        resolve(exit ?? { code: 255 });
      });
    });
  });
}

/** One node's result of {@link runOnMany}. */
export interface NodeResult {
  target: SshTarget;
  /** The remote exit status, or 255 with `error` when the node could not be reached. */
  code: number;
  signal?: string;
  /** Output (at most `maxOutputBytes` each; `truncated` says when more was dropped). */
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Why the command did not run (connection, host key, authentication). */
  error?: SshError;
  /** Wall time for this node, connect included, ms. */
  ms: number;
}

/** A bounded text sink. */
class Capture {
  chunks: Buffer[] = [];
  size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  writable(): Writable {
    const w = { write: (d: Buffer) => this.add(d) } as unknown as Writable;
    return w;
  }
  add(d: Buffer): boolean {
    if (this.size >= this.max) {
      this.truncated = true;
      return true;
    }
    const part = d.length + this.size > this.max ? d.subarray(0, this.max - this.size) : d;
    if (part.length < d.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
    return true;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Options of {@link runOnMany}. */
export interface ManyOptions {
  /** Nodes running the command at the same time (default 8). */
  concurrency?: number;
  /** Output kept per node and stream, bytes (default 1 MiB). */
  maxOutputBytes?: number;
  /** Called as each node finishes (in finishing order). */
  onResult?: (r: NodeResult) => void;
  /** Called when a node starts. */
  onStart?: (t: SshTarget) => void;
  /** Aborting ends the sessions in flight (their nodes report 255) and starts no more. */
  signal?: AbortSignal;
}

/**
 * Runs `command` on every target, at most `concurrency` at once, over one shared bastion
 * connection. Never throws for a node's failure: each result carries its own exit status or
 * error. Results come back in the targets' order.
 */
export async function runOnMany(targets: readonly SshTarget[], command: string, s: SshSettings, o: ManyOptions = {}): Promise<NodeResult[]> {
  let bastion: Client | undefined;
  let bastionError: SshError | undefined;
  if (s.bastion && targets.length) {
    try {
      bastion = await connectBastion(s);
    } catch (err) {
      bastionError = err instanceof SshError ? err : new SshError(String(err));
    }
  }
  const max = o.maxOutputBytes ?? 1 << 20;
  // Cancelling ends every session in flight (their commands report 255) and starts no more.
  const active = new Set<{ close(): void }>();
  const onAbort = () => {
    for (const c of active) c.close();
    bastion?.end();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  /** Runs the command on one target; never throws (the result carries the failure). */
  const runOne = async (target: SshTarget): Promise<NodeResult> => {
    const started = Date.now();
    o.onStart?.(target);
    const out = new Capture(max);
    const err = new Capture(max);
    let r: NodeResult;
    if (bastionError || o.signal?.aborted) {
      const e = bastionError ?? new SshError('cancelled');
      r = { target, code: 255, stdout: '', stderr: '', truncated: false, error: e, ms: 0 };
    } else {
      try {
        const conn = await connect(target, s, bastion);
        active.add(conn);
        if (o.signal?.aborted) conn.close();
        try {
          const exit = await runCommand(conn.client, command, { stdout: out.writable(), stderr: err.writable() });
          r = { target, code: exit.code, ...(exit.signal ? { signal: exit.signal } : {}), stdout: out.text(), stderr: err.text(), truncated: out.truncated || err.truncated, ms: Date.now() - started };
        } finally {
          active.delete(conn);
          conn.close();
        }
      } catch (e) {
        const error = e instanceof SshError ? e : new SshError(String((e as Error).message ?? e));
        r = { target, code: 255, stdout: out.text(), stderr: err.text(), truncated: false, error, ms: Date.now() - started };
      }
    }
    o.onResult?.(r);
    return r;
  };
  try {
    return await mapLimit(targets, o.concurrency ?? 8, runOne);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    bastion?.end();
  }
}
