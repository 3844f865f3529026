output "environment" {
  description = "Environment name."
  value       = var.environment
}

output "cluster_name" {
  description = "Value of the KubernetesCluster tag on every resource."
  value       = local.cluster_name
}

output "vpc_id" {
  description = "Id of the VPC."
  value       = module.network.vpc_id
}

output "availability_zones" {
  description = "Availability zones in use, in the order of the subnet lists."
  value       = module.network.availability_zones
}

output "subnet_ids" {
  description = "Subnet ids by layer (mgmt, elb, secure, compute), one per availability zone."
  value       = module.network.subnet_ids
}

output "nat_public_ips" {
  description = "Egress addresses of the private layers (NAT gateways), by availability zone."
  value       = module.network.nat_public_ips
}

output "bastion_instance_id" {
  description = "Instance id of the bastion."
  value       = module.bastion.instance_id
}

output "bastion_public_ip" {
  description = "Public IP of the bastion, the SSH entry point."
  value       = module.bastion.public_ip
}

output "bastion_private_ip" {
  description = "Private IP of the bastion."
  value       = module.bastion.private_ip
}

output "secrets_bucket" {
  description = "Name of the KMS-encrypted secrets bucket."
  value       = module.secrets.bucket
}

# Not a secret in itself, but it names the account and the key that guards
# every secret, so it stays out of logs and screens; the console masks it.
output "secrets_kms_key_arn" {
  description = "ARN of the KMS key encrypting the secrets bucket."
  value       = module.secrets.kms_key_arn
  sensitive   = true
}
