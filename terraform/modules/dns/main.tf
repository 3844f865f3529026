# DNS of the environment:
#   public zone   (only when public_zone is set)  kube-ENV.<public zone>  -> public API load balancer
#   private zone  (only when private_zone is set, attached to the VPC)
#                                                 kube-ENV.<private zone> -> internal API load balancer

locals {
  public  = var.public_zone != ""
  private = var.private_zone != ""
}

resource "aws_route53_zone" "public" {
  count = local.public ? 1 : 0

  name    = var.public_zone
  comment = "Public zone of ${var.environment}"
  # Records made outside Terraform (external-dns, certificate validation) do
  # not block a destroy of the environment.
  force_destroy = true

  tags = {
    Name = var.public_zone
    Role = "dns"
  }
}

resource "aws_route53_zone" "private" {
  count = local.private ? 1 : 0

  name          = var.private_zone
  comment       = "Private zone of ${var.environment}"
  force_destroy = true

  vpc {
    vpc_id = var.vpc_id
  }

  tags = {
    Name = var.private_zone
    Role = "dns"
  }

  lifecycle {
    # The moto emulator creates this zone as a public one (it wants
    # HostedZoneConfig.PrivateZone, which AWS infers from the VPC and the
    # provider does not send) and reports no VPC: without this, every plan
    # there would try to associate the VPC, and fail. The zone is instead
    # replaced whenever the VPC changes, which is what a VPC change needs on
    # AWS anyway.
    ignore_changes       = [vpc]
    replace_triggered_by = [terraform_data.private_zone_vpc]
  }
}

# Replaces the private zone when the VPC changes (see its lifecycle).
resource "terraform_data" "private_zone_vpc" {
  count = local.private ? 1 : 0

  triggers_replace = [var.vpc_id]
}

resource "aws_route53_record" "kubeapi_public" {
  count = local.public ? 1 : 0

  zone_id = aws_route53_zone.public[0].zone_id
  name    = "${var.api_record}.${var.public_zone}"
  type    = "A"

  alias {
    name                   = var.public_lb.dns_name
    zone_id                = var.public_lb.zone_id
    evaluate_target_health = false
  }
}

resource "aws_route53_record" "kubeapi_private" {
  count = local.private ? 1 : 0

  zone_id = aws_route53_zone.private[0].zone_id
  name    = "${var.api_record}.${var.private_zone}"
  type    = "A"

  alias {
    name                   = var.internal_lb.dns_name
    zone_id                = var.internal_lb.zone_id
    evaluate_target_health = false
  }
}
