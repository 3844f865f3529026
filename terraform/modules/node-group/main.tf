# A group of Kubernetes nodes: one launch template and one auto-scaling group
# across the given subnets. The compute layer (workers) and the secure layer
# (control plane) are each one of these, with their own security group, role,
# user data and load balancers.

resource "aws_launch_template" "this" {
  name = var.name
  # The hash of the launch tags makes a tag change a new template version
  # (see ignore_changes below).
  description = "${var.description} (launch tags ${substr(sha1(jsonencode(var.launch_tags)), 0, 8)})"

  image_id               = var.ami_id
  instance_type          = var.instance_type
  key_name               = var.key_name
  vpc_security_group_ids = var.security_group_ids
  user_data              = var.user_data_base64
  update_default_version = true

  iam_instance_profile {
    name = var.instance_profile_name
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # Containers on the node (the CNI, cloud tooling) reach the instance's
    # metadata through one more hop.
    http_put_response_hop_limit = 2
  }

  block_device_mappings {
    device_name = var.root_device_name

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = var.launch_tags.instance
  }

  tag_specifications {
    resource_type = "volume"
    tags          = var.launch_tags.volume
  }

  tags = var.tags

  lifecycle {
    # The moto emulator copies the template's own tags into its launch data
    # as a "launch-template" tag specification (which AWS does not even
    # accept there): a perpetual diff. Ignored here; a real change of the
    # launch tags still reaches the template, through the description.
    ignore_changes = [tag_specifications]
  }
}

resource "aws_autoscaling_group" "this" {
  name                = var.name
  vpc_zone_identifier = var.subnet_ids
  min_size            = var.node_count
  max_size            = var.node_count
  desired_capacity    = var.node_count

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  load_balancers = var.load_balancer_names

  # EC2 checks only: a node whose kubelet or API server is slow to come up
  # must not be replaced for it.
  health_check_type         = "EC2"
  health_check_grace_period = var.health_check_grace_period

  wait_for_capacity_timeout = var.wait_for_capacity_timeout

  dynamic "tag" {
    for_each = var.launch_tags.instance

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}
