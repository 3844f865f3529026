/**
 * A profile's limits and the message helpers shared by the profile's reader (profile.ts) and its
 * schema (profile-schema.ts). No zod here: a start whose profile comes from the parse cache never
 * loads the schema.
 */
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
export const LIST_FIELDS = ['ssh_access_list', 'kubeapi_access_list'] as const;

/** Why a list or string field has its limit, for the error message; fields not listed give none. */
export const LIMIT_REASONS: Readonly<Record<string, string>> = {
  ssh_access_list: 'a security group holds 60 inbound rules',
  kubeapi_access_list: 'a security group holds 60 inbound rules',
};

/** The 1-based line of each `field = …` in the tfvars text (the first, when a field repeats). */
export function fieldLines(text: string): Map<string, number> {
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
export function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function tooLarge(file: string, bytes: number | undefined): ProfileError {
  const limit = sizeText(PROFILE_LIMITS.fileBytes);
  return new ProfileError(
    `${file} is larger than ${limit}${bytes === undefined ? '' : ` (${sizeText(bytes)})`}; a profile is at most ${limit}`,
    `a profile holds a few dozen short fields: check that ${file} is the right file (compare it with profiles/default.tfvars)`,
  );
}

/** One problem of a profile, for {@link problemsError}. */
export interface Problem {
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
export function problemsError(file: string, problems: readonly Problem[]): ProfileError {
  const shown = problems.slice(0, PROFILE_LIMITS.shownProblems).map((p, i) => {
    if (i === 0) return `${file}${p.line ? `:${p.line}` : ''}: ${p.text}`;
    return p.line ? `line ${p.line}: ${p.text}` : p.text;
  });
  const more = problems.length - shown.length;
  return new ProfileError(`${shown.join('; ')}${more > 0 ? ` (+${more} more)` : ''}`, problems[0]?.hint ?? `edit ${file}`);
}
