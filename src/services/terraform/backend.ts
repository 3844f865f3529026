/** Where an environment's state lives: Terraform's S3 backend settings, built from the profile. */
export interface BackendSettings {
  /** The state bucket: the profile's `terraform_bucket_name`. */
  bucket: string;
  /** The state object's key: `ENV/terraform.tfstate`. */
  key: string;
  region: string;
  /** KMS key (id, ARN or alias) encrypting the state object: the profile's `kms_master_id`. */
  kmsKeyId: string;
  /** Path-style addressing, needed by S3 emulators (set in local mode). */
  usePathStyle: boolean;
}

/** The backend of environment `env`: key `ENV/terraform.tfstate`, S3-native locking, KMS encryption. */
export function backendFor(env: string, p: { terraform_bucket_name: string; aws_region: string; kms_master_id: string }, usePathStyle = false): BackendSettings {
  return { bucket: p.terraform_bucket_name, key: `${env}/terraform.tfstate`, region: p.aws_region, kmsKeyId: p.kms_master_id, usePathStyle };
}

/** The S3 key of the lock object Terraform writes beside the state when `use_lockfile = true`. */
export function lockKey(b: BackendSettings): string {
  return `${b.key}.tflock`;
}

/**
 * `terraform init` arguments that configure the (empty) `backend "s3" {}` block of the root module
 * (source: Terraform's S3 backend documentation): bucket, key, region, `encrypt = true`,
 * `kms_key_id`, `use_lockfile = true` (a `.tflock` object beside the state, no DynamoDB table).
 */
export function backendConfigArgs(b: BackendSettings): string[] {
  const kv: [string, string][] = [
    ['bucket', b.bucket],
    ['key', b.key],
    ['region', b.region],
    ['encrypt', 'true'],
    ['kms_key_id', b.kmsKeyId],
    ['use_lockfile', 'true'],
  ];
  if (b.usePathStyle) kv.push(['use_path_style', 'true']);
  return kv.map(([k, v]) => `-backend-config=${k}=${v}`);
}

/** The holder of a state lock, from Terraform's "Lock Info" block or the `.tflock` object. */
export interface LockInfo {
  id: string;
  who: string;
  operation: string;
  /** As Terraform wrote it (RFC 3339). */
  created: string;
  path?: string;
  version?: string;
}

/**
 * Reads the "Lock Info:" block of Terraform's "Error acquiring the state lock" diagnostic
 * (lines `  ID: …`, `  Path: …`, `  Operation: …`, `  Who: …`, `  Version: …`, `  Created: …`).
 * @returns undefined when the text has no such block.
 */
export function parseLockInfo(detail: string): LockInfo | undefined {
  const at = detail.indexOf('Lock Info:');
  if (at < 0) return undefined;
  const fields: Record<string, string> = {};
  for (const line of detail.slice(at + 'Lock Info:'.length).split('\n')) {
    const m = /^\s+([A-Za-z]+):\s*(.*)$/.exec(line);
    if (m) fields[m[1]!.toLowerCase()] = m[2]!.trim();
    else if (line.trim() !== '' && Object.keys(fields).length > 0) break;
  }
  if (!fields.id) return undefined;
  return {
    id: fields.id,
    who: fields.who ?? '?',
    operation: fields.operation ?? '?',
    created: fields.created ?? '?',
    ...(fields.path ? { path: fields.path } : {}),
    ...(fields.version ? { version: fields.version } : {}),
  };
}

/**
 * Reads the JSON body of a `.tflock` object (fields ID, Operation, Info, Who, Version, Created, Path,
 * as Terraform's statemgr.LockInfo serializes them).
 * @returns undefined when the body is not such JSON.
 */
export function parseLockObject(body: string): LockInfo | undefined {
  try {
    const o = JSON.parse(body) as Record<string, unknown>;
    if (typeof o.ID !== 'string') return undefined;
    const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
    return { id: s('ID'), who: s('Who') || '?', operation: s('Operation') || '?', created: s('Created') || '?', path: s('Path'), version: s('Version') };
  } catch {
    return undefined;
  }
}

/**
 * The time a lock was taken, from its `Created` field: Terraform writes Go's default time format
 * (`2026-11-29 02:49:14.270280445 +0000 UTC`) in the Lock Info block and RFC 3339 in the `.tflock`
 * object. @returns ms since the epoch, or NaN when it cannot be read.
 */
export function lockCreatedMs(created: string): number {
  const go = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})/.exec(created.trim());
  if (go) return Date.parse(`${go[1]}T${go[2]}${(go[3] ?? '').slice(0, 4)}${go[4]}:${go[5]}`);
  return Date.parse(created);
}
