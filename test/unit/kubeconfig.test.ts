/**
 * The kubeconfig service on real files in a temp dir: merging into an existing kubeconfig the way
 * kubectl does (other entries kept, same-named ones replaced, current-context switched, a backup
 * with the old content, mode 0600, atomic write, ~/.kube created 0700), rewriting the server
 * (tls-server-name for tunnels), and the errors for bad input. YAML is read back with
 * client-node's own loader, as kubectl-compatible tools would read it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { KubeConfig, loadYaml } from '@kubernetes/client-node';

import { KubeError } from '../../src/core/errors.js';
import { describeMerge, loadKubeconfig, loadKubeconfigFile, mergeIntoKubeconfig, rewriteServer } from '../../src/services/kube/kubeconfig.js';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nplatform-ca\n-----END CERTIFICATE-----\n').toString('base64');

/** The admin kubeconfig as the platform stores it in secure/kubeconfig_admin. */
const PLATFORM = `apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://kubeapi.prod.platform.internal:6443
    certificate-authority-data: ${CA}
users:
- name: kubernetes-admin
  user:
    token: platform-admin-token
contexts:
- name: kubernetes-admin@kubernetes
  context:
    cluster: kubernetes
    user: kubernetes-admin
    namespace: kube-system
current-context: kubernetes-admin@kubernetes
`;

/** An operator's existing ~/.kube/config: another cluster, and an older entry for prod. */
const EXISTING = `# my clusters
apiVersion: v1
kind: Config
preferences:
  colors: true
clusters:
- name: minikube
  cluster:
    server: https://192.168.49.2:8443
    certificate-authority: /home/op/.minikube/ca.crt
    extensions:
    - name: cluster_info
      extension:
        provider: minikube.sigs.k8s.io
- name: prod
  cluster:
    server: https://old-prod.example:6443
users:
- name: minikube
  user:
    client-certificate: /home/op/.minikube/profiles/minikube/client.crt
- name: prod-admin
  user:
    token: stale-token
contexts:
- name: minikube
  context:
    cluster: minikube
    user: minikube
- name: prod
  context:
    cluster: prod
    user: prod-admin
current-context: minikube
`;

type Doc = {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
  'current-context': string;
  preferences?: Record<string, unknown>;
};

