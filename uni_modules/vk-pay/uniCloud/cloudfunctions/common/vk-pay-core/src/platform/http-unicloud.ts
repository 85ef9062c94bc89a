/**
 * HttpClient over uniCloud.httpclient.request (urllib underneath). dataType 'text' keeps the raw body for
 * signature verification (the default would hand back a Buffer, 'json' a re-parsed object); `content` sends our
 * exact bytes. Failures (ECONNREFUSED, ResponseTimeoutError, ...) become GatewayNetworkError (40004).
 */
import { GatewayNetworkError } from '../../../../../../common/errors';
import type { HttpClient, HttpRequest, HttpResponse } from './http';

/** The subset of uniCloud.httpclient this adapter uses. */
export interface UniCloudHttpClientLike {
  request(url: string, options: {
    method: string;
    headers: Record<string, string>;
    content?: string;
    /** 'text' keeps the raw body as a string; left out, urllib hands back a Buffer (binary statements) */
    dataType?: 'text';
    timeout: number;
    followRedirect: boolean;
    /** mutual TLS (urllib's options): PKCS#12 + passphrase, or PEM key + cert; extra trust anchors */
    pfx?: Buffer;
    passphrase?: string;
    key?: string;
    cert?: string;
    ca?: string;
  }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; data: unknown }>;
}

declare const uniCloud: { httpclient: UniCloudHttpClientLike } | undefined;

export function createUniCloudHttpClient(httpclient?: UniCloudHttpClientLike): HttpClient {
  const client = httpclient ?? (typeof uniCloud !== 'undefined' ? uniCloud?.httpclient : undefined);
  if (!client) throw new Error('uniCloud.httpclient is not available in this runtime');
  return async (req: HttpRequest): Promise<HttpResponse> => {
    let res: Awaited<ReturnType<UniCloudHttpClientLike['request']>>;
    try {
      res = await client.request(req.url, {
        method: req.method,
        headers: req.headers,
        content: req.body,
        ...(req.responseType === 'bytes' ? {} : { dataType: 'text' as const }),
        timeout: req.timeoutMs,
        followRedirect: false,
        ...(req.tls ? { pfx: req.tls.pfx, passphrase: req.tls.passphrase, key: req.tls.key, cert: req.tls.cert, ca: req.tls.ca } : {}),
      });
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      throw new GatewayNetworkError(`${req.method} ${new URL(req.url).host}: ${e.name ?? ''} ${e.code ?? e.message ?? String(err)}`.trim(), { cause: err });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const data = res.data;
    if (req.responseType === 'bytes') {
      const bytes = Buffer.isBuffer(data) ? new Uint8Array(data) : typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : new Uint8Array(0);
      return { status: res.status, headers, body: '', bytes };
    }
    const body = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : data == null ? '' : JSON.stringify(data);
    return { status: res.status, headers, body };
  };
}
