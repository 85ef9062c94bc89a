/**
 * Small node:http helpers shared by the sandbox's routes: reading the raw body (signatures are checked over
 * the exact bytes), replying, and the China-time formats each gateway prints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ParamError } from '../uni_modules/vk-pay/common/errors';

/** A request body larger than this is refused: no real gateway request comes near it. */
const MAX_BODY_BYTES = 1 << 20;

export async function readRawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ParamError('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = ''): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(value));
}

export function redirect(res: ServerResponse, location: string): void {
  send(res, 303, { location, 'content-type': 'text/plain; charset=utf-8' }, `See ${location}`);
}

/** Wall-clock parts in China Standard Time (UTC+8, no daylight saving), whatever this machine's zone. */
function chinaParts(ms: number): string[] {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return [p(d.getUTCFullYear(), 4), p(d.getUTCMonth() + 1), p(d.getUTCDate()), p(d.getUTCHours()), p(d.getUTCMinutes()), p(d.getUTCSeconds())];
}

/** WeChat v3: RFC 3339 with the +08:00 offset, e.g. 2018-06-08T10:34:56+08:00. */
export function rfc3339China(ms: number): string {
  const [y, mo, d, h, mi, s] = chinaParts(ms);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

/** Alipay and WeChat v2 refund times: yyyy-MM-dd HH:mm:ss (China time). */
export function dateTimeChina(ms: number): string {
  const [y, mo, d, h, mi, s] = chinaParts(ms);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

/** WeChat v2 time_end: yyyyMMddHHmmss (China time). */
export function compactChina(ms: number): string {
  return chinaParts(ms).join('');
}

/** Parses an RFC 3339 time (time_expire); undefined when it is not one. */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses yyyyMMddHHmmss as China time (WeChat v2 time_expire). */
export function parseCompactChina(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{14}$/.test(text)) return undefined;
  const ms = Date.parse(`${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(8, 10)}:${text.slice(10, 12)}:${text.slice(12, 14)}+08:00`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses yyyy-MM-dd HH:mm:ss as China time (Alipay time_expire). */
export function parseDateTimeChina(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(text)) return undefined;
  const ms = Date.parse(`${text.replace(' ', 'T')}${text.length === 16 ? ':00' : ''}+08:00`);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The `transferTimeouts` fault: the request was carried out, the answer never comes - the connection stays open
 * until the client's own timeout gives up (destroyed after 30 s at the latest, so nothing leaks).
 */
export function holdUnanswered(r: { res: ServerResponse }): void {
  setTimeout(() => r.res.destroy(), 30_000).unref();
}
