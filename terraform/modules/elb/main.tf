# The Kubernetes API's load balancers, both classic ELBs in TCP mode in front
# of the control plane's port 6443 (TLS ends on kube-apiserver):
#   public    internet-facing in the elb layer, 443 -> 6443, admitting only
#             kubeapi_access_list;
#   internal  in the secure layer, 6443 -> 6443, for the nodes (kubeadm's
#             control-plane endpoint) and anything inside the VPC.
# The control plane's auto-scaling group registers its instances with both.

locals {
  # Classic ELB names: at most 32 characters. Long environment names keep a
  # prefix and a hash of the full name, so two environments never collide.
  lb_names = {
    for k, suffix in { public = "kubeapi", internal = "kubeapi-int" } :
    k => (
      length("${var.environment}-${suffix}") <= 32
      ? "${var.environment}-${suffix}"
      : "${trimsuffix(substr(var.environment, 0, 24 - length(suffix)), "-")}-${substr(sha1(var.environment), 0, 6)}-${suffix}"
    )
  }

  # Every probe and listener of both load balancers: the API server's port.
  health_check = {
    target              = "TCP:${var.api_port}"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

# The hosted zone of the region's classic load balancers, for alias records.
# Also what aws_elb's zone_id reads on AWS; the moto emulator leaves that
# attribute empty, which Route53 alias records refuse.
data "aws_elb_hosted_zone_id" "this" {}

# --- Security groups --------------------------------------------------------------

resource "aws_security_group" "this" {
  for_each = local.lb_names

  name_prefix = "${var.environment}-kubeapi-${each.key}-"
  description = "Kubernetes API load balancer (${each.key}) of ${var.environment}"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.environment}-kubeapi-${each.key}"
    Role = "elb"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "public" {
  for_each = toset(var.kubeapi_access_list)

  security_group_id = aws_security_group.this["public"].id
  description       = "Kubernetes API from ${each.key}"
  ip_protocol       = "tcp"
  from_port         = var.public_port
  to_port           = var.public_port
  cidr_ipv4         = each.key

  tags = {
    Name = "${var.environment}-kubeapi-public-${each.key}"
    Role = "elb"
  }
}

resource "aws_vpc_security_group_ingress_rule" "internal" {
  for_each = toset(var.internal_client_cidrs)

  security_group_id = aws_security_group.this["internal"].id
  description       = "Kubernetes API from ${each.key}"
  ip_protocol       = "tcp"
  from_port         = var.api_port
  to_port           = var.api_port
  cidr_ipv4         = each.key

  tags = {
    Name = "${var.environment}-kubeapi-internal-${each.key}"
    Role = "elb"
  }
}

# Only to the API servers, in the secure layer. Addresses rather than the
# control plane's security group: that group admits these ones, and a
# reference both ways would be a dependency cycle.
resource "aws_vpc_security_group_egress_rule" "backend" {
  for_each = {
    for pair in setproduct(keys(local.lb_names), var.backend_cidrs) :
    "${pair[0]}-${pair[1]}" => { lb = pair[0], cidr = pair[1] }
  }

  security_group_id = aws_security_group.this[each.value.lb].id
  description       = "Kubernetes API servers in ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = var.api_port
  to_port           = var.api_port
  cidr_ipv4         = each.value.cidr

  tags = {
    Name = "${var.environment}-kubeapi-${each.key}"
    Role = "elb"
  }
}

# --- Load balancers ----------------------------------------------------------------

locals {
  # The two load balancers: where they live and what they listen on.
  lbs = {
    public   = { subnets = var.public_subnet_ids, internal = false, lb_port = var.public_port }
    internal = { subnets = var.internal_subnet_ids, internal = true, lb_port = var.api_port }
  }
}

resource "aws_elb" "this" {
  for_each = local.lbs

  name            = local.lb_names[each.key]
  subnets         = each.value.subnets
  security_groups = [aws_security_group.this[each.key].id]
  internal        = each.value.internal

  listener {
    lb_port           = each.value.lb_port
    lb_protocol       = "tcp"
    instance_port     = var.api_port
    instance_protocol = "tcp"
  }

  # Required, not only useful: hashicorp/aws 5.100.0 crashes (nil pointer)
  # reading a classic ELB without a health check from the moto emulator.
  health_check {
    target              = local.health_check.target
    interval            = local.health_check.interval
    timeout             = local.health_check.timeout
    healthy_threshold   = local.health_check.healthy_threshold
    unhealthy_threshold = local.health_check.unhealthy_threshold
  }

  cross_zone_load_balancing = true
  idle_timeout              = var.idle_timeout
  connection_draining       = true
  # 300 s is also the only value the moto emulator keeps (it ignores others:
  # a perpetual diff there).
  connection_draining_timeout = 300

  tags = {
    Name = local.lb_names[each.key]
    Role = "elb"
  }
}

# The two were separate resources before; existing state follows them here.
moved {
  from = aws_elb.public
  to   = aws_elb.this["public"]
}

moved {
  from = aws_elb.internal
  to   = aws_elb.this["internal"]
}
