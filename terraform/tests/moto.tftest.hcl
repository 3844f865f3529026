# Apply-level test of the whole root module against the moto emulator (never
# AWS): run it with AWS_ENDPOINT_URL pointing at a moto server and dummy
# credentials, as test/integration/platform.test.ts does:
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=test \
#   AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 terraform test
# aws_account is moto's fixed account: against a real account the provider
# refuses to run (allowed_account_ids) before it creates anything.
# terraform test destroys everything it applied when it ends.

variables {
  environment                   = "tftest"
  aws_region                    = "us-east-1"
  aws_account                   = "123456789012"
  terraform_bucket_name         = "tftest-state"
  kms_master_id                 = "alias/platform-console-tftest"
  vpc_cidr                      = "10.32.0.0/16"
  az_count                      = 2
  ssh_access_list               = ["127.0.0.1/32"]
  kubeapi_access_list           = ["127.0.0.1/32"]
  public_dns_zone               = "tftest.example.test"
  private_dns_zone              = "tftest.internal"
  bastion_instance_type         = "t3.micro"
  secure_instance_type          = "t3.small"
  compute_instance_type         = "t3.small"
  secure_count                  = 3
  compute_count                 = 1
  ami_id                        = "ami-785db401"
  etcd_volume_size              = 8
  ssh_public_key                = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDHqpNFQczasd5No4nBQoAX8z7t/W/13NbEEFbNdj5Jv tftest"
  enforce_secrets_bucket_policy = false # moto evaluates policy conditions wrongly (see modules/secrets)
}

run "setup" {
  module {
    source = "./tests/setup"
  }

  variables {
    kms_alias = "alias/platform-console-tftest"
  }
}

run "platform" {
  assert {
    condition     = output.secure_asg == "tftest-secure" && output.compute_asg == "tftest-compute"
    error_message = "Auto-scaling groups: ${output.secure_asg}, ${output.compute_asg}."
  }

  assert {
    condition     = startswith(output.vpc_id, "vpc-") && output.bastion_public_ip != ""
    error_message = "The VPC and the bastion's address must be set."
  }

  assert {
    condition = (
      module.secure.slot_zones == { "0" = "us-east-1a", "1" = "us-east-1b", "2" = "us-east-1a", "3" = "us-east-1b" } &&
      length(module.secure.etcd_volume_ids) == 4 &&
      alltrue([for ip in values(output.secure_private_ips) : can(cidrhost("${ip}/32", 0))])
    )
    error_message = "3 nodes over 2 AZs: two slots (a volume and an addressed interface) per AZ."
  }

  assert {
    condition     = length(output.public_name_services) > 0 && output.kubeapi_public == "kube-tftest.tftest.example.test"
    error_message = "The public zone has name servers and the API record."
  }

  assert {
    condition     = output.kubeconfig_admin_key == "secrets/secure/kubeconfig_admin" && output.secrets_bucket == "kube-tftest-secrets-123456789012"
    error_message = "The admin kubeconfig is in the secrets bucket."
  }
}
