#!/bin/bash
# Control-plane node bootstrap.
#   platform-bootstrap boot     (cloud-init, once per instance)
#     attach this AZ's free etcd volume and network interface made by
#     Terraform (tags KubernetesCluster, Role = secure), mount the volume on
#     /var/lib/etcd, then either
#       - kubeadm init, when this node wins the init claim (a conditional put
#         in the secrets bucket: only the first writer succeeds), and publish
#         the join material, the admin kubeconfig and the CNI; or
#       - wait for the join material and join as a control-plane node.
#     Then apply the manifests synced from the bucket.
#   platform-bootstrap refresh  (systemd timer, hourly)
#     publish fresh join material (tokens and the certificate key expire),
#     re-apply the manifests.
# A stuck init claim (the first node died during kubeadm init) must be
# removed by hand: s3://$SECRETS_BUCKET/$INIT_CLAIM_KEY.
set -euo pipefail
# shellcheck source=lib.sh
. /usr/local/lib/platform/lib.sh

export KUBECONFIG=/etc/kubernetes/admin.conf

# attach_free volume|interface: prints the id of this node's resource of that
# kind, attaching a free one of its AZ first when it has none. Nodes of one AZ
# may race for the same resource: the loser retries with the next one.
attach_free() {
  local kind=$1 id i
  local filters=("Name=tag:KubernetesCluster,Values=$CLUSTER_NAME" "Name=tag:Role,Values=secure" "Name=availability-zone,Values=$AZ")
  for ((i = 1; i <= 60; i++)); do
    if [[ $kind == volume ]]; then
      id=$(aws ec2 describe-volumes --filters "${filters[@]}" "Name=attachment.instance-id,Values=$INSTANCE_ID" --query 'Volumes[0].VolumeId' --output text)
      if [[ -n $id && $id != None ]]; then echo "$id" && return 0; fi
      id=$(aws ec2 describe-volumes --filters "${filters[@]}" Name=status,Values=available --query 'Volumes[0].VolumeId' --output text)
      if [[ -n $id && $id != None ]] && aws ec2 attach-volume --volume-id "$id" --instance-id "$INSTANCE_ID" --device /dev/xvdf >/dev/null; then
        echo "$id" && return 0
      fi
    else
      id=$(aws ec2 describe-network-interfaces --filters "${filters[@]}" "Name=attachment.instance-id,Values=$INSTANCE_ID" --query 'NetworkInterfaces[0].NetworkInterfaceId' --output text)
      if [[ -n $id && $id != None ]]; then echo "$id" && return 0; fi
      id=$(aws ec2 describe-network-interfaces --filters "${filters[@]}" Name=status,Values=available --query 'NetworkInterfaces[0].NetworkInterfaceId' --output text)
      if [[ -n $id && $id != None ]] && aws ec2 attach-network-interface --network-interface-id "$id" --instance-id "$INSTANCE_ID" --device-index 1 >/dev/null; then
        echo "$id" && return 0
      fi
    fi
    log "no free $kind of $CLUSTER_NAME in $AZ yet; retrying"
    sleep $((5 + RANDOM % 10))
  done
  return 1
}

mount_etcd_volume() {
  local volume_id=$1 dev="" uuid i
  # Nitro instances name EBS devices after the volume id; older ones use the requested name.
  for ((i = 1; i <= 60; i++)); do
    for candidate in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volume_id/-/}" /dev/xvdf; do
      if [[ -b $candidate ]]; then dev=$candidate && break 2; fi
    done
    sleep 2
  done
  [[ -n $dev ]] || die "volume $volume_id did not appear"
  blkid "$dev" >/dev/null || mkfs.ext4 -q -L etcd "$dev"
  uuid=$(blkid -s UUID -o value "$dev")
  mkdir -p /var/lib/etcd
  grep -q "UUID=$uuid" /etc/fstab || echo "UUID=$uuid /var/lib/etcd ext4 defaults,nofail 0 2" >>/etc/fstab
  mountpoint -q /var/lib/etcd || mount /var/lib/etcd
  chmod 0700 /var/lib/etcd
}

# configure_interface ENI_ID: brings the slot's interface up with its address
# and routes traffic from that address back out through it.
configure_interface() {
  local eni=$1 mac cidr gateway i
  mac=$(aws ec2 describe-network-interfaces --network-interface-ids "$eni" --query 'NetworkInterfaces[0].MacAddress' --output text)
  for ((i = 1; i <= 60; i++)); do
    cidr=$(imds "meta-data/network/interfaces/macs/$mac/subnet-ipv4-cidr-block" 2>/dev/null) && break
    sleep 2
  done
  [[ -n ${cidr:-} ]] || die "interface $eni did not appear"
  gateway=$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1])[1])' "$cidr")
  cat >/etc/netplan/60-platform-slot.yaml <<NETPLAN
network:
  version: 2
  ethernets:
    slot:
      match:
        macaddress: "$mac"
      dhcp4: true
      dhcp4-overrides:
        use-routes: false
      routes:
        - { to: 0.0.0.0/0, via: $gateway, table: 100 }
        - { to: $cidr, scope: link, table: 100 }
      routing-policy:
        - { from: $NODE_IP, table: 100 }
NETPLAN
  chmod 0600 /etc/netplan/60-platform-slot.yaml
  netplan apply
}

