# The secure layer: Kubernetes control plane and etcd.
#
# One auto-scaling group across the AZs' secure subnets. Its nodes are
# disposable; what must survive a node is made here, per slot, in the slot's
# AZ:
#   - an EBS volume for etcd's data;
#   - a network interface, whose private address is the node's stable
#     address (etcd peer URL, API server advertise address).
# Each AZ gets as many slots as the group may put nodes there when it
# balances them, ceil(node_count / AZs): at least one per AZ, and a spare
# where the count does not divide evenly (the group, not Terraform, picks
# which AZ gets the extra node).
# Both are tagged KubernetesCluster, Role = secure and Slot; a node coming up
# finds an unattached pair in its own AZ and attaches it (bootstrap module),
# which its IAM role allows for exactly those tags (iam module).

locals {
  name = "${var.environment}-secure"
  azs  = var.availability_zones

  # Slot numbers go round-robin over the AZs: 0 in the first, 1 in the second…
  slots_per_az = ceil(var.node_count / length(local.azs))
  slots = {
    for i in range(local.slots_per_az * length(local.azs)) : tostring(i) => {
      az        = local.azs[i % length(local.azs)]
      subnet_id = var.subnet_ids[i % length(local.azs)]
    }
  }

  tags = {
    Name = local.name
    Role = "secure"
  }

  # Tags of the instances and their root volumes, set at launch.
  launch_tags = {
    instance = merge(var.tags, local.tags)
    volume   = merge(var.tags, local.tags, { Name = "${local.name}-root" })
  }
}

# --- Network access ----------------------------------------------------------------

resource "aws_security_group" "this" {
  name_prefix = "${local.name}-"
  description = "Kubernetes control plane of ${var.environment}"
  vpc_id      = var.vpc_id

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Node to node inside the cluster (etcd, kubelet, the CNI's overlay): every
# protocol from the secure and compute subnets.
resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = toset(var.cluster_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "Cluster nodes in ${each.key}"
  ip_protocol       = "-1"
  cidr_ipv4         = each.key

  tags = merge(local.tags, { Name = "${local.name}-cluster-${each.key}" })
}

# Rules that admit another security group carry no description: the moto
# emulator drops it (a perpetual diff there). The Name tag says it instead.
resource "aws_vpc_security_group_ingress_rule" "api_from_lb" {
  for_each = var.load_balancer_security_group_ids

  security_group_id            = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = each.value

  tags = merge(local.tags, { Name = "${local.name}-api-from-${each.key}-lb" })
}

resource "aws_vpc_security_group_ingress_rule" "ssh_from_bastion" {
  security_group_id            = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  referenced_security_group_id = var.bastion_security_group_id

  tags = merge(local.tags, { Name = "${local.name}-ssh-from-bastion" })
}

# Packages, images, the AWS APIs (through the NAT gateways).
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "All outbound traffic"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(local.tags, { Name = "${local.name}-egress" })
}

# --- What survives a node: per slot, in the slot's AZ ------------------------------

resource "aws_ebs_volume" "etcd" {
  for_each = local.slots

  availability_zone = each.value.az
  size              = var.etcd_volume_size
  type              = "gp3"
  # The account's EBS key (aws/ebs): a customer key would also need KMS grants
  # for the attaching role.
  encrypted = true

  tags = merge(local.tags, {
    Name = "${local.name}-etcd-${each.key}"
    Slot = each.key
  })
}

resource "aws_network_interface" "this" {
  for_each = local.slots

  subnet_id       = each.value.subnet_id
  security_groups = [aws_security_group.this.id]
  description     = "Stable address of control-plane slot ${each.key} of ${var.environment}"

  tags = merge(local.tags, {
    Name = "${local.name}-${each.key}"
    Slot = each.key
  })
}

# --- Nodes ----------------------------------------------------------------------------

module "nodes" {
  source = "../node-group"

  name                  = local.name
  description           = "Kubernetes control plane of ${var.environment}"
  ami_id                = var.ami_id
  instance_type         = var.instance_type
  key_name              = var.key_name
  security_group_ids    = [aws_security_group.this.id]
  user_data_base64      = var.user_data_base64
  instance_profile_name = var.instance_profile_name
  root_device_name      = var.root_device_name
  root_volume_size      = var.root_volume_size
  launch_tags           = local.launch_tags
  tags                  = local.tags
  subnet_ids            = var.subnet_ids
  node_count            = var.node_count
  load_balancer_names   = var.load_balancer_names
  # An API server that is slow to come up must not get its node (and etcd
  # member) replaced.
  health_check_grace_period = 600
  wait_for_capacity_timeout = var.wait_for_capacity_timeout

  # Destroy the nodes before the volumes and interfaces they hold.
  depends_on = [aws_ebs_volume.etcd, aws_network_interface.this]
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
