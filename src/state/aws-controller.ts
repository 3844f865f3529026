import { shellWords } from '../core/shell-words.js';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ConsoleError, messageOf } from '../core/errors.js';
import type { AwsContext } from '../services/aws/context.js';
import { describeInstance, listInstances, type InstanceRow } from '../services/aws/instances.js';
import { listLoadBalancers, type LoadBalancerRow } from '../services/aws/load-balancers.js';
import { getParameter, listParameters } from '../services/aws/parameters.js';
import { Poller } from '../services/aws/poller.js';
import { bootstrapPrerequisites, checkPrerequisites } from '../services/aws/bootstrap.js';
import { writeProfileFields } from '../core/profile-edit.js';
import { compareTree, fetchSecretToFile, fetchTree, getSecret, listSecrets, putSecret, uploadSecretFile, uploadTree } from '../services/aws/secrets.js';
import { ELB_SORT_KEYS, visibleElbs } from '../panes/elbs/slice.js';
import { detailsRead, INSTANCE_SORT_KEYS, visibleInstances } from '../panes/instances/slice.js';
import { bucketFound, PARAMS_ROOT, secretClosed, secretOpened, secretsListed, toggleFolder, toggleReveal, visibleSecretNodes } from '../panes/secrets/slice.js';
import { listFailed, listLoaded, listLoading, listSort, type ListSlice, type Message } from './list-slice.js';
import { closeOverlays, topOverlay, type Store } from './store.js';

/** Runs a function while the console has handed the terminal over (Ink's suspendTerminal). */
export type TerminalHandoff = (fn: () => Promise<void>) => Promise<void>;

/** What the AWS panes need besides the store. */
export interface AwsPaneOptions {
  ctx: AwsContext;
  /** Finds the secrets bucket (Terraform output `secrets_bucket`); undefined when not applied yet. */
  resolveSecretsBucket: () => Promise<string | undefined>;
  /** Where `f` and `F` write fetched secrets (files 0600, folders 0700). */
  secretsDir: string;
  /** The editor command for `e` (`$VISUAL`, `$EDITOR`, else `vi`). */
  editor: string;
  /** Auto-refresh interval of the Instances and Load balancers panes, ms. */
  refreshMs?: number;
  /** The prerequisites the profile names (state bucket, KMS key alias) and the profile to write them into. */
  prerequisites?: { bucket: string; kmsAlias: string; profileFile: string; profileKmsId: string };
}

/** What a tree fetch or upload confirmation lists: the paths that move, the differing ones it replaces, the ETags compared. */
interface TreeConfirmation {
  direction: 'fetch' | 'upload';
  moving: string[];
  differ: string[];
  etags: Record<string, string>;
}

/** The message line for an error of the AWS panes (see core's messageOf). */
function errorMessage(err: unknown): Message {
  return { level: 'error', ...messageOf(err) };
}

/**
 * The AWS panes' side of the controller: pollers for instances and load balancers (started when a
 * pane is first shown, quiet auto-refresh with backoff), details, sorting, and the Secrets pane's
 * view / reveal / edit / fetch / upload. Errors go into the pane that hit them.
 */
