/**
 * What is left in a benchmark's private emulator: EC2 instances (not terminated), VPCs (not the
 * default one) and S3 buckets (not the state bucket), each attributed to an environment by its
 * `Environment` tag (the provider's default_tags) or, for buckets, by the secrets bucket's name
 * `kube-ENV-secrets-ACCOUNT`. Anything that cannot be attributed counts under "(other)".
 * Listed with the AWS SDK v3 clients the console itself uses, pointed at the emulator.
 */
import { DescribeInstancesCommand, DescribeVpcsCommand, EC2Client, type DescribeInstancesCommandOutput, type DescribeVpcsCommandOutput, type Tag } from '@aws-sdk/client-ec2';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

/** Counts of one environment (or "(other)"). */
export interface Holdings {
  instances: string[];
  vpcs: string[];
  buckets: string[];
}

export const OTHER = '(other)';

function envTag(tags: Tag[] | undefined): string | undefined {
  return tags?.find((t) => t.Key === 'Environment')?.Value;
}

/**
 * Lists the emulator's instances, VPCs and buckets by environment. Every name in `envs` gets an
 * entry (possibly empty), plus {@link OTHER} for what belongs to none of them.
 */
export async function inventory(o: { endpoint: string; region: string; stateBucket: string; envs: readonly string[] }): Promise<Map<string, Holdings>> {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const ec2 = new EC2Client({ region: o.region, endpoint: o.endpoint, credentials, maxAttempts: 2 });
  const s3 = new S3Client({ region: o.region, endpoint: o.endpoint, credentials, forcePathStyle: true, maxAttempts: 2 });
  const out = new Map<string, Holdings>();
  const of = (env: string | undefined): Holdings => {
    const key = env !== undefined && o.envs.includes(env) ? env : OTHER;
    let h = out.get(key);
    if (!h) out.set(key, (h = { instances: [], vpcs: [], buckets: [] }));
    return h;
  };
  for (const e of [...o.envs, OTHER]) of(e === OTHER ? undefined : e);
  try {
    let token: string | undefined;
    do {
      const r: DescribeInstancesCommandOutput = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] }],
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const res of r.Reservations ?? []) for (const i of res.Instances ?? []) of(envTag(i.Tags)).instances.push(i.InstanceId ?? '?');
      token = r.NextToken;
    } while (token);
    token = undefined;
    do {
      const r: DescribeVpcsCommandOutput = await ec2.send(new DescribeVpcsCommand(token ? { NextToken: token } : {}));
      for (const v of r.Vpcs ?? []) if (!v.IsDefault) of(envTag(v.Tags)).vpcs.push(v.VpcId ?? '?');
      token = r.NextToken;
    } while (token);
    const b = await s3.send(new ListBucketsCommand({}));
    for (const bucket of b.Buckets ?? []) {
      const name = bucket.Name ?? '?';
      if (name === o.stateBucket) continue;
      of(/^kube-(.+)-secrets-\d+$/.exec(name)?.[1]).buckets.push(name);
    }
    return out;
  } finally {
    ec2.destroy();
    s3.destroy();
  }
}

/** Total number of things held. */
export function count(h: Holdings): number {
  return h.instances.length + h.vpcs.length + h.buckets.length;
}
