# The secrets bucket: kubeconfigs, tokens and certificates of the cluster,
# under secrets/<role>/…, every object encrypted with the environment's KMS
# key, versioned, never public.

# Resolves an alias or key id to the key's ARN, and fails the plan early when
# the key does not exist.
data "aws_kms_key" "this" {
  key_id = var.kms_key_id
}

data "aws_partition" "current" {}

locals {
  # Built from the name rather than read from the bucket, so that the policy
  # document stays known when the bucket itself has changes pending.
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
}

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy

  tags = {
    Name = var.bucket_name
    Role = "secrets"
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = data.aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

data "aws_iam_policy_document" "this" {
  count = var.enforce_bucket_policy ? 1 : 0

  # Every upload must ask for SSE-KMS explicitly: a put without the header, or
  # with another algorithm, is refused.
  statement {
    sid       = "DenyUploadsWithoutSseKms"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  statement {
    sid       = "DenyUploadsWithoutEncryptionHeader"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["true"]
    }
  }

  # Secrets never travel in clear text.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# moto 5.2.1 treats every Deny statement that has a Condition as an
# unconditional deny of the object requests it names, so with this policy the
# emulator refuses every GetObject and PutObject in the bucket. Hence the
# switch; on AWS it stays on.
resource "aws_s3_bucket_policy" "this" {
  count = var.enforce_bucket_policy ? 1 : 0

  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this[0].json

  # S3 refuses a policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# --- Objects: the admin kubeconfig template and the cluster's manifests ---------
#
# What the nodes write into this bucket (modules/bootstrap/scripts), and how
# Terraform treats each, so that no apply ever reverts a node's write:
#   - the admin kubeconfig (kubeconfig_admin_key): Terraform uploads the
#     template once; the first control-plane node fills it in and uploads it
#     over the template. Terraform never touches it again (ignore_changes = all
#     below): a change of tags, content type, etag or metadata would otherwise
#     make the provider upload the template over the real kubeconfig;
#   - the join material (control plane and workers) and the init claim: only
#     the nodes write them; Terraform does not manage them at all.
# The nodes upload with SSE-KMS and the environment's key, and with the
# content type and the tags Terraform gives its objects (object_tags, plus
# Name = the key), so the bucket reads the same whoever wrote an object.
# The manifests are Terraform's alone: the nodes only read them.

locals {
  # Tags of every object in the bucket besides Name (the key) and the
  # provider's default tags; the nodes get the same ones (output object_tags).
  object_tags = {
    Role = "secrets"
  }

  # A constant, not the resource's attribute: the state's value follows the
  # object the node wrote, and the nodes' user data must not.
  kubeconfig_admin_content_type = "application/yaml"

  manifest_templates = fileset("${path.module}/templates/manifests", "*.yaml.tftpl")

  manifest_values = {
    environment      = var.environment
    cluster_name     = var.cluster_name
    region           = var.region
    bucket           = var.bucket_name
    kubeapi_public   = var.kubeapi_public
    kubeapi_internal = var.kubeapi_internal
  }

  manifests = {
    for f in local.manifest_templates :
    "${var.manifests_prefix}${trimsuffix(f, ".tftpl")}" => templatefile("${path.module}/templates/manifests/${f}", local.manifest_values)
  }
}

resource "aws_s3_object" "kubeconfig_admin" {
  bucket = aws_s3_bucket.this.id
  key    = var.kubeconfig_admin_key
  content = templatefile("${path.module}/templates/kubeconfig_admin.yaml.tftpl", {
    cluster_name = var.cluster_name
    server       = var.kubeconfig_server
  })
  content_type           = local.kubeconfig_admin_content_type
  server_side_encryption = "aws:kms"
  kms_key_id             = data.aws_kms_key.this.arn

  tags = merge({ Name = var.kubeconfig_admin_key }, local.object_tags)

  lifecycle {
    # The first control-plane node replaces the template with the real
    # kubeconfig (same key): created once, never updated, never uploaded
    # again. Only a deleted object is uploaded anew (the template).
    ignore_changes = all
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_policy.this]
}

resource "aws_s3_object" "manifest" {
  for_each = local.manifests

  bucket                 = aws_s3_bucket.this.id
  key                    = each.key
  content                = each.value
  content_type           = "application/yaml"
  server_side_encryption = "aws:kms"
  kms_key_id             = data.aws_kms_key.this.arn

  tags = merge({ Name = each.key }, local.object_tags)

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_policy.this]
}
