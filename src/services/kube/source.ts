/**
 * Where the console's kubeconfig comes from: `--kubeconfig FILE`, else the environment's admin
 * kubeconfig in the secrets bucket (Terraform outputs `secrets_bucket` and `kubeconfig_admin_key`,
 * decrypted by S3 with the KMS key). The platform writes it pointing at the public kubeapi load
 * balancer (`https://kubeapi_public:443`); when the profile admits nobody to that load balancer
 * (`kubeapi_access_list = []`), the API is private and the caller tunnels through the bastion to
 * the internal one (`kubeapi_internal_elb`:`kubeapi_internal_port`, 6443) and rewrites the server with {@link rewriteServer}.
 */
import { KubeError } from '../../core/errors.js';
import type { AwsContext } from '../aws/context.js';
import { getSecret } from '../aws/secrets.js';
import type { OutputValue } from '../terraform/plan-model.js';
import { readKubeconfigFile } from './kubeconfig.js';

/** A kubeconfig and what it came from. */
export interface KubeconfigSource {
  text: string;
  /** For messages: the file, or `s3://BUCKET/KEY`. */
  source: string;
  /** Where the private API is reached through a tunnel (the internal load balancer), when known. */
  internal?: { host: string; port: number };
}

function output(outputs: readonly OutputValue[], name: string): string | undefined {
  const v = outputs.find((o) => o.name === name)?.value;
  return typeof v === 'string' && v ? v : undefined;
}

/** The template placeholders the first control-plane node replaces (terraform/modules/secrets/templates). */
const TEMPLATE_MARK = /@@[A-Z_]+@@/;

/**
 * Reads the kubeconfig: the file when given, else the admin kubeconfig of the environment.
 * @throws KubeError (`config`) when the file cannot be read, the platform is not applied (no
 *   outputs), the object is missing, or it is still the template (no control-plane node has filled
 *   it in); AwsError from S3 otherwise.
 */
export async function loadClusterKubeconfig(o: { file?: string; ctx?: AwsContext; outputs: () => Promise<readonly OutputValue[]>; local: boolean }): Promise<KubeconfigSource> {
  if (o.file) return { text: await readKubeconfigFile(o.file), source: o.file };
  if (o.local) {
    throw new KubeError('the local emulator runs no Kubernetes: there is no cluster to show', 'point the pane at a cluster with --kubeconfig FILE (a real one, or any kube-apiserver you can reach)', 'config');
  }
  if (!o.ctx) throw new KubeError('no kubeconfig: the environment is not open', 'give --kubeconfig FILE', 'config');
  const outs = await o.outputs();
  const bucket = output(outs, 'secrets_bucket');
  const key = output(outs, 'kubeconfig_admin_key');
  if (!bucket || !key) throw new KubeError('no kubeconfig: the outputs secrets_bucket and kubeconfig_admin_key are not set', 'apply the platform first (Plan/Apply pane), or give --kubeconfig FILE', 'config');
  const source = `s3://${bucket}/${key}`;
  let body: Buffer;
  try {
    body = (await getSecret({ ...o.ctx, secretsBucket: bucket }, key)).body;
  } catch (err) {
    if (/NoSuchKey|not found|does not exist/i.test((err as Error).message)) throw new KubeError(`no kubeconfig at ${source}`, 'the first control-plane node uploads it when the cluster is up; or give --kubeconfig FILE', 'config');
    throw err;
  }
  const text = body.toString('utf8');
  if (TEMPLATE_MARK.test(text)) {
    throw new KubeError(`${source} is still the template: no control-plane node has filled in the cluster's certificates yet`, 'wait for the first control-plane node to finish kubeadm init (Instances pane, s to look), then r', 'config');
  }
  const internal = output(outs, 'kubeapi_internal_elb');
  const portOut = outs.find((x) => x.name === 'kubeapi_internal_port')?.value;
  const port = typeof portOut === 'number' ? portOut : Number(portOut) || 6443;
  return { text, source, ...(internal ? { internal: { host: internal, port } } : {}) };
}
