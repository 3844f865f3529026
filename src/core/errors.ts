/**
 * Typed errors of the console. Every error the operator can see is one of these:
 * it says what failed (`message`), and what to do next (`hint`). The UI and the
 * `--ci` reporter print them the same way through {@link formatError}; nothing
 * else prints a stack trace.
 */

/** Base class: `message` is what failed and why, `hint` what the operator does next. */
export class ConsoleError extends Error {
  /** Process exit code used by the CLI when this error ends a command (1 unless a subclass says otherwise). */
  readonly exitCode: number = 1;
  constructor(
    message: string,
    /** What the operator should do next, one sentence; empty when nothing useful can be said. */
    readonly hint = '',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A profile (`profiles/ENV.tfvars`) or environment name is missing or invalid. */
export class ProfileError extends ConsoleError {}

/** Command-line usage error: unknown command, missing argument, forbidden combination. */
export class UsageError extends ConsoleError {}

/** No usable AWS credentials were found, or AWS refused them. */
export class CredentialsError extends ConsoleError {}

/** Terraform (or OpenTofu) could not be found, failed, or reported errors. */
export class TofuError extends ConsoleError {}

/** The state lock is held by someone else; `lockInfo` is Terraform's Lock Info block. */
export class StateLockError extends TofuError {
  constructor(
    message: string,
    hint: string,
    readonly lockInfo: Readonly<Record<string, string>>,
  ) {
    super(message, hint);
  }
}

/** The embedded local AWS emulator could not be started, reached or stopped. */
export class LocalEmulatorError extends ConsoleError {}

/** An AWS API call failed (other than credentials). */
export class AwsError extends ConsoleError {}

/** An SSH connection, authentication or host-key check failed (exit code 255, as OpenSSH). */
export class SshError extends ConsoleError {
  override readonly exitCode: number = 255;
}

/**
 * The Kubernetes API or a kubeconfig failed. `reason` says which kind of failure, so that the
 * UI and `--ci cluster` can react to it (e.g. an unreachable API suggests a tunnel):
 * - `config`: the kubeconfig is missing, not YAML, or has no usable current context;
 * - `unreachable`: no answer (refused, timed out, DNS);
 * - `tls`: the server's certificate did not verify against the kubeconfig's CA (or its name);
 * - `auth`: the API refused the credentials (HTTP 401) or forbade the request (HTTP 403);
 * - `api`: any other failure the API answered with (HTTP status and its `Status` message);
 * - `write`: the merged kubeconfig could not be written.
 */
export class KubeError extends ConsoleError {
  constructor(
    message: string,
    hint: string,
    readonly reason: 'config' | 'unreachable' | 'tls' | 'auth' | 'api' | 'write',
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

/**
 * One or two lines for the operator: `error: MESSAGE` and, when there is one, `hint: HINT`.
 * Unknown (non-console) errors are shown by their message only, never with a stack.
 */
export function formatError(err: unknown): string {
  if (err instanceof ConsoleError) {
    return err.hint ? `error: ${err.message}\nhint: ${err.hint}` : `error: ${err.message}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}

/**
 * The message line for an error, as the console shows it: `text` (what failed) and, for a
 * {@link ConsoleError} that has one, `hint` (what to do). Never a stack trace.
 */
export function messageOf(err: unknown): { text: string; hint?: string } {
  if (err instanceof ConsoleError) return err.hint ? { text: err.message, hint: err.hint } : { text: err.message };
  return { text: formatError(err).replace(/^error: /, '') };
}

/**
 * What to print on stderr for an error that ends a command or the console: {@link formatError}'s
 * lines; for an unexpected error (not a {@link ConsoleError}) also its stack trace when
 * `PLATFORM_DEBUG` is set in `env`, else a hint saying how to get it for a bug report.
 * @returns the text, ending with a newline.
 */
export function failureText(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const text = formatError(err) + '\n';
  if (err instanceof ConsoleError) return text;
  if (env.PLATFORM_DEBUG && err instanceof Error && err.stack) return `${text}${err.stack}\n`;
  return `${text}hint: this is unexpected; run again with PLATFORM_DEBUG=1 for its stack trace and add it to a bug report\n`;
}

/** The exit code for an error that ends a CLI command: the error's own, else 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof ConsoleError ? err.exitCode : 1;
}
