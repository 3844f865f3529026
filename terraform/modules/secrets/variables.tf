variable "environment" {
  description = "Environment name, used in Name tags."
  type        = string
}

variable "bucket_name" {
  description = "Name of the secrets bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)."
  }
}

variable "kms_key_id" {
  description = "KMS key encrypting the objects: key id, key ARN, alias/NAME or alias ARN. It must exist."
  type        = string
}

variable "force_destroy" {
  description = "Let destroy delete a bucket that still holds objects (every version). Off by default: secrets are not rebuilt by apply."
  type        = bool
  default     = false
}

variable "enforce_bucket_policy" {
  description = "Attach the bucket policy that refuses uploads without SSE-KMS and any request without TLS. Only an emulator that evaluates policy conditions wrongly needs it off."
  type        = bool
  default     = true
}
