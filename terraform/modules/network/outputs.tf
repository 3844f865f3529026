output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones in use, in subnet order."
  value       = local.azs
}

output "subnet_ids" {
  description = "Subnet ids by layer (mgmt, elb, secure, compute), one per AZ in availability_zones order."
  value = {
    for layer in local.layers :
    layer => [for az in local.azs : aws_subnet.this["${layer}-${az}"].id]
  }
}

output "subnet_cidrs" {
  description = "Subnet CIDR blocks by layer, one per AZ in availability_zones order."
  value = {
    for layer in local.layers :
    layer => [for az in local.azs : aws_subnet.this["${layer}-${az}"].cidr_block]
  }
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (the environment's egress addresses), by AZ."
  value       = { for az, eip in aws_eip.nat : az => eip.public_ip }
}

output "public_route_table_id" {
  description = "Route table of the public layers."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Route tables of the private layers, by AZ."
  value       = { for az, rt in aws_route_table.private : az => rt.id }
}
