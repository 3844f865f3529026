# The bastion: the only instance reachable from outside, on SSH from
# ssh_access_list, in the first mgmt subnet with a public IP.

locals {
  name = "${var.environment}-bastion"
}

# The given AMI, or the newest Ubuntu LTS image of the instance type's
# architecture: the same lookup as the nodes' images.
module "image" {
  source = "../ami"

  ami_id           = var.ami_id
  instance_type    = var.instance_type
  ami_owners       = var.ami_owners
  ami_name_pattern = var.ami_name_pattern
}

# --- Network access ----------------------------------------------------------------

resource "aws_security_group" "this" {
  # A prefix, not a fixed name: a replacement group is created (and the
  # instance moved to it) before the old one goes.
  name_prefix = "${local.name}-"
  description = "Bastion of ${var.environment}: SSH from the access list"
  vpc_id      = var.vpc_id

  tags = {
    Name = local.name
    Role = "bastion"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = toset(var.ssh_access_list)

  security_group_id = aws_security_group.this.id
  description       = "SSH from ${each.key}"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.key

  tags = {
    Name = "${local.name}-ssh-${each.key}"
    Role = "bastion"
  }
}

# The bastion forwards SSH into the private layers and fetches packages.
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "All outbound traffic"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = {
    Name = "${local.name}-egress"
    Role = "bastion"
  }
}

# --- Instance ------------------------------------------------------------------------

resource "aws_key_pair" "this" {
  count = var.ssh_public_key == "" ? 0 : 1

  key_name   = local.name
  public_key = var.ssh_public_key

  tags = {
    Name = local.name
    Role = "bastion"
  }
}

resource "aws_instance" "this" {
  ami                    = module.image.id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = [aws_security_group.this.id]
  key_name               = one(aws_key_pair.this[*].key_name)

  # The public IP comes from the mgmt subnet (map_public_ip_on_launch), not
  # from associate_public_ip_address: that argument makes the provider launch
  # with an explicit network interface, and then the moto emulator reports no
  # security groups on the instance, a perpetual diff. On AWS both are the same.

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.root_volume_size
    encrypted   = true

    tags = {
      Name = "${local.name}-root"
      Role = "bastion"
    }
  }

  tags = {
    Name = local.name
    Role = "bastion"
  }

  lifecycle {
    # A looked-up AMI changes whenever a new image is published; replacing the
    # bastion then would change its address and host key on an unrelated
    # apply. Roll it deliberately instead:
    #   terraform apply -replace=module.bastion.aws_instance.this
    ignore_changes = [ami]

    postcondition {
      condition     = self.public_ip != ""
      error_message = "The bastion got no public IP: its subnet must map public IPs on launch (the mgmt layer does)."
    }
  }
}
