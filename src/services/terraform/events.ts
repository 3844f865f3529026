/**
 * Streaming parser of Terraform's (and OpenTofu's) machine-readable UI: the
 * newline-delimited JSON that `terraform plan -json`, `apply -json` and
 * `destroy -json` print, one message per line.
 *
 * Source of the format: Terraform's "Machine-readable UI Output Reference"
 * (developer.hashicorp.com/terraform/internals/machine-readable-ui) and
 * `internal/command/views/json/` in Terraform's source; checked against real
 * recordings of Terraform 1.11.4 in `test/fixtures/tf-json/`.
 *
 * What the parser guarantees:
 * - The first line is a `version` message; its `ui` version is "1.x" (1.11.4
 *   sends "1.2"). Unknown fields are ignored; a new major (`ui` "2.0") is
 *   rejected with a {@link TofuError}.
 * - Unknown message types become `log` events with `rawType`, never errors.
 * - Lines that are not JSON (a provider's Go panic, stray stderr such as the
 *   CLI-configuration warnings Terraform prints as human text) become `log`
 *   events with `rawType` {@link NON_JSON_RAW_TYPE}, and are also buffered (the
 *   last {@link MAX_NON_JSON_CHARS} characters): the next error `diagnostic`
 *   gets them appended to its `detail`; at {@link TfJsonStreamParser.end} any
 *   text still buffered becomes one error `diagnostic` of its own.
 * - Sensitive output values never leave the parser, and no event carries the
 *   raw JSON line.
 */

import { StringDecoder } from 'node:string_decoder';
import { TofuError } from '../../core/errors.js';

/**
 * What Terraform does (or did) to a resource instance, as Terraform names it
 * (`plans.Action` rendered by `internal/command/views/json/change.go`). Any
 * other string Terraform sends is kept as given.
 */
export type ChangeAction =
  | 'noop'
  | 'create'
  | 'read'
  | 'update'
  | 'replace'
  | 'delete'
  | 'move'
  | 'import'
  | 'forget'
  | 'remove'
  | (string & {}); // any other action string, kept as given (the intersection keeps the literals visible to editors)

/** Fields every event has. */
export interface TfEventBase {
  /** Milliseconds since the Unix epoch, from the message's `@timestamp`; `Date.now()` when absent or unparsable. */
  timestamp: number;
  /** `@level`: "info", "warn", "error" … as Terraform sends it; {@link NON_JSON_LEVEL} for non-JSON lines. */
  level: string;
  /** `@message`, Terraform's one-line human rendering; for non-JSON lines, the line itself (cut at {@link MAX_TEXT_EVENT_CHARS}). */
  message: string;
}

/** `version`: always the first message. `terraform` is the CLI version (OpenTofu's `tofu` field lands here too), `ui` the format version, e.g. "1.2". */
export interface VersionFields {
  type: 'version';
  terraform: string;
  ui: string;
}

/** `log`: a free-form log message, or any message type this parser does not know (then `rawType` is that type; for non-JSON lines it is {@link NON_JSON_RAW_TYPE}; for JSON without a `type`, ""). */
export interface LogFields {
  type: 'log';
  rawType?: string;
}

/** `diagnostic`: an error or warning. `range` is where it points in the configuration (`line`, `column` are 1-based, from `range.start`); `snippet` is the source line (`snippet.code`). */
export interface DiagnosticFields {
  type: 'diagnostic';
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  address?: string;
  range?: { filename: string; line: number; column: number };
  snippet?: string;
}

/** `planned_change` (plan) and `resource_drift` (state changed outside Terraform, or a `moved` seen by `-refresh-only`). `reason` explains replacements and deletions, e.g. "cannot_update"; `previousAddress` is set for moves. */
export interface ChangeFields {
  type: 'planned_change' | 'resource_drift';
  /** Resource instance address, e.g. `module.net.aws_vpc.main` or `terraform_data.nodes[0]`. */
  address: string;
  /** Resource type, e.g. `aws_instance`. */
  resourceType: string;
  action: ChangeAction;
  reason?: string;
  previousAddress?: string;
}

