output "public_name" {
  description = "Name of the internet-facing API load balancer."
  value       = aws_elb.this["public"].name
}

output "public_dns_name" {
  description = "DNS name of the internet-facing API load balancer."
  value       = aws_elb.this["public"].dns_name
}

output "public_zone_id" {
  description = "Route53 zone of the internet-facing load balancer's DNS name, for alias records."
  value       = data.aws_elb_hosted_zone_id.this.id
}

output "internal_name" {
  description = "Name of the internal API load balancer."
  value       = aws_elb.this["internal"].name
}

output "internal_dns_name" {
  description = "DNS name of the internal API load balancer."
  value       = aws_elb.this["internal"].dns_name
}

output "internal_zone_id" {
  description = "Route53 zone of the internal load balancer's DNS name, for alias records."
  value       = data.aws_elb_hosted_zone_id.this.id
}

output "names" {
  description = "Names of both load balancers, for the control plane's auto-scaling group."
  value       = [aws_elb.this["public"].name, aws_elb.this["internal"].name]
}

output "security_group_ids" {
  description = "Security groups of the load balancers by kind (public, internal); the control plane admits them on the API port."
  value       = { for k, sg in aws_security_group.this : k => sg.id }
}

output "api_port" {
  description = "Port of kube-apiserver behind the load balancers."
  value       = var.api_port
}

output "public_port" {
  description = "Port of the public listener."
  value       = var.public_port
}
