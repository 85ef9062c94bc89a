/**
 * What may be stored in logs, errors and the raw-notification inbox: never keys or card data, and personal
 * identifiers only masked (docs/RELIABILITY.md section 9: secrets never appear in logs). Applied to every object
 * before it is written; returns a copy and never throws.
 */

/** Secrets: removed outright. */
const SECRET_KEY = /(private|secret|passw|api_?v?[23]?_?key|apikey|^key$|_key$|token|authorization|cookie|^sign$|signature|pem$|cert|cvv|cvc|card|^pan$|bank_?(no|account|card)|acc_no)/i;
/** Personal identifiers: masked, keeping just enough to match by eye. */
const OPENID_KEY = /(openid|open_id|buyer_id|buyer_logon_id|unionid|user_id_token)/i;
const PHONE_KEY = /(phone|mobile|tel$)/i;
const PEM_VALUE = /-----BEGIN [A-Z ]*-----/;

export function maskMiddle(value: string, keepStart: number, keepEnd: number): string {
  if (value.length <= keepStart + keepEnd) return '*'.repeat(value.length);
  return value.slice(0, keepStart) + '*'.repeat(Math.min(8, value.length - keepStart - keepEnd)) + value.slice(value.length - keepEnd);
}

export function sanitize<T>(value: T, depth = 0): T {
  return sanitizeValue(value, undefined, depth) as T;
}

function sanitizeValue(value: unknown, key: string | undefined, depth: number): unknown {
  if (depth > 8) return '[too deep]';
  if (key !== undefined && SECRET_KEY.test(key)) return value === undefined || value === null || value === '' ? value : '[removed]';
  if (typeof value === 'string') {
    if (PEM_VALUE.test(value)) return '[removed]';
    if (key !== undefined && OPENID_KEY.test(key)) return maskMiddle(value, 4, 4);
    if (key !== undefined && PHONE_KEY.test(key)) return maskMiddle(value, 3, 4);
    return value.length > 4000 ? `${value.slice(0, 4000)}...[truncated]` : value;
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => sanitizeValue(v, key, depth + 1));
  if (value instanceof Date) return value;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'function') continue;
      out[k] = sanitizeValue(v, k, depth + 1);
    }
    return out;
  }
  return value;
}