/** `change_summary`: the counts printed as "Plan: 1 to add, 0 to change, 1 to destroy." (`remove` is "destroy"). */
export interface ChangeSummaryFields {
  type: 'change_summary';
  operation: 'plan' | 'apply' | 'destroy';
  add: number;
  change: number;
  remove: number;
  import: number;
}

/** `apply_start`: an operation on a resource began. `idKey`/`idValue` name the existing object (absent for creates). */
export interface ApplyStartFields {
  type: 'apply_start';
  address: string;
  action: ChangeAction;
  idKey?: string;
  idValue?: string;
}

/** `apply_progress`: heartbeat of a running operation, sent every 10 s; `elapsedSeconds` is whole seconds since `apply_start`. */
export interface ApplyProgressFields {
  type: 'apply_progress';
  address: string;
  action: ChangeAction;
  elapsedSeconds: number;
}

/** `apply_complete`: the operation succeeded after `elapsedSeconds` (whole seconds). `idKey`/`idValue` name the resulting object (absent for deletes). */
export interface ApplyCompleteFields {
  type: 'apply_complete';
  address: string;
  action: ChangeAction;
  elapsedSeconds: number;
  idKey?: string;
  idValue?: string;
}

/** `apply_errored`: the operation failed after `elapsedSeconds`. It carries no reason: the error `diagnostic` that follows does. */
export interface ApplyErroredFields {
  type: 'apply_errored';
  address: string;
  action: ChangeAction;
  elapsedSeconds: number;
}

/** `refresh_start`: Terraform began reading the resource's current state. */
export interface RefreshStartFields {
  type: 'refresh_start';
  address: string;
}

/** `refresh_complete`: the read finished; `idValue` is the object's id. */
export interface RefreshCompleteFields {
  type: 'refresh_complete';
  address: string;
  idValue?: string;
}

/** `provision_*`: a provisioner (`local-exec`, `remote-exec` …) started, printed a line (`output`, progress only), completed or errored. */
export interface ProvisionFields {
  type: 'provision_start' | 'provision_progress' | 'provision_complete' | 'provision_errored';
  address: string;
  provisioner: string;
  output?: string;
}

/** One root-module output. `value` is never set when `sensitive` is true; `type` is Terraform's JSON type expression; `action` (plan only) is what happens to the output. */
export interface OutputInfo {
  sensitive: boolean;
  type?: unknown;
  value?: unknown;
  action?: string;
}

/** `outputs`: root-module outputs; in a plan only `sensitive` and `action`, after apply `type` and (non-sensitive only) `value`. */
export interface OutputsFields {
  type: 'outputs';
  outputs: Record<string, OutputInfo>;
}

/** The type-specific part of an event. */
export type TfEventBody =
  | VersionFields
  | LogFields
  | DiagnosticFields
  | ChangeFields
  | ChangeSummaryFields
  | ApplyStartFields
  | ApplyProgressFields
  | ApplyCompleteFields
  | ApplyErroredFields
  | RefreshStartFields
  | RefreshCompleteFields
  | ProvisionFields
  | OutputsFields;

/** One message of Terraform's machine-readable UI stream, decoded. */
export type TfEvent = TfEventBase & TfEventBody;

/** The event of a given `type`, e.g. `TfEventOf<'diagnostic'>`. */
export type TfEventOf<T extends TfEvent['type']> = TfEvent & { type: T };

/** `rawType` of the `log` events made from lines that are not JSON. */
export const NON_JSON_RAW_TYPE = 'non-json';
/** `level` of the `log` events made from lines that are not JSON. */
export const NON_JSON_LEVEL = 'raw';
/** Summary of the diagnostic emitted at the end of a stream that left non-JSON text unclaimed. */
export const NON_JSON_SUMMARY = 'Terraform printed output that is not JSON (a provider may have crashed)';
/** How much non-JSON text is kept for a diagnostic's detail (the last N characters). */
export const MAX_NON_JSON_CHARS = 64 * 1024;
/** A non-JSON line's `log` event message is cut to this many characters. */
export const MAX_TEXT_EVENT_CHARS = 8 * 1024;
/** A line longer than this (characters, no newline yet) is given up on: treated as non-JSON text. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
/** The only major version of the `ui` format this parser understands. */
export const SUPPORTED_UI_MAJOR = 1;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function timestampOf(v: unknown): number {
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return Date.now();
}

