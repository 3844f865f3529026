import { createHash } from 'node:crypto';

/** The text shown in place of a sensitive value, everywhere (plan rows, outputs, logs, --ci output). */
export const MASK = '(sensitive)';

/**
 * Replaces the sensitive parts of `value` by {@link MASK}.
 * `sensitive` has the shape Terraform gives in `show -json` (`before_sensitive`, `after_sensitive`,
 * and the plan's `output_changes`): `true` marks the value at that position sensitive, objects and
 * arrays mirror the value's structure, `false` or a missing key means not sensitive
 * (source: Terraform's "JSON Output Format" documentation, "Change Representation").
 * @returns a new value; the input is not modified.
 */
export function maskSensitive(value: unknown, sensitive: unknown): unknown {
  if (sensitive === true) return MASK;
  if (sensitive === null || typeof sensitive !== 'object') return value;
  if (Array.isArray(value)) {
    const marks = Array.isArray(sensitive) ? sensitive : [];
    return value.map((v, i) => maskSensitive(v, marks[i]));
  }
  if (value !== null && typeof value === 'object') {
    const marks = sensitive as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSensitive(v, marks[k]);
    return out;
  }
  return value;
}

/** One-line rendering of a (possibly masked) value for tables: strings bare, others as JSON, cut to `max` characters. */
export function renderValue(value: unknown, max = 200): string {
  const s = typeof value === 'string' ? value : value === undefined ? '(known after apply)' : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * What the UI and `--ci` show instead of a secret's body: `•••••• (1,234 bytes, sha256 ab12cd34…)`.
 * The 8-hex-digit SHA-256 prefix lets an operator tell two versions apart; note that for a
 * secret from a tiny value space (a 4-digit PIN) even a hash prefix allows guessing it.
 */
export function maskSecret(body: Buffer): string {
  return `•••••• (${body.length.toLocaleString('en-US')} bytes, sha256 ${createHash('sha256').update(body).digest('hex').slice(0, 8)}…)`;
}
