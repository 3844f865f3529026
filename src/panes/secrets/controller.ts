/**
 * The Secrets pane's controller: the secrets bucket's objects and the SSM parameters as one tree,
 * the viewer (masked until revealed; the value dropped on close), edit in $EDITOR, fetch, upload,
 * and the whole tree fetched or uploaded exactly as the confirmation lists it.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ConsoleError, messageOf } from '../../core/errors.js';
import { shellWords } from '../../core/shell-words.js';
import type { AwsContext } from '../../services/aws/context.js';
/** The S3 and SSM services load when the pane first lists (the SSM client is tens of MB). */
const secretsService = () => import('../../services/aws/secrets.js');
const parametersService = () => import('../../services/aws/parameters.js');
import { listFailed, listLoading, type Message } from '../../state/list-slice.js';
import { errorMessage, type TerminalHandoff } from '../../state/polled-list.js';
import { closeOverlays, topOverlay, type Store } from '../../state/store.js';
import { bucketFound, PARAMS_ROOT, secretClosed, secretOpened, secretsListed, toggleFolder, toggleReveal, visibleSecretNodes } from './slice.js';

/** What the Secrets pane needs besides the store. */
export interface SecretsOptions {
  ctx: AwsContext;
  /** Finds the secrets bucket (Terraform output `secrets_bucket`); undefined when not applied yet. */
  resolveSecretsBucket: () => Promise<string | undefined>;
  /** Where `f` and `F` write fetched secrets (files 0600, folders 0700). */
  secretsDir: string;
  /** The editor command for `e` (`$VISUAL`, `$EDITOR`, else `vi`). */
  editor: string;
}

/** What a tree fetch or upload confirmation lists: the paths that move, the differing ones it replaces, the ETags compared. */
interface TreeConfirmation {
  direction: 'fetch' | 'upload';
  moving: string[];
  differ: string[];
  etags: Record<string, string>;
}

/** The Secrets pane's controller. Errors go into the pane or the message line. */
export class SecretsController {
  private handoff: TerminalHandoff | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: SecretsOptions,
  ) {}

  /** Gives the controller the UI's way to hand the terminal to an editor. */
  setTerminalHandoff(h: TerminalHandoff): void {
    this.handoff = h;
  }

  /** The pane is shown: lists the first time. */
  activate(): void {
    const s = this.store.state.secrets;
    if (!s.loaded && !s.loading) void this.refreshSecrets();
  }

  /** `r` in the tree: lists again. */
  refresh(): void {
    void this.refreshSecrets();
  }

  /** `Enter`: opens or closes a folder, or views an object or parameter (masked). */
  async enter(): Promise<void> {
    const s = this.store.state;
    const node = visibleSecretNodes(s)[s.selected];
    if (!node) return;
    if (node.kind === 'folder' || node.kind === 'parameters-root') {
      const key = node.kind === 'folder' ? node.path.slice(0, -1) : PARAMS_ROOT;
      this.store.update((st) => toggleFolder(st.secrets, key));
      return;
    }
    await this.view(node.kind === 'object' ? 'object' : 'parameter', node.path);
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
      const [rows, params] = await Promise.all([(await secretsService()).listSecrets(this.ctx(bucket)), (await parametersService()).listParameters(this.o.ctx)]);
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
        const r = await (await secretsService()).getSecret(this.ctx(await this.bucket()), key);
        body = r.body;
        etag = r.etag;
      } else {
        body = Buffer.from((await (await parametersService()).getParameter(this.o.ctx, key)).value);
      }
      this.store.update((s) => secretOpened(s.secrets, { kind, key, body, ...(etag ? { etag } : {}) }));
      this.store.open({ kind: 'secret', scroll: Number.MAX_SAFE_INTEGER });
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
      const original = await (await secretsService()).getSecret(ctx, key);
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
      await (await secretsService()).putSecret(ctx, key, edited, { ifMatch: original.etag });
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
      await (await secretsService()).fetchSecretToFile(this.ctx(await this.bucket()), key, file, { overwrite: true });
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
      await (await secretsService()).uploadSecretFile(this.ctx(await this.bucket()), key, file);
      this.say({ level: 'info', text: `Uploaded ${file} to ${key} (SSE-KMS).` });
      await this.refreshSecrets();
    } catch (err) {
      this.say(errorMessage(err));
    }
  }

  /** `F` / `U`: shows what differs between the bucket and SECRETS_DIR, then asks to fetch / upload. */
  async askTree(direction: 'fetch' | 'upload'): Promise<void> {
    try {
      const d = await (await secretsService()).compareTree(this.ctx(await this.bucket()), this.o.secretsDir);
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
      const r = direction === 'fetch' ? await (await secretsService()).fetchTree(ctx, this.o.secretsDir, opts) : await (await secretsService()).uploadTree(ctx, this.o.secretsDir, opts);
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
