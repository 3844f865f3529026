#!/bin/bash
# Worker bootstrap (cloud-init runs it once per instance): install the
# Kubernetes packages, wait for the join material the control plane writes
# to the secrets bucket, join.
set -euo pipefail
# shellcheck source=lib.sh
. /usr/local/lib/platform/lib.sh

install_aws_cli
install_kubernetes

if [[ -s /etc/kubernetes/kubelet.conf ]]; then
  log "already joined"
  exit 0
fi

wait_for_object "$JOIN_COMPUTE_KEY" "$JOIN_WAIT_SECONDS" ||
  die "no join material at s3://$SECRETS_BUCKET/$JOIN_COMPUTE_KEY after $JOIN_WAIT_SECONDS s: is the control plane up?"
umask 077
s3_get "$JOIN_COMPUTE_KEY" /run/platform-join
run_join /run/platform-join
rm -f /run/platform-join
log "joined $CLUSTER_NAME as a worker"
