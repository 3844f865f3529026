# Tests of modules/bootstrap: the rendered cloud-init user data (no resources;
# the nodes that run it do not exist in tests).

mock_provider "aws" {}

variables {
  cluster_name       = "kube-boottest"
  region             = "eu-west-1"
  bucket_name        = "kube-boottest-secrets-123456789012"
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  kubernetes_version = "1.32"
  api_endpoint       = "kube-boottest.boottest.internal"
  api_sans           = ["kube-boottest.example.com", "kube-boottest.boottest.internal"]
  keys = {
    join_control_plane = "secrets/secure/join-control-plane"
    join_compute       = "secrets/compute/join"
    init_claim         = "secrets/secure/init-claim"
    kubeconfig_admin   = "secrets/secure/kubeconfig_admin"
    manifests_prefix   = "manifests/"
  }
  object_tags = {
    Role        = "secrets"
    Environment = "boot test"
    ManagedBy   = "platform-console"
  }
}

run "cloud_config" {
  command = plan

  module {
    source = "./modules/bootstrap"
  }

  assert {
    condition = alltrue([
      for u in [output.secure_user_data, output.compute_user_data] :
      startswith(u, "#cloud-config\n") && can(yamldecode(u))
    ])
    error_message = "Both user data documents must be cloud-config YAML."
  }

  assert {
    condition = alltrue([
      for u in [output.secure_user_data, output.compute_user_data] :
      strcontains(u, "SECRETS_BUCKET='kube-boottest-secrets-123456789012'") &&
      strcontains(u, "JOIN_COMPUTE_KEY='secrets/compute/join'") &&
      strcontains(u, "KUBERNETES_VERSION='1.32'")
    ])
    error_message = "Every node's settings name the secrets bucket, the join path and the Kubernetes version."
  }

  assert {
    condition = (
      strcontains(output.secure_user_data, "JOIN_CONTROL_PLANE_KEY='secrets/secure/join-control-plane'") &&
      strcontains(output.secure_user_data, "kubeadm init") &&
      strcontains(output.secure_user_data, "publish_join_material") &&
      strcontains(output.secure_user_data, "API_ENDPOINT='kube-boottest.boottest.internal'")
    )
    error_message = "The control plane initialises the cluster and publishes the join material."
  }

  assert {
    condition = (
      strcontains(output.compute_user_data, "run_join /run/platform-join") &&
      !strcontains(output.compute_user_data, "kubeadm init")
    )
    error_message = "Workers only join."
  }

  assert {
    condition = (
      [for f in yamldecode(output.secure_user_data).write_files : f.path if f.path == "/usr/local/sbin/platform-bootstrap"] == ["/usr/local/sbin/platform-bootstrap"] &&
      startswith(one([for f in yamldecode(output.secure_user_data).write_files : f.content if f.path == "/usr/local/sbin/platform-bootstrap"]), "#!/bin/bash\n") &&
      yamldecode(output.secure_user_data).runcmd[1] == ["/usr/local/sbin/platform-bootstrap", "boot"] &&
      yamldecode(output.compute_user_data).runcmd[0] == ["/usr/local/sbin/platform-bootstrap"]
    )
    error_message = "cloud-init writes the bootstrap script and runs it."
  }

  # The nodes upload what they write to the secrets bucket with Terraform's
  # tags (sorted, URL-encoded, Name added by the script) and content type,
  # with s3_put only (never aws s3 cp, which drops both).
  assert {
    condition = alltrue([
      for u in [output.secure_user_data, output.compute_user_data] :
      strcontains(u, "OBJECT_TAGGING='Environment=boot+test&ManagedBy=platform-console&Role=secrets'") &&
      strcontains(u, "KUBECONFIG_ADMIN_CONTENT_TYPE='application/yaml'") &&
      strcontains(u, "--content-type \"$(s3_content_type \"$key\")\" --tagging \"$(s3_tagging \"$key\")\"") &&
      length(regexall("aws s3 cp [^\n]*s3://\\$SECRETS_BUCKET/\\$2", u)) == 0
    ])
    error_message = "The nodes' uploads must carry the content type and the tags of Terraform's objects."
  }

  assert {
    condition = (
      strcontains(output.secure_user_data, "s3_put /etc/hostname \"$INIT_CLAIM_KEY\" --if-none-match '*'") &&
      length(regexall("s3_put \"\\$dir/[a-z]+\" \"\\$(JOIN_COMPUTE_KEY|JOIN_CONTROL_PLANE_KEY|KUBECONFIG_ADMIN_KEY)\"", output.secure_user_data)) == 3
    )
    error_message = "The control plane writes the init claim, both join materials and the admin kubeconfig through s3_put."
  }

  # EC2 takes at most 16 KiB of user data (before base64): the documents go gzip'd.
  assert {
    condition = (
      length(output.secure_user_data_base64) <= 21848 && length(output.compute_user_data_base64) <= 21848 &&
      startswith(output.secure_user_data_base64, "H4sI") && startswith(output.compute_user_data_base64, "H4sI")
    )
    error_message = "The user data must be gzip'd and fit in 16 KiB."
  }
}

run "object_tags_without_name" {
  command = plan

  module {
    source = "./modules/bootstrap"
  }

  variables {
    object_tags = { Name = "mine" }
  }

  expect_failures = [var.object_tags]
}
