/** Small HTTP helpers of the host: bounded body reading and the JSON envelope replies. */
import type http from 'node:http';
import { ERROR_TABLE, developerMessage, failureEnvelope, type ErrorEnvelope } from '../../uni_modules/vk-pay/common/errors';

export const MAX_BODY_BYTES = 256 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'aborted' };

/** Reads the body, giving up as soon as it passes `limit` bytes (nothing past the limit is buffered). */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, reason: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }));
    req.on('aborted', () => finish({ ok: false, reason: 'aborted' }));
    req.on('error', () => finish({ ok: false, reason: 'aborted' }));
  });
}

export function envelopeOf(code: Exclude<keyof typeof ERROR_TABLE, 0>, detail?: string): ErrorEnvelope {
  const entry = ERROR_TABLE[code];
  return failureEnvelope(code, developerMessage(code, detail), entry.action);
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...extraHeaders });
  res.end(text);
}

/** A body over the limit: answer 413 and close the connection rather than reading the rest. */
export function sendTooLarge(res: http.ServerResponse): void {
  sendJson(res, 413, envelopeOf(40001, 'request body over 256 KB'), { connection: 'close' });
}

export function lowerCaseHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function clientIpOf(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** What a function returned -> the HTTP reply, as uniCloud's URL-ization does it. */
export function sendFunctionResult(res: http.ServerResponse, result: unknown): void {
  const r = result as { mpserverlessComposedResponse?: unknown; statusCode?: number; headers?: Record<string, string>; body?: unknown; isBase64Encoded?: boolean } | null;
  if (r && typeof r === 'object' && r.mpserverlessComposedResponse) {
    const body = r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(String(r.body), 'base64') : String(r.body);
    res.writeHead(r.statusCode ?? 200, { ...(r.headers ?? {}), 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (typeof result === 'string') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(result) });
    res.end(result);
    return;
  }
  sendJson(res, 200, result === undefined ? null : result);
}