describe('mergeIntoKubeconfig on real files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-kubeconfig-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps other entries, replaces same-named ones, switches current-context, backs up the old file, writes 0600', async () => {
    const home = join(dir, 'a');
    await mkdir(join(home, '.kube'), { recursive: true });
    const target = join(home, '.kube', 'config');
    await writeFile(target, EXISTING, { mode: 0o644 });
    const r = await mergeIntoKubeconfig({ target, source: PLATFORM, environment: 'prod', now: new Date('2025-03-04T05:06:07.890Z') });

    assert.equal(r.path, target);
    assert.equal(r.created, false);
    assert.equal(r.backup, `${target}.backup-20250304T050607Z`);
    assert.deepEqual([r.cluster, r.user, r.context], [
      { name: 'prod', action: 'replaced' },
      { name: 'prod-admin', action: 'replaced' },
      { name: 'prod', action: 'replaced' },
    ]);
    assert.equal(r.previousContext, 'minikube');
    assert.equal(r.currentContext, 'prod');
    assert.deepEqual(r.kept, { clusters: 1, users: 1, contexts: 1 });
    assert.equal(r.server, 'https://kubeapi.prod.platform.internal:6443');

    // The backup is the old file, byte for byte, 0600.
    assert.equal(await readFile(r.backup!, 'utf8'), EXISTING);
    assert.equal((await stat(r.backup!)).mode & 0o777, 0o600);
    // The new file: 0600 (the old one was 0644), no temp file left behind.
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(join(home, '.kube'))).sort(), ['config', 'config.backup-20250304T050607Z']);

    const doc = loadYaml<Doc>(await readFile(target, 'utf8'));
    assert.equal(doc['current-context'], 'prod');
    assert.deepEqual(doc.preferences, { colors: true });
    assert.deepEqual(doc.clusters.map((c) => c.name), ['minikube', 'prod']);
    assert.deepEqual(doc.clusters[0]!.cluster, {
      server: 'https://192.168.49.2:8443',
      'certificate-authority': '/home/op/.minikube/ca.crt',
      extensions: [{ name: 'cluster_info', extension: { provider: 'minikube.sigs.k8s.io' } }],
    });
    assert.deepEqual(doc.clusters[1]!.cluster, { server: 'https://kubeapi.prod.platform.internal:6443', 'certificate-authority-data': CA });
    assert.deepEqual(doc.users.map((u) => [u.name, u.user.token ?? u.user['client-certificate']]), [
      ['minikube', '/home/op/.minikube/profiles/minikube/client.crt'],
      ['prod-admin', 'platform-admin-token'],
    ]);
    assert.deepEqual(doc.contexts, [
      { name: 'minikube', context: { cluster: 'minikube', user: 'minikube' } },
      { name: 'prod', context: { cluster: 'prod', user: 'prod-admin', namespace: 'kube-system' } },
    ]);
    // client-node (as kubectl) reads the result and resolves the new context.
    const kc = new KubeConfig();
    kc.loadFromFile(target);
    assert.equal(kc.getCurrentCluster()?.server, 'https://kubeapi.prod.platform.internal:6443');
    assert.equal(kc.getCurrentUser()?.token, 'platform-admin-token');

    const lines = describeMerge(r);
    assert.match(lines[0]!, /^updated .*\/config: context prod replaced/);
    assert.match(lines[1]!, /current-context switched from minikube to prod/);
    assert.match(lines[2]!, /backed up to .*config\.backup-20250304T050607Z/);
  });

  it('adds new entries beside the others, and a second merge in the same second gets its own backup', async () => {
    const target = join(dir, 'b-config');
    await writeFile(target, EXISTING);
    const now = new Date('2025-03-04T05:06:07Z');
    const r1 = await mergeIntoKubeconfig({ target, source: PLATFORM, environment: 'staging', now });
    assert.deepEqual([r1.cluster.action, r1.user.action, r1.context.action], ['added', 'added', 'added']);
    assert.deepEqual(r1.kept, { clusters: 2, users: 2, contexts: 2 });
    const afterFirst = await readFile(target, 'utf8');
    const r2 = await mergeIntoKubeconfig({ target, source: PLATFORM, environment: 'staging', now });
    assert.equal(r2.backup, `${r1.backup}-2`);
    assert.equal(await readFile(r2.backup!, 'utf8'), afterFirst);
    assert.deepEqual([r2.cluster.action, r2.context.action], ['replaced', 'replaced']);
    assert.equal(r2.previousContext, 'staging');
    const doc = loadYaml<Doc>(await readFile(target, 'utf8'));
    assert.deepEqual(doc.contexts.map((c) => c.name), ['minikube', 'prod', 'staging']);
    assert.deepEqual(doc.users.map((u) => u.name), ['minikube', 'prod-admin', 'staging-admin']);
  });

  it('creates ~/.kube (0700) and the file (0600) when missing; no backup then', async () => {
    const home = join(dir, 'c-home');
    await mkdir(home);
    const target = join(home, '.kube', 'config');
    const r = await mergeIntoKubeconfig({ target, source: PLATFORM, environment: 'dev' });
    assert.equal(r.created, true);
    assert.equal(r.backup, undefined);
    assert.equal(r.previousContext, undefined);
    assert.equal((await stat(join(home, '.kube'))).mode & 0o777, 0o700);
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(home, '.kube')), ['config']);
    const doc = loadYaml<Doc & { apiVersion: string; kind: string }>(await readFile(target, 'utf8'));
    assert.equal(doc.apiVersion, 'v1');
    assert.equal(doc.kind, 'Config');
    assert.equal(doc['current-context'], 'dev');
    assert.match(describeMerge(r)[0]!, /^created /);
  });

  it('writes through a symlinked config (the link stays a link)', async () => {
    const real = join(dir, 'd-real-config');
    const link = join(dir, 'd-link-config');
    await writeFile(real, EXISTING);
    await symlink(real, link);
    const r = await mergeIntoKubeconfig({ target: link, source: PLATFORM, environment: 'prod' });
    assert.equal(r.path, real);
    assert.ok((await import('node:fs/promises').then((f) => f.lstat(link))).isSymbolicLink());
    assert.equal(loadYaml<Doc>(await readFile(link, 'utf8'))['current-context'], 'prod');
  });

  it('leaves an existing file that is not a kubeconfig alone, and says so', async () => {
    const target = join(dir, 'e-config');
    await writeFile(target, 'clusters: [unclosed\n');
    await assert.rejects(mergeIntoKubeconfig({ target, source: PLATFORM, environment: 'prod' }), (err: unknown) => {
      assert.ok(err instanceof KubeError);
      assert.equal(err.reason, 'config');
      assert.match(err.message, /is not valid YAML.*nothing was written/);
      return true;
    });
    assert.equal(await readFile(target, 'utf8'), 'clusters: [unclosed\n');
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('e-config')), ['e-config']);
  });

  it('refuses a source without a usable current context', async () => {
    const target = join(dir, 'f-config');
    await assert.rejects(
      mergeIntoKubeconfig({ target, source: PLATFORM.replace('current-context: kubernetes-admin@kubernetes', 'current-context: nope'), environment: 'prod' }),
      /names current-context "nope", but has no such context/,
    );
    await assert.rejects(readFile(target), { code: 'ENOENT' });
  });
});

