output "public_zone_id" {
  description = "Id of the public zone, or null."
  value       = one(aws_route53_zone.public[*].zone_id)
}

output "public_name_servers" {
  description = "Name servers of the public zone (delegate the zone to them); empty without a public zone."
  value       = local.public ? aws_route53_zone.public[0].name_servers : []
}

output "private_zone_id" {
  description = "Id of the private zone, or null."
  value       = one(aws_route53_zone.private[*].zone_id)
}

# Names rather than the records' fqdn attributes: known at plan, so the nodes'
# user data and the certificates' names do not wait for the records.
output "kubeapi_public_name" {
  description = "Public DNS name of the Kubernetes API (kube-ENV.<public zone>), or null without a public zone."
  value       = local.public ? "${var.api_record}.${var.public_zone}" : null

  # Whoever uses the name (the nodes) comes after the record.
  depends_on = [aws_route53_record.kubeapi_public]
}

output "kubeapi_private_name" {
  description = "Private DNS name of the Kubernetes API (kube-ENV.<private zone>), or null without a private zone."
  value       = local.private ? "${var.api_record}.${var.private_zone}" : null

  depends_on = [aws_route53_record.kubeapi_private]
}
