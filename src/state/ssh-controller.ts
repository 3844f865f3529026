/**
 * The SSH side of the controller: `s` opens a shell on the selected instance through the bastion
 * (the terminal is handed over and given back), space marks instances, `:run CMD` runs a command
 * on the marked ones (or the selected one), `t` opens a tunnel, the tunnels view lists them, quit
 * closes them. Unknown host keys are asked about in a y/N confirmation with their fingerprint.
 */
import { messageOf, SshError } from '../core/errors.js';
import type { InstanceRow } from '../services/aws/instances.js';
import { connect, connectBastion, type SshSettings } from '../services/ssh/connection.js';
import { parseEndpoint, type SshEndpoint } from '../services/ssh/endpoint.js';
import { runOnMany } from '../services/ssh/exec.js';
import type { UnknownHostKey } from '../services/ssh/host-keys.js';
import { resolveIdentity } from '../services/ssh/identity.js';
import { interactiveShell } from '../services/ssh/shell.js';
import { DEFAULT_USER, resolveBastion, targetOfInstance, type SshTarget } from '../services/ssh/targets.js';
import { openTunnel, type Tunnel } from '../services/ssh/tunnel.js';
import type { OutputValue } from '../services/terraform/plan-model.js';
import type { TerminalHandoff } from './aws-controller.js';
import { markRole, runEnded, runNodeDone, runStarted, toggleMark, tunnelsSynced, visibleInstances } from '../panes/instances/slice.js';
import { openOverlay, type Question, type Store } from './store.js';

/** What the SSH actions need besides the store. */
export interface SshOptions {
  environment: string;
  /** Local mode: the emulator's instances have no hosts, so SSH says so at once. */
  local: boolean;
  /** `--bastion HOST[:PORT]`; else the output `bastion_public_ip`, else the bastion instance. */
  bastion?: string;
  /** `--user`, else the profile's `ssh_user`, else `ubuntu`. */
  user?: string;
  profileUser: string;
  /** `--identity FILE`. */
  identityFile?: string;
  profileIdentityFile: string;
  knownHostsFile: string;
  home: string;
  /** The agent socket ('' for none). */
  agentSocket: string;
  /**
   * Where an instance's sshd is reached when not at its private address, port 22 (the tests run
   * sshd on loopback ports); undefined for the default.
   */
  nodeEndpoint?: (row: InstanceRow) => SshEndpoint | undefined;
  /** The environment's Terraform outputs (bastion address, internal kubeapi load balancer). */
  outputs: () => Promise<OutputValue[]>;
}


