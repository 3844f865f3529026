# Playground template. The console copies this file to profiles/play-$USER.tfvars
# on first use and sets `environment`; edit the copy, not this file.
# Every field is also a Terraform variable (terraform/variables.tf).

# Environment name: lower-case letters, digits, dashes; the console overwrites it.
environment = "play"

# AWS region of the environment.
aws_region = "eu-west-1"

# Shared-credentials profile to use; empty means the profile named after the environment.
aws_profile = ""

# 12-digit AWS account id the environment must live in; empty skips the check.
aws_account = ""

# S3 bucket holding the Terraform state (key ENV/terraform.tfstate) and its lock: set your team's.
terraform_bucket_name = "example-platform-console-state"

# KMS key (key id, key ARN or alias/NAME) encrypting the state and the secrets bucket: set your team's.
kms_master_id = "alias/platform-console"

# IPv4 CIDR block of the VPC (/16 to /23).
vpc_cidr = "10.64.0.0/16"

# Number of availability zones (1 to 3); one NAT gateway each.
az_count = 1

# CIDR blocks admitted to the bastion's SSH port: your own public address as /32.
ssh_access_list = ["203.0.113.10/32"]

# CIDR blocks admitted to the public Kubernetes API load balancer.
kubeapi_access_list = ["203.0.113.10/32"]

# Public DNS zone of the environment (e.g. play.example.com); empty for none.
public_dns_zone = ""

# Private DNS zone inside the VPC.
private_dns_zone = "play.internal"

# Instance type of the bastion.
bastion_instance_type = "t3.micro"

# Instance type of the secure layer (control plane and etcd).
secure_instance_type = "t3.medium"

# Instance type of the compute layer (workers).
compute_instance_type = "t3.large"

# Number of control-plane nodes, 1 to 9 (odd, for etcd quorum).
secure_count = 1

# Number of worker nodes, 0 to 100.
compute_count = 1

# Your OpenSSH public key line (ssh-ed25519 AAAA… you@host) for the bastion; empty for none.
ssh_public_key = ""

# SSH login user on the bastion and the nodes (console only); empty means ubuntu.
ssh_user = ""

# Private key file for SSH (console only); empty tries ~/.ssh/kube-ENV, then the SSH agent.
ssh_identity_file = ""

# AMI for the instances; empty looks up the current Ubuntu 24.04 LTS image.
ami_id = ""

# Kubernetes minor version the nodes install with kubeadm (the pkgs.k8s.io channel).
kubernetes_version = "1.32"

# Size in GiB of each control-plane node's etcd data volume (8 to 1024).
etcd_volume_size = 20
