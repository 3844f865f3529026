variable "environment" {
  description = "Environment name, used in Name tags."
  type        = string
}

variable "bucket_name" {
  description = "Name of the secrets bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)."
  }
}

variable "kms_key_id" {
  description = "KMS key encrypting the objects: key id, key ARN, alias/NAME or alias ARN. It must exist."
  type        = string
}

variable "force_destroy" {
  description = "Let destroy delete a bucket that still holds objects (every version). Off by default: secrets are not rebuilt by apply."
  type        = bool
  default     = false
}

variable "enforce_bucket_policy" {
  description = "Attach the bucket policy that refuses uploads without SSE-KMS and any request without TLS. Only an emulator that evaluates policy conditions wrongly needs it off."
  type        = bool
  default     = true
}

variable "cluster_name" {
  description = "Kubernetes cluster name, in the kubeconfig and the manifests."
  type        = string

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty."
  }
}

variable "region" {
  description = "Region of the environment, in the platform-info manifest."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as eu-west-1."
  }
}

variable "kubeconfig_admin_key" {
  description = "Key of the admin kubeconfig (the template until the first control-plane node fills it in)."
  type        = string
  default     = "secrets/secure/kubeconfig_admin"

  validation {
    condition     = can(regex("^[a-z0-9_-]+(/[a-z0-9_-]+)+$", var.kubeconfig_admin_key))
    error_message = "kubeconfig_admin_key must be an S3 key such as secrets/secure/kubeconfig_admin."
  }
}

variable "kubeconfig_server" {
  description = "API server URL in the admin kubeconfig (the public endpoint, https://NAME:PORT)."
  type        = string

  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?$", var.kubeconfig_server))
    error_message = "kubeconfig_server must be an https URL such as https://kube-dev.example.com:443."
  }
}

variable "manifests_prefix" {
  description = "Key prefix of the manifests the control plane applies."
  type        = string
  default     = "manifests/"

  validation {
    condition     = can(regex("^[a-z0-9_-]+(/[a-z0-9_-]+)*/$", var.manifests_prefix))
    error_message = "manifests_prefix must be a key prefix ending in /."
  }
}

variable "kubeapi_public" {
  description = "Public name of the Kubernetes API, in the platform-info manifest."
  type        = string
}

variable "kubeapi_internal" {
  description = "Name of the Kubernetes API inside the VPC, in the platform-info manifest."
  type        = string
}
