variable "environment" {
  description = "Environment name, used in Name tags."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC (/16 to /24)."
  type        = string
}

variable "az_count" {
  description = "Number of availability zones to use (1 to 3)."
  type        = number

  validation {
    condition     = contains([1, 2, 3], var.az_count)
    error_message = "az_count must be 1, 2 or 3."
  }
}
