output "asg" {
  description = "The auto-scaling group (the whole resource: name, sizes, subnets, tags, load balancers)."
  value       = aws_autoscaling_group.this
}

output "launch_template" {
  description = "The launch template (the whole resource: id, instance profile, metadata options, user data)."
  value       = aws_launch_template.this
}
