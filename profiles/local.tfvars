# Profile of the local AWS emulator (./play.kube --local): no AWS account, no
# cost. The console starts moto, creates the state bucket and the KMS key in
# it, and points every client at it with AWS_ENDPOINT_URL.

# Environment name.
environment = "local"

# Region of the emulator.
aws_region = "us-east-1"

# No credentials profile: the console sets dummy credentials for the emulator.
aws_profile = ""

# The emulator's fixed account id.
aws_account = "123456789012"

# State bucket, created in the emulator by the console.
terraform_bucket_name = "platform-console-local-state"

# KMS key, created in the emulator by the console.
kms_master_id = "alias/platform-console-local"

# IPv4 CIDR block of the VPC.
vpc_cidr = "10.0.0.0/16"

# Two availability zones: enough to exercise per-AZ subnets and NAT gateways.
az_count = 2

# Only loopback may reach the bastion's SSH port (the emulator has no hosts anyway).
ssh_access_list = ["127.0.0.1/32"]

# Only loopback may reach the Kubernetes API load balancer.
kubeapi_access_list = ["127.0.0.1/32"]

# No public DNS zone in the emulator.
public_dns_zone = ""

# Private DNS zone inside the VPC.
private_dns_zone = "local.internal"

# Instance type of the bastion.
bastion_instance_type = "t3.micro"

# Instance type of the secure layer (control plane and etcd).
secure_instance_type = "t3.small"

# Instance type of the compute layer (workers).
compute_instance_type = "t3.small"

# Number of control-plane nodes.
secure_count = 1

# Number of worker nodes.
compute_count = 2

# Throwaway key generated for the emulator only; its private half was never kept.
ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDHqpNFQczasd5No4nBQoAX8z7t/W/13NbEEFbNdj5Jv platform-console-local-throwaway"

# Ubuntu 16.04 image from moto's built-in AMI list (the Ubuntu LTS lookup finds nothing in the emulator).
ami_id = "ami-785db401"

# Kubernetes minor version written into the nodes' user data (the emulator runs no nodes).
kubernetes_version = "1.32"

# Smallest etcd volumes: the emulator stores nothing in them.
etcd_volume_size = 8
