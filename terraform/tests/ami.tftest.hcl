# Plan-level tests of modules/ami (the nodes' image), on a mocked provider.

mock_provider "aws" {
  mock_data "aws_ec2_instance_type" {
    defaults = { supported_architectures = ["arm64"] }
  }
  mock_data "aws_ami" {
    defaults = { id = "ami-0123456789abcdef0" }
  }
}

run "given_ami_is_used_as_is" {
  command = plan

  module {
    source = "./modules/ami"
  }

  variables {
    instance_type = "t3.small"
    ami_id        = "ami-12345678"
  }

  assert {
    condition     = output.id == "ami-12345678" && length(data.aws_ami.this) == 0
    error_message = "A given AMI is used without a lookup."
  }
}

run "lookup_follows_the_architecture" {
  command = plan

  module {
    source = "./modules/ami"
  }

  variables {
    instance_type = "t4g.small"
    ami_id        = ""
  }

  assert {
    condition = (
      output.id == "ami-0123456789abcdef0" &&
      one([for f in data.aws_ami.this[0].filter : f.values if f.name == "name"]) == toset(["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"]) &&
      data.aws_ami.this[0].owners == tolist(["099720109477"])
    )
    error_message = "An empty ami_id looks up Canonical's Ubuntu 24.04 image of the instance type's architecture."
  }
}