/** SSH through the bastion for the console (shells, `:run`, tunnels, host-key questions). Plain TypeScript. */
export class SshController {
  private handoff: TerminalHandoff | undefined;
  private tunnels: Tunnel[] = [];
  private tunnelTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** Cancels the `:run` in flight (on quit). */
  private runAbort: AbortController | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: SshOptions,
  ) {}

  /** Gives the controller the UI's way to hand the terminal over (Ink's suspendTerminal). */
  setTerminalHandoff(h: TerminalHandoff): void {
    this.handoff = h;
  }

  private say(level: 'info' | 'warn' | 'error', text: string, hint?: string): void {
    this.store.say(level, text, hint);
  }

  private fail(err: unknown): void {
    const { text, hint } = messageOf(err);
    this.say('error', text, hint);
  }

  private localRefusal(): boolean {
    if (!this.o.local) return false;
    this.say('warn', "The local emulator's instances have no hosts behind them: there is nothing to SSH into.", 'SSH works on a real environment (./run.kube -e ENV)');
    return true;
  }

  /** Asks the operator about an unknown host key (y/N with the fingerprint); false when declined. */
  /**
   * Unknown host keys waiting for the operator, oldest first: one question is shown at a time and
   * each is answered (several connections, e.g. a `:run` over many nodes, may ask at once).
   */
  private questions: { k: UnknownHostKey; resolve: (ok: boolean) => void }[] = [];

  private askHostKey = (k: UnknownHostKey): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      this.questions.push({ k, resolve });
      if (this.questions.length === 1) this.showQuestion();
      else
        this.store.update(() => {
          const open = this.openQuestion;
          if (open) open.detail = this.detailOf(this.questions[0]!.k);
        });
    });

  private detailOf(k: UnknownHostKey): string[] {
    const more = this.questions.length - 1;
    return [
      `host ${k.name}`,
      `${k.keyType} key fingerprint ${k.fingerprint}`,
      "Compare it with the fingerprint the host's owner gave you before answering y.",
      ...(more > 0 ? [`(${more} more question${more === 1 ? '' : 's'} after this one)`] : []),
    ];
  }

  /** The host-key question on screen (the stack holds it above the view it opened over). */
  private openQuestion: Question | undefined;

  /** Shows the first waiting question above what is on screen; answering it pops back to that. */
  private showQuestion(): void {
    const q = this.questions[0];
    if (!q) return;
    const question: Question = {
      kind: 'confirm',
      action: 'host-key',
      typed: false,
      input: '',
      prompt: `The host key of ${q.k.label} is not known. Trust it and remember it in ${this.o.knownHostsFile}? (y/N)`,
      detail: this.detailOf(q.k),
      onYes: () => this.answerHostKey(true),
      onNo: () => {
        this.answerHostKey(false);
        this.say('warn', 'Host key not trusted: not connected.');
      },
    };
    this.openQuestion = question;
    this.store.update((s) => {
      s.message = undefined;
      openOverlay(s, question);
    });
  }

  /**
   * The operator's answer to the question on screen (y: true; n, Esc: false; the question is
   * already closed). Questions about the same host and key that wait behind it get the same
   * answer; the next other one is shown.
   */
  private answerHostKey(ok: boolean): void {
    const head = this.questions[0];
    this.openQuestion = undefined;
    if (!head) return;
    const same = this.questions.filter((q) => q.k.name === head.k.name && q.k.fingerprint === head.k.fingerprint);
    this.questions = this.questions.filter((q) => !same.includes(q));
    if (this.questions.length) this.showQuestion();
    for (const q of same) q.resolve(ok);
  }

  /** The SSH settings (bastion from the options or the outputs, user, key, known_hosts), as every SSH action uses them. */
  async settings(): Promise<SshSettings> {
    const o = this.o;
    let outputIp: string | undefined;
    if (!o.bastion) {
      const out = (await o.outputs().catch(() => [] as OutputValue[])).find((x) => x.name === 'bastion_public_ip');
      outputIp = typeof out?.value === 'string' && out.value ? out.value : undefined;
    }
    const bastion = resolveBastion(o.bastion, outputIp, this.store.state.instances.rows);
    const identity = await resolveIdentity({
      ...(o.identityFile ? { identityFile: o.identityFile } : {}),
      profileIdentityFile: o.profileIdentityFile,
      environment: o.environment,
      home: o.home,
      agentSocket: o.agentSocket,
    });
    return { bastion, user: o.user || o.profileUser || DEFAULT_USER, identity, knownHostsFile: o.knownHostsFile, onUnknownHost: this.askHostKey };
  }

  private target(row: InstanceRow): SshTarget {
    const t = targetOfInstance(row);
    const e = this.o.nodeEndpoint?.(row);
    return e ? { ...t, ...e } : t;
  }

  private selectedRow(): InstanceRow | undefined {
    const s = this.store.state;
    return s.pane === 'instances' ? visibleInstances(s)[s.selected] : undefined;
  }

  /**
   * `s`: a shell on the selected instance (or `row`: the Cluster pane passes a node's instance),
   * through the bastion; the console comes back when it ends.
   */
  async shell(given?: InstanceRow): Promise<void> {
    if (this.localRefusal()) return;
    const row = given ?? this.selectedRow();
    if (!row) return this.say('warn', 'Select an instance first (Instances pane, ↑↓).');
    if (!this.handoff) return this.say('error', 'a shell needs the terminal, which this console cannot hand over');
    try {
      const target = this.target(row);
      this.say('info', `Connecting to ${target.label} through the bastion…`);
      const conn = await connect(target, await this.settings());
      let exit = 255;
      try {
        await this.handoff(async () => {
          process.stdout.write(`\r\n[platform-console] shell on ${target.label}; exit to return to the console\r\n`);
          exit = (await interactiveShell(conn.client, { stdin: process.stdin, stdout: process.stdout })).code;
        });
      } finally {
        conn.close();
      }
      this.say(exit === 0 ? 'info' : 'warn', `The shell on ${target.label} ended (exit ${exit}).`);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Space: marks or unmarks the selected instance for `:run`. */
  toggleMark(): void {
    const row = this.selectedRow();
    if (!row) return;
    this.store.update((s) => {
      const n = toggleMark(s.instances, row.id);
      s.selected = Math.min(s.selected + 1, Math.max(0, visibleInstances(s).length - 1));
      s.message = { level: 'info', text: `${n} instance${n === 1 ? '' : 's'} marked: :run COMMAND runs on them.` };
    });
  }

  /** `:mark ROLE`: marks every running instance of a role (bastion, secure, compute); `:mark none` clears. */
  markRole(role: string): void {
    this.store.update((s) => {
      const n = markRole(s.instances, role);
      s.message = { level: 'info', text: `${n} instance${n === 1 ? '' : 's'} marked${role && role !== 'none' ? ` (role ${role})` : ''}.` };
    });
  }

  /** `:run COMMAND`: runs it on the marked instances (else the selected one), 8 at a time, output grouped per node. */
  async run(command: string): Promise<void> {
    if (this.localRefusal()) return;
    if (!command.trim()) return this.say('warn', 'Give a command: :run uptime');
    if (this.running) return this.say('warn', 'A :run is still going: wait for it (its output is in the run view).');
    const s = this.store.state;
    const marked = s.instances.marked;
    const rows = marked.size ? s.instances.rows.filter((r) => marked.has(r.id)) : [this.selectedRow()].filter((r): r is InstanceRow => !!r);
    if (!rows.length) return this.say('warn', 'Mark instances with space (or :mark ROLE), or select one, then :run COMMAND.');
    let targets: SshTarget[];
    try {
      targets = rows.map((r) => this.target(r));
    } catch (err) {
      return this.fail(err);
    }
    this.running = true;
    this.store.update((st) => {
      runStarted(st.instances, command, targets.map((t) => t.label));
      openOverlay(st, { kind: 'run', scroll: 0 });
      st.message = { level: 'info', text: `Running "${command}" on ${targets.length} node${targets.length === 1 ? '' : 's'}…` };
    });
    try {
      const settings = await this.settings();
      this.runAbort = new AbortController();
      const results = await runOnMany(targets, command, settings, {
        concurrency: 8,
        signal: this.runAbort.signal,
        onResult: (r) =>
          this.store.update((st) =>
            runNodeDone(st.instances, targets.indexOf(r.target), { code: r.code, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated, ms: r.ms, ...(r.signal ? { signal: r.signal } : {}), ...(r.error ? { error: r.error.message } : {}) }),
          ),
      });
      const failed = results.filter((r) => r.code !== 0).length;
      this.store.update((st) => runEnded(st.instances));
      this.say(failed ? 'warn' : 'info', `"${command}": ${results.length - failed}/${results.length} nodes exited 0${failed ? `, ${failed} failed` : ''}.`);
    } catch (err) {
      this.store.update((st) => runEnded(st.instances, messageOf(err).text));
      this.fail(err);
    } finally {
      this.running = false;
      this.runAbort = undefined;
    }
  }

  /** The tunnel prompt's default: the internal kubeapi load balancer, port 6443. */
  async defaultTunnelDestination(): Promise<string> {
    const outs = await this.o.outputs().catch(() => [] as OutputValue[]);
    const lb = outs.find((x) => x.name === 'kubeapi_internal_elb')?.value;
    const port = outs.find((x) => x.name === 'kubeapi_internal_port')?.value;
    return typeof lb === 'string' && lb ? `${lb}:${typeof port === 'number' ? port : 6443}` : '';
  }

  /** `t`: asks for the destination (HOST:PORT [LOCAL_PORT]), prefilled with the internal kubeapi load balancer. */
  async askTunnel(): Promise<void> {
    if (this.localRefusal()) return;
    const input = await this.defaultTunnelDestination();
    this.store.open({ kind: 'prompt', label: 'Forward a local port through the bastion to HOST:PORT [LOCAL_PORT]:', hint: 'Enter to open the tunnel, Esc to back out', input, onSubmit: (spec) => void this.openTunnel(spec) });
  }

  /**
   * Opens a tunnel: `HOST:PORT [LOCAL_PORT]` (a free local port when none is given), lists it in
   * the tunnels view.
   */
  async openTunnel(spec: string): Promise<void> {
    if (this.localRefusal()) return;
    try {
      const [dest, local, ...rest] = spec.trim().split(/\s+/);
      if (!dest || rest.length) throw new SshError(`"${spec}" is not HOST:PORT [LOCAL_PORT]`, 'e.g. internal-kube-dev-123.eu-west-1.elb.amazonaws.com:6443 16443');
      const e = parseEndpoint(dest, 'tunnel destination', 443);
      let localPort = 0;
      if (local !== undefined) {
        localPort = Number(local);
        if (!/^\d+$/.test(local) || localPort < 1 || localPort > 65535) throw new SshError(`local port "${local}" is not a number from 1 to 65535`);
      }
      this.say('info', `Opening a tunnel to ${e.host}:${e.port} through the bastion…`);
      const t = await this.tunnelTo(e.host, e.port, /kubeapi|internal-/.test(e.host) ? 'kubeapi (internal load balancer)' : `${e.host}:${e.port}`, localPort);
      this.store.open({ kind: 'tunnels', scroll: 0 });
      this.say('info', `Tunnel open: 127.0.0.1:${t.localPort} → ${e.host}:${e.port} through the bastion (closed on quit).`);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Opens a tunnel through the bastion to `host:port` on 127.0.0.1:`localPort` (0: a free port)
   * and lists it in the tunnels view. Used by `t` and by the Cluster pane for a private API.
   * @throws SshError (local mode, bastion unknown or refused, port in use)
   */
  async tunnelTo(host: string, port: number, label: string, localPort = 0): Promise<Tunnel> {
    if (this.o.local) throw new SshError("the local emulator's instances have no hosts behind them: there is no bastion to tunnel through");
    const bastion = await connectBastion(await this.settings());
    let t: Tunnel;
    try {
      t = await openTunnel(bastion, { localPort, remoteHost: host, remotePort: port, label });
    } catch (err) {
      bastion.end();
      throw err;
    }
    this.tunnels.push(t);
    this.syncTunnels();
    this.tunnelTimer ??= setInterval(() => this.syncTunnels(), 1000);
    this.tunnelTimer.unref();
    return t;
  }

  private syncTunnels(): void {
    this.store.update((s) => tunnelsSynced(s.instances, this.tunnels.map((t) => ({ localPort: t.localPort, remote: `${t.remoteHost}:${t.remotePort}`, label: t.label, ...t.stats() }))));
  }

  /** Closes tunnel `t` (opened with {@link tunnelTo}) and its bastion session, quietly; nothing when it is already closed. */
  async release(t: Tunnel): Promise<void> {
    const i = this.tunnels.indexOf(t);
    if (i < 0) return;
    this.tunnels.splice(i, 1);
    await t.close();
    this.syncTunnels();
  }

  /** Closes tunnel number `n` (1-based, as the tunnels view numbers them). */
  async closeTunnel(n: number): Promise<void> {
    const t = this.tunnels[n - 1];
    if (!t) return;
    this.tunnels.splice(n - 1, 1);
    await t.close();
    this.syncTunnels();
    this.say('info', `Tunnel 127.0.0.1:${t.localPort} closed.`);
  }

  /** Cancels a `:run` in flight, closes every tunnel and declines a pending host-key question (on quit). */
  async stop(): Promise<void> {
    this.runAbort?.abort();
    for (const q of this.questions.splice(0)) q.resolve(false);
    if (this.tunnelTimer) clearInterval(this.tunnelTimer);
    const all = this.tunnels.splice(0);
    await Promise.all(all.map((t) => t.close()));
  }
}
