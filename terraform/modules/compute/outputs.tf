output "asg_name" {
  description = "Name of the workers' auto-scaling group."
  value       = module.nodes.asg.name
}

output "security_group_id" {
  description = "Security group of the workers."
  value       = aws_security_group.this.id
}

output "launch_template_id" {
  description = "Launch template of the workers."
  value       = module.nodes.launch_template.id
}
