output "id" {
  description = "The AMI id: ami_id when given, else the lookup's result."
  value       = local.lookup ? data.aws_ami.this[0].id : var.ami_id
}