/** Rejects a `ui` version whose major is not {@link SUPPORTED_UI_MAJOR} (a missing `ui` is let through). */
function checkUiVersion(ui: string | undefined, terraform: string): void {
  if (ui === undefined) return;
  const dot = ui.indexOf('.');
  const majorText = dot === -1 ? ui : ui.slice(0, dot);
  const major = /^\d+$/.test(majorText) ? Number(majorText) : Number.NaN;
  if (major === SUPPORTED_UI_MAJOR) return;
  throw new TofuError(
    `Terraform ${terraform || '(unknown version)'} speaks machine-readable UI version ${ui}, but platform-console understands only ${SUPPORTED_UI_MAJOR}.x`,
    'Upgrade platform-console or use Terraform 1.x.',
  );
}

/** Address and type of a `resource` object (`ResourceAddr` in Terraform's source). */
function resourceOf(v: unknown): { address: string; resourceType: string } | undefined {
  if (!isObject(v)) return undefined;
  const address = str(v.addr);
  if (address === undefined) return undefined;
  return { address, resourceType: str(v.resource_type) ?? '' };
}

const CHANGE_OPERATIONS: ReadonlySet<string> = new Set(['plan', 'apply', 'destroy']);

/**
 * Decodes the type-specific part of a message; `undefined` when a known type
 * lacks the fields it must have (then the message is kept as a `log`).
 */
function decodeBody(type: string, msg: Json): TfEventBody | undefined {
  switch (type) {
    case 'version': {
      const terraform = str(msg.terraform) ?? str(msg.tofu) ?? '';
      const ui = str(msg.ui);
      checkUiVersion(ui, terraform);
      return { type: 'version', terraform, ui: ui ?? '' };
    }
    case 'log':
      return { type: 'log' };
    case 'diagnostic': {
      const d = msg.diagnostic;
      if (!isObject(d)) return undefined;
      const out: DiagnosticFields = {
        type: 'diagnostic',
        severity: d.severity === 'warning' ? 'warning' : 'error',
        summary: str(d.summary) ?? '',
        detail: str(d.detail) ?? '',
      };
      const address = str(d.address);
      if (address !== undefined) out.address = address;
      const range = d.range;
      if (isObject(range) && isObject(range.start)) {
        out.range = { filename: str(range.filename) ?? '', line: num(range.start.line), column: num(range.start.column) };
      }
      const snippet = d.snippet;
      if (isObject(snippet) && typeof snippet.code === 'string') out.snippet = snippet.code;
      return out;
    }
    case 'planned_change':
    case 'resource_drift': {
      const c = msg.change;
      if (!isObject(c)) return undefined;
      const res = resourceOf(c.resource);
      if (!res) return undefined;
      const out: ChangeFields = { type, address: res.address, resourceType: res.resourceType, action: str(c.action) ?? '' };
      const reason = str(c.reason);
      if (reason !== undefined) out.reason = reason;
      const prev = resourceOf(c.previous_resource);
      if (prev) out.previousAddress = prev.address;
      return out;
    }
    case 'change_summary': {
      const c = msg.changes;
      if (!isObject(c)) return undefined;
      const operation = str(c.operation);
      if (operation === undefined || !CHANGE_OPERATIONS.has(operation)) return undefined;
      return {
        type: 'change_summary',
        operation: operation as ChangeSummaryFields['operation'],
        add: num(c.add),
        change: num(c.change),
        remove: num(c.remove),
        import: num(c.import),
      };
    }
    case 'apply_start':
    case 'apply_progress':
    case 'apply_complete':
    case 'apply_errored': {
      const h = msg.hook;
      if (!isObject(h)) return undefined;
      const res = resourceOf(h.resource);
      if (!res) return undefined;
      const action = str(h.action) ?? '';
      if (type === 'apply_start' || type === 'apply_complete') {
        const out: ApplyStartFields | ApplyCompleteFields =
          type === 'apply_start'
            ? { type, address: res.address, action }
            : { type, address: res.address, action, elapsedSeconds: num(h.elapsed_seconds) };
        const idKey = str(h.id_key);
        const idValue = str(h.id_value);
        if (idKey !== undefined) out.idKey = idKey;
        if (idValue !== undefined) out.idValue = idValue;
        return out;
      }
      return { type, address: res.address, action, elapsedSeconds: num(h.elapsed_seconds) };
    }
    case 'refresh_start':
    case 'refresh_complete': {
      const h = msg.hook;
      if (!isObject(h)) return undefined;
      const res = resourceOf(h.resource);
      if (!res) return undefined;
      if (type === 'refresh_start') return { type, address: res.address };
      const out: RefreshCompleteFields = { type, address: res.address };
      const idValue = str(h.id_value);
      if (idValue !== undefined) out.idValue = idValue;
      return out;
    }
    case 'provision_start':
    case 'provision_progress':
    case 'provision_complete':
    case 'provision_errored': {
      const h = msg.hook;
      if (!isObject(h)) return undefined;
      const res = resourceOf(h.resource);
      if (!res) return undefined;
      const out: ProvisionFields = { type, address: res.address, provisioner: str(h.provisioner) ?? '' };
      const output = str(h.output);
      if (output !== undefined) out.output = output;
      return out;
    }
    case 'outputs': {
      const o = msg.outputs;
      if (!isObject(o)) return undefined;
      const outputs: Record<string, OutputInfo> = {};
      for (const name of Object.keys(o)) {
        const src = o[name];
        if (!isObject(src)) continue;
        // Fail closed: only an explicit `sensitive: false` lets a value through.
        const sensitive = src.sensitive !== false;
        const info: OutputInfo = { sensitive };
        if (src.type !== undefined) info.type = src.type;
        if (!sensitive && src.value !== undefined) info.value = src.value;
        const action = str(src.action);
        if (action !== undefined) info.action = action;
        outputs[name] = info;
      }
      return { type: 'outputs', outputs };
    }
    default:
      return undefined;
  }
}

