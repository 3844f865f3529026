output "instance_id" {
  description = "Instance id of the bastion."
  value       = aws_instance.this.id
}

output "public_ip" {
  description = "Public IP of the bastion."
  value       = aws_instance.this.public_ip
}

output "private_ip" {
  description = "Private IP of the bastion."
  value       = aws_instance.this.private_ip
}

output "security_group_id" {
  description = "Security group of the bastion; the private layers admit SSH from it."
  value       = aws_security_group.this.id
}

output "ami_id" {
  description = "AMI the bastion was created from."
  value       = aws_instance.this.ami
}

output "key_name" {
  description = "Name of the bastion's EC2 key pair, or null when none was given."
  value       = one(aws_key_pair.this[*].key_name)
}
