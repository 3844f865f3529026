import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Workspace } from './workspace.js';

type Child = ReturnType<Workspace['spawnCli']>;

/** Resolves with stdout so far once it matches `re`; rejects after `timeoutMs` with what was seen. */
export function waitFor(child: Child, re: RegExp, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; saw:\n${seen.slice(-3000)}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) {
        clearTimeout(timer);
        child.stdout!.off('data', on);
        resolve(seen);
      }
    };
    child.stdout!.on('data', on);
  });
}

/** Collects a child's output and resolves when it closes. */
export function exitOf(child: Child): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** The workspace emulator's endpoint (from its emulator.json). */
export async function emulatorEndpoint(ws: Workspace): Promise<string> {
  return (JSON.parse(await readFile(join(ws.local, 'emulator.json'), 'utf8')) as { endpoint: string }).endpoint;
}

/** An S3 client on the workspace's emulator (dummy credentials). */
export async function s3For(ws: Workspace): Promise<S3Client> {
  return new S3Client({ region: 'us-east-1', endpoint: await emulatorEndpoint(ws), forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}