/**
 * Decodes one line of the stream (without its newline). Returns `null` when
 * the line is not a JSON object (the caller treats it as raw text). Unknown or
 * malformed messages come back as `log` events with `rawType`.
 *
 * @throws {TofuError} for a `version` message with an unsupported major `ui` version.
 */
export function parseTfJsonLine(line: string): TfEvent | null {
  // Cheap pre-check: a message is an object, so its first non-blank character is "{".
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) break;
    i++;
  }
  if (i === n || line.charCodeAt(i) !== 123 /* { */) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  const base: TfEventBase = {
    timestamp: timestampOf(parsed['@timestamp']),
    level: str(parsed['@level']) ?? 'info',
    message: str(parsed['@message']) ?? '',
  };
  const rawType = typeof parsed.type === 'string' ? parsed.type : '';
  const body = decodeBody(rawType, parsed);
  if (body) return Object.assign(base, body);
  return Object.assign(base, { type: 'log' as const, rawType });
}

/**
 * Turns chunks of Terraform's stdout (and, if the caller merges it, stderr)
 * into {@link TfEvent}s. Lines may be split anywhere across chunks (also inside
 * a UTF-8 sequence when Buffers are pushed; do not mix Buffers and strings in
 * one stream); CRLF line ends and blank lines are accepted.
 *
 * ```ts
 * const parser = new TfJsonStreamParser();
 * child.stdout.on('data', (c) => emit(parser.push(c)));
 * child.on('close', () => emit(parser.end()));
 * ```
 */
export class TfJsonStreamParser {
  private readonly decoder = new StringDecoder('utf8');
  /** The incomplete last line of what was pushed so far. */
  private partial = '';
  /** The current line grew past {@link MAX_LINE_CHARS}: its rest is raw text up to the next newline. */
  private overlong = false;
  /** Non-JSON lines not yet claimed by a diagnostic (only the last {@link MAX_NON_JSON_CHARS} characters). */
  private rawLines: string[] = [];
  private rawChars = 0;
  private rawDropped = false;