describe('rewriteServer', () => {
  it('points the current cluster at a tunnel, keeps the CA, sets tls-server-name to the original DNS name', () => {
    const out = rewriteServer(PLATFORM, 'https://127.0.0.1:16443');
    const doc = loadYaml<Doc>(out);
    assert.deepEqual(doc.clusters[0]!.cluster, {
      server: 'https://127.0.0.1:16443',
      'certificate-authority-data': CA,
      'tls-server-name': 'kubeapi.prod.platform.internal',
    });
    assert.equal(doc.users[0]!.user.token, 'platform-admin-token');
    const kc = loadKubeconfig(out);
    assert.equal(kc.getCurrentCluster()?.tlsServerName, 'kubeapi.prod.platform.internal');
  });

  it('keeps an existing tls-server-name, and sets none when the original host is an IP or unchanged', () => {
    const withName = PLATFORM.replace('    certificate-authority-data', '    tls-server-name: api.internal\n    certificate-authority-data');
    assert.equal(loadYaml<Doc>(rewriteServer(withName, 'https://127.0.0.1:1'))['clusters'][0]!.cluster['tls-server-name'], 'api.internal');
    const ip = PLATFORM.replace('kubeapi.prod.platform.internal', '10.0.1.10');
    assert.equal(loadYaml<Doc>(rewriteServer(ip, 'https://127.0.0.1:1')).clusters[0]!.cluster['tls-server-name'], undefined);
    assert.equal(loadYaml<Doc>(rewriteServer(PLATFORM, 'https://kubeapi.prod.platform.internal:443')).clusters[0]!.cluster['tls-server-name'], undefined);
  });

  it('rejects a target that is not an http(s) URL, and a kubeconfig without its cluster', () => {
    assert.throws(() => rewriteServer(PLATFORM, '127.0.0.1:6443'), (e: unknown) => e instanceof KubeError && /scheme 127\.0\.0\.1:|not a URL/.test(e.message));
    assert.throws(() => rewriteServer(PLATFORM.replace('cluster: kubernetes\n', 'cluster: gone\n'), 'https://x'), /names cluster "gone", which is missing/);
  });
});

describe('loadKubeconfig errors', () => {
  it('bad YAML, not a mapping, empty, no server: a config KubeError naming the source', async () => {
    const cases: [string, RegExp][] = [
      ['clusters: [', /the kubeconfig f\.yaml is not valid YAML/],
      ['- just\n- a list\n', /is a list, not a mapping/],
      ['   \n', /the kubeconfig f\.yaml is empty/],
      [PLATFORM.replace('current-context: kubernetes-admin@kubernetes\n', '').replace(/contexts:[\s\S]*$/, 'contexts: []\n'), /has no current-context/],
      [PLATFORM.replace('    server: https://kubeapi.prod.platform.internal:6443\n', ''), /which is missing or has no server/],
      [PLATFORM.replace('https://kubeapi.prod.platform.internal:6443', 'ftp://x'), /scheme ftp:/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => loadKubeconfig(text, { source: 'f.yaml' }),
        (e: unknown) => {
          assert.ok(e instanceof KubeError, `${String(e)} for ${JSON.stringify(text.slice(0, 30))}`);
          assert.equal(e.reason, 'config');
          assert.match(e.message, re);
          assert.ok(e.hint.length > 0);
          return true;
        },
      );
    }
    await assert.rejects(loadKubeconfigFile('/nonexistent/kubeconfig'), /the kubeconfig \/nonexistent\/kubeconfig does not exist/);
  });

  it('a good kubeconfig loads into client-node with its token and CA', () => {
    const kc = loadKubeconfig(PLATFORM);
    assert.equal(kc.getCurrentContext(), 'kubernetes-admin@kubernetes');
    assert.equal(kc.getCurrentUser()?.token, 'platform-admin-token');
    assert.equal(kc.getCurrentCluster()?.caData, CA);
  });
});

describe('a kubeconfig file that is no file', () => {
  it('a FIFO, a directory and a huge file are refused at once, never read without bound', async () => {
    const { mkdtemp, rm, writeFile, truncate } = await import('node:fs/promises');
    const { execFileSync } = await import('node:child_process');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'pc-kc-'));
    try {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      await assert.rejects(loadKubeconfigFile(join(dir, 'fifo')), /the kubeconfig .*fifo is not a regular file \(it is a FIFO\)/);
      await assert.rejects(loadKubeconfigFile(dir), /is not a regular file \(it is a directory\)/);
      await writeFile(join(dir, 'huge'), '');
      await truncate(join(dir, 'huge'), 64 << 20);
      await assert.rejects(loadKubeconfigFile(join(dir, 'huge')), /is larger than 4 MiB \(67108864 bytes\): not a kubeconfig/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
