# The compute layer: Kubernetes workers, one auto-scaling group across the
# AZs' compute subnets. Workers hold nothing of their own: each joins the
# cluster with the join material the control plane left in the secrets
# bucket (bootstrap module), which is all their IAM role may read.

locals {
  name = "${var.environment}-compute"

  tags = {
    Name = local.name
    Role = "compute"
  }

  # Tags of the instances and their root volumes, set at launch.
  launch_tags = {
    instance = merge(var.tags, local.tags)
    volume   = merge(var.tags, local.tags, { Name = "${local.name}-root" })
  }
}

resource "aws_security_group" "this" {
  name_prefix = "${local.name}-"
  description = "Kubernetes workers of ${var.environment}"
  vpc_id      = var.vpc_id

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Node to node inside the cluster (kubelet, the CNI's overlay, pods).
resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = toset(var.cluster_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "Cluster nodes in ${each.key}"
  ip_protocol       = "-1"
  cidr_ipv4         = each.key

  tags = merge(local.tags, { Name = "${local.name}-cluster-${each.key}" })
}

# No description: the moto emulator drops it on rules that admit another
# security group (a perpetual diff there). The Name tag says it instead.
resource "aws_vpc_security_group_ingress_rule" "ssh_from_bastion" {
  security_group_id            = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  referenced_security_group_id = var.bastion_security_group_id

  tags = merge(local.tags, { Name = "${local.name}-ssh-from-bastion" })
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "All outbound traffic"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(local.tags, { Name = "${local.name}-egress" })
}

resource "aws_launch_template" "this" {
  name = local.name
  # The hash of the launch tags makes a tag change a new template version
  # (see ignore_changes below).
  description = "Kubernetes workers of ${var.environment} (launch tags ${substr(sha1(jsonencode(local.launch_tags)), 0, 8)})"

  image_id               = var.ami_id
  instance_type          = var.instance_type
  key_name               = var.key_name
  vpc_security_group_ids = [aws_security_group.this.id]
  user_data              = var.user_data_base64
  update_default_version = true

  iam_instance_profile {
    name = var.instance_profile_name
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  block_device_mappings {
    device_name = var.root_device_name

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.launch_tags.instance
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.launch_tags.volume
  }

  tags = local.tags

  lifecycle {
    # The moto emulator copies the template's own tags into its launch data
    # as a "launch-template" tag specification (which AWS does not even
    # accept there): a perpetual diff. Ignored here; a real change of the
    # launch tags still reaches the template, through the description.
    ignore_changes = [tag_specifications]
  }
}

resource "aws_autoscaling_group" "this" {
  name                = local.name
  vpc_zone_identifier = var.subnet_ids
  min_size            = var.node_count
  max_size            = var.node_count
  desired_capacity    = var.node_count

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  health_check_type         = "EC2"
  health_check_grace_period = 300

  wait_for_capacity_timeout = var.wait_for_capacity_timeout

  dynamic "tag" {
    for_each = merge(var.tags, local.tags)

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}
