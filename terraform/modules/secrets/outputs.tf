output "bucket" {
  description = "Name of the secrets bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the secrets bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the bucket."
  value       = data.aws_kms_key.this.arn
}

output "kubeconfig_admin_key" {
  description = "Key of the admin kubeconfig in the bucket."
  value       = aws_s3_object.kubeconfig_admin.key
}

output "manifest_keys" {
  description = "Keys of the manifests in the bucket."
  value       = sort(keys(aws_s3_object.manifest))
}

output "object_tags" {
  description = "Tags of the bucket's objects besides Name (their key) and the provider's default tags: the nodes tag what they upload with them too."
  value       = local.object_tags
}

output "kubeconfig_admin_content_type" {
  description = "Content type of the admin kubeconfig: the node that fills it in uploads it with the same one."
  value       = local.kubeconfig_admin_content_type
}