export class AwsController {
  private instancesPoller: Poller<InstanceRow[]> | undefined;
  private elbsPoller: Poller<LoadBalancerRow[]> | undefined;
  private handoff: TerminalHandoff | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: AwsPaneOptions,
  ) {}

  /** Gives the controller the UI's way to hand the terminal to an editor. */
  setTerminalHandoff(h: TerminalHandoff): void {
    this.handoff = h;
  }

  private poller<T>(slice: () => ListSlice<T>, fetch: (signal: AbortSignal) => Promise<T[]>): Poller<T[]> {
    const p = new Poller<T[]>(fetch, {
      intervalMs: this.o.refreshMs ?? 15_000,
      onData: (rows) => this.store.update(() => listLoaded(slice(), rows)),
      onError: (err) => this.store.update(() => listFailed(slice(), errorMessage(err))),
      onState: (st) => this.store.update(() => listLoading(slice(), st.loading, st.backoff)),
    });
    return p;
  }

  /** Called when a pane is shown: starts its data the first time. */
  activate(pane: string): void {
    const s = this.store.state;
    if (pane === 'instances' && !this.instancesPoller) {
      this.instancesPoller = this.poller(() => s.instances, (signal) => listInstances(this.o.ctx, { signal }));
      this.instancesPoller.start();
    } else if (pane === 'elbs' && !this.elbsPoller) {
      this.elbsPoller = this.poller(() => s.elbs, (signal) => listLoadBalancers(this.o.ctx, { signal }));
      this.elbsPoller.start();
    } else if (pane === 'secrets' && !s.secrets.loaded && !s.secrets.loading) {
      void this.refreshSecrets();
    }
  }

  /** `r`: fetch the current pane's data now. */
  refresh(pane: string): void {
    if (pane === 'instances') this.instancesPoller?.refresh();
    else if (pane === 'elbs') this.elbsPoller?.refresh();
    else if (pane === 'secrets') void this.refreshSecrets();
  }

  /** `<` `>` and `!`: change the sort column or direction of the current pane. */
  sort(pane: 'instances' | 'elbs', change: 1 | -1 | 'reverse'): void {
    this.store.update((s) => {
      if (pane === 'instances') listSort(s.instances, INSTANCE_SORT_KEYS, change);
      else listSort(s.elbs, ELB_SORT_KEYS, change);
      s.selected = 0;
    });
  }

  /** Stops the pollers (on quit). */
  stop(): void {
    this.instancesPoller?.stop();
    this.elbsPoller?.stop();
  }

  /** `Enter` on the current row. */
  async enter(pane: string): Promise<void> {
    const s = this.store.state;
    if (pane === 'instances') {
      const row = visibleInstances(s)[s.selected];
      if (!row) return;
      try {
        const d = await describeInstance(this.o.ctx, row.id);
        const lines = [
          `instance ${d.id}  ${row.state}  ${row.type}  ${row.az}`,
          `vpc ${d.vpcId}  subnet ${d.subnetId}  image ${d.imageId}${d.keyName ? `  key ${d.keyName}` : ''}`,
          '',
          'tags:',
          ...Object.entries(d.tags)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => `  ${k} = ${v}`),
          '',
          'security groups:',
          ...d.securityGroups.map((g) => `  ${g.id}  ${g.name}`),
          '',
          'volumes:',
          ...d.volumes.map((v) => `  ${v.id}  ${v.device}${v.sizeGiB !== undefined ? `  ${v.sizeGiB} GiB` : ''}${v.state ? `  ${v.state}` : ''}`),
          '',
          'network interfaces:',
          ...d.enis.map((e) => `  ${e.id}  ${e.privateIp}  ${e.subnetId}${e.description ? `  ${e.description}` : ''}`),
        ];
        this.store.update((st) => detailsRead(st.instances, d));
        this.store.open({ kind: 'details', title: `${row.name || row.id}`, lines, scroll: 0 });
      } catch (err) {
        this.store.update((st) => listFailed(st.instances, errorMessage(err)));
      }
    } else if (pane === 'elbs') {
      const row = visibleElbs(s)[s.selected];
      if (!row) return;
      const lines = [
        `${row.kind} load balancer ${row.name}  (${row.scheme})`,
        `DNS name ${row.dnsName}`,
        ...(row.arn ? [`ARN ${row.arn}`] : []),
        '',
        'listeners:',
        ...row.listeners.map((l) => `  ${l}`),
        '',
        `targets (${row.healthy} healthy, ${row.unhealthy} unhealthy):`,
        ...row.targets.map((t) => `  ${t.healthy ? '✓' : '✗'} ${t.id}${t.port ? `:${t.port}` : ''}  ${t.state}${t.reason ? `  (${t.reason})` : ''}`),
      ];
      this.store.open({ kind: 'details', title: row.name, lines, scroll: 0 });
    } else if (pane === 'secrets') {
      const node = visibleSecretNodes(s)[s.selected];
      if (!node) return;
      if (node.kind === 'folder' || node.kind === 'parameters-root') {
        const key = node.kind === 'folder' ? node.path.slice(0, -1) : PARAMS_ROOT;
        this.store.update((st) => toggleFolder(st.secrets, key));
        return;
      }
      await this.view(node.kind === 'object' ? 'object' : 'parameter', node.path);
    }
  }

  private async bucket(): Promise<string> {
    const s = this.store.state.secrets;
    if (s.bucket) return s.bucket;
    const b = await this.o.resolveSecretsBucket();
    if (!b) throw new ConsoleError('the secrets bucket is not known yet: the platform has not been applied', 'apply it first (Plan/Apply pane: p, a); the bucket is the Terraform output secrets_bucket');
    this.store.update((st) => bucketFound(st.secrets, b));
    return b;
  }

  private ctx(bucket: string): AwsContext {
    return { ...this.o.ctx, secretsBucket: bucket };
  }

  private async refreshSecrets(): Promise<void> {
    this.store.update((s) => listLoading(s.secrets, true));
    try {
      const bucket = await this.bucket();
      const [rows, params] = await Promise.all([listSecrets(this.ctx(bucket)), listParameters(this.o.ctx)]);
      this.store.update((s) => secretsListed(s.secrets, rows, params));
    } catch (err) {
      this.store.update((s) => listFailed(s.secrets, errorMessage(err)));
    } finally {
      this.store.update((s) => listLoading(s.secrets, false));
    }
  }

  private async view(kind: 'object' | 'parameter', key: string): Promise<void> {
    try {
      let body: Buffer;
      let etag: string | undefined;
      if (kind === 'object') {
        const r = await getSecret(this.ctx(await this.bucket()), key);
        body = r.body;
        etag = r.etag;
      } else {
        body = Buffer.from((await getParameter(this.o.ctx, key)).value);
      }
      this.store.update((s) => secretOpened(s.secrets, { kind, key, body, ...(etag ? { etag } : {}) }));
      this.store.open({ kind: 'secret', scroll: 0 });
    } catch (err) {
      this.store.update((s) => listFailed(s.secrets, errorMessage(err)));
    }
  }

  /** `r` in the viewer: show the value. */
  reveal(): void {
    this.store.update((s) => toggleReveal(s.secrets));
  }

  /** Closing the viewer drops the value from memory. */
  closeView(): void {
    this.store.update((s) => {
      closeOverlays(s, 'secret');
      secretClosed(s.secrets);
    });
  }

  private selectedObject(): string | undefined {
    const s = this.store.state;
    if (topOverlay(s)?.kind === 'secret' && s.secrets.view?.kind === 'object') return s.secrets.view.key;
    const node = visibleSecretNodes(s)[s.selected];
    return node?.kind === 'object' ? node.path : undefined;
  }

  private say(m: Message): void {
    this.store.update((s) => {
      s.message = m;
    });
  }

  /**
   * `e`: downloads the object, hands the terminal to the editor on a private 0600 copy, and
   * uploads the result with SSE-KMS only if it changed, refused when the object changed meanwhile
   * (ETag / If-Match).
   */
  async edit(): Promise<void> {
    const key = this.selectedObject();
    if (!key) return this.say({ level: 'warn', text: 'Select an object of the secrets bucket to edit (SSM parameters are read-only here).' });
    if (!this.handoff) return this.say({ level: 'error', text: 'editing needs the terminal, which this console cannot hand over' });
    let dir: string | undefined;
    try {
      const ctx = this.ctx(await this.bucket());
      const original = await getSecret(ctx, key);
      dir = await mkdtemp(join(tmpdir(), 'pc-edit-'));
      const file = join(dir, basename(key));
      await writeFile(file, original.body, { mode: 0o600 });
      const words = shellWords(this.o.editor);
      if (!words || words.length === 0) return this.say({ level: 'error', text: `The editor command ${JSON.stringify(this.o.editor)} cannot be read (${words ? 'it is empty' : 'a quote is not closed'}): nothing edited.`, hint: 'fix $VISUAL or $EDITOR, e.g. EDITOR="code --wait"' });
      const [cmd, ...args] = words as [string, ...string[]];
      let status: number | null = null;
      await this.handoff(
        () =>
          new Promise<void>((resolve) => {
            const child = spawn(cmd, [...args, file], { stdio: 'inherit' });
            child.on('error', () => resolve());
            child.on('close', (code) => {
              status = code;
              resolve();
            });
          }),
      );
      if (status !== 0) return this.say({ level: 'warn', text: `The editor (${this.o.editor}) exited with ${status ?? 'an error'}: nothing uploaded.` });
      const edited = await readFile(file);
      if (edited.equals(original.body)) return this.say({ level: 'info', text: `No change to ${key}: nothing uploaded.` });
      await putSecret(ctx, key, edited, { ifMatch: original.etag });
      this.say({ level: 'info', text: `Uploaded ${key} (${edited.length} bytes, SSE-KMS with ${ctx.kmsKeyId}).` });
      await this.refreshSecrets();
    } catch (err) {
      this.say(errorMessage(err));
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  /** `f`: writes the selected object to SECRETS_DIR/KEY, mode 0600. */
  async fetch(): Promise<void> {
    const key = this.selectedObject();
    if (!key) return this.say({ level: 'warn', text: 'Select an object of the secrets bucket to fetch.' });
    try {
      const file = join(this.o.secretsDir, key);
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await fetchSecretToFile(this.ctx(await this.bucket()), key, file, { overwrite: true });
      this.say({ level: 'info', text: `Fetched ${key} to ${file} (mode 0600).` });
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /** `u`: asks for a local file and uploads it beside the selection. */
  askUpload(): void {
    const s = this.store.state;
    const node = visibleSecretNodes(s)[s.selected];
    const folder = node?.kind === 'folder' ? node.path : node?.kind === 'object' ? node.path.slice(0, node.path.lastIndexOf('/') + 1) : '';
    this.store.open({
      kind: 'prompt',
      label: `Upload a local file into s3://${s.secrets.bucket ?? '…'}/${folder} — path:`,
      hint: 'Enter to upload, Esc to back out',
      input: '',
      onSubmit: (file) => void this.upload(folder, file.replace(/^~(?=\/)/, process.env.HOME ?? '~')),
    });
  }

  /** Uploads the file typed at the prompt to FOLDER/BASENAME with SSE-KMS. */
  async upload(folder: string, file: string): Promise<void> {
    const key = `${folder}${basename(file)}`;
    try {
      await uploadSecretFile(this.ctx(await this.bucket()), key, file);
      this.say({ level: 'info', text: `Uploaded ${file} to ${key} (SSE-KMS).` });
      await this.refreshSecrets();
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /**
   * Checks that the profile's state bucket and KMS key exist; when not, says so and offers
   * `:bootstrap`. Never throws (a failed check is only a warning).
   */
  async checkPrerequisites(): Promise<void> {
    const p = this.o.prerequisites;
    if (!p) return;
    try {
      const c = await checkPrerequisites(this.o.ctx, { bucket: p.bucket, kmsAlias: p.kmsAlias });
      if (!c.bucketExists || !c.keyExists) {
        const missing = [!c.bucketExists ? `the state bucket ${p.bucket}` : '', !c.keyExists ? `the KMS key ${p.kmsAlias}` : ''].filter(Boolean).join(' and ');
        this.say({ level: 'warn', text: `${missing} do${!c.bucketExists && !c.keyExists ? '' : 'es'} not exist yet: plans will fail.`, hint: 'type :bootstrap to create them (old kmsctl bucket create / kms create)' });
      }
    } catch (err) {
      this.say({ ...messageOf(err), level: 'warn' });
    }
  }

  /** `:bootstrap`: asks to create the prerequisites. */
  askBootstrap(): void {
    const p = this.o.prerequisites;
    if (!p) return this.say({ level: 'info', text: 'In local mode the emulator\'s state bucket and key are created at start.' });
    this.store.ask({
      action: 'bootstrap',
      typed: false,
      prompt: `Create the prerequisites of ${this.o.ctx.environment} in ${this.o.ctx.region}? (y/N)`,
      detail: [`state bucket ${p.bucket}: versioned, SSE-KMS, public access blocked`, `KMS key with alias ${p.kmsAlias} (yearly rotation)`, 'existing ones are checked and only what differs is changed'],
      onYes: () => void this.runBootstrap(),
    });
  }

  /** Runs the confirmed bootstrap; when the profile names the key otherwise, asks before writing it. */
  async runBootstrap(): Promise<void> {
    const p = this.o.prerequisites;
    if (!p) return;
    try {
      this.say({ level: 'info', text: 'Creating the prerequisites…' });
      const r = await bootstrapPrerequisites(this.o.ctx, { bucket: p.bucket, kmsAlias: p.kmsAlias });
      this.say({ level: 'info', text: r.changed ? `Done: ${r.changes.join('; ')}.` : 'Nothing to do: the state bucket and the KMS key exist as they should.' });
      if (p.profileKmsId !== r.key.alias) {
        const fields = { terraform_bucket_name: r.bucket.name, kms_master_id: r.key.alias };
        this.store.ask({
          action: 'write-profile',
          typed: false,
          prompt: `Write kms_master_id = "${r.key.alias}" and terraform_bucket_name = "${r.bucket.name}" into ${p.profileFile}? (y/N)`,
          onYes: () => void this.writeProfile(fields),
        });
      }
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /** Writes the bootstrapped names into the profile (only after the operator said yes). */
  async writeProfile(fields: { terraform_bucket_name: string; kms_master_id: string }): Promise<void> {
    const p = this.o.prerequisites;
    if (!p) return;
    try {
      await writeProfileFields(p.profileFile, fields);
      p.profileKmsId = fields.kms_master_id;
      this.say({ level: "info", text: `Wrote terraform_bucket_name and kms_master_id into ${p.profileFile}.`, hint: "quit and open the console again to plan with them" });
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /** `F` / `U`: shows what differs between the bucket and SECRETS_DIR, then asks to fetch / upload. */
  async askTree(direction: 'fetch' | 'upload'): Promise<void> {
    try {
      const d = await compareTree(this.ctx(await this.bucket()), this.o.secretsDir);
      const moving = direction === 'fetch' ? [...d.onlyRemote, ...d.differ] : [...d.onlyLocal, ...d.differ];
      if (moving.length === 0) return this.say({ level: 'info', text: `Nothing to ${direction}: ${this.o.secretsDir} and the bucket match (${d.same.length} files).` });
      const detail = [
        ...d.differ.map((k) => `~ ${k}  (differs: ${direction === 'fetch' ? 'local copy will be replaced' : 'bucket object will be replaced'})`),
        ...(direction === 'fetch' ? d.onlyRemote : d.onlyLocal).map((k) => `+ ${k}`),
      ];
      // What runs after y is exactly what is listed: these paths, replacing only the differing
      // ones listed, and only the bucket versions compared (ETags).
      const confirmed = { direction, moving, differ: d.differ, etags: d.etags };
      this.store.ask({
        action: direction === 'fetch' ? 'fetch-tree' : 'upload-tree',
        typed: false,
        prompt: `${direction === 'fetch' ? 'Fetch' : 'Upload'} ${moving.length} file${moving.length === 1 ? '' : 's'} ${direction === 'fetch' ? `from the bucket into ${this.o.secretsDir}` : `from ${this.o.secretsDir} to the bucket`}? (y/N)`,
        detail,
        onYes: () => void this.runTree(confirmed),
      });
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /** Runs the confirmed tree fetch or upload: exactly the listed paths, replacing only the listed differing ones (bucket versions as compared). */
  private async runTree(p: TreeConfirmation): Promise<void> {
    const direction = p.direction;
    try {
      const ctx = this.ctx(await this.bucket());
      const opts = { only: p.moving, overwrite: p.differ, expected: p.etags, collect: true };
      const r = direction === 'fetch' ? await fetchTree(ctx, this.o.secretsDir, opts) : await uploadTree(ctx, this.o.secretsDir, opts);
      const replaced = r.replaced?.length ?? 0;
      const refused = r.refused ?? [];
      const kept = r.kept.filter((k) => p.moving.includes(k));
      const n = r.copied.length;
      const where = direction === 'fetch' ? `into ${this.o.secretsDir} (files 0600)` : `to the bucket (SSE-KMS)`;
      const parts = [`${n - replaced} new`, `${replaced} replaced`, ...(kept.length ? [`${kept.length} kept (changed since the comparison: ${kept.join(', ')})`] : [])];
      const text = `${direction === 'fetch' ? 'Fetched' : 'Uploaded'} ${n} file${n === 1 ? '' : 's'} ${where}: ${parts.join(', ')}${refused.length ? `; refused ${refused.length}: ${refused.map((x) => `${x.path} (${x.reason})`).join('; ')}` : ''}.`;
      this.say({ level: refused.length || kept.length ? 'warn' : 'info', text, ...(refused.length ? { hint: `press ${direction === 'fetch' ? 'F' : 'U'} to compare again` } : {}) });
      await this.refreshSecrets();
    } catch (err) {
      this.say(errorMessage(err));
    }
  }
}

