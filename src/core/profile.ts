import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { BoundedReadError, readBoundedFile } from './read-bounded.js';
import { z } from 'zod';
import { ENVIRONMENT_NAME } from './environment-name.js';
import { ProfileError } from './errors.js';

/**
 * Bounds of a profile (issue 11: a 10 MB profile of junk, 600,000 CIDRs or a FIFO must fail fast
 * and briefly, never reach Terraform). Sizes in bytes, lengths in characters (UTF-16 code units,
 * as JavaScript counts them), list limits in entries.
 */
export const PROFILE_LIMITS = {
  /** Bytes of a profile file (64 KiB): the shipped profiles are about 3 KiB. */
  fileBytes: 64 * 1024,
  /**
   * Entries of `ssh_access_list` and of `kubeapi_access_list`: each entry is one inbound rule of a
   * security group, and a security group holds at most 60 inbound rules by default (AWS quota
   * "Inbound or outbound rules per security group"); 50 leaves room for the module's own rules.
   */
  accessListEntries: 50,
  /** Characters of `ssh_public_key` (16 KiB: an RSA 16384-bit key line is about 2.8 KiB). */
  sshPublicKeyChars: 16 * 1024,
  /** Characters of a file path (`ssh_identity_file`): Linux's PATH_MAX. */
  pathChars: 4096,
  /** Characters of `kms_master_id`: AWS KMS's limit for a KeyId (id, ARN, alias name or alias ARN). */
  kmsKeyIdChars: 2048,
  /** Characters of a DNS zone name (`public_dns_zone`, `private_dns_zone`): DNS's 253. */
  dnsNameChars: 253,
  /** Characters of any other free-form string (`aws_profile`, `aws_region`, instance types). */
  shortStringChars: 128,
  /** Problems listed in one error message; the rest are counted as "(+N more)". */
  shownProblems: 3,
  /** Characters of the HCL parser's message kept in an error. */
  parserMessageChars: 300,
  /** Characters of a field name quoted in an error (an unknown field's name comes from the file). */
  fieldNameChars: 64,
} as const;

/** The list fields, each at most {@link PROFILE_LIMITS}.accessListEntries long. */
const LIST_FIELDS = ['ssh_access_list', 'kubeapi_access_list'] as const;

/** Why a list or string field has its limit, for the error message; fields not listed give none. */
const LIMIT_REASONS: Readonly<Record<string, string>> = {
  ssh_access_list: 'a security group holds 60 inbound rules',
  kubeapi_access_list: 'a security group holds 60 inbound rules',
};

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const cidr = z.string().regex(CIDR, { message: 'must be an IPv4 CIDR block such as 10.0.0.0/16' });
const instanceType = z.string().max(PROFILE_LIMITS.shortStringChars).regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: 'must be an EC2 instance type such as t3.small' });

/**
 * The schema of a profile, `profiles/ENV.tfvars`. Every field is also a Terraform variable
 * (terraform/variables.tf), because the profile is passed to Terraform as `-var-file`.
 * Fields the console itself reads: environment, aws_region, aws_profile, aws_account,
 * terraform_bucket_name, kms_master_id.
 */
