# Every variable here, except the last section's, is also a field of the
# profiles (profiles/ENV.tfvars), which the console validates with the same
# rules (src/core/profile.ts) before Terraform sees them: keep the two in step.
# Variables without a default must be set in every profile.

# --- Environment and account -------------------------------------------------

variable "environment" {
  description = "Environment name (lower-case letters, digits and dashes, starting with a letter, at most 32 characters). Part of resource names, tags and the state key."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter, at most 32 characters."
  }
}

variable "aws_region" {
  description = "AWS region of the environment, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region such as eu-west-1."
  }
}

variable "aws_profile" {
  description = "Shared-credentials profile the console uses for this environment; empty means the profile named after the environment. Read by the console only."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_.+=,@-]*$", var.aws_profile))
    error_message = "aws_profile must be a credentials profile name (letters, digits, _.+=,@-) or empty."
  }
}

variable "aws_account" {
  description = "12-digit AWS account id the environment lives in; the provider refuses any other account. Empty skips the check."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([0-9]{12})?$", var.aws_account))
    error_message = "aws_account must be a 12-digit AWS account id, or empty."
  }
}

variable "terraform_bucket_name" {
  description = "S3 bucket holding the Terraform state (key ENV/terraform.tfstate) and its lock file. Read by the console only, for -backend-config."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.terraform_bucket_name))
    error_message = "terraform_bucket_name must be an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)."
  }
}

variable "kms_master_id" {
  description = "KMS key encrypting the state and the secrets bucket: a key id, a key ARN, alias/NAME or an alias ARN."
  type        = string

  validation {
    condition = can(regex(join("", [
      "^(",
      "alias/[A-Za-z0-9/_-]+",
      "|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
      "|mrk-[0-9a-f]{32}",
      "|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+",
      ")$",
    ]), var.kms_master_id))
    error_message = "kms_master_id must be a KMS key id, a key ARN, alias/NAME or an alias ARN."
  }
}

# --- Network -------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC, /16 to /23; each layer gets one /+4 subnet per availability zone (a /23 gives /27 subnets, the smallest a load balancer accepts)."
  type        = string

  validation {
    condition = (
      can(cidrhost(var.vpc_cidr, 0)) &&
      !strcontains(var.vpc_cidr, ":") &&
      try(cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false) &&
      try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 23, false)
    )
    error_message = "vpc_cidr must be an IPv4 network address with a prefix from /16 to /23, such as 10.0.0.0/16 (no host bits set)."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets (and NAT gateways) over: 1, 2 or 3."
  type        = number

  validation {
    condition     = contains([1, 2, 3], var.az_count)
    error_message = "az_count must be 1, 2 or 3."
  }
}

variable "ssh_access_list" {
  description = "IPv4 CIDR blocks admitted to the bastion's SSH port 22."
  type        = list(string)

  validation {
    condition = alltrue([
      for c in var.ssh_access_list :
      can(cidrhost(c, 0)) && !strcontains(c, ":") && try(cidrsubnet(c, 0, 0) == c, false)
    ])
    error_message = "Each entry of ssh_access_list must be an IPv4 network address such as 203.0.113.7/32 (no host bits set)."
  }
}

variable "kubeapi_access_list" {
  description = "IPv4 CIDR blocks admitted to the public Kubernetes API load balancer."
  type        = list(string)

  validation {
    condition = alltrue([
      for c in var.kubeapi_access_list :
      can(cidrhost(c, 0)) && !strcontains(c, ":") && try(cidrsubnet(c, 0, 0) == c, false)
    ])
    error_message = "Each entry of kubeapi_access_list must be an IPv4 network address such as 203.0.113.0/24 (no host bits set)."
  }
}

# --- DNS -----------------------------------------------------------------------

variable "public_dns_zone" {
  description = "Public DNS zone of the environment, e.g. dev.example.com; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z0-9-]+(\\.[a-z0-9-]+)+)?$", var.public_dns_zone))
    error_message = "public_dns_zone must be a DNS name such as dev.example.com, or empty."
  }
}