publish_join_material() {
  local dir join key
  dir=$(mktemp -d)
  join=$(kubeadm token create --print-join-command --ttl "$JOIN_TOKEN_TTL")
  key=$(kubeadm init phase upload-certs --upload-certs 2>/dev/null | tail -n1)
  echo "$join" >"$dir/compute"
  echo "$join --control-plane --certificate-key $key" >"$dir/secure"
  s3_put "$dir/compute" "$JOIN_COMPUTE_KEY"
  s3_put "$dir/secure" "$JOIN_CONTROL_PLANE_KEY"
  rm -rf "$dir"
}

# Fills the kubeconfig template Terraform uploaded (server and names are set;
# the credentials are placeholders) with this cluster's CA and admin
# credentials. Only once: a filled kubeconfig is left alone.
publish_admin_kubeconfig() {
  local dir ca cert key
  dir=$(mktemp -d)
  s3_get "$KUBECONFIG_ADMIN_KEY" "$dir/template"
  if grep -q '@@CLIENT_KEY_DATA@@' "$dir/template"; then
    ca=$(base64 -w0 /etc/kubernetes/pki/ca.crt)
    cert=$(kubectl config view --raw -o jsonpath='{.users[0].user.client-certificate-data}')
    key=$(kubectl config view --raw -o jsonpath='{.users[0].user.client-key-data}')
    sed -e "s|@@CERTIFICATE_AUTHORITY_DATA@@|$ca|" -e "s|@@CLIENT_CERTIFICATE_DATA@@|$cert|" -e "s|@@CLIENT_KEY_DATA@@|$key|" \
      "$dir/template" >"$dir/kubeconfig"
    s3_put "$dir/kubeconfig" "$KUBECONFIG_ADMIN_KEY"
  fi
  rm -rf "$dir"
}

sync_manifests() {
  mkdir -p /etc/platform/manifests
  aws s3 sync --only-show-errors --delete "s3://$SECRETS_BUCKET/$MANIFESTS_PREFIX" /etc/platform/manifests
  if compgen -G '/etc/platform/manifests/*.yaml' >/dev/null; then
    kubectl apply -f /etc/platform/manifests
  fi
}

boot() {
  umask 077
  INSTANCE_ID=$(imds meta-data/instance-id)
  AZ=$(imds meta-data/placement/availability-zone)
  install_aws_cli

  local volume_id eni_id
  volume_id=$(attach_free volume) || die "no free etcd volume of $CLUSTER_NAME in $AZ"
  eni_id=$(attach_free interface) || die "no free network interface of $CLUSTER_NAME in $AZ"
  NODE_IP=$(aws ec2 describe-network-interfaces --network-interface-ids "$eni_id" --query 'NetworkInterfaces[0].PrivateIpAddress' --output text)
  mount_etcd_volume "$volume_id"
  configure_interface "$eni_id"

  install_kubernetes
  # etcdctl for the console's roll (its etcd gate and member removal run it here over SSH).
  retry 5 10 apt-get install -y -q etcd-client
  echo "KUBELET_EXTRA_ARGS=--node-ip=$NODE_IP" >/etc/default/kubelet

  if [[ -s /etc/kubernetes/admin.conf ]]; then
    log "already a control-plane node"
  elif ! s3_exists "$JOIN_CONTROL_PLANE_KEY" &&
    s3_put /etc/hostname "$INIT_CLAIM_KEY" --if-none-match '*' 2>/dev/null; then
    log "initialising $CLUSTER_NAME"
    kubeadm init \
      --control-plane-endpoint "$API_ENDPOINT:$API_PORT" \
      --apiserver-advertise-address "$NODE_IP" \
      --apiserver-cert-extra-sans "$API_SANS" \
      --pod-network-cidr "$POD_NETWORK_CIDR" \
      --upload-certs
    publish_join_material
    publish_admin_kubeconfig
    kubectl apply -f "$CNI_MANIFEST_URL"
  else
    wait_for_object "$JOIN_CONTROL_PLANE_KEY" "$JOIN_WAIT_SECONDS" ||
      die "no join material at s3://$SECRETS_BUCKET/$JOIN_CONTROL_PLANE_KEY after $JOIN_WAIT_SECONDS s"
    if [[ -d /var/lib/etcd/member ]]; then
      # The slot's volume holds a former member's data; that member must have
      # been removed from etcd before this node joins (the console's roll does
      # it before terminating a node; else etcdctl member remove by hand).
      log "moving a former etcd member's data aside"
      mv /var/lib/etcd/member "/var/lib/etcd/member.$(date +%s)"
    fi
    s3_get "$JOIN_CONTROL_PLANE_KEY" /run/platform-join
    run_join /run/platform-join --apiserver-advertise-address "$NODE_IP"
    rm -f /run/platform-join
  fi
  systemctl enable --now platform-refresh.timer
  sync_manifests
  log "$(hostname) is a control-plane node of $CLUSTER_NAME ($NODE_IP)"
}

refresh() {
  [[ -s /etc/kubernetes/admin.conf ]] || exit 0
  publish_join_material
  sync_manifests
}

case "${1:-boot}" in
  boot) boot ;;
  refresh) refresh ;;
  *) die "usage: $0 [boot|refresh]" ;;
esac
