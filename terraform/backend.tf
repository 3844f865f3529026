# Partial configuration on purpose: the console passes every setting with
# -backend-config (bucket, key = ENV/terraform.tfstate, region, encrypt,
# kms_key_id, use_lockfile, use_path_style). Never hard-code a backend here.
terraform {
  backend "s3" {}
}
