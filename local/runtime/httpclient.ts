/**
 * `uniCloud.httpclient.request` on Node's fetch, with the urllib-style options and result the cloud code uses
 * (`{status, headers, data}`; `data` a Buffer unless `dataType` is 'json' or 'text'). Errors carry urllib's
 * names so code written for uniCloud can tell a timeout from a refused connection.
 */
import https from 'node:https';

export interface HttpclientOptions {
  method?: string;
  data?: unknown;
  dataAsQueryString?: boolean;
  content?: string | Buffer;
  headers?: Record<string, string>;
  contentType?: 'json' | string;
  dataType?: 'json' | 'text' | '';
  /** ms, or [connect, response] */
  timeout?: number | [number, number];
  followRedirect?: boolean;
  /** mutual TLS (urllib's options): PKCS#12 + passphrase, or PEM key + cert; extra trust anchors */
  pfx?: Buffer;
  passphrase?: string;
  key?: string;
  cert?: string;
  ca?: string;
}

export interface HttpclientResult {
  status: number;
  headers: Record<string, string>;
  data: unknown;
  res: { status: number; statusCode: number; headers: Record<string, string> };
}

class HttpclientError extends Error {
  constructor(name: string, message: string, readonly status = -1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

function withQuery(url: string, data: unknown): string {
  if (!data || typeof data !== 'object') return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) if (v !== undefined) u.searchParams.append(k, String(v));
  return u.toString();
}

function formEncode(data: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) if (v !== undefined) p.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  return p.toString();
}

export async function httpclientRequest(url: string, opts: HttpclientOptions = {}): Promise<HttpclientResult> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = String(v);
  let body: string | Buffer | undefined;
  let target = url;
  if (opts.content !== undefined) {
    body = opts.content;
  } else if (opts.data !== undefined) {
    if (method === 'GET' || method === 'HEAD' || opts.dataAsQueryString) target = withQuery(url, opts.data);
    else if (opts.contentType === 'json') {
      body = JSON.stringify(opts.data);
      headers['content-type'] ??= 'application/json';
    } else if (typeof opts.data === 'string' || Buffer.isBuffer(opts.data)) body = opts.data;
    else {
      body = formEncode(opts.data as Record<string, unknown>);
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
  }
  if (opts.contentType === 'json') headers['content-type'] ??= 'application/json';
  if (opts.dataType === 'json') headers['accept'] ??= 'application/json';
  const timeoutMs = Array.isArray(opts.timeout) ? opts.timeout[0] + opts.timeout[1] : opts.timeout ?? 5000;
  if (opts.pfx || opts.key || opts.cert) return clientCertRequest(target, method, headers, body, timeoutMs, opts);
  let res: Response;
  try {
    res = await fetch(target, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
      redirect: opts.followRedirect ? 'follow' : 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
      throw new HttpclientError('ResponseTimeoutError', `Response timeout for ${timeoutMs}ms (${method} ${target})`, -1, { cause: err });
    }
    throw new HttpclientError('RequestError', `${e?.message ?? String(err)} (${method} ${target})`, -1, { cause: err });
  }
  const resHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => { resHeaders[k] = v; });
  const raw = Buffer.from(await res.arrayBuffer());
  let data: unknown = raw;
  if (opts.dataType === 'text') data = raw.toString('utf8');
  else if (opts.dataType === 'json') {
    const text = raw.toString('utf8');
    try {
      data = text === '' ? null : JSON.parse(text);
    } catch (err) {
      throw new HttpclientError('JSONResponseFormatError', `${(err as Error).message} (status ${res.status})`, res.status, { cause: err });
    }
  }
  return { status: res.status, headers: resHeaders, data, res: { status: res.status, statusCode: res.status, headers: resHeaders } };
}

/** A request with a client certificate (fetch has no such option): node:https, urllib's result and error names. */
function clientCertRequest(url: string, method: string, headers: Record<string, string>, body: string | Buffer | undefined, timeoutMs: number, opts: HttpclientOptions): Promise<HttpclientResult> {
  return new Promise((resolve, reject) => {
    const r = https.request(url, { method, headers, timeout: timeoutMs, pfx: opts.pfx, passphrase: opts.passphrase, key: opts.key, cert: opts.cert, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const resHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v);
        const raw = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        resolve({ status, headers: resHeaders, data: opts.dataType === 'text' ? raw.toString('utf8') : raw, res: { status, statusCode: status, headers: resHeaders } });
      });
    });
    r.on('timeout', () => r.destroy(new HttpclientError('ResponseTimeoutError', `Response timeout for ${timeoutMs}ms (${method} ${url})`)));
    r.on('error', (err) => reject(err instanceof HttpclientError ? err : new HttpclientError('RequestError', `${(err as NodeJS.ErrnoException).code ?? err.message} (${method} ${url})`, -1, { cause: err })));
    r.end(body);
  });
}
