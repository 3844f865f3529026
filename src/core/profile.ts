import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ENVIRONMENT_NAME } from './environment-name.js';
import { ProfileError } from './errors.js';

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const cidr = z.string().regex(CIDR, { message: 'must be an IPv4 CIDR block such as 10.0.0.0/16' });
const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: 'must be an EC2 instance type such as t3.small' });

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
  aws_region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, { message: 'must be an AWS region such as eu-west-1' }),
  /** Name of the shared-credentials profile; empty means "the profile named after the environment". */
  aws_profile: z.string().regex(/^[A-Za-z0-9_.+=,@-]*$/, { message: 'must be a credentials profile name (letters, digits, _.+=,@-)' }).default(''),
  /** The 12-digit AWS account id the environment lives in; empty skips the check. */
  aws_account: z.string().regex(/^(\d{12})?$/, { message: 'must be a 12-digit AWS account id, or empty' }).default(''),
  /** S3 bucket holding Terraform state (key ENV/terraform.tfstate) and its lock. */
  terraform_bucket_name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)' }),
  /** KMS key (id, ARN or alias/NAME) encrypting state and secrets. */
  kms_master_id: z.string().min(1, { message: 'must name a KMS key: a key id, a key ARN or alias/NAME' }),
  /** The VPC's CIDR block. */
  vpc_cidr: cidr,
  /** Number of availability zones, 1 to 3. */
  az_count: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1, 2 or 3' }).max(3, { message: 'must be 1, 2 or 3' }),
  /** CIDR blocks admitted to the bastion's SSH port. */
  ssh_access_list: z.array(cidr),
  /** CIDR blocks admitted to the public Kubernetes API load balancer. */
  kubeapi_access_list: z.array(cidr),
  /** Public DNS zone of the environment (e.g. dev.example.com); empty for none. */
  public_dns_zone: z.string().regex(/^([a-z0-9-]+(\.[a-z0-9-]+)+)?$/, { message: 'must be a DNS name such as dev.example.com, or empty' }).default(''),
  /** Private DNS zone inside the VPC (e.g. dev.internal). */
  private_dns_zone: z.string().regex(/^([a-z0-9-]+(\.[a-z0-9-]+)+)?$/, { message: 'must be a DNS name such as dev.internal, or empty' }).default(''),
  bastion_instance_type: instanceType,
  secure_instance_type: instanceType,
  compute_instance_type: instanceType,
  /** Control-plane node count, 1 to 9 (odd for etcd quorum). */
  secure_count: z.number().int().min(1, { message: 'must be between 1 and 9' }).max(9, { message: 'must be between 1 and 9' }),
  /** Worker node count, 0 to 100. */
  compute_count: z.number().int().min(0, { message: 'must be between 0 and 100' }).max(100, { message: 'must be between 0 and 100' }),
  /** OpenSSH public key line for the bastion's key pair; empty for none. */
  ssh_public_key: z.string().regex(/^((ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?)?$/, { message: 'must be an OpenSSH public key line (ssh-ed25519 AAAA… comment), or empty' }).default(''),
  /** Login user on the bastion and the nodes (console only); empty means the image's user, `ubuntu`. */
  ssh_user: z.string().regex(/^([a-z_][a-z0-9_-]{0,31})?$/, { message: 'must be a user name (lower-case letters, digits, _ and -), or empty' }).default(''),
  /** Private key file for SSH (console only, `~/` allowed); empty tries ~/.ssh/kube-ENV, then the SSH agent. */
  ssh_identity_file: z.string().regex(/^[^\0\n]*$/, { message: 'must be a file path, or empty' }).default(''),
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

/** 1-based line of `field = …` in the tfvars text, if found. */
function lineOf(text: string, field: string): number | undefined {
  const re = new RegExp(`^\\s*${field.replace(/[^A-Za-z0-9_]/g, '')}\\s*=`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i] ?? '')) return i + 1;
  return undefined;
}

/**
 * Parses and validates the text of a profile.
 * The text is HCL (a Terraform `.tfvars` file), parsed by HashiCorp's own HCL parser compiled to
 * WebAssembly (`@cdktf/hcl2json`).
 * @param file the file's path, used in messages only.
 * @param expectedEnvironment when given, the `environment` field must equal it.
 * @throws ProfileError naming the file (and line when known), the field and what is allowed.
 */
export async function parseProfile(file: string, text: string, expectedEnvironment?: string): Promise<Profile> {
  let raw: unknown;
  try {
    const { parse } = await import('@cdktf/hcl2json');
    raw = await parse(file, text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const detail = msg.replace(/^parse config: \[?/, '').replace(/\]$/, '');
    throw new ProfileError(`${file}: not valid HCL: ${detail}`, 'fix the syntax: each line is `field = value`, strings in double quotes');
  }
  const result = profileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      const line = lineOf(text, key);
      throw new ProfileError(
        `${file}${line ? `:${line}` : ''}: unknown field "${key}"`,
        `allowed fields: ${PROFILE_FIELDS.join(', ')}`,
      );
    }
    const field = String(issue.path[0] ?? '');
    const line = lineOf(text, field);
    const where = issue.path.length > 1 ? `${field}[${issue.path.slice(1).join('.')}]` : field;
    const missing = issue.code === 'invalid_type' && (raw as Record<string, unknown> | null)?.[field] === undefined;
    throw new ProfileError(
      `${file}${line ? `:${line}` : ''}: field "${where}" ${missing ? 'is missing' : issue.message}`,
      missing ? `add it; see profiles/default.tfvars for an example` : `edit ${file}`,
    );
  }
  const profile = result.data;
  if (expectedEnvironment !== undefined && profile.environment !== expectedEnvironment) {
    const line = lineOf(text, 'environment');
    throw new ProfileError(
      `${file}${line ? `:${line}` : ''}: field "environment" is "${profile.environment}" but the file is for "${expectedEnvironment}"`,
      `set environment = "${expectedEnvironment}" in ${file}`,
    );
  }
  return profile;
}

/**
 * Reads and validates `file`.
 * @throws ProfileError when the file does not exist or cannot be read (with the hint to create it),
 *   or when it is invalid (see {@link parseProfile}).
 */
export async function loadProfile(file: string, expectedEnvironment?: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ProfileError(`no profile ${file}`, `create it from profiles/default.tfvars (cp profiles/default.tfvars ${file}) and set environment = "${expectedEnvironment ?? 'ENV'}"`);
    }
    throw new ProfileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseProfile(file, text, expectedEnvironment);
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
