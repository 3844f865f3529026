locals {
  cluster_name = "kube-${var.environment}"

  # Applied to every taggable resource through the provider's default_tags;
  # modules add Name and Role (and Layer where it helps). Auto-scaling groups
  # and launch-template tag specifications do not get default_tags: the
  # secure and compute modules take them as a variable.
  common_tags = {
    Environment       = var.environment
    KubernetesCluster = local.cluster_name
    ManagedBy         = "platform-console"
  }

  # Bucket names are global: the account id keeps playgrounds of different
  # accounts from colliding.
  secrets_bucket_name = "${local.cluster_name}-secrets-${data.aws_caller_identity.current.account_id}"

  # Where things live in the secrets bucket. The nodes' IAM roles are cut
  # along these prefixes.
  secrets_keys = {
    kubeconfig_admin   = "secrets/secure/kubeconfig_admin"
    join_control_plane = "secrets/secure/join-control-plane"
    init_claim         = "secrets/secure/init-claim"
    join_compute       = "secrets/compute/join"
    manifests_prefix   = "manifests/"
  }

  # The API's names: the DNS records when the zones exist, else the load
  # balancers' own names.
  kubeapi_public   = coalesce(module.dns.kubeapi_public_name, module.elb.public_dns_name)
  kubeapi_internal = coalesce(module.dns.kubeapi_private_name, module.elb.internal_dns_name)
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

  cluster_name         = local.cluster_name
  region               = var.aws_region
  kubeconfig_admin_key = local.secrets_keys.kubeconfig_admin
  kubeconfig_server    = "https://${local.kubeapi_public}:${module.elb.public_port}"
  manifests_prefix     = local.secrets_keys.manifests_prefix
  kubeapi_public       = local.kubeapi_public
  kubeapi_internal     = local.kubeapi_internal
}

module "iam" {
  source = "./modules/iam"

  environment  = var.environment
  cluster_name = local.cluster_name
  region       = var.aws_region
  account_id   = data.aws_caller_identity.current.account_id
  bucket_name  = local.secrets_bucket_name
  kms_key_arn  = module.secrets.kms_key_arn

  secure_read_prefixes  = ["secrets/secure/", local.secrets_keys.manifests_prefix]
  secure_write_prefixes = ["secrets/secure/", "secrets/compute/"]
  compute_read_prefixes = ["secrets/compute/"]
}

module "elb" {
  source = "./modules/elb"

  environment           = var.environment
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.subnet_ids["elb"]
  internal_subnet_ids   = module.network.subnet_ids["secure"]
  kubeapi_access_list   = var.kubeapi_access_list
  internal_client_cidrs = [module.network.vpc_cidr]
  backend_cidrs         = module.network.subnet_cidrs["secure"]
}

module "dns" {
  source = "./modules/dns"

  environment  = var.environment
  vpc_id       = module.network.vpc_id
  public_zone  = var.public_dns_zone
  private_zone = var.private_dns_zone
  api_record   = local.cluster_name

  public_lb = {
    dns_name = module.elb.public_dns_name
    zone_id  = module.elb.public_zone_id
  }
  internal_lb = {
    dns_name = module.elb.internal_dns_name
    zone_id  = module.elb.internal_zone_id
  }
}

module "bootstrap" {
  source = "./modules/bootstrap"

  cluster_name       = local.cluster_name
  region             = var.aws_region
  bucket_name        = module.secrets.bucket
  kms_key_arn        = module.secrets.kms_key_arn
  kubernetes_version = var.kubernetes_version
  api_endpoint       = local.kubeapi_internal
  api_port           = module.elb.api_port
  api_sans = distinct(compact([
    module.dns.kubeapi_public_name,
    module.dns.kubeapi_private_name,
    module.elb.public_dns_name,
    module.elb.internal_dns_name,
  ]))
  keys = local.secrets_keys

  # What the nodes' uploads to the secrets bucket carry: the same tags and
  # content type as Terraform's objects there (the provider adds common_tags
  # to those as default_tags).
  object_tags                   = merge(local.common_tags, module.secrets.object_tags)
  kubeconfig_admin_content_type = module.secrets.kubeconfig_admin_content_type
}

# Images of the Kubernetes nodes: the profile's ami_id, else the newest
# Ubuntu LTS image for each layer's instance type (its architecture).
module "node_image" {
  source   = "./modules/ami"
  for_each = { secure = var.secure_instance_type, compute = var.compute_instance_type }

  instance_type = each.value
  ami_id        = var.ami_id
}

module "secure" {
  source = "./modules/secure"

  environment        = var.environment
  tags               = local.common_tags
  vpc_id             = module.network.vpc_id
  availability_zones = module.network.availability_zones
  subnet_ids         = module.network.subnet_ids["secure"]
  cluster_cidrs      = concat(module.network.subnet_cidrs["secure"], module.network.subnet_cidrs["compute"])

  bastion_security_group_id        = module.bastion.security_group_id
  load_balancer_security_group_ids = module.elb.security_group_ids
  load_balancer_names              = module.elb.names
  api_port                         = module.elb.api_port

  node_count            = var.secure_count
  instance_type         = var.secure_instance_type
  ami_id                = module.node_image["secure"].id
  key_name              = module.bastion.key_name
  instance_profile_name = module.iam.instance_profile_names["secure"]
  user_data_base64      = module.bootstrap.secure_user_data_base64
  etcd_volume_size      = var.etcd_volume_size

}

module "compute" {
  source = "./modules/compute"

  environment   = var.environment
  tags          = local.common_tags
  vpc_id        = module.network.vpc_id
  subnet_ids    = module.network.subnet_ids["compute"]
  cluster_cidrs = concat(module.network.subnet_cidrs["secure"], module.network.subnet_cidrs["compute"])

  bastion_security_group_id = module.bastion.security_group_id

  node_count            = var.compute_count
  instance_type         = var.compute_instance_type
  ami_id                = module.node_image["compute"].id
  key_name              = module.bastion.key_name
  instance_profile_name = module.iam.instance_profile_names["compute"]
  user_data_base64      = module.bootstrap.compute_user_data_base64

}