export const profileSchema = z.strictObject({
  /** Environment name; must equal the file name's ENV. */
  environment: z.string().regex(ENVIRONMENT_NAME, { message: 'must be lower-case letters, digits and dashes, starting with a letter (at most 32)' }),
  /** AWS region, e.g. eu-west-1. */
  aws_region: z.string().max(PROFILE_LIMITS.shortStringChars).regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, { message: 'must be an AWS region such as eu-west-1' }),
  /** Name of the shared-credentials profile; empty means "the profile named after the environment". */
  aws_profile: z.string().max(PROFILE_LIMITS.shortStringChars).regex(/^[A-Za-z0-9_.+=,@-]*$/, { message: 'must be a credentials profile name (letters, digits, _.+=,@-)' }).default(''),
  /** The 12-digit AWS account id the environment lives in; empty skips the check. */
  aws_account: z.string().regex(/^(\d{12})?$/, { message: 'must be a 12-digit AWS account id, or empty' }).default(''),
  /** S3 bucket holding Terraform state (key ENV/terraform.tfstate) and its lock. */
  terraform_bucket_name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)' }),
  /** KMS key (id, ARN or alias/NAME) encrypting state and secrets. */
  kms_master_id: z.string().max(PROFILE_LIMITS.kmsKeyIdChars).min(1, { message: 'must name a KMS key: a key id, a key ARN or alias/NAME' }),
  /** The VPC's CIDR block. */
  vpc_cidr: cidr,
  /** Number of availability zones, 1 to 3. */
  az_count: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1, 2 or 3' }).max(3, { message: 'must be 1, 2 or 3' }),
  /** CIDR blocks admitted to the bastion's SSH port (at most {@link PROFILE_LIMITS}.accessListEntries). */
  ssh_access_list: z.array(cidr).max(PROFILE_LIMITS.accessListEntries),
  /** CIDR blocks admitted to the public Kubernetes API load balancer (at most {@link PROFILE_LIMITS}.accessListEntries). */
  kubeapi_access_list: z.array(cidr).max(PROFILE_LIMITS.accessListEntries),
  /** Public DNS zone of the environment (e.g. dev.example.com); empty for none. */
  public_dns_zone: z.string().max(PROFILE_LIMITS.dnsNameChars).regex(/^([a-z0-9-]+(\.[a-z0-9-]+)+)?$/, { message: 'must be a DNS name such as dev.example.com, or empty' }).default(''),
  /** Private DNS zone inside the VPC (e.g. dev.internal). */
  private_dns_zone: z.string().max(PROFILE_LIMITS.dnsNameChars).regex(/^([a-z0-9-]+(\.[a-z0-9-]+)+)?$/, { message: 'must be a DNS name such as dev.internal, or empty' }).default(''),
  bastion_instance_type: instanceType,
  secure_instance_type: instanceType,
  compute_instance_type: instanceType,
  /** Control-plane node count, 1 to 9 (odd for etcd quorum). */
  secure_count: z.number().int().min(1, { message: 'must be between 1 and 9' }).max(9, { message: 'must be between 1 and 9' }),
  /** Worker node count, 0 to 100. */
  compute_count: z.number().int().min(0, { message: 'must be between 0 and 100' }).max(100, { message: 'must be between 0 and 100' }),
  /** OpenSSH public key line for the bastion's key pair; empty for none. At most 16 KiB. */
  ssh_public_key: z.string().max(PROFILE_LIMITS.sshPublicKeyChars).regex(/^((ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?)?$/, { message: 'must be an OpenSSH public key line (ssh-ed25519 AAAA… comment), or empty' }).default(''),
  /** Login user on the bastion and the nodes (console only); empty means the image's user, `ubuntu`. */
  ssh_user: z.string().regex(/^([a-z_][a-z0-9_-]{0,31})?$/, { message: 'must be a user name (lower-case letters, digits, _ and -), or empty' }).default(''),
  /** Private key file for SSH (console only, `~/` allowed); empty tries ~/.ssh/kube-ENV, then the SSH agent. */
  ssh_identity_file: z.string().max(PROFILE_LIMITS.pathChars).regex(/^[^\0\n]*$/, { message: 'must be a file path, or empty' }).default(''),
  /** AMI for all instances; empty means the module's image lookup. */
  ami_id: z.string().regex(/^(ami-[0-9a-f]{8,17})?$/, { message: 'must be an AMI id such as ami-0abc1234, or empty' }).default(''),
  /** Kubernetes minor version the nodes install with kubeadm (pkgs.k8s.io channel), e.g. 1.32. */
  kubernetes_version: z.string().regex(/^1\.\d{2}$/, { message: 'must be a Kubernetes minor version such as 1.32' }).default('1.32'),
  /** Size in GiB of each control-plane node's etcd volume, 8 to 1024. */
  etcd_volume_size: z.number().int({ message: 'must be a whole number' }).min(8, { message: 'must be between 8 and 1024' }).max(1024, { message: 'must be between 8 and 1024' }).default(20),
});

