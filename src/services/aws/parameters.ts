/**
 * SSM parameters of an environment, under `/ENV/` (the Secrets pane's second list and
 * `--ci secrets`). Listing never decrypts: values are read one at a time, on request.
 */
import { GetParameterCommand, SSMClient, paginateGetParametersByPath } from '@aws-sdk/client-ssm';

import { AwsError, ConsoleError } from '../../core/errors.js';
import { clientConfig, type AwsContext } from './context.js';
import { toAwsError } from './errors.js';

/** SSM parameter types. */
export type ParameterType = 'String' | 'StringList' | 'SecureString';

/** One parameter as listed: no value. */
export interface ParameterRow {
  /** Full name, e.g. `/dev/kube/join-token`. */
  name: string;
  type: ParameterType;
  /** Version number, 1 for a new parameter. */
  version: number;
  /** Last modification, milliseconds since the epoch (0 when SSM did not say). */
  lastModified: number;
}

function typeOf(t: string | undefined): ParameterType {
  return t === 'StringList' || t === 'SecureString' ? t : 'String';
}

async function withSsm<T>(ctx: AwsContext, fn: (ssm: SSMClient) => Promise<T>): Promise<T> {
  const ssm = new SSMClient(clientConfig(ctx));
  try {
    return await fn(ssm);
  } finally {
    ssm.destroy();
  }
}

/** The path the environment's parameters live under: `/ENV/`. */
export function parameterPath(ctx: AwsContext): string {
  return `/${ctx.environment}/`;
}

/**
 * Every parameter under `/ENV/` (GetParametersByPath, recursive, all pages, WITHOUT decryption),
 * sorted by name. Values are dropped: SecureString values are never requested in clear, and the
 * ciphertext (or, in moto, a tagged clear text) is not kept either.
 * @throws as {@link toAwsError} (cannot reach, access denied, credentials …).
 */
export async function listParameters(ctx: AwsContext): Promise<ParameterRow[]> {
  const path = parameterPath(ctx);
  return withSsm(ctx, async (ssm) => {
    const rows: ParameterRow[] = [];
    try {
      for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: path, Recursive: true, WithDecryption: false })) {
        for (const p of page.Parameters ?? []) {
          if (!p.Name) continue;
          rows.push({ name: p.Name, type: typeOf(p.Type), version: p.Version ?? 0, lastModified: p.LastModifiedDate?.getTime() ?? 0 });
        }
      }
    } catch (err) {
      throw toAwsError(err, `listing the SSM parameters under ${path}`, ctx.endpoint);
    }
    return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

/**
 * One parameter's value, decrypted (GetParameter with `WithDecryption: true`). The value of a
 * SecureString is a secret: show it masked until the operator reveals it.
 * @throws AwsError "no SSM parameter NAME" when it does not exist; otherwise as {@link toAwsError}
 *   (a KMS denial on a SecureString shows as access denied).
 */
export async function getParameter(ctx: AwsContext, name: string): Promise<{ value: string; type: ParameterType }> {
  return withSsm(ctx, async (ssm) => {
    try {
      const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return { value: out.Parameter?.Value ?? '', type: typeOf(out.Parameter?.Type) };
    } catch (err) {
      if ((err as { name?: string }).name === 'ParameterNotFound') {
        throw new AwsError(`no SSM parameter ${name}`, 'refresh the list (r): it may have been deleted', { cause: err });
      }
      throw err instanceof ConsoleError ? err : toAwsError(err, `reading the SSM parameter ${name}`, ctx.endpoint);
    }
  });
}
