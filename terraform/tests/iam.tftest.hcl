# Plan-level tests of modules/iam, on a mocked provider: the policies are
# jsonencode'd in the module, so their content is known at plan.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  environment           = "iamtest"
  cluster_name          = "kube-iamtest"
  region                = "eu-west-1"
  account_id            = "123456789012"
  bucket_name           = "kube-iamtest-secrets-123456789012"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  secure_read_prefixes  = ["secrets/secure/", "manifests/"]
  secure_write_prefixes = ["secrets/secure/", "secrets/compute/"]
  compute_read_prefixes = ["secrets/compute/"]
}

run "least_privilege" {
  command = plan

  module {
    source = "./modules/iam"
  }

  assert {
    condition     = toset(keys(aws_iam_instance_profile.this)) == toset(["secure", "compute"])
    error_message = "One instance profile per node layer."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this["secure"].assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "Only EC2 may assume the node roles."
  }

  # Attaching: only volumes and interfaces tagged for this cluster's control
  # plane, only to this cluster's control-plane instances.
  assert {
    condition = alltrue([
      for s in jsondecode(output.policies.secure).Statement :
      s.Condition.StringEquals["ec2:ResourceTag/KubernetesCluster"] == "kube-iamtest" &&
      s.Condition.StringEquals["ec2:ResourceTag/Role"] == "secure"
      if contains(flatten([s.Action]), "ec2:AttachVolume")
    ])
    error_message = "Every statement allowing AttachVolume/AttachNetworkInterface must carry the tag condition."
  }

  assert {
    condition = length([
      for s in jsondecode(output.policies.secure).Statement : s
      if contains(flatten([s.Action]), "ec2:AttachNetworkInterface")
    ]) == 2
    error_message = "Attach is allowed on tagged resources and on tagged instances, nothing more."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(output.policies.secure).Statement :
      s.Resource == "*" ? toset(flatten([s.Action])) == toset(["ec2:DescribeVolumes", "ec2:DescribeNetworkInterfaces"]) : true
    ])
    error_message = "Only the Describe calls (which have no resource-level permissions) may use Resource \"*\"."
  }

  assert {
    condition = alltrue([
      for s in concat(jsondecode(output.policies.secure).Statement, jsondecode(output.policies.compute).Statement) :
      s.Condition.StringEquals["kms:ViaService"] == "s3.eu-west-1.amazonaws.com"
      if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])
    ])
    error_message = "The KMS key may be used only through S3."
  }

  assert {
    condition = (
      toset(flatten([for s in jsondecode(output.policies.compute).Statement : flatten([s.Action])])) == toset(["s3:GetObject", "kms:Decrypt"]) &&
      one([for s in jsondecode(output.policies.compute).Statement : s.Resource if s.Action == "s3:GetObject"]) == ["arn:aws:s3:::kube-iamtest-secrets-123456789012/secrets/compute/*"]
    )
    error_message = "Workers may only read their join material and decrypt it."
  }

  # The control plane writes and tags (as Terraform does) only under its prefixes.
  assert {
    condition = (
      toset(one([for s in jsondecode(output.policies.secure).Statement : s.Action if s.Sid == "WriteJoinMaterialAndKubeconfig"])) == toset(["s3:PutObject", "s3:PutObjectTagging"]) &&
      toset(one([for s in jsondecode(output.policies.secure).Statement : s.Resource if s.Sid == "WriteJoinMaterialAndKubeconfig"])) == toset([
        "arn:aws:s3:::kube-iamtest-secrets-123456789012/secrets/secure/*",
        "arn:aws:s3:::kube-iamtest-secrets-123456789012/secrets/compute/*",
      ]) &&
      length([for s in jsondecode(output.policies.secure).Statement : s if anytrue([for a in flatten([s.Action]) : startswith(a, "s3:Put")])]) == 1
    )
    error_message = "The control plane may write and tag objects only under its write prefixes."
  }
}
