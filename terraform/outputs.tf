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

output "kubeapi_public" {
  description = "Public name of the Kubernetes API: kube-ENV.<public_dns_zone>, else the public load balancer's DNS name (port 443)."
  value       = local.kubeapi_public
}

output "kubeapi_public_elb" {
  description = "DNS name of the internet-facing Kubernetes API load balancer."
  value       = module.elb.public_dns_name
}

output "kubeapi_internal" {
  description = "Name of the Kubernetes API inside the VPC (kubeadm's control-plane endpoint, port 6443): kube-ENV.<private_dns_zone>, else the internal load balancer's DNS name."
  value       = local.kubeapi_internal
}

output "kubeapi_internal_elb" {
  description = "DNS name of the internal Kubernetes API load balancer."
  value       = module.elb.internal_dns_name
}

output "kubeapi_internal_port" {
  description = "Port of the internal Kubernetes API load balancer (kube-apiserver's port): where a tunnel through the bastion goes."
  value       = module.elb.api_port
}

output "secure_asg" {
  description = "Name of the control plane's (secure layer) auto-scaling group."
  value       = module.secure.asg_name
}

output "compute_asg" {
  description = "Name of the workers' (compute layer) auto-scaling group."
  value       = module.compute.asg_name
}

output "secure_private_ips" {
  description = "Stable private addresses of the control-plane slots (their network interfaces), by slot."
  value       = module.secure.private_ips
}

output "public_name_services" {
  description = "Name servers of the public DNS zone, to delegate it from its parent; empty without public_dns_zone."
  value       = module.dns.public_name_servers
}

output "private_dns_zone_id" {
  description = "Id of the private Route53 zone attached to the VPC, or null."
  value       = module.dns.private_zone_id
}

output "kubeconfig_admin_key" {
  description = "Key of the admin kubeconfig in the secrets bucket (a template until the first control-plane node fills it in)."
  value       = module.secrets.kubeconfig_admin_key
}