  /**
   * Feeds a chunk; returns the events of the lines it completed, in order.
   * @throws {TofuError} when the stream declares an unsupported `ui` major version.
   */
  push(chunk: string | Buffer): TfEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: TfEvent[] = [];
    if (text.length === 0) return out;
    let nl = text.indexOf('\n');
    if (nl === -1) {
      this.appendPartial(text, out);
      return out;
    }
    const first = this.partial.length > 0 ? this.partial + text.slice(0, nl) : text.slice(0, nl);
    this.partial = '';
    this.completeLine(first, out);
    let start = nl + 1;
    while ((nl = text.indexOf('\n', start)) !== -1) {
      this.handleLine(text.slice(start, nl), out);
      start = nl + 1;
    }
    if (start < text.length) this.appendPartial(text.slice(start), out);
    return out;
  }

  /**
   * Ends the stream: parses a last line without newline and, when non-JSON
   * text is still unclaimed, emits one error diagnostic ({@link NON_JSON_SUMMARY})
   * whose detail is that text. The parser is empty afterwards.
   */
  end(): TfEvent[] {
    const out: TfEvent[] = [];
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.completeLine(rest, out);
    this.overlong = false;
    const text = this.takeRawText();
    if (text !== '') {
      out.push({
        type: 'diagnostic',
        timestamp: Date.now(),
        level: 'error',
        message: `Error: ${NON_JSON_SUMMARY}`,
        severity: 'error',
        summary: NON_JSON_SUMMARY,
        detail: text,
      });
    }
    return out;
  }

  private appendPartial(text: string, out: TfEvent[]): void {
    if (this.partial.length + text.length <= MAX_LINE_CHARS) {
      this.partial += text;
      return;
    }
    // A runaway line: keep it as raw text (bounded) and drop the rest of it.
    const line = this.partial + text;
    this.partial = '';
    this.overlong = true;
    this.handleRaw(line, out);
  }

  /** A line that ended with a newline (or the stream's end). */
  private completeLine(line: string, out: TfEvent[]): void {
    if (this.overlong) {
      this.overlong = false;
      this.handleRaw(stripCr(line), out);
      return;
    }
    this.handleLine(line, out);
  }

  private handleLine(rawLine: string, out: TfEvent[]): void {
    const line = stripCr(rawLine);
    if (isBlank(line)) {
      // Keep blank lines inside raw text (stack traces use them), never emit them.
      if (this.rawLines.length > 0) this.addRaw('');
      return;
    }
    const ev = parseTfJsonLine(line);
    if (ev === null) {
      this.handleRaw(line, out);
      return;
    }
    if (ev.type === 'diagnostic' && ev.severity === 'error' && this.rawLines.length > 0) {
      const text = this.takeRawText();
      if (text !== '') ev.detail = ev.detail === '' ? text : `${ev.detail}\n\n${text}`;
    }
    out.push(ev);
  }

  private handleRaw(line: string, out: TfEvent[]): void {
    this.addRaw(line);
    out.push({
      type: 'log',
      rawType: NON_JSON_RAW_TYPE,
      timestamp: Date.now(),
      level: NON_JSON_LEVEL,
      message: line.length > MAX_TEXT_EVENT_CHARS ? `${line.slice(0, MAX_TEXT_EVENT_CHARS)}…` : line,
    });
  }

  private addRaw(line: string): void {
    let kept = line;
    if (kept.length > MAX_NON_JSON_CHARS) {
      kept = kept.slice(kept.length - MAX_NON_JSON_CHARS);
      this.rawDropped = true;
    }
    this.rawLines.push(kept);
    this.rawChars += kept.length + 1;
    if (this.rawChars > MAX_NON_JSON_CHARS) {
      // Drop whole lines from the front; rare, so a one-off splice is fine.
      let drop = 0;
      while (this.rawChars > MAX_NON_JSON_CHARS && drop < this.rawLines.length - 1) {
        this.rawChars -= (this.rawLines[drop]?.length ?? 0) + 1;
        drop++;
      }
      this.rawLines.splice(0, drop);
      this.rawDropped = true;
    }
  }

  /** The buffered non-JSON text (trailing blank lines trimmed), emptying the buffer. */
  private takeRawText(): string {
    const lines = this.rawLines;
    let end = lines.length;
    while (end > 0 && lines[end - 1] === '') end--;
    let text = lines.slice(0, end).join('\n');
    if (text !== '' && this.rawDropped) text = `[earlier output dropped]\n${text}`;
    this.rawLines = [];
    this.rawChars = 0;
    this.rawDropped = false;
    return text;
  }
}

function stripCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
