# Set-up of tests/moto.tftest.hcl: what the console's local bootstrap makes in
# the emulator before the platform is planned (the KMS key the profile names).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "kms_alias" {
  description = "Alias of the KMS key to create (alias/NAME)."
  type        = string

  validation {
    condition     = startswith(var.kms_alias, "alias/")
    error_message = "kms_alias must start with alias/."
  }
}

resource "aws_kms_key" "this" {
  description             = "platform-console native tests"
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "this" {
  name          = var.kms_alias
  target_key_id = aws_kms_key.this.key_id
}

output "kms_alias" {
  description = "The alias, for kms_master_id."
  value       = aws_kms_alias.this.name
}
