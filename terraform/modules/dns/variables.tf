variable "environment" {
  description = "Environment name, used in comments and Name tags."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter, at most 32 characters."
  }
}

variable "vpc_id" {
  description = "VPC the private zone is attached to."
  type        = string
}

variable "public_zone" {
  description = "Public zone name, e.g. dev.example.com; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z0-9-]+(\\.[a-z0-9-]+)+)?$", var.public_zone))
    error_message = "public_zone must be a DNS name such as dev.example.com, or empty."
  }
}

variable "private_zone" {
  description = "Private zone name, e.g. dev.internal; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z0-9-]+(\\.[a-z0-9-]+)+)?$", var.private_zone))
    error_message = "private_zone must be a DNS name such as dev.internal, or empty."
  }
}

variable "api_record" {
  description = "Name of the Kubernetes API record in each zone (kube-ENV)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.api_record))
    error_message = "api_record must be a DNS label."
  }
}

variable "public_lb" {
  description = "The public API load balancer the public record aliases: dns_name and its zone_id."
  type = object({
    dns_name = string
    zone_id  = string
  })
}

variable "internal_lb" {
  description = "The internal API load balancer the private record aliases: dns_name and its zone_id."
  type = object({
    dns_name = string
    zone_id  = string
  })
}
