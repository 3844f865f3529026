# The image of an instance type: the given AMI, or the newest Ubuntu LTS image
# of the type's architecture. Used for the bastion and for both node groups.

locals {
  lookup = var.ami_id == ""

  # EC2 and Ubuntu spell the architectures differently.
  ubuntu_arch = local.lookup ? (
    contains(data.aws_ec2_instance_type.this[0].supported_architectures, "x86_64") ? "amd64" : "arm64"
  ) : null
}

data "aws_ec2_instance_type" "this" {
  count = local.lookup ? 1 : 0

  instance_type = var.instance_type
}

data "aws_ami" "this" {
  count = local.lookup ? 1 : 0

  owners      = var.ami_owners
  most_recent = true

  filter {
    name   = "name"
    values = [format(var.ami_name_pattern, local.ubuntu_arch)]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }

  filter {
    name   = "root-device-type"
    values = ["ebs"]
  }
}
