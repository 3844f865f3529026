#!/bin/bash
# Shared by the control plane's and the workers' bootstrap. Sourced, not run.
# Settings come from /etc/platform/bootstrap.env, which cloud-init writes from
# the values Terraform rendered into the user data (modules/bootstrap).
set -euo pipefail

# PLATFORM_BOOTSTRAP_ENV names another settings file (the tests run these
# functions off a node).
# shellcheck source=/dev/null
. "${PLATFORM_BOOTSTRAP_ENV:-/etc/platform/bootstrap.env}"
export AWS_DEFAULT_REGION="$AWS_REGION"

log() { echo "platform-bootstrap: $*" >&2; }
die() {
  log "FATAL: $*"
  exit 1
}

# retry TRIES PAUSE COMMAND...: runs COMMAND until it succeeds, at most TRIES times.
retry() {
  local tries=$1 pause=$2 i
  shift 2
  for ((i = 1; i <= tries; i++)); do
    if "$@"; then return 0; fi
    log "attempt $i/$tries failed: $*"
    sleep "$pause"
  done
  return 1
}

# imds PATH: instance metadata, IMDSv2 only (the launch templates require tokens).
imds() {
  local token
  token=$(curl -sSf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
  curl -sSf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$1"
}

install_aws_cli() {
  command -v aws >/dev/null 2>&1 && return 0
  retry 10 10 snap install aws-cli --classic
}

s3_exists() { aws s3api head-object --bucket "$SECRETS_BUCKET" --key "$1" >/dev/null 2>&1; }
s3_get() { aws s3 cp --only-show-errors "s3://$SECRETS_BUCKET/$1" "$2"; }

# s3_tagging KEY: the tags of an object the nodes upload, as S3's x-amz-tagging
# query string: the ones Terraform gives the bucket's objects (OBJECT_TAGGING,
# URL-encoded by Terraform) and Name = KEY (keys are [a-z0-9_-/]: only / needs
# encoding).
s3_tagging() { printf '%sName=%s' "${OBJECT_TAGGING:+$OBJECT_TAGGING&}" "${1//\//%2F}"; }

# s3_content_type KEY: the admin kubeconfig keeps the content type of the
# template Terraform uploaded; the join material and the init claim are text.
s3_content_type() {
  if [[ $1 == "$KUBECONFIG_ADMIN_KEY" ]]; then
    echo "${KUBECONFIG_ADMIN_CONTENT_TYPE:-application/yaml}"
  else
    echo text/plain
  fi
}

# s3_put FILE KEY [PUT-OBJECT OPTIONS...]: uploads FILE as KEY in one
# PutObject. Every upload asks for SSE-KMS with the environment's key (the
# bucket policy refuses anything else) and carries the content type and the
# tags Terraform gives the bucket's objects (aws s3 cp would drop both).
s3_put() {
  local file=$1 key=$2
  shift 2
  aws s3api put-object --bucket "$SECRETS_BUCKET" --key "$key" --body "$file" \
    --content-type "$(s3_content_type "$key")" --tagging "$(s3_tagging "$key")" \
    --server-side-encryption aws:kms --ssekms-key-id "$KMS_KEY_ARN" "$@" >/dev/null
}

# wait_for_object KEY SECONDS
wait_for_object() {
  local deadline=$((SECONDS + $2))
  until s3_exists "$1"; do
    ((SECONDS < deadline)) || return 1
    log "waiting for s3://$SECRETS_BUCKET/$1"
    sleep 15
  done
}

# containerd from Ubuntu, kubelet/kubeadm/kubectl from the pkgs.k8s.io channel of KUBERNETES_VERSION.
install_kubernetes() {
  export DEBIAN_FRONTEND=noninteractive
  swapoff -a
  printf 'overlay\nbr_netfilter\n' >/etc/modules-load.d/kubernetes.conf
  modprobe overlay
  modprobe br_netfilter
  printf '%s\n' 'net.bridge.bridge-nf-call-iptables = 1' 'net.bridge.bridge-nf-call-ip6tables = 1' 'net.ipv4.ip_forward = 1' >/etc/sysctl.d/90-kubernetes.conf
  sysctl --system >/dev/null
  retry 10 10 apt-get update -q
  retry 5 10 apt-get install -y -q containerd apt-transport-https ca-certificates curl gpg
  mkdir -p /etc/containerd
  containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' >/etc/containerd/config.toml
  systemctl restart containerd
  install -d -m 0755 /etc/apt/keyrings
  retry 5 10 curl -fsSL -o /tmp/kubernetes-release.key "https://pkgs.k8s.io/core:/stable:/v$KUBERNETES_VERSION/deb/Release.key"
  gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg /tmp/kubernetes-release.key
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v$KUBERNETES_VERSION/deb/ /" >/etc/apt/sources.list.d/kubernetes.list
  retry 10 10 apt-get update -q
  retry 5 10 apt-get install -y -q kubelet kubeadm kubectl
  apt-mark hold kubelet kubeadm kubectl
  systemctl enable kubelet
}

# run_join FILE [ARGS...]: runs the join command in FILE (written by the first
# control-plane node), after checking it is exactly a kubeadm join: text read
# from the bucket is never run as a script.
run_join() {
  local file=$1 line words
  shift
  line=$(head -n1 "$file")
  [[ $line =~ ^kubeadm\ join\ [A-Za-z0-9.-]+:[0-9]+\ --token\ [a-z0-9]{6}\.[a-z0-9]{16}\ --discovery-token-ca-cert-hash\ sha256:[0-9a-f]{64}(\ --control-plane\ --certificate-key\ [0-9a-f]{64})?\ *$ ]] ||
    die "unexpected join material in s3://$SECRETS_BUCKET (not a kubeadm join command)"
  read -r -a words <<<"$line"
  "${words[@]}" "$@"
}
