output "secure_user_data" {
  description = "cloud-config of the control-plane nodes, as rendered."
  value       = local.user_data.secure
}

output "compute_user_data" {
  description = "cloud-config of the workers, as rendered."
  value       = local.user_data.compute
}

# gzip: the scripts make the documents larger than the 16 KiB EC2 allows for
# user data; cloud-init unpacks gzip'd user data by itself. gzip here is
# deterministic, so the launch templates do not change from plan to plan.
output "secure_user_data_base64" {
  description = "cloud-config of the control-plane nodes, gzip'd and base64-encoded for the launch template."
  value       = base64gzip(local.user_data.secure)
}

output "compute_user_data_base64" {
  description = "cloud-config of the workers, gzip'd and base64-encoded for the launch template."
  value       = base64gzip(local.user_data.compute)
}

output "settings" {
  description = "The settings written to /etc/platform/bootstrap.env on every node."
  value       = local.settings
}
