import { AwsError, CredentialsError, type ConsoleError } from '../../core/errors.js';

/** Error names AWS uses for throttling (the caller should back off and retry). */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'SlowDown', 'RequestThrottled', 'RequestThrottledException']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'Forbidden']);
const EXPIRED = new Set(['ExpiredToken', 'AuthFailure', 'ExpiredTokenException', 'RequestExpired', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'InvalidAccessKeyId']);
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|socket hang up|TimeoutError|connect ETIMEDOUT/;

/** Whether an SDK error means "throttled: back off and retry". */
export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING.has(e?.name ?? '') || e?.$metadata?.httpStatusCode === 429;
}

/**
 * Turns an AWS SDK v3 error into the console's typed error: what failed (`what`, e.g. "listing
 * instances"), why, and what to do. Throttling, denied access, expired or invalid credentials
 * and an unreachable endpoint each get their own hint.
 * @param endpoint the endpoint in use (the emulator's), for the unreachable case.
 */
export function toAwsError(err: unknown, what: string, endpoint?: string): ConsoleError {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? '';
  const msg = (e?.message ?? String(err)).split('\n')[0] ?? '';
  if (EXPIRED.has(name)) {
    return new CredentialsError(`${what}: AWS refused the credentials (${name}: ${msg})`, 'refresh or replace the credentials (e.g. aws sso login), then refresh (r)', { cause: err });
  }
  if (isThrottling(err)) {
    return new AwsError(`${what}: AWS is throttling requests (${name || 'HTTP 429'})`, 'the console backs off and retries; wait a moment', { cause: err });
  }
  if (DENIED.has(name) || e?.$metadata?.httpStatusCode === 403) {
    return new AwsError(`${what}: access denied (${name || 'HTTP 403'}: ${msg})`, 'the credentials lack an IAM permission for this; ask for it or use another profile', { cause: err });
  }
  if (UNREACHABLE.test(`${name} ${e?.code ?? ''} ${msg}`)) {
    return new AwsError(
      `${what}: cannot reach ${endpoint ?? 'AWS'} (${e?.code ?? name}: ${msg})`,
      endpoint ? 'the local emulator is not answering: restart the console with --local (it starts the emulator again)' : 'check the network, a proxy, or the region',
      { cause: err },
    );
  }
  return new AwsError(`${what}: ${name ? `${name}: ` : ''}${msg}`, '', { cause: err });
}
