import { resolve } from 'node:path';
import { AwsError, ConsoleError } from '../core/errors.js';
import type { AwsContext } from '../services/aws/context.js';
import { bootstrapPrerequisites } from '../services/aws/bootstrap.js';
import { listInstances } from '../services/aws/instances.js';
import { listLoadBalancers } from '../services/aws/load-balancers.js';
import { getSecret, listSecrets, putSecret, fetchTree, uploadTree, SecretNotFoundError } from '../services/aws/secrets.js';
import { readFile } from 'node:fs/promises';
import { writeProfileFields } from '../core/profile-edit.js';
import type { Session } from '../services/session.js';
import type { SecretsCommand } from './args.js';

/** What an AWS `--ci` command needs: the open session, how to print, and its options. */
export interface AwsCiOptions {
  session: Session;
  json: boolean;
  out: (line: string) => void;
  /** Raw bytes to stdout (`secrets get`). */
  outRaw: (data: Buffer) => void;
  secrets?: SecretsCommand;
  writeProfile: boolean;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

async function secretsContext(session: Session): Promise<AwsContext> {
  const out = (await session.engine.outputs()).find((o) => o.name === 'secrets_bucket');
  if (typeof out?.value !== 'string') {
    throw new ConsoleError(`no secrets bucket for ${session.environment}: the Terraform output secrets_bucket is not set`, 'apply the platform first (--ci apply --auto-approve)');
  }
  return { ...session.aws, secretsBucket: out.value };
}

/**
 * Runs `--ci instances`, `--ci elbs`, `--ci secrets …` or `--ci bootstrap` and returns a summary
 * for the closing line. Secret values are printed only by `secrets get` (the operator asked for
 * that value); listings show names, sizes and dates.
 * @throws ConsoleError (AwsError, SecretConflictError, …) with what to do next, in `--ci` words: a
 *   missing secret hints "list the keys with --ci secrets ls" (the service's hint is the console's `r`).
 */
export async function runAwsCommand(command: 'instances' | 'elbs' | 'secrets' | 'bootstrap', o: AwsCiOptions): Promise<Record<string, number | string | boolean>> {
  try {
    return await awsCommand(command, o);
  } catch (err) {
    if (err instanceof SecretNotFoundError) throw new AwsError(err.message, 'list the keys with --ci secrets ls: it may have been deleted or renamed', { cause: err });
    throw err;
  }
}

async function awsCommand(command: 'instances' | 'elbs' | 'secrets' | 'bootstrap', o: AwsCiOptions): Promise<Record<string, number | string | boolean>> {
  const { session, json, out } = o;
  switch (command) {
    case 'instances': {
      const rows = await listInstances(session.aws);
      if (json) for (const r of rows) out(JSON.stringify({ ...r, instanceType: r.type, type: 'instance', launchTime: r.launchTime ? new Date(r.launchTime).toISOString() : '' }));
      else {
        const lines = table([
          ['NAME', 'ROLE', 'PRIVATE IP', 'PUBLIC IP', 'INSTANCE ID', 'STATE', 'AZ', 'LAUNCHED'],
          ...rows.map((r) => [r.name || '-', r.role || '-', r.privateIp || '-', r.publicIp || '-', r.id, r.state, r.az, r.launchTime ? new Date(r.launchTime).toISOString().slice(0, 16) : '-']),
        ]);
        for (const l of lines) out(l);
      }
      return { count: rows.length };
    }
    case 'elbs': {
      const rows = await listLoadBalancers(session.aws);
      if (json) for (const r of rows) out(JSON.stringify({ ...r, type: 'load_balancer', kind: r.kind }));
      else {
        for (const l of table([['NAME', 'KIND', 'SCHEME', 'DNS NAME', 'LISTENERS', 'HEALTHY', 'UNHEALTHY'], ...rows.map((r) => [r.name, r.kind, r.scheme, r.dnsName, r.listeners.join(',') || '-', String(r.healthy), String(r.unhealthy)])])) out(l);
        for (const r of rows) for (const t of r.targets.filter((x) => !x.healthy)) out(`unhealthy: ${r.name} → ${t.id}${t.port ? `:${t.port}` : ''} ${t.state}${t.reason ? ` (${t.reason})` : ''}`);
      }
      return { count: rows.length, unhealthy: rows.reduce((n, r) => n + r.unhealthy, 0) };
    }
    case 'secrets': {
      const cmd = o.secrets ?? { op: 'ls' };
      const ctx = await secretsContext(session);
      switch (cmd.op) {
        case 'ls': {
          const rows = await listSecrets(ctx);
          if (json) for (const r of rows) out(JSON.stringify({ type: 'secret', key: r.key, size: r.size, last_modified: new Date(r.lastModified).toISOString() }));
          else for (const l of table([['KEY', 'SIZE', 'MODIFIED'], ...rows.map((r) => [r.key, String(r.size), new Date(r.lastModified).toISOString().slice(0, 16)])])) out(l);
          return { count: rows.length, bucket: ctx.secretsBucket ?? '' };
        }
        case 'get': {
          const r = await getSecret(ctx, cmd.key);
          // The operator asked for this value: it is printed, raw, and nowhere else.
          if (json) out(JSON.stringify({ type: 'secret_value', key: cmd.key, value: r.body.toString('utf8') }));
          else o.outRaw(r.body);
          return { key: cmd.key, bytes: r.body.length };
        }
        case 'put': {
          const body = await readFile(resolve(cmd.file));
          const r = await putSecret(ctx, cmd.key, body);
          if (json) out(JSON.stringify({ type: 'uploaded', key: cmd.key, bytes: body.length, etag: r.etag }));
          else out(`uploaded ${cmd.file} to s3://${ctx.secretsBucket}/${cmd.key} (${body.length} bytes, SSE-KMS)`);
          return { key: cmd.key, bytes: body.length };
        }
        case 'fetch':
        case 'upload': {
          const dir = resolve(cmd.dir);
          // Differing files are kept (and listed) unless --overwrite; a change made in the bucket
          // while this runs is refused per file (If-Match on the ETag compared), never overwritten.
          const opts = { overwrite: cmd.overwrite, collect: true };
          const r = cmd.op === 'fetch' ? await fetchTree(ctx, dir, opts) : await uploadTree(ctx, dir, opts);
          const replaced = new Set(r.replaced ?? []);
          const refused = r.refused ?? [];
          const lines: { key: string; result: 'new' | 'replaced' | 'kept' | 'refused'; reason?: string }[] = [
            ...r.copied.map((key) => ({ key, result: replaced.has(key) ? ('replaced' as const) : ('new' as const) })),
            ...r.kept.map((key) => ({ key, result: 'kept' as const })),
            ...refused.map((x) => ({ key: x.path, result: 'refused' as const, reason: x.reason })),
          ].sort((a, b) => a.key.localeCompare(b.key));
          const mark = { new: '+', replaced: '~', kept: '=', refused: '!' } as const;
          for (const l of lines) {
            if (json) out(JSON.stringify({ type: 'file', key: l.key, result: l.result, ...(l.reason ? { reason: l.reason } : {}) }));
            else out(`${mark[l.result]} ${l.key}${l.result === 'kept' ? ' kept (differs; --overwrite replaces it)' : l.result === 'refused' ? ` refused: ${l.reason}` : ''}`);
          }
          const counts = { new: r.copied.length - replaced.size, replaced: replaced.size, kept: r.kept.length, refused: refused.length, unchanged: r.same.length };
          if (!json) out(`${cmd.op === 'fetch' ? 'fetched' : 'uploaded'} ${r.copied.length} file${r.copied.length === 1 ? '' : 's'}: ${counts.new} new, ${counts.replaced} replaced, ${counts.kept} kept (differs), ${counts.refused} refused (${counts.unchanged} unchanged)`);
          if (refused.length) throw new AwsError(`${refused.length} file${refused.length === 1 ? ' was' : 's were'} refused: ${refused.map((x) => x.path).join(', ')}`, `run --ci secrets ${cmd.op} again to compare anew`);
          return counts;
        }
      }
      break;
    }
    case 'bootstrap': {
      const p = session.profile;
      const kmsAlias = p.kms_master_id.startsWith('alias/') ? p.kms_master_id : `alias/platform-console-${session.environment}`;
      const r = await bootstrapPrerequisites(session.aws, { bucket: p.terraform_bucket_name, kmsAlias });
      const say = (s: string) => out(json ? JSON.stringify({ type: 'bootstrap', message: s }) : s);
      say(`state bucket ${r.bucket.name}: ${r.bucket.created ? 'created (versioned, SSE-KMS, public access blocked)' : 'exists'}`);
      say(`KMS key ${r.key.alias} (${r.key.arn}): ${r.key.created ? 'created' : 'exists'}`);
      if (o.writeProfile) {
        await writeProfileFields(session.profileFile, { terraform_bucket_name: r.bucket.name, kms_master_id: r.key.alias });
        say(`wrote terraform_bucket_name and kms_master_id into ${session.profileFile}`);
      }
      return { changed: r.changed };
    }
  }
  return {};
}
