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
