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

module "nodes" {
  source = "../node-group"

  name                      = local.name
  description               = "Kubernetes workers of ${var.environment}"
  ami_id                    = var.ami_id
  instance_type             = var.instance_type
  key_name                  = var.key_name
  security_group_ids        = [aws_security_group.this.id]
  user_data_base64          = var.user_data_base64
  instance_profile_name     = var.instance_profile_name
  root_device_name          = var.root_device_name
  root_volume_size          = var.root_volume_size
  launch_tags               = local.launch_tags
  tags                      = local.tags
  subnet_ids                = var.subnet_ids
  node_count                = var.node_count
  health_check_grace_period = 300
  wait_for_capacity_timeout = var.wait_for_capacity_timeout
}

# The launch template and the group were this module's own before node-group.
moved {
  from = aws_launch_template.this
  to   = module.nodes.aws_launch_template.this
}

moved {
  from = aws_autoscaling_group.this
  to   = module.nodes.aws_autoscaling_group.this
}
