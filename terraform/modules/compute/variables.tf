variable "environment" {
  description = "Environment name, used in names and Name tags."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter, at most 32 characters."
  }
}

variable "tags" {
  description = "Tags every worker and its root volume get at launch (Environment, KubernetesCluster…); the provider's default_tags do not reach auto-scaling groups and launch-template tag specifications."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["Environment", "KubernetesCluster"] : contains(keys(var.tags), k)])
    error_message = "tags must hold at least Environment and KubernetesCluster."
  }
}

variable "vpc_id" {
  description = "VPC of the workers' security group."
  type        = string
}

variable "subnet_ids" {
  description = "Compute-layer subnets, one per availability zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must hold at least one subnet."
  }
}

variable "cluster_cidrs" {
  description = "IPv4 CIDR blocks of the cluster's nodes (secure and compute subnets), admitted on every protocol."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.cluster_cidrs : can(cidrhost(c, 0)) && !strcontains(c, ":")])
    error_message = "cluster_cidrs must hold IPv4 CIDR blocks."
  }
}

variable "bastion_security_group_id" {
  description = "Security group of the bastion, admitted on SSH."
  type        = string
}

variable "node_count" {
  description = "Workers, 0 to 100."
  type        = number

  validation {
    condition     = var.node_count == floor(var.node_count) && var.node_count >= 0 && var.node_count <= 100
    error_message = "node_count must be a whole number between 0 and 100."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the workers."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.large."
  }
}

variable "ami_id" {
  description = "AMI of the workers."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI id such as ami-0abc1234."
  }
}

variable "key_name" {
  description = "EC2 key pair of the workers (the bastion's), or null for none."
  type        = string
  default     = null
}

variable "instance_profile_name" {
  description = "Instance profile of the nodes (iam module)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.instance_profile_name))
    error_message = "instance_profile_name must be an IAM instance profile name."
  }
}

variable "user_data_base64" {
  description = "cloud-init user data of the workers, base64 (gzip inside is fine: cloud-init unpacks it), from the bootstrap module."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]*={0,2}$", var.user_data_base64)) && length(var.user_data_base64) <= 21848
    error_message = "user_data_base64 must be base64 of at most 16 KiB (the EC2 limit)."
  }
}

variable "root_volume_size" {
  description = "Size in GiB of each worker's root volume."
  type        = number
  default     = 50

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 16384
    error_message = "root_volume_size must be between 8 and 16384 GiB."
  }
}

variable "root_device_name" {
  description = "Root device name of the AMI (/dev/sda1 for Ubuntu)."
  type        = string
  default     = "/dev/sda1"

  validation {
    condition     = can(regex("^/dev/[a-z0-9]+$", var.root_device_name))
    error_message = "root_device_name must be a device such as /dev/sda1."
  }
}

variable "wait_for_capacity_timeout" {
  description = "How long apply waits for the group's instances to be in service (a Go duration; \"0\" does not wait)."
  type        = string
  default     = "10m"

  validation {
    condition     = can(regex("^([0-9]+[hms])+$|^0$", var.wait_for_capacity_timeout))
    error_message = "wait_for_capacity_timeout must be a duration such as 5m, or 0."
  }
}
