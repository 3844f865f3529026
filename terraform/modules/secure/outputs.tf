output "asg_name" {
  description = "Name of the control plane's auto-scaling group."
  value       = module.nodes.asg.name
}

output "security_group_id" {
  description = "Security group of the control-plane nodes."
  value       = aws_security_group.this.id
}

output "launch_template_id" {
  description = "Launch template of the control-plane nodes."
  value       = module.nodes.launch_template.id
}

output "etcd_volume_ids" {
  description = "etcd volumes by slot."
  value       = { for k, v in aws_ebs_volume.etcd : k => v.id }
}

output "network_interface_ids" {
  description = "Stable network interfaces by slot."
  value       = { for k, n in aws_network_interface.this : k => n.id }
}

output "private_ips" {
  description = "Stable private addresses of the control-plane slots (their network interfaces), by slot."
  value       = { for k, n in aws_network_interface.this : k => n.private_ip }
}

output "slot_zones" {
  description = "Availability zone of each slot."
  value       = { for k, s in local.slots : k => s.az }
}
