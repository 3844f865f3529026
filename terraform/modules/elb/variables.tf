variable "environment" {
  description = "Environment name, used in names and Name tags."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter, at most 32 characters."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancers' security groups."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the internet-facing load balancer (the elb layer, one per AZ)."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) > 0
    error_message = "public_subnet_ids must name at least one subnet."
  }
}

variable "internal_subnet_ids" {
  description = "Subnets of the internal load balancer (the secure layer, one per AZ)."
  type        = list(string)

  validation {
    condition     = length(var.internal_subnet_ids) > 0
    error_message = "internal_subnet_ids must name at least one subnet."
  }
}

variable "kubeapi_access_list" {
  description = "IPv4 CIDR blocks admitted to the public load balancer. Empty admits nobody."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.kubeapi_access_list : can(cidrhost(c, 0)) && !strcontains(c, ":")])
    error_message = "kubeapi_access_list must hold IPv4 CIDR blocks."
  }
}

variable "internal_client_cidrs" {
  description = "IPv4 CIDR blocks admitted to the internal load balancer (normally the VPC)."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.internal_client_cidrs : can(cidrhost(c, 0)) && !strcontains(c, ":")])
    error_message = "internal_client_cidrs must hold IPv4 CIDR blocks."
  }
}

variable "backend_cidrs" {
  description = "IPv4 CIDR blocks of the API servers (the secure subnets): the only egress of both load balancers."
  type        = list(string)

  validation {
    condition     = length(var.backend_cidrs) > 0 && alltrue([for c in var.backend_cidrs : can(cidrhost(c, 0)) && !strcontains(c, ":")])
    error_message = "backend_cidrs must hold at least one IPv4 CIDR block."
  }
}

variable "public_port" {
  description = "Port of the public listener."
  type        = number
  default     = 443

  validation {
    condition     = var.public_port >= 1 && var.public_port <= 65535 && var.public_port == floor(var.public_port)
    error_message = "public_port must be a TCP port."
  }
}

variable "api_port" {
  description = "Port of kube-apiserver on the control plane, and of the internal listener."
  type        = number
  default     = 6443

  validation {
    condition     = var.api_port >= 1 && var.api_port <= 65535 && var.api_port == floor(var.api_port)
    error_message = "api_port must be a TCP port."
  }
}

variable "idle_timeout" {
  description = "Seconds an idle connection stays open; long, because kubectl and controllers keep watches open."
  type        = number
  default     = 3600

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000 seconds."
  }
}
