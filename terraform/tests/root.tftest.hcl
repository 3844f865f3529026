# Tests of the root module on a mocked provider: the wiring of the modules,
# the outputs, and the variables' own validation messages.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_elb_hosted_zone_id" {
    defaults = { id = "Z32O12XQLNTSW2" }
  }
  mock_resource "aws_launch_template" {
    defaults = { id = "lt-0123456789abcdef0", latest_version = 1 }
  }
  mock_resource "aws_route53_zone" {
    defaults = { name_servers = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"] }
  }
}

variables {
  environment           = "roottest"
  aws_region            = "eu-west-1"
  terraform_bucket_name = "roottest-state"
  kms_master_id         = "alias/platform"
  vpc_cidr              = "10.16.0.0/16"
  az_count              = 3
  ssh_access_list       = ["203.0.113.10/32"]
  kubeapi_access_list   = ["203.0.113.0/24"]
  public_dns_zone       = "roottest.example.com"
  private_dns_zone      = "roottest.internal"
  bastion_instance_type = "t3.micro"
  secure_instance_type  = "t3.medium"
  compute_instance_type = "t3.large"
  secure_count          = 3
  compute_count         = 2
  ami_id                = "ami-12345678"
}

# A mocked id would be random; the real one is the bucket's name.
override_resource {
  target = module.secrets.aws_s3_bucket.this
  values = { id = "kube-roottest-secrets-123456789012", arn = "arn:aws:s3:::kube-roottest-secrets-123456789012" }
}

run "wiring" {
  command = plan

  assert {
    condition     = module.secure.slot_zones == { "0" = "eu-west-1a", "1" = "eu-west-1b", "2" = "eu-west-1c" }
    error_message = "Three control-plane slots over three AZs: one per AZ."
  }

  assert {
    condition     = module.dns.kubeapi_public_name == "kube-roottest.roottest.example.com"
    error_message = "The public API record is kube-ENV.<public_dns_zone>."
  }
}

run "outputs" {
  # Applied on the mocked provider: nothing is created anywhere.
  command = apply

  assert {
    condition = alltrue([
      for o in [output.bastion_public_ip, output.kubeapi_public, output.kubeapi_public_elb, output.compute_asg, output.secure_asg, output.secrets_bucket, output.vpc_id] :
      o != null && o != ""
    ])
    error_message = "Every operator-facing output must be set."
  }

  assert {
    condition = (
      output.secure_asg == "roottest-secure" && output.compute_asg == "roottest-compute" &&
      output.kubeapi_public == "kube-roottest.roottest.example.com" &&
      output.secrets_bucket == "kube-roottest-secrets-123456789012" &&
      output.public_name_services == tolist(["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"])
    )
    error_message = "Outputs: ${jsonencode([output.secure_asg, output.compute_asg, output.kubeapi_public, output.secrets_bucket, output.public_name_services])}."
  }

  # Known only once the load balancers exist (their names are in the certificate).
  assert {
    condition = (
      strcontains(module.bootstrap.secure_user_data, "API_ENDPOINT='kube-roottest.roottest.internal'") &&
      strcontains(module.bootstrap.secure_user_data, "kube-roottest.roottest.example.com") &&
      strcontains(module.bootstrap.compute_user_data, "JOIN_COMPUTE_KEY='secrets/compute/join'") &&
      strcontains(module.bootstrap.compute_user_data, "SECRETS_BUCKET='kube-roottest-secrets-123456789012'")
    )
    error_message = "The nodes join through the private API name and the secrets bucket; the public name is in the certificate."
  }

  # The nodes tag their uploads to the secrets bucket as Terraform tags its
  # objects there (default tags and the secrets module's), with its content type.
  assert {
    condition = alltrue([
      for u in [module.bootstrap.secure_user_data, module.bootstrap.compute_user_data] :
      strcontains(u, "OBJECT_TAGGING='Environment=roottest&KubernetesCluster=kube-roottest&ManagedBy=platform-console&Role=secrets'") &&
      strcontains(u, "KUBECONFIG_ADMIN_CONTENT_TYPE='application/yaml'")
    ])
    error_message = "The nodes' uploads carry the tags and the content type of Terraform's objects."
  }
}

run "vpc_cidr_prefix_out_of_range" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/8"
  }

  expect_failures = [var.vpc_cidr]
}

run "vpc_cidr_too_small_for_load_balancers" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/24"
  }

  expect_failures = [var.vpc_cidr]
}

run "az_count_zero" {
  command = plan

  variables {
    az_count = 0
  }

  expect_failures = [var.az_count]
}

run "kubernetes_version_not_a_minor" {
  command = plan

  variables {
    kubernetes_version = "1.32.1"
  }

  expect_failures = [var.kubernetes_version]
}

run "etcd_volume_size_too_small" {
  command = plan

  variables {
    etcd_volume_size = 4
  }

  expect_failures = [var.etcd_volume_size]
}
