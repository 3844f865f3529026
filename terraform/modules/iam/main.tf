# Roles and instance profiles of the Kubernetes nodes, least privilege:
#
#   secure (control plane + etcd)
#     - find and attach the EBS volumes and network interfaces made for the
#       control plane of this cluster (tag condition on both the resource and
#       the instance), nothing else;
#     - read the secrets bucket's secrets/ and manifests/ prefixes, write (and
#       tag) the join material and the admin kubeconfig under the prefixes it
#       owns;
#     - use the secrets KMS key only through S3.
#   compute (workers)
#     - read their join material, decrypting through S3.
#
# Policies are written with jsonencode (not aws_iam_policy_document) so the
# native tests can assert on them under a mocked provider.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  bucket    = "arn:${local.partition}:s3:::${var.bucket_name}"

  ec2_arn = "arn:${local.partition}:ec2:${var.region}:${var.account_id}"

  # The tags every attachable resource (and the attaching instance) must carry.
  attach_tags = {
    "ec2:ResourceTag/KubernetesCluster" = var.cluster_name
    "ec2:ResourceTag/Role"              = "secure"
  }

  # KMS only on behalf of S3 in this region: the key cannot be used directly.
  kms_via_s3 = {
    StringEquals = { "kms:ViaService" = "s3.${var.region}.amazonaws.com" }
  }

  assume_ec2 = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })

  secure_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Describe calls have no resource-level permissions.
        Sid      = "FindOwnVolumesAndInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:DescribeVolumes", "ec2:DescribeNetworkInterfaces"]
        Resource = "*"
      },
      {
        Sid    = "AttachOnlyControlPlaneVolumesAndInterfaces"
        Effect = "Allow"
        Action = ["ec2:AttachVolume", "ec2:AttachNetworkInterface"]
        Resource = [
          "${local.ec2_arn}:volume/*",
          "${local.ec2_arn}:network-interface/*",
        ]
        Condition = { StringEquals = local.attach_tags }
      },
      {
        Sid       = "AttachOnlyToControlPlaneInstances"
        Effect    = "Allow"
        Action    = ["ec2:AttachVolume", "ec2:AttachNetworkInterface"]
        Resource  = "${local.ec2_arn}:instance/*"
        Condition = { StringEquals = local.attach_tags }
      },
      {
        Sid      = "ListSecretsAndManifests"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = local.bucket
        Condition = {
          StringLike = { "s3:prefix" = [for p in var.secure_read_prefixes : "${p}*"] }
        }
      },
      {
        Sid      = "ReadSecretsAndManifests"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = [for p in var.secure_read_prefixes : "${local.bucket}/${p}*"]
      },
      {
        # The nodes tag what they upload as Terraform tags its objects (PutObject
        # with x-amz-tagging needs s3:PutObjectTagging as well).
        Sid      = "WriteJoinMaterialAndKubeconfig"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:PutObjectTagging"]
        Resource = [for p in var.secure_write_prefixes : "${local.bucket}/${p}*"]
      },
      {
        Sid       = "UseTheSecretsKeyThroughS3"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = var.kms_key_arn
        Condition = local.kms_via_s3
      },
    ]
  })

  compute_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadJoinMaterial"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = [for p in var.compute_read_prefixes : "${local.bucket}/${p}*"]
      },
      {
        Sid       = "DecryptThroughS3"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.kms_key_arn
        Condition = local.kms_via_s3
      },
    ]
  })

  roles = {
    secure  = local.secure_policy
    compute = local.compute_policy
  }
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name               = "${var.environment}-${each.key}"
  description        = "Kubernetes ${each.key} nodes of ${var.environment}"
  assume_role_policy = local.assume_ec2

  tags = {
    Name = "${var.environment}-${each.key}"
    Role = each.key
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = local.roles

  name   = "${var.environment}-${each.key}"
  role   = aws_iam_role.this[each.key].id
  policy = each.value
}

resource "aws_iam_instance_profile" "this" {
  for_each = local.roles

  name = "${var.environment}-${each.key}"
  role = aws_iam_role.this[each.key].name

  tags = {
    Name = "${var.environment}-${each.key}"
    Role = each.key
  }
}
