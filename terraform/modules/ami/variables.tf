variable "instance_type" {
  description = "EC2 instance type the image is for; its architecture picks the image when looking one up."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.small."
  }
}

variable "ami_id" {
  description = "AMI to use as is; empty looks one up with ami_owners and ami_name_pattern."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(ami-[0-9a-f]{8,17})?$", var.ami_id))
    error_message = "ami_id must be an AMI id such as ami-0abc1234, or empty."
  }
}

variable "ami_owners" {
  description = "Owners searched by the lookup (default: Canonical)."
  type        = list(string)
  default     = ["099720109477"]

  validation {
    condition     = length(var.ami_owners) > 0
    error_message = "ami_owners must name at least one owner."
  }
}

variable "ami_name_pattern" {
  description = "Name pattern of the lookup; %s is replaced by the Ubuntu architecture name (amd64 or arm64). The newest match wins."
  type        = string
  default     = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-%s-server-*"

  validation {
    condition     = strcontains(var.ami_name_pattern, "%s")
    error_message = "ami_name_pattern must contain %s (the architecture)."
  }
}
