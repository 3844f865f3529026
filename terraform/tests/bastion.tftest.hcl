# Plan-level tests of modules/bastion, on a mocked provider.

mock_provider "aws" {}

variables {
  environment     = "bastiontest"
  vpc_id          = "vpc-12345678"
  subnet_id       = "subnet-12345678"
  instance_type   = "t3.micro"
  ssh_access_list = ["203.0.113.10/32", "198.51.100.0/24"]
  ssh_public_key  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDHqpNFQczasd5No4nBQoAX8z7t/W/13NbEEFbNdj5Jv test"
  ami_id          = "ami-12345678"
}

run "ssh_only_from_the_access_list" {
  command = plan

  module {
    source = "./modules/bastion"
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.ssh)) == toset(var.ssh_access_list)
    error_message = "One SSH rule per access-list entry, and no other."
  }

  assert {
    condition = alltrue([
      for r in aws_vpc_security_group_ingress_rule.ssh : r.from_port == 22 && r.to_port == 22 && r.ip_protocol == "tcp"
    ])
    error_message = "The bastion admits SSH (tcp/22) only."
  }

  assert {
    condition     = length(aws_key_pair.this) == 1 && aws_key_pair.this[0].key_name == "bastiontest-bastion"
    error_message = "A key pair is made from ssh_public_key."
  }

  assert {
    condition     = aws_instance.this.ami == "ami-12345678" && aws_instance.this.metadata_options[0].http_tokens == "required"
    error_message = "The bastion uses the given AMI and IMDSv2 only."
  }

  assert {
    condition     = aws_instance.this.root_block_device[0].encrypted
    error_message = "The bastion's root volume must be encrypted."
  }
}

run "no_key_pair_without_a_key" {
  command = plan

  module {
    source = "./modules/bastion"
  }

  variables {
    ssh_public_key  = ""
    ssh_access_list = []
  }

  assert {
    condition     = length(aws_key_pair.this) == 0 && length(aws_vpc_security_group_ingress_rule.ssh) == 0
    error_message = "No key pair without a key, no SSH rule without an access list."
  }
}
