# Plan-level tests of modules/secure, on a mocked provider.

mock_provider "aws" {}

variables {
  environment        = "securetest"
  tags               = { Environment = "securetest", KubernetesCluster = "kube-securetest" }
  vpc_id             = "vpc-12345678"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  subnet_ids         = ["subnet-0000000a", "subnet-0000000b"]
  cluster_cidrs      = ["10.8.128.0/20", "10.8.144.0/20", "10.8.192.0/20", "10.8.208.0/20"]

  bastion_security_group_id        = "sg-0000000b"
  load_balancer_security_group_ids = { public = "sg-0000000c", internal = "sg-0000000d" }
  load_balancer_names              = ["securetest-kubeapi", "securetest-kubeapi-int"]

  node_count            = 3
  instance_type         = "t3.medium"
  ami_id                = "ami-12345678"
  instance_profile_name = "securetest-secure"
  user_data_base64      = "I2Nsb3VkLWNvbmZpZwo="
}

run "a_volume_and_an_interface_per_slot_in_its_az" {
  command = plan

  module {
    source = "./modules/secure"
  }

  # 3 nodes over 2 AZs: the group may put two in either AZ, so each AZ has two slots.
  assert {
    condition     = length(aws_ebs_volume.etcd) == 4 && length(aws_network_interface.this) == 4
    error_message = "Each AZ needs ceil(3 / 2) = 2 slots of an etcd volume and a network interface."
  }

  assert {
    condition = (
      [for k in ["0", "1", "2", "3"] : aws_ebs_volume.etcd[k].availability_zone] == ["eu-west-1a", "eu-west-1b", "eu-west-1a", "eu-west-1b"] &&
      [for k in ["0", "1", "2", "3"] : aws_network_interface.this[k].subnet_id] == ["subnet-0000000a", "subnet-0000000b", "subnet-0000000a", "subnet-0000000b"]
    )
    error_message = "Slots go round-robin over the AZs, each slot's volume and interface in the same AZ."
  }

  # The nodes find them by these tags, and their role may attach only what carries them.
  assert {
    condition = alltrue(concat(
      [for k, v in aws_ebs_volume.etcd : v.tags["Role"] == "secure" && v.tags["Slot"] == k],
      [for k, n in aws_network_interface.this : n.tags["Role"] == "secure" && n.tags["Slot"] == k],
    ))
    error_message = "Volumes and interfaces must be tagged Role = secure and Slot."
  }

  assert {
    condition     = alltrue([for v in aws_ebs_volume.etcd : v.encrypted])
    error_message = "etcd volumes must be encrypted."
  }

  assert {
    condition = (
      module.nodes.asg.min_size == 3 && module.nodes.asg.max_size == 3 &&
      module.nodes.asg.desired_capacity == 3 &&
      module.nodes.asg.vpc_zone_identifier == toset(var.subnet_ids)
    )
    error_message = "The group spans the secure subnets with exactly node_count nodes."
  }

  assert {
    condition     = module.nodes.asg.load_balancers == toset(var.load_balancer_names)
    error_message = "The nodes register with both API load balancers."
  }

  assert {
    condition = alltrue([
      for k in ["Environment", "KubernetesCluster", "Name", "Role"] :
      contains([for t in module.nodes.asg.tag : t.key if t.propagate_at_launch], k)
    ])
    error_message = "The group must propagate Environment, KubernetesCluster, Name and Role at launch."
  }

  assert {
    condition = (
      module.nodes.launch_template.metadata_options[0].http_tokens == "required" &&
      module.nodes.launch_template.iam_instance_profile[0].name == "securetest-secure" &&
      module.nodes.launch_template.user_data == var.user_data_base64
    )
    error_message = "The launch template needs IMDSv2, the instance profile and the user data."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.ssh_from_bastion.referenced_security_group_id == "sg-0000000b" &&
      aws_vpc_security_group_ingress_rule.api_from_lb["public"].from_port == 6443
    )
    error_message = "SSH only from the bastion, the API from the load balancers."
  }
}

run "one_node_still_has_a_slot_in_every_az" {
  command = plan

  module {
    source = "./modules/secure"
  }

  variables {
    node_count = 1
  }

  assert {
    condition     = output.slot_zones == { "0" = "eu-west-1a", "1" = "eu-west-1b" }
    error_message = "The group may start its one node in either AZ: a slot in each."
  }
}

run "node_count_out_of_range" {
  command = plan

  module {
    source = "./modules/secure"
  }

  variables {
    node_count = 10
  }

  expect_failures = [var.node_count]
}
