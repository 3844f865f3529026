# One VPC with four subnet layers per availability zone:
#   mgmt    public   bastion
#   elb     public   internet-facing load balancers, NAT gateways
#   secure  private  Kubernetes control plane and etcd
#   compute private  Kubernetes workers
# Private layers reach the internet through the NAT gateway of their own AZ.

locals {
  # A layer's position picks its quarter of the VPC range: never reorder.
  # The four layers fill the range.
  layers = ["mgmt", "elb", "secure", "compute"]

  public_layers = ["mgmt", "elb"]
  nat_layer     = "elb"

  # Instances launched into these layers get a public IP (the bastion);
  # load balancers in the elb layer bring their own addresses.
  public_ip_layers = ["mgmt"]

  # Capped so that a region with too few zones fails on the VPC's
  # precondition, with a message, rather than inside slice().
  azs = slice(
    data.aws_availability_zones.available.names, 0,
    min(var.az_count, length(data.aws_availability_zones.available.names)),
  )

  # The VPC range is cut into 16 equal blocks (newbits 4): block
  # layer_index * 4 + az_index, leaving one spare block per layer for a
  # fourth AZ.
  subnets = {
    for pair in setproduct(range(length(local.layers)), range(length(local.azs))) :
    "${local.layers[pair[0]]}-${local.azs[pair[1]]}" => {
      layer = local.layers[pair[0]]
      az    = local.azs[pair[1]]
      cidr  = cidrsubnet(var.vpc_cidr, 4, pair[0] * 4 + pair[1])
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"

  # Local Zones and Wavelength Zones have their own rules; keep to the region.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = "${var.environment}-vpc"
    Role = "network"
  }

  lifecycle {
    precondition {
      condition     = length(data.aws_availability_zones.available.names) >= var.az_count
      error_message = "The region has fewer available zones than az_count."
    }
  }
}

resource "aws_subnet" "this" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.value.az
  cidr_block              = each.value.cidr
  map_public_ip_on_launch = contains(local.public_ip_layers, each.value.layer)

  tags = {
    Name  = "${var.environment}-${each.key}"
    Role  = "network"
    Layer = each.value.layer
  }
}

# --- Public layers ---------------------------------------------------------------

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = "${var.environment}-igw"
    Role = "network"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name  = "${var.environment}-public"
    Role  = "network"
    Layer = join(",", local.public_layers)
  }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = { for k, s in local.subnets : k => s if contains(local.public_layers, s.layer) }

  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = aws_route_table.public.id
}

# --- NAT, one per AZ ---------------------------------------------------------------

resource "aws_eip" "nat" {
  for_each = toset(local.azs)

  domain = "vpc"

  tags = {
    Name = "${var.environment}-nat-${each.key}"
    Role = "network"
  }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.azs)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.this["${local.nat_layer}-${each.key}"].id

  tags = {
    Name = "${var.environment}-nat-${each.key}"
    Role = "network"
  }

  depends_on = [aws_internet_gateway.this]
}

# --- Private layers ----------------------------------------------------------------

resource "aws_route_table" "private" {
  for_each = toset(local.azs)

  vpc_id = aws_vpc.this.id

  tags = {
    Name  = "${var.environment}-private-${each.key}"
    Role  = "network"
    Layer = "secure,compute"
  }
}

resource "aws_route" "private_nat" {
  for_each = toset(local.azs)

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.key].id
}

resource "aws_route_table_association" "private" {
  for_each = { for k, s in local.subnets : k => s if !contains(local.public_layers, s.layer) }

  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = aws_route_table.private[each.value.az].id
}
