# Credentials and, for the local emulator, the endpoint come from the
# environment the console sets (AWS_PROFILE / AWS_ACCESS_KEY_ID…,
# AWS_ENDPOINT_URL). Nothing here is specific to one of them.
provider "aws" {
  region = var.aws_region

  # Refuse to touch any other account than the profile's, when it names one.
  allowed_account_ids = var.aws_account == "" ? null : [var.aws_account]

  default_tags {
    tags = local.common_tags
  }
}
