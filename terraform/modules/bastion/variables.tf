variable "environment" {
  description = "Environment name, used in names and Name tags."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the bastion's security group."
  type        = string
}

variable "subnet_id" {
  description = "Public subnet the bastion runs in (the first mgmt subnet); it must map public IPs on launch."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the bastion."
  type        = string
}

variable "ssh_access_list" {
  description = "IPv4 CIDR blocks admitted to SSH (port 22). Empty admits nobody."
  type        = list(string)
}

variable "ssh_public_key" {
  description = "OpenSSH public key line for the bastion's key pair; empty creates none (the instance then has no key)."
  type        = string
  default     = ""
}

variable "ami_id" {
  description = "AMI of the bastion; empty looks one up with ami_owners and ami_name_pattern."
  type        = string
  default     = ""
}

variable "ami_owners" {
  description = "Owners searched by the AMI lookup (default: Canonical)."
  type        = list(string)
  default     = ["099720109477"]
}

variable "ami_name_pattern" {
  description = "Name pattern of the AMI lookup; %s is replaced by the Ubuntu architecture name (amd64 or arm64) of instance_type. The newest match wins."
  type        = string
  default     = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-%s-server-*"
}

variable "root_volume_size" {
  description = "Size of the root volume in GiB."
  type        = number
  default     = 10
}