/** A validated profile (see {@link profileSchema} for each field). */
export type Profile = z.infer<typeof profileSchema>;

/** Field names a profile may hold, in schema order (used for messages and the README table). */
export const PROFILE_FIELDS = Object.keys(profileSchema.shape) as (keyof Profile)[];

/** The 1-based line of each `field = …` in the tfvars text (the first, when a field repeats). */
function fieldLines(text: string): Map<string, number> {
  const found = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=/.exec(lines[i]!);
    if (m && !found.has(m[1]!)) found.set(m[1]!, i + 1);
  }
  return found;
}

/** `n` bytes for a message: `300 KiB` (rounded up) below 1 MiB, else `10.0 MiB`. */
function sizeText(n: number): string {
  return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** `s` cut to `max` characters, with `…` when it was longer. */
function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function tooLarge(file: string, bytes: number | undefined): ProfileError {
  const limit = sizeText(PROFILE_LIMITS.fileBytes);
  return new ProfileError(
    `${file} is larger than ${limit}${bytes === undefined ? '' : ` (${sizeText(bytes)})`}; a profile is at most ${limit}`,
    `a profile holds a few dozen short fields: check that ${file} is the right file (compare it with profiles/default.tfvars)`,
  );
}

/** One problem of a profile, for {@link problemsError}. */
interface Problem {
  /** The line of its field in the file, when found. */
  line: number | undefined;
  /** The text after `FILE:LINE: `. */
  text: string;
  hint: string;
  /** A list or string over its limit: listed first, as it may be why the rest fails. */
  oversized?: boolean;
}

/**
 * One error for all the problems of a profile, on one line: the first {@link PROFILE_LIMITS}.shownProblems
 * (`FILE:LINE: field "a" …; line 14: field "b" …`) and `(+N more)` for the rest; the hint is the first's.
 * `problems` come sorted: oversized fields first, then in file order.
 */
function problemsError(file: string, problems: readonly Problem[]): ProfileError {
  const shown = problems.slice(0, PROFILE_LIMITS.shownProblems).map((p, i) => {
    if (i === 0) return `${file}${p.line ? `:${p.line}` : ''}: ${p.text}`;
    return p.line ? `line ${p.line}: ${p.text}` : p.text;
  });
  const more = problems.length - shown.length;
  return new ProfileError(`${shown.join('; ')}${more > 0 ? ` (+${more} more)` : ''}`, problems[0]?.hint ?? `edit ${file}`);
}

/** Options of {@link parseProfile}. */
export interface ProfileParseOptions {
  /**
   * A directory (created 0700) for the HCL parser's results, one file (0600) per profile text named
   * by the text's sha256: the parser (Go compiled to WebAssembly, ~0.3–0.5 s and ~80 MB per
   * process) runs only after an edit. The schema's validation runs every time; only a valid
   * profile's parse is kept.
   */
  cacheDir?: string;
}

/** The cached parse of `text` (see {@link ProfileParseOptions.cacheDir}); undefined when none or unreadable. */
async function readParseCache(dir: string, text: string): Promise<unknown> {
  try {
    const o = JSON.parse(await readFile(join(dir, `${sha256(text)}.json`), 'utf8')) as { v?: number; raw?: unknown };
    return o.v === 1 && o.raw !== undefined ? o.raw : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the parse of `text`; a cache that cannot be written is no error (the next start parses again). */
async function writeParseCache(dir: string, text: string, raw: unknown): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, `${sha256(text)}.json`), JSON.stringify({ v: 1, raw }), { mode: 0o600 });
  } catch {
    /* parsed again next time */
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Parses and validates the text of a profile.
 * The text is HCL (a Terraform `.tfvars` file), parsed by HashiCorp's own HCL parser compiled to
 * WebAssembly (`@cdktn/hcl2json`). Text over {@link PROFILE_LIMITS}.fileBytes (64 KiB, counted
 * in UTF-8 bytes) is refused before it is parsed. Messages are bounded: one line, at most
 * {@link PROFILE_LIMITS}.shownProblems problems and `(+N more)`, the parser's message cut to
 * {@link PROFILE_LIMITS}.parserMessageChars characters.
 * @param file the file's path, used in messages only.
 * @param expectedEnvironment when given, the `environment` field must equal it.
 * @throws ProfileError naming the file (and line when known), the field and what is allowed: "FILE is
 *   larger than 64 KiB", "not valid HCL", "unknown field", a field "is missing", a list field "has N
 *   entries; at most M are allowed", a string field "is N characters long; at most M are allowed",
 *   a value that breaks its rule, an `environment` that is not the file's.
 */
export async function parseProfile(file: string, text: string, expectedEnvironment?: string, opts: ProfileParseOptions = {}): Promise<Profile> {
  if (text.length > PROFILE_LIMITS.fileBytes || Buffer.byteLength(text, 'utf8') > PROFILE_LIMITS.fileBytes) {
    throw tooLarge(file, Buffer.byteLength(text, 'utf8'));
  }
  let raw: unknown;
  let fresh = false;
  try {
    const cached = opts.cacheDir ? await readParseCache(opts.cacheDir, text) : undefined;
    if (cached !== undefined) raw = cached;
    else {
      const { parse } = await import('@cdktn/hcl2json');
      raw = await parse(file, text);
      fresh = true;
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const detail = msg.slice(0, PROFILE_LIMITS.parserMessageChars + 100).replace(/^parse config: \[?/, '').replace(/\]$/, '').replace(/\s+/g, ' ');
    throw new ProfileError(`${file}: not valid HCL: ${cut(detail, PROFILE_LIMITS.parserMessageChars)}`, 'fix the syntax: each line is `field = value`, strings in double quotes');
  }
  // An oversized list is cut to one entry over its limit before validation: zod then reports it
  // too big without checking every one of its (possibly tens of thousands of) entries.
  const values = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const bounded: Record<string, unknown> = { ...values };
  for (const field of LIST_FIELDS) {
    const v = values[field];
    if (Array.isArray(v) && v.length > PROFILE_LIMITS.accessListEntries) bounded[field] = v.slice(0, PROFILE_LIMITS.accessListEntries + 1);
  }
  const result = profileSchema.safeParse(raw === values ? bounded : raw);
  if (!result.success) {
    const issues = result.error.issues;
    // A list or string over its limit is the one thing said about that field (not its entries' errors).
    const oversized = new Set(issues.filter((i) => i.code === 'too_big' && i.path.length === 1 && (i.origin === 'array' || i.origin === 'string')).map((i) => String(i.path[0])));
    const lines = fieldLines(text);
    const problems: Problem[] = [];
    for (const issue of issues) {
      const field = String(issue.path[0] ?? '');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({ line: lines.get(key), text: `unknown field "${cut(key, PROFILE_LIMITS.fieldNameChars)}"`, hint: `allowed fields: ${PROFILE_FIELDS.join(', ')}` });
        }
        continue;
      }
      if (oversized.has(field)) {
        if (issue.code !== 'too_big' || issue.path.length !== 1) continue;
        const value = values[field];
        const size = Array.isArray(value) ? `has ${value.length} entries` : `is ${typeof value === 'string' ? value.length : '?'} characters long`;
        const why = LIMIT_REASONS[field];
        problems.push({ line: lines.get(field), text: `field "${field}" ${size}; at most ${String(issue.maximum)} are allowed${why ? ` (${why})` : ''}`, hint: `edit ${file}`, oversized: true });
        continue;
      }
      const where = issue.path.length > 1 ? `${field}[${issue.path.slice(1).join('.')}]` : field;
      const missing = issue.code === 'invalid_type' && values[field] === undefined;
      problems.push({
        line: lines.get(field),
        text: `field "${cut(where, PROFILE_LIMITS.fieldNameChars)}" ${missing ? 'is missing' : cut(issue.message, 200)}`,
        hint: missing ? `add it; see profiles/default.tfvars for an example` : `edit ${file}`,
      });
    }
    const at = (p: Problem) => p.line ?? Number.MAX_SAFE_INTEGER;
    problems.sort((a, b) => Number(b.oversized === true) - Number(a.oversized === true) || at(a) - at(b));
    throw problemsError(file, problems);
  }
  const profile = result.data;
  if (expectedEnvironment !== undefined && profile.environment !== expectedEnvironment) {
    const line = fieldLines(text).get('environment');
    throw new ProfileError(
      `${file}${line ? `:${line}` : ''}: field "environment" is "${profile.environment}" but the file is for "${expectedEnvironment}"`,
      `set environment = "${expectedEnvironment}" in ${file}`,
    );
  }
  // Only a valid profile's parse is kept: bad input writes nothing.
  if (fresh && opts.cacheDir) await writeParseCache(opts.cacheDir, text, raw);
  return profile;
}


