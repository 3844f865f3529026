# Plan-level tests of modules/network, on a mocked provider.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
}

variables {
  environment = "nettest"
  vpc_cidr    = "10.8.0.0/16"
  az_count    = 3
}

run "four_layers_per_az" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_subnet.this) == 12
    error_message = "Expected 4 layers x 3 AZs = 12 subnets, got ${length(aws_subnet.this)}."
  }

  assert {
    condition     = aws_subnet.this["secure-eu-west-1b"].cidr_block == "10.8.144.0/20" && aws_subnet.this["mgmt-eu-west-1a"].cidr_block == "10.8.0.0/20"
    error_message = "Subnets are not cut layer by layer from the VPC range."
  }

  assert {
    condition = alltrue([
      for k, s in aws_subnet.this : s.map_public_ip_on_launch == (s.tags["Layer"] == "mgmt")
    ])
    error_message = "Only the mgmt layer may map public IPs on launch."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_route_table.private) == 3
    error_message = "Expected one NAT gateway and one private route table per AZ."
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.destination_cidr_block == "0.0.0.0/0" && r.gateway_id == null])
    error_message = "The private layers must leave only through a NAT gateway, never an internet gateway."
  }

  assert {
    condition = (
      length(aws_route_table_association.private) == 6 &&
      alltrue([for k, a in aws_route_table_association.private : startswith(k, "secure-") || startswith(k, "compute-")])
    )
    error_message = "Exactly the secure and compute subnets must use the private route tables."
  }

  assert {
    condition = (
      length(aws_route_table_association.public) == 6 &&
      alltrue([for k, a in aws_route_table_association.public : startswith(k, "mgmt-") || startswith(k, "elb-")])
    )
    error_message = "Exactly the mgmt and elb subnets must use the public route table."
  }

  assert {
    condition     = aws_vpc.this.tags["Role"] == "network" && aws_vpc.this.tags["Name"] == "nettest-vpc"
    error_message = "The VPC lacks its Name or Role tag."
  }
}

run "one_az" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    az_count = 1
  }

  assert {
    condition     = length(aws_subnet.this) == 4 && output.availability_zones == tolist(["eu-west-1a"])
    error_message = "One AZ must give one subnet per layer."
  }
}

run "az_count_out_of_range" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    az_count = 4
  }

  expect_failures = [var.az_count]
}
