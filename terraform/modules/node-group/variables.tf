# The calling layer (compute, secure) validates what its profile fields feed
# in; these are passed through as they are.

variable "name" {
  description = "Name of the launch template and the auto-scaling group (ENV-compute, ENV-secure)."
  type        = string
}

variable "description" {
  description = "What the nodes are, for the launch template's description (e.g. \"Kubernetes workers of dev\")."
  type        = string
}

variable "ami_id" {
  description = "AMI of the nodes."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
}

variable "key_name" {
  description = "EC2 key pair of the nodes, or null for none."
  type        = string
  default     = null
}

variable "security_group_ids" {
  description = "Security groups of the nodes."
  type        = list(string)
}

variable "user_data_base64" {
  description = "Base64 cloud-init user data of the nodes."
  type        = string
}

variable "instance_profile_name" {
  description = "IAM instance profile the nodes run with."
  type        = string
}

variable "root_device_name" {
  description = "Root device name of the AMI."
  type        = string
}

variable "root_volume_size" {
  description = "Size in GiB of each node's root volume."
  type        = number
}

variable "launch_tags" {
  description = "Tags set at launch: instance (also propagated by the group) and volume."
  type        = object({ instance = map(string), volume = map(string) })
}

variable "tags" {
  description = "Tags of the launch template itself."
  type        = map(string)
}

variable "subnet_ids" {
  description = "Subnets the group spreads its nodes over."
  type        = list(string)
}

variable "node_count" {
  description = "Number of nodes (min = max = desired)."
  type        = number
}

variable "load_balancer_names" {
  description = "Classic load balancers the group registers its nodes with, or null for none."
  type        = list(string)
  default     = null
}

variable "health_check_grace_period" {
  description = "Seconds after launch before the group checks a node's health."
  type        = number
}

variable "wait_for_capacity_timeout" {
  description = "How long apply waits for the group's instances to be in service (a Go duration; \"0\" does not wait)."
  type        = string
}
