# Plan-level tests of modules/secrets, on a mocked provider.

mock_provider "aws" {
  mock_data "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  environment       = "secretstest"
  bucket_name       = "kube-secretstest-secrets-123456789012"
  kms_key_id        = "alias/platform"
  cluster_name      = "kube-secretstest"
  region            = "eu-west-1"
  kubeconfig_server = "https://kube-secretstest.example.com:443"
  kubeapi_public    = "kube-secretstest.example.com"
  kubeapi_internal  = "kube-secretstest.internal"
}

run "objects_are_sse_kms" {
  command = plan

  module {
    source = "./modules/secrets"
  }

  assert {
    condition = alltrue([
      for o in concat([aws_s3_object.kubeconfig_admin], values(aws_s3_object.manifest)) :
      o.server_side_encryption == "aws:kms" && o.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    ])
    error_message = "Every object is uploaded with SSE-KMS and the environment's key."
  }

  assert {
    condition     = aws_s3_object.kubeconfig_admin.key == "secrets/secure/kubeconfig_admin"
    error_message = "The admin kubeconfig lives at secrets/secure/kubeconfig_admin."
  }

  # A template: the server is set, the credentials are placeholders.
  assert {
    condition = (
      yamldecode(aws_s3_object.kubeconfig_admin.content).clusters[0].cluster.server == "https://kube-secretstest.example.com:443" &&
      yamldecode(aws_s3_object.kubeconfig_admin.content).users[0].user["client-key-data"] == "@@CLIENT_KEY_DATA@@" &&
      !strcontains(aws_s3_object.kubeconfig_admin.content, "BEGIN")
    )
    error_message = "The kubeconfig must be a template with placeholders, never real credentials."
  }

  assert {
    condition = (
      toset(keys(aws_s3_object.manifest)) == toset(["manifests/00-namespace-platform.yaml", "manifests/10-platform-info.yaml"]) &&
      alltrue([for o in aws_s3_object.manifest : can(yamldecode(o.content))]) &&
      yamldecode(aws_s3_object.manifest["manifests/10-platform-info.yaml"].content).data.secretsBucket == var.bucket_name
    )
    error_message = "The manifests are rendered from the templates, valid YAML, under manifests/."
  }

  assert {
    condition     = length(aws_s3_bucket_policy.this) == 1 && aws_s3_bucket_public_access_block.this.block_public_policy
    error_message = "The bucket is private and has its policy."
  }
}
