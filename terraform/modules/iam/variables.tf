variable "environment" {
  description = "Environment name, the prefix of role and instance profile names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter, at most 32 characters."
  }
}

variable "cluster_name" {
  description = "Value of the KubernetesCluster tag that volumes, interfaces and instances must carry to be attached."
  type        = string

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty."
  }
}

variable "region" {
  description = "Region of the environment, for EC2 ARNs and the KMS via-service condition."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as eu-west-1."
  }
}

variable "account_id" {
  description = "Account of the environment, for EC2 ARNs."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "bucket_name" {
  description = "Name of the secrets bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key encrypting the secrets bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "secure_read_prefixes" {
  description = "Key prefixes of the secrets bucket the control plane may list and read (join material, kubeconfig template, manifests)."
  type        = list(string)

  validation {
    condition     = length(var.secure_read_prefixes) > 0 && alltrue([for p in var.secure_read_prefixes : can(regex("^[a-z0-9_-]+(/[a-z0-9_-]+)*/$", p))])
    error_message = "secure_read_prefixes must be non-empty key prefixes ending in /, such as secrets/secure/."
  }
}

variable "secure_write_prefixes" {
  description = "Key prefixes of the secrets bucket the control plane may write (join material, admin kubeconfig)."
  type        = list(string)

  validation {
    condition     = length(var.secure_write_prefixes) > 0 && alltrue([for p in var.secure_write_prefixes : can(regex("^[a-z0-9_-]+(/[a-z0-9_-]+)*/$", p))])
    error_message = "secure_write_prefixes must be non-empty key prefixes ending in /, such as secrets/secure/."
  }
}

variable "compute_read_prefixes" {
  description = "Key prefixes of the secrets bucket the workers may read (their join material)."
  type        = list(string)

  validation {
    condition     = length(var.compute_read_prefixes) > 0 && alltrue([for p in var.compute_read_prefixes : can(regex("^[a-z0-9_-]+(/[a-z0-9_-]+)*/$", p))])
    error_message = "compute_read_prefixes must be non-empty key prefixes ending in /, such as secrets/compute/."
  }
}