function notRegular(file: string, kind: string, expectedEnvironment: string | undefined): ProfileError {
  return new ProfileError(`${file} is not a regular file (it is ${kind})`, `a profile is a text file: replace it with one (cp profiles/default.tfvars ${file}) and set environment = "${expectedEnvironment ?? 'ENV'}"`);
}

/**
 * Reads `file` as a profile's text without ever blocking or reading without bound: it must be a
 * regular file (checked with stat before opening, then with fstat on the descriptor, which is
 * opened O_NONBLOCK so that a FIFO or device swapped in meanwhile cannot block the open) of at
 * most {@link PROFILE_LIMITS}.fileBytes bytes; at most that many bytes plus one are ever read.
 * @throws ProfileError "no profile FILE" (with how to create it), "FILE is not a regular file (it
 *   is a FIFO)", "FILE is larger than 64 KiB (SIZE)", or "cannot read FILE: REASON".
 */
async function readProfileText(file: string, expectedEnvironment: string | undefined): Promise<string> {
  try {
    return await readBoundedFile(file, PROFILE_LIMITS.fileBytes);
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    if (err.kind === 'not-regular') throw notRegular(file, err.detail.what ?? 'not a file', expectedEnvironment);
    if (err.kind === 'too-large') throw tooLarge(file, err.detail.size);
    if (err.kind === 'missing') {
      throw new ProfileError(`no profile ${file}`, `create it from profiles/default.tfvars (cp profiles/default.tfvars ${file}) and set environment = "${expectedEnvironment ?? 'ENV'}"`);
    }
    throw new ProfileError(`cannot read ${file}: ${cut(err.detail.message ?? '', 300)}`, 'check that the file and its directory can be read');
  }
}

/**
 * Reads and validates `file` (the `--ci` commands and the console both load profiles here).
 * @throws ProfileError when the file does not exist (with the hint to create it), is not a regular
 *   file, is larger than {@link PROFILE_LIMITS}.fileBytes or cannot be read, or when it is invalid
 *   (see {@link parseProfile}).
 */
export async function loadProfile(file: string, expectedEnvironment?: string, opts: ProfileParseOptions = {}): Promise<Profile> {
  const text = await readProfileText(file, expectedEnvironment);
  return parseProfile(file, text, expectedEnvironment, opts);
}

/**
 * The text of a new profile made from the template: the template's text with its `environment`
 * line set to `environment`. Comments and layout are kept.
 * @throws ProfileError when the template has no `environment = …` line.
 */
export function profileFromTemplate(templateText: string, environment: string): string {
  const re = /^(\s*environment\s*=\s*)"[^"]*"/m;
  if (!re.test(templateText)) {
    throw new ProfileError('profiles/default.tfvars has no `environment = "…"` line', 'restore it from git');
  }
  return templateText.replace(re, `$1"${environment}"`);
}
