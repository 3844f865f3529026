/**
 * The schema of a profile (zod) and its validation into one bounded message. Loaded only when a
 * profile has to be validated: after an edit, or by a build whose cached result is not there.
 */
import { z } from 'zod';
import { ENVIRONMENT_NAME } from './environment-name.js';
import { cut, fieldLines, LIMIT_REASONS, LIST_FIELDS, PROFILE_LIMITS, problemsError, type Problem } from './profile-limits.js';

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

/**
 * Validates the HCL parser's result `raw` for the profile text `text` of `file`.
 * @returns the profile, with the schema's defaults filled in.
 * @throws ProfileError naming the file (and line when known), the field and what is allowed: an
 *   unknown field, a field that is missing, a list or string over its limit, a value that breaks its
 *   rule (at most {@link PROFILE_LIMITS}.shownProblems problems shown, `(+N more)`).
 */
export function validateProfile(file: string, text: string, raw: unknown): Profile {
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
  return result.data;
}