variable "private_dns_zone" {
  description = "Private DNS zone inside the VPC, e.g. dev.internal; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z0-9-]+(\\.[a-z0-9-]+)+)?$", var.private_dns_zone))
    error_message = "private_dns_zone must be a DNS name such as dev.internal, or empty."
  }
}

# --- Instances -------------------------------------------------------------------

variable "bastion_instance_type" {
  description = "EC2 instance type of the bastion."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion_instance_type))
    error_message = "bastion_instance_type must be an EC2 instance type such as t3.micro."
  }
}

variable "secure_instance_type" {
  description = "EC2 instance type of the secure layer (Kubernetes control plane and etcd)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.secure_instance_type))
    error_message = "secure_instance_type must be an EC2 instance type such as t3.medium."
  }
}

variable "compute_instance_type" {
  description = "EC2 instance type of the compute layer (Kubernetes workers)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.compute_instance_type))
    error_message = "compute_instance_type must be an EC2 instance type such as t3.large."
  }
}

variable "secure_count" {
  description = "Number of secure-layer (control plane) nodes, 1 to 9; use an odd number for etcd quorum."
  type        = number

  validation {
    condition     = var.secure_count == floor(var.secure_count) && var.secure_count >= 1 && var.secure_count <= 9
    error_message = "secure_count must be a whole number between 1 and 9."
  }
}

variable "compute_count" {
  description = "Number of compute-layer (worker) nodes, 0 to 100."
  type        = number

  validation {
    condition     = var.compute_count == floor(var.compute_count) && var.compute_count >= 0 && var.compute_count <= 100
    error_message = "compute_count must be a whole number between 0 and 100."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key line installed on the bastion as an EC2 key pair; empty creates no key pair."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^((ssh-(ed25519|rsa)|ecdsa-sha2-nistp[0-9]+) [A-Za-z0-9+/=]+( .*)?)?$", var.ssh_public_key))
    error_message = "ssh_public_key must be an OpenSSH public key line (ssh-ed25519 AAAA… comment), or empty."
  }
}

variable "ssh_user" {
  description = "Login user for SSH on the bastion and the nodes. Read by the console only (declared so the profile is a valid var-file); empty means the image's user, ubuntu."
  type        = string
  default     = ""
}

variable "ssh_identity_file" {
  description = "Private key file for SSH. Read by the console only (declared so the profile is a valid var-file); empty tries ~/.ssh/kube-ENV, then the SSH agent."
  type        = string
  default     = ""
}

variable "ami_id" {
  description = "AMI for the instances; empty means the modules look up a current Ubuntu LTS image. A change does not replace a running bastion: roll it with -replace."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(ami-[0-9a-f]{8,17})?$", var.ami_id))
    error_message = "ami_id must be an AMI id such as ami-0abc1234, or empty."
  }
}

# --- Kubernetes ------------------------------------------------------------------

variable "kubernetes_version" {
  description = "Kubernetes minor version the nodes install with kubeadm (the pkgs.k8s.io channel), e.g. 1.32."
  type        = string
  default     = "1.32"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a Kubernetes minor version such as 1.32."
  }
}

variable "etcd_volume_size" {
  description = "Size in GiB of each control-plane node's etcd data volume (one EBS volume per node slot, kept across node replacements), 8 to 1024."
  type        = number
  default     = 20

  validation {
    condition     = var.etcd_volume_size == floor(var.etcd_volume_size) && var.etcd_volume_size >= 8 && var.etcd_volume_size <= 1024
    error_message = "etcd_volume_size must be a whole number of GiB between 8 and 1024."
  }
}

# --- Not a profile field -----------------------------------------------------

variable "enforce_secrets_bucket_policy" {
  description = <<-EOT
    Attach the secrets bucket's policy refusing uploads without SSE-KMS and
    requests without TLS. Keep it on. It exists for the moto emulator only,
    which evaluates policy conditions wrongly and would then refuse every
    object read and write in the bucket: in local mode set
    TF_VAR_enforce_secrets_bucket_policy=false. Not a profile field.
  EOT
  type        = bool
  default     = true
}
