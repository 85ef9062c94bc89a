/**
 * Alipay OpenAPI (gateway.do) RSA2 signatures as pure functions over exact text (docs/PROTOCOLS.md section 4).
 * Shared by the alipay provider and the sandbox gateway.
 */
import { sign, verify, type KeyObject } from 'node:crypto';

export type KeyInput = KeyObject | string;
export type AlipayParams = Record<string, string | number | undefined | null>;

/**
 * The request sign content: every param except `sign`, empty values dropped, keys sorted by ASCII,
 * `k=v&...` with raw (not URL-encoded) values. `sign_type` IS included for requests.
 */
export function buildAlipaySignContent(params: AlipayParams, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== null && String(params[k]) !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** Notification sign content ("V1", what trade notifications use): both `sign` and `sign_type` excluded. */
export function buildAlipayNotifySignContent(params: AlipayParams): string {
  return buildAlipaySignContent(params, ['sign', 'sign_type']);
}

/** RSA2 = SHA256withRSA (PKCS#1 v1.5), base64. */
export function signRsa2(content: string, privateKey: KeyInput): string {
  return sign('sha256', Buffer.from(content, 'utf8'), privateKey).toString('base64');
}

/**
 * False (never a throw) on a malformed signature or key. The signature must be canonical base64, exactly as the
 * gateway writes it: Node's decoder skips stray characters and missing padding, so a cut or padded copy of a
 * genuine signature would otherwise still verify (found by fuzzing a truncated notification).
 */
export function verifyRsa2(content: string, signatureB64: string, publicKey: KeyInput): boolean {
  if (typeof signatureB64 !== 'string' || signatureB64 === '') return false;
  const signature = Buffer.from(signatureB64, 'base64');
  if (signature.toString('base64') !== signatureB64) return false;
  try {
    return verify('sha256', Buffer.from(content, 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

/** Signs request params: returns the `sign` value over buildAlipaySignContent(params). */
export function signAlipayParams(params: AlipayParams, privateKey: KeyInput): string {
  return signRsa2(buildAlipaySignContent(params), privateKey);
}

/** Verifies request params carrying `sign` (the gateway side). */
export function verifyAlipayParams(params: AlipayParams, publicKey: KeyInput): boolean {
  return verifyRsa2(buildAlipaySignContent(params), String(params.sign ?? ''), publicKey);
}

/** Verifies a parsed notification form (values already URL-decoded once; never decode again). */
export function verifyAlipayNotify(form: AlipayParams, publicKey: KeyInput): boolean {
  return verifyRsa2(buildAlipayNotifySignContent(form), String(form.sign ?? ''), publicKey);
}

/** The response key for a method: `alipay.trade.query` -> `alipay_trade_query_response`. */
export function responseKeyOf(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/**
 * The exact text of the JSON object value of `"<key>":` in a raw response, found by brace matching that
 * respects strings and escapes (alipay-sdk-java extractSignContent). null when the key or a balanced object is
 * absent. The signature covers these bytes, never a re-serialisation.
 */
export function extractJsonObjectText(raw: string, key: string): string | null {
  const marker = `"${key}"`;
  let at = raw.indexOf(marker);
  while (at !== -1) {
    let i = at + marker.length;
    while (i < raw.length && /\s/.test(raw[i])) i++;
    if (raw[i] === ':') {
      i++;
      while (i < raw.length && /\s/.test(raw[i])) i++;
      if (raw[i] !== '{') return null;
      return balancedObject(raw, i);
    }
    at = raw.indexOf(marker, at + 1);
  }
  return null;
}

function balancedObject(raw: string, start: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return raw.slice(start, i + 1);
    }
  }
  return null;
}

/**
 * Verifies a gateway response's `sign` over the raw `*_response` substring. Like the PHP SDK, a second attempt
 * with `\/` unescaped covers gateways that escaped slashes after signing.
 */
export function verifyAlipayResponse(raw: string, responseKey: string, signatureB64: string, publicKey: KeyInput): boolean {
  const content = extractJsonObjectText(raw, responseKey);
  if (content === null) return false;
  if (verifyRsa2(content, signatureB64, publicKey)) return true;
  return content.includes('\\/') && verifyRsa2(content.replace(/\\\//g, '/'), signatureB64, publicKey);
}

/** Builds a signed response body (the gateway side): `{"<key>":<json>,"sign":"..."}`. */
export function buildSignedAlipayResponse(responseKey: string, responseJson: string, privateKey: KeyInput): string {
  const signature = signRsa2(responseJson, privateKey);
  return `{"${responseKey}":${responseJson},"sign":${JSON.stringify(signature)}}`;
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8), independent of the host's time zone. */
export function formatAlipayTimestamp(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Parses Alipay's `yyyy-MM-dd HH:mm:ss` (Beijing time) to ms epoch; undefined when absent or malformed. */
export function parseAlipayTimestamp(text: string | undefined): number | undefined {
  // Alipay's gmt_refund carries milliseconds ("2008-10-29 20:38:00.123"); the other times do not
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text ?? '');
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms) - 8 * 3600_000;
}
