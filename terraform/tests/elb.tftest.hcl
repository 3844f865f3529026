# Plan-level tests of modules/elb, on a mocked provider.

mock_provider "aws" {
  mock_data "aws_elb_hosted_zone_id" {
    defaults = { id = "Z32O12XQLNTSW2" }
  }
}

variables {
  environment           = "elbtest"
  vpc_id                = "vpc-12345678"
  public_subnet_ids     = ["subnet-0000000a", "subnet-0000000b"]
  internal_subnet_ids   = ["subnet-0000000c", "subnet-0000000d"]
  kubeapi_access_list   = ["203.0.113.0/24"]
  internal_client_cidrs = ["10.8.0.0/16"]
  backend_cidrs         = ["10.8.128.0/20", "10.8.144.0/20"]
}

run "public_and_internal_kubeapi" {
  command = plan

  module {
    source = "./modules/elb"
  }

  assert {
    condition = (
      one(aws_elb.this["public"].listener).lb_port == 443 &&
      one(aws_elb.this["public"].listener).instance_port == 6443 &&
      lower(one(aws_elb.this["public"].listener).lb_protocol) == "tcp" &&
      lower(one(aws_elb.this["public"].listener).instance_protocol) == "tcp"
    )
    error_message = "The public kubeapi listener must be 443 -> 6443 over TCP."
  }

  assert {
    condition     = !aws_elb.this["public"].internal && aws_elb.this["internal"].internal
    error_message = "One internet-facing and one internal load balancer."
  }

  assert {
    condition = (
      one(aws_elb.this["internal"].listener).lb_port == 6443 && one(aws_elb.this["internal"].listener).instance_port == 6443
    )
    error_message = "The internal listener must be 6443 -> 6443."
  }

  # hashicorp/aws 5.100.0 crashes reading a classic ELB without a health check from moto.
  assert {
    condition = (
      length(aws_elb.this["public"].health_check) == 1 && length(aws_elb.this["internal"].health_check) == 1 &&
      one(aws_elb.this["public"].health_check).target == "TCP:6443" && one(aws_elb.this["internal"].health_check).target == "TCP:6443"
    )
    error_message = "Both load balancers need a health_check block probing TCP:6443."
  }

  assert {
    condition     = aws_elb.this["public"].subnets == toset(var.public_subnet_ids) && aws_elb.this["internal"].subnets == toset(var.internal_subnet_ids)
    error_message = "The public load balancer lives in the elb layer, the internal one in the secure layer."
  }

  assert {
    condition = (
      toset(keys(aws_vpc_security_group_ingress_rule.public)) == toset(var.kubeapi_access_list) &&
      alltrue([for r in aws_vpc_security_group_ingress_rule.public : r.from_port == 443 && r.to_port == 443])
    )
    error_message = "The public load balancer admits only kubeapi_access_list, on 443."
  }

  assert {
    condition = alltrue([
      for r in aws_vpc_security_group_egress_rule.backend : r.from_port == 6443 && contains(var.backend_cidrs, r.cidr_ipv4)
    ])
    error_message = "The load balancers may only reach the API servers."
  }

  assert {
    condition     = output.public_zone_id == "Z32O12XQLNTSW2" && output.internal_zone_id == "Z32O12XQLNTSW2"
    error_message = "Alias targets use the region's ELB hosted zone."
  }
}

run "long_environment_names_fit" {
  command = plan

  module {
    source = "./modules/elb"
  }

  variables {
    environment = "a-very-long-environment-name-x32"
  }

  assert {
    condition = (
      length(aws_elb.this["public"].name) <= 32 && length(aws_elb.this["internal"].name) <= 32 &&
      aws_elb.this["public"].name != aws_elb.this["internal"].name
    )
    error_message = "Load balancer names must stay within 32 characters and distinct: ${aws_elb.this["public"].name}, ${aws_elb.this["internal"].name}."
  }
}

run "kubeapi_access_list_must_be_cidrs" {
  command = plan

  module {
    source = "./modules/elb"
  }

  variables {
    kubeapi_access_list = ["not-a-cidr"]
  }

  expect_failures = [var.kubeapi_access_list]
}
