locals {
  cluster_name = "kube-${var.environment}"

  # Applied to every taggable resource through the provider's default_tags;
  # modules add Name and Role (and Layer where it helps).
  common_tags = {
    Environment       = var.environment
    KubernetesCluster = local.cluster_name
    ManagedBy         = "platform-console"
  }

  # Bucket names are global: the account id keeps playgrounds of different
  # accounts from colliding.
  secrets_bucket_name = "${local.cluster_name}-secrets-${data.aws_caller_identity.current.account_id}"
}

data "aws_caller_identity" "current" {}

module "network" {
  source = "./modules/network"

  environment = var.environment
  vpc_cidr    = var.vpc_cidr
  az_count    = var.az_count
}

module "bastion" {
  source = "./modules/bastion"

  environment     = var.environment
  vpc_id          = module.network.vpc_id
  subnet_id       = module.network.subnet_ids["mgmt"][0]
  instance_type   = var.bastion_instance_type
  ssh_access_list = var.ssh_access_list
  ssh_public_key  = var.ssh_public_key
  ami_id          = var.ami_id
}

module "secrets" {
  source = "./modules/secrets"

  environment           = var.environment
  bucket_name           = local.secrets_bucket_name
  kms_key_id            = var.kms_master_id
  enforce_bucket_policy = var.enforce_secrets_bucket_policy

  # Destroying an environment removes its secrets too (every version);
  # otherwise destroy stops at a non-empty bucket. The console asks for the
  # typed environment name before any destroy.
  force_destroy = true
}
