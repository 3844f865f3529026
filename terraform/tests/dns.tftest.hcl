# Plan-level tests of modules/dns, on a mocked provider.

mock_provider "aws" {}

variables {
  environment  = "dnstest"
  vpc_id       = "vpc-12345678"
  public_zone  = "dnstest.example.com"
  private_zone = "dnstest.internal"
  api_record   = "kube-dnstest"
  public_lb    = { dns_name = "dnstest-kubeapi-1.eu-west-1.elb.amazonaws.com", zone_id = "Z32O12XQLNTSW2" }
  internal_lb  = { dns_name = "internal-dnstest-kubeapi-int-1.eu-west-1.elb.amazonaws.com", zone_id = "Z32O12XQLNTSW2" }
}

run "public_and_private" {
  command = plan

  module {
    source = "./modules/dns"
  }

  assert {
    condition = (
      length(aws_route53_zone.public) == 1 && length(aws_route53_zone.private) == 1 &&
      one(aws_route53_zone.private[0].vpc).vpc_id == "vpc-12345678" && length(aws_route53_zone.public[0].vpc) == 0
    )
    error_message = "A public zone, and a private one attached to the VPC."
  }

  assert {
    condition = (
      aws_route53_record.kubeapi_public[0].name == "kube-dnstest.dnstest.example.com" &&
      one(aws_route53_record.kubeapi_public[0].alias).name == var.public_lb.dns_name &&
      aws_route53_record.kubeapi_private[0].name == "kube-dnstest.dnstest.internal" &&
      one(aws_route53_record.kubeapi_private[0].alias).name == var.internal_lb.dns_name
    )
    error_message = "kube-ENV aliases the public load balancer publicly and the internal one privately."
  }

  assert {
    condition     = output.kubeapi_public_name == "kube-dnstest.dnstest.example.com"
    error_message = "The public API name is known at plan."
  }
}

run "no_public_zone" {
  command = plan

  module {
    source = "./modules/dns"
  }

  variables {
    public_zone = ""
  }

  assert {
    condition     = length(aws_route53_zone.public) == 0 && length(aws_route53_record.kubeapi_public) == 0 && output.public_name_servers == [] && output.kubeapi_public_name == null
    error_message = "No public zone, record or name servers when public_zone is empty."
  }
}
