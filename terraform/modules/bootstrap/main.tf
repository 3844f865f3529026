# cloud-init user data of the Kubernetes nodes (kubeadm). Rendered here,
# run on the nodes: the templates (templates/*.yaml.tftpl) are cloud-config
# documents that write the settings below to /etc/platform/bootstrap.env and
# the scripts (scripts/*.sh, static bash that reads those settings) to the
# node, then run them.
#
# The secrets bucket is the rendezvous: the first control-plane node writes
# the join material there; the other control-plane nodes and the workers
# read it and join. Nothing secret is rendered into the user data.

locals {
  settings = {
    CLUSTER_NAME           = var.cluster_name
    AWS_REGION             = var.region
    SECRETS_BUCKET         = var.bucket_name
    KMS_KEY_ARN            = var.kms_key_arn
    KUBERNETES_VERSION     = var.kubernetes_version
    API_ENDPOINT           = var.api_endpoint
    API_PORT               = tostring(var.api_port)
    API_SANS               = join(",", var.api_sans)
    POD_NETWORK_CIDR       = var.pod_network_cidr
    CNI_MANIFEST_URL       = var.cni_manifest_url
    JOIN_CONTROL_PLANE_KEY = var.keys.join_control_plane
    JOIN_COMPUTE_KEY       = var.keys.join_compute
    INIT_CLAIM_KEY         = var.keys.init_claim
    KUBECONFIG_ADMIN_KEY   = var.keys.kubeconfig_admin
    MANIFESTS_PREFIX       = var.keys.manifests_prefix
    JOIN_TOKEN_TTL         = "24h"
    JOIN_WAIT_SECONDS      = tostring(var.join_wait_seconds)
    # What the nodes' uploads carry besides SSE-KMS (scripts/lib.sh, s3_put):
    # the tags Terraform gives the bucket's objects, as S3's x-amz-tagging
    # query string (the nodes add Name = the key), and the admin kubeconfig's
    # content type.
    OBJECT_TAGGING                = join("&", [for k in sort(keys(var.object_tags)) : "${urlencode(k)}=${urlencode(var.object_tags[k])}"])
    KUBECONFIG_ADMIN_CONTENT_TYPE = var.kubeconfig_admin_content_type
  }

  # One KEY='value' line per setting; single quotes, so the shell expands nothing.
  env = join("\n", [
    for k in sort(keys(local.settings)) :
    "${k}='${replace(local.settings[k], "'", "'\\''")}'"
  ])

  lib = file("${path.module}/scripts/lib.sh")

  user_data = {
    secure = templatefile("${path.module}/templates/secure.yaml.tftpl", {
      cluster_name = var.cluster_name
      env          = local.env
      lib          = local.lib
      script       = file("${path.module}/scripts/secure.sh")
    })
    compute = templatefile("${path.module}/templates/compute.yaml.tftpl", {
      cluster_name = var.cluster_name
      env          = local.env
      lib          = local.lib
      script       = file("${path.module}/scripts/compute.sh")
    })
  }
}
