/**
 * Turns whatever a Kubernetes API call threw into a {@link KubeError} that says what failed and
 * what to do: unreachable, TLS (the CA), credentials refused, or the API's own `Status` answer.
 * Plain TypeScript, no Ink.
 *
 * What is recognised (client-node 2.x runs on undici's fetch):
 * - `fetch failed` TypeErrors whose `cause` carries a Node/undici/OpenSSL error code
 *   (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
 *   `ERR_TLS_CERT_ALTNAME_INVALID` …);
 * - an aborted request (`AbortError`, `TimeoutError`: our own deadline);
 * - client-node's `ApiException` (`code` = HTTP status, `body` = the API's `Status` object or text)
 *   and its `Watch` errors (`statusCode`);
 * - a watch `ERROR` event's `Status` object (`{ kind: 'Status', code, reason, message }`).
 */
import { KubeError } from '../../core/errors.js';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** OpenSSL/Node certificate verification codes: the server's certificate does not verify. */
const TLS_VERIFY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Where the call went and what it was doing, for messages. */
export interface KubeCallContext {
  /** The API server URL (the kubeconfig's current cluster). */
  server: string;
  /** What was being done, e.g. "list nodes". */
  what: string;
  /** The deadline of the call, ms, when one was set (named in the unreachable message). */
  timeoutMs?: number;
}

/** The chain of causes of an error, the error first (at most 6 deep). */
function causes(err: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && typeof e === 'object' && e !== null; i++) {
    out.push(e as Record<string, unknown>);
    const agg = (e as { errors?: unknown[] }).errors;
    e = (e as { cause?: unknown }).cause ?? (Array.isArray(agg) ? agg[0] : undefined);
  }
  return out;
}

/** HTTP status of an ApiException (`code`), a Watch error (`statusCode`) or a Status object (`code`). */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

/** The `message` of the API's `Status` in an ApiException body (object or JSON text), if any. */
function statusMessage(err: unknown): string | undefined {
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    const text = body.trim();
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return text ? text.slice(0, 200) : undefined;
    }
  }
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  const m = (err as { message?: unknown }).message;
  return typeof m === 'string' && !m.startsWith('HTTP-Code:') ? m : undefined;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The {@link KubeError} for a failed call. A KubeError is returned as it is.
 * Reasons: `unreachable` (no answer, refused, timed out), `tls` (certificate did not verify),
 * `auth` (401/403), `api` (any other HTTP status or unknown failure).
 */
export function toKubeError(err: unknown, ctx: KubeCallContext): KubeError {
  if (err instanceof KubeError) return err;
  const { server, what } = ctx;
  const chain = causes(err);
  const status = httpStatusOf(err);
  if (status === 401) {
    return new KubeError(
      `the Kubernetes API at ${server} refused the credentials (HTTP 401 Unauthorized) to ${what}: the kubeconfig's token or client certificate is wrong or expired`,
      'fetch a fresh kubeconfig (secure/kubeconfig_admin in the secrets bucket) or give a current one with --kubeconfig',
      'auth',
      { cause: err },
    );
  }
  if (status === 403) {
    const m = statusMessage(err);
    return new KubeError(
      `the Kubernetes API at ${server} forbade the kubeconfig's user to ${what} (HTTP 403 Forbidden)${m ? `: ${m}` : ''}`,
      'use the admin kubeconfig (secure/kubeconfig_admin), or grant this user list/watch on nodes, namespaces and pods',
      'auth',
      { cause: err },
    );
  }
  if (status !== undefined && status >= 300) {
    const m = statusMessage(err);
    return new KubeError(`the Kubernetes API at ${server} answered HTTP ${status} to ${what}${m ? `: ${m}` : ''}`, status >= 500 ? 'the API server is failing: look at the control plane (secure nodes)' : '', 'api', { cause: err });
  }
  for (const c of chain) {
    const code = typeof c.code === 'string' ? c.code : '';
    if (TLS_VERIFY.has(code)) {
      const name = code === 'ERR_TLS_CERT_ALTNAME_INVALID';
      return new KubeError(
        name
          ? `the Kubernetes API at ${server} presented a certificate that is not valid for this address (${String(c.reason ?? c.message ?? code)})`
          : `the Kubernetes API at ${server} presented a certificate that does not verify against the kubeconfig's CA (${code}): wrong certificate-authority-data, or not the cluster you think`,
        name
          ? 'set tls-server-name in the kubeconfig to a name the certificate lists (the console does this for tunnels)'
          : 'use the kubeconfig made for this cluster (secure/kubeconfig_admin in the secrets bucket); its CA must have signed the API server\'s certificate',
        'tls',
        { cause: err },
      );
    }
    if (/certificate|ssl|tls/i.test(code) || (code.startsWith('ERR_SSL') && code !== '')) {
      return new KubeError(`TLS with the Kubernetes API at ${server} failed (${code}: ${String(c.message ?? '')})`, 'check that the address is the API server\'s HTTPS port and the kubeconfig\'s CA is the cluster\'s', 'tls', { cause: err });
    }
  }
  const timedOut = chain.some((c) => c.name === 'TimeoutError' || c.code === 'UND_ERR_CONNECT_TIMEOUT' || c.code === 'ETIMEDOUT' || c.code === 'UND_ERR_HEADERS_TIMEOUT');
  const aborted = chain.some((c) => c.name === 'AbortError');
  const code = chain.map((c) => (typeof c.code === 'string' ? c.code : '')).find((c) => UNREACHABLE.has(c));
  if (timedOut || code || aborted) {
    const how = timedOut || (aborted && !code)
      ? `did not answer${ctx.timeoutMs ? ` within ${seconds(ctx.timeoutMs)}` : ' in time'}`
      : code === 'ECONNREFUSED'
        ? 'refused the connection (nothing listens there)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'has a host name that does not resolve'
          : `could not be reached (${code})`;
    return new KubeError(
      `the Kubernetes API at ${server} is unreachable: it ${how} (${what})`,
      'if the API is private, open the tunnel through the bastion; otherwise check the kubeapi load balancer and that the cluster is up',
      'unreachable',
      { cause: err },
    );
  }
  const msg = chain.map((c) => (typeof c.message === 'string' ? c.message : '')).filter(Boolean).join(': ') || String(err);
  return new KubeError(`the Kubernetes API at ${server} failed to ${what}: ${msg.split('\n')[0]}`, '', 'api', { cause: err });
}
