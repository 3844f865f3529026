# Plan-level tests of modules/compute, on a mocked provider.

mock_provider "aws" {}

variables {
  environment               = "computetest"
  tags                      = { Environment = "computetest", KubernetesCluster = "kube-computetest" }
  vpc_id                    = "vpc-12345678"
  subnet_ids                = ["subnet-0000000a", "subnet-0000000b"]
  cluster_cidrs             = ["10.8.128.0/20", "10.8.192.0/20"]
  bastion_security_group_id = "sg-0000000b"
  node_count                = 4
  instance_type             = "t3.large"
  ami_id                    = "ami-12345678"
  instance_profile_name     = "computetest-compute"
  user_data_base64          = "I2Nsb3VkLWNvbmZpZwo="
}

run "workers" {
  command = plan

  module {
    source = "./modules/compute"
  }

  assert {
    condition = (
      module.nodes.asg.desired_capacity == 4 &&
      module.nodes.asg.vpc_zone_identifier == toset(var.subnet_ids)
    )
    error_message = "Workers: node_count instances across the compute subnets."
  }

  assert {
    condition = alltrue([
      for k in ["Environment", "KubernetesCluster", "Name", "Role"] :
      contains([for t in module.nodes.asg.tag : t.key if t.propagate_at_launch], k)
    ])
    error_message = "The group must propagate Environment, KubernetesCluster, Name and Role at launch."
  }

  assert {
    condition     = one([for t in module.nodes.asg.tag : t.value if t.key == "Role"]) == "compute"
    error_message = "Workers are tagged Role = compute."
  }

  assert {
    condition     = module.nodes.launch_template.iam_instance_profile[0].name == "computetest-compute"
    error_message = "Workers run with the compute instance profile."
  }
}

run "no_workers" {
  command = plan

  module {
    source = "./modules/compute"
  }

  variables {
    node_count = 0
  }

  assert {
    condition     = module.nodes.asg.max_size == 0
    error_message = "compute_count 0 gives an empty group."
  }
}
