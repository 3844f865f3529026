output "role_arns" {
  description = "Role ARNs by layer (secure, compute)."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "role_names" {
  description = "Role names by layer (secure, compute)."
  value       = { for k, r in aws_iam_role.this : k => r.name }
}

output "instance_profile_arns" {
  description = "Instance profile ARNs by layer (secure, compute), for the launch templates."
  value       = { for k, p in aws_iam_instance_profile.this : k => p.arn }
}

output "instance_profile_names" {
  description = "Instance profile names by layer (secure, compute)."
  value       = { for k, p in aws_iam_instance_profile.this : k => p.name }
}

output "policies" {
  description = "The inline policy documents (JSON) by layer, as attached."
  value       = local.roles
}
