variable "cluster_name" {
  description = "Kubernetes cluster name, the value of the KubernetesCluster tag the nodes look for."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.cluster_name))
    error_message = "cluster_name must be lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the environment (for the AWS CLI on the nodes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as eu-west-1."
  }
}

variable "bucket_name" {
  description = "Secrets bucket the nodes exchange join material through."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "KMS key the nodes encrypt their uploads with (SSE-KMS)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version (the pkgs.k8s.io channel), e.g. 1.32."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.32."
  }
}

variable "api_endpoint" {
  description = "DNS name of the API inside the VPC (kubeadm's control-plane endpoint): the private record, else the internal load balancer."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.-]+$", var.api_endpoint))
    error_message = "api_endpoint must be a DNS name."
  }
}

variable "api_port" {
  description = "Port of the API at api_endpoint."
  type        = number
  default     = 6443

  validation {
    condition     = var.api_port >= 1 && var.api_port <= 65535
    error_message = "api_port must be a TCP port."
  }
}

variable "api_sans" {
  description = "Extra names of the API server's certificate (the public and internal names and load balancers)."
  type        = list(string)

  validation {
    condition     = alltrue([for n in var.api_sans : can(regex("^[A-Za-z0-9.-]+$", n))])
    error_message = "api_sans must hold DNS names."
  }
}

variable "pod_network_cidr" {
  description = "Pod network of the cluster (the CNI's range); it must not overlap the VPC."
  type        = string
  default     = "10.244.0.0/16"

  validation {
    condition     = can(cidrhost(var.pod_network_cidr, 0))
    error_message = "pod_network_cidr must be a CIDR block."
  }
}

variable "cni_manifest_url" {
  description = "Manifest of the CNI the first control-plane node applies (flannel: it uses pod_network_cidr's default)."
  type        = string
  default     = "https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml"

  validation {
    condition     = startswith(var.cni_manifest_url, "https://")
    error_message = "cni_manifest_url must be an https URL."
  }
}

variable "keys" {
  description = "Object keys in the secrets bucket: join_control_plane, join_compute, init_claim, kubeconfig_admin, manifests_prefix."
  type = object({
    join_control_plane = string
    join_compute       = string
    init_claim         = string
    kubeconfig_admin   = string
    manifests_prefix   = string
  })

  validation {
    condition     = alltrue([for k in values(var.keys) : can(regex("^[a-z0-9_-]+(/[a-z0-9_-]+)*/?$", k))])
    error_message = "keys must be S3 keys of lower-case letters, digits, _ and -, separated by /."
  }
}

variable "join_wait_seconds" {
  description = "How long a joining node waits for the join material before it gives up."
  type        = number
  default     = 3600

  validation {
    condition     = var.join_wait_seconds >= 60
    error_message = "join_wait_seconds must be at least 60."
  }
}

variable "object_tags" {
  description = "Tags of the objects the nodes upload to the secrets bucket, the same as Terraform's objects there carry (the provider's default tags and the secrets module's object_tags); the nodes add Name = the object's key."
  type        = map(string)
  default     = {}

  validation {
    # S3 takes at most 10 tags per object, Name included.
    condition     = length(var.object_tags) <= 9 && !contains(keys(var.object_tags), "Name")
    error_message = "object_tags must hold at most 9 tags, and no Name (the nodes set it to the object's key)."
  }
}

variable "kubeconfig_admin_content_type" {
  description = "Content type the first control-plane node uploads the admin kubeconfig with: the one Terraform gave the template."
  type        = string
  default     = "application/yaml"

  validation {
    condition     = can(regex("^[a-z]+/[a-z0-9.+-]+$", var.kubeconfig_admin_content_type))
    error_message = "kubeconfig_admin_content_type must be a MIME type such as application/yaml."
  }
}
