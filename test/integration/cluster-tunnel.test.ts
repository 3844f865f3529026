/**
 * A private Kubernetes API (the profile admits nobody to the public load balancer): the Cluster
 * pane reads the admin kubeconfig from the secrets bucket (moto, SSE-KMS), opens a tunnel through
 * a real sshd bastion to the internal endpoint (here the stand-in Kubernetes API on loopback),
 * rewrites the server to the tunnel while TLS still checks the original name, and lists the
 * cluster with the real @kubernetes/client-node.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsContext } from '../../src/services/aws/context.js';
import { putSecret } from '../../src/services/aws/secrets.js';
import { ClusterController } from '../../src/panes/cluster/controller.js';
import { SshController } from '../../src/state/ssh-controller.js';
import { Store } from '../../src/state/store.js';
import { sleep } from '../support/frames.js';
import { kubeStandinSkipReason, makeNamespace, makeNode, startKubeStandin, type KubeStandin } from '../support/kube-standin.js';
import { motoSkipReason, startMoto, type MotoServer } from '../support/moto.js';
import { sshdSkipReason, startSshHosts, type SshHosts } from '../support/sshd.js';

const skip = (await motoSkipReason()) ?? (await sshdSkipReason()) ?? (await kubeStandinSkipReason());
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const BUCKET = 'kube-tunnel-secrets';
const KEY = 'secrets/secure/kubeconfig_admin';

describe('Cluster pane behind a private API: tunnel through the bastion (moto, real sshd, stand-in API)', { skip }, () => {
  let moto: MotoServer;
  let hosts: SshHosts;
  let api: KubeStandin;
  let store: Store;
  let ssh: SshController;
  let kube: ClusterController;

  before(async () => {
    [moto, hosts, api] = await Promise.all([startMoto(), startSshHosts({ nodes: 0 }), startKubeStandin()]);
    api.add('nodes', makeNode('ip-10-0-1-10', { roles: ['control-plane'], ip: '10.0.1.10' }));
    api.add('namespaces', makeNamespace('kube-system'));
    const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: CREDENTIALS };
    const key = await new KMSClient(cfg).send(new CreateKeyCommand({ Description: 'tunnel test' }));
    await new S3Client({ ...cfg, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));
    const ctx: AwsContext = { environment: 'tun', region: 'us-east-1', credentials: async () => CREDENTIALS, endpoint: moto.endpoint, kmsKeyId: key.KeyMetadata!.KeyId! };
    // As the platform writes it: pointing at the public name, which nobody may reach.
    await putSecret({ ...ctx, secretsBucket: BUCKET }, KEY, Buffer.from(api.kubeconfig({ server: 'https://localhost:1' })));
    const outputs = async () =>
      [
        { name: 'secrets_bucket', value: BUCKET },
        { name: 'kubeconfig_admin_key', value: KEY },
        { name: 'kubeapi_internal_elb', value: '127.0.0.1' },
        { name: 'kubeapi_internal_port', value: api.port },
      ] as never;
    store = new Store({ environment: 'tun', account: '123456789012', region: 'us-east-1', backend: '-', engine: '-', credentials: '-' });
    ssh = new SshController(store, {
      environment: 'tun',
      local: false,
      bastion: `127.0.0.1:${hosts.bastion.port}`,
      user: hosts.user,
      identityFile: hosts.identityFile,
      profileUser: '',
      profileIdentityFile: '',
      knownHostsFile: await hosts.knownHostsFile(),
      home: hosts.dir,
      agentSocket: '',
      outputs,
    });
    kube = new ClusterController(store, { environment: 'tun', local: false, ctx, outputs, kubeapiAccessList: [], kubeconfigTarget: join(hosts.dir, 'kube', 'config'), ssh });
  });
  after(async () => {
    await kube?.stop();
    await ssh?.stop();
    await Promise.all([moto?.stop(), hosts?.stop(), api?.stop()]);
  });

  it('lists the cluster through a tunnel, with TLS checking the original name', async () => {
    kube.activate();
    const end = Date.now() + 20_000;
    while (!(store.state.cluster.snapshot?.synced && store.state.cluster.snapshot.nodes.length) && Date.now() < end) {
      if (store.state.cluster.error) assert.fail(`pane error: ${store.state.cluster.error.text}`);
      await sleep(50);
    }
    const c = store.state.cluster;
    assert.equal(c.snapshot?.nodes[0]?.name, 'ip-10-0-1-10');
    assert.equal(c.snapshot?.error, undefined);
    assert.match(c.source ?? '', new RegExp(`s3://${BUCKET}/${KEY} → https://127\\.0\\.0\\.1:(\\d+) \\(tunnel to 127\\.0\\.0\\.1:${api.port}\\)`));
    assert.equal(store.state.instances.tunnels.length, 1);
    assert.match(kube.currentKubeconfig ?? '', /tls-server-name: localhost/);
    await hosts.waitForBastionLog(new RegExp(`target 127\\.0\\.0\\.1 port ${api.port}`));
  });

  it('r three times: exactly one tunnel listener and one bastion connection remain', async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await kube.reconnect();
      const end = Date.now() + 20_000;
      while (!(store.state.cluster.snapshot?.synced && store.state.instances.tunnels.length) && Date.now() < end) await sleep(50);
      ports.add(store.state.instances.tunnels[0]!.localPort);
    }
    await sleep(300);
    assert.equal(store.state.instances.tunnels.length, 1, 'tunnels listed');
    const tcp = await tcpTable();
    const listening = [...ports].filter((p) => tcp.some((t) => t.state === LISTEN && t.local === p));
    assert.deepEqual(listening, [store.state.instances.tunnels[0]!.localPort], 'listeners of the tunnels opened');
    const toBastion = tcp.filter((t) => t.state === ESTABLISHED && t.remote === hosts.bastion.port);
    assert.equal(toBastion.length, 1, 'established connections to the bastion');
    assert.equal(store.state.cluster.snapshot?.nodes[0]?.name, 'ip-10-0-1-10');
  });
});

const LISTEN = '0A';
const ESTABLISHED = '01';
/** This machine's IPv4 TCP sockets (Linux /proc/net/tcp): local port, remote port, state. */
async function tcpTable(): Promise<{ local: number; remote: number; state: string }[]> {
  const text = await readFile('/proc/net/tcp', 'utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return { local: parseInt(f[1]!.split(':')[1]!, 16), remote: parseInt(f[2]!.split(':')[1]!, 16), state: f[3]! };
    });
}
