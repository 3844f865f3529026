// A plan document in Terraform's JSON Output Format (plan representation), written by hand for the
// review tests: a create in the root module, a replace forced by cidr_block, a tag update, a
// phantom policy update (the same JSON reformatted), and the delete of an etcd volume (critical).
export const policy = (action: string, pretty = false) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] }, null, pretty ? 2 : undefined);

export const PLAN = JSON.stringify({
  format_version: '1.2',
  resource_changes: [
    { address: 'aws_s3_bucket.logs', mode: 'managed', type: 'aws_s3_bucket', name: 'logs', change: { actions: ['create'], before: null, after: { bucket: 'logs', tags: null }, after_unknown: { arn: true, id: true }, before_sensitive: false, after_sensitive: {} } },
    { address: 'module.network.aws_subnet.this["a"]', module_address: 'module.network', mode: 'managed', type: 'aws_subnet', name: 'this', action_reason: 'replace_because_cannot_update', change: { actions: ['delete', 'create'], before: { cidr_block: '10.0.1.0/24', id: 'subnet-1', tags: { Name: 'a' } }, after: { cidr_block: '10.9.1.0/24', tags: { Name: 'a' } }, after_unknown: { id: true }, before_sensitive: {}, after_sensitive: {}, replace_paths: [['cidr_block']] } },
    { address: 'module.network.aws_vpc.this', module_address: 'module.network', mode: 'managed', type: 'aws_vpc', name: 'this', change: { actions: ['update'], before: { cidr_block: '10.0.0.0/16', tags: { Name: 'v', Env: 'a' } }, after: { cidr_block: '10.0.0.0/16', tags: { Name: 'v', Env: 'b' } }, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } },
    { address: 'module.iam.aws_iam_role_policy.this', module_address: 'module.iam', mode: 'managed', type: 'aws_iam_role_policy', name: 'this', change: { actions: ['update'], before: { policy: policy('s3:GetObject') }, after: { policy: policy('s3:GetObject', true) }, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } },
    { address: 'module.secure.aws_ebs_volume.etcd["a"]', module_address: 'module.secure', mode: 'managed', type: 'aws_ebs_volume', name: 'etcd', action_reason: 'delete_because_no_resource_config', change: { actions: ['delete'], before: { size: 20, id: 'vol-1' }, after: null, after_unknown: {}, before_sensitive: {}, after_sensitive: false } },
  ],
});

