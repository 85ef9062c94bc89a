/**
 * One request over node:https with a client certificate: what fetch cannot do (it has no client-certificate
 * option). Used by the fetch client for requests that carry `tls` (local host, tests); on uniCloud the same
 * options go to uniCloud.httpclient (http-unicloud.ts). Failures become GatewayNetworkError (40004) naming the
 * TLS error code only, never the URL.
 */
import https from 'node:https';
import { GatewayNetworkError } from '../../../../../../common/errors';
import type { HttpRequest, HttpResponse } from './http';

export function requestWithClientCert(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  if (url.protocol !== 'https:') return Promise.reject(new GatewayNetworkError(`${req.method} ${url.host}: a client certificate needs https`));
  const tls = req.tls ?? {};
  return new Promise((resolve, reject) => {
    const r = https.request(url, {
      method: req.method, headers: req.headers, timeout: req.timeoutMs,
      pfx: tls.pfx, passphrase: tls.passphrase, key: tls.key, cert: tls.cert, ca: tls.ca,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => reject(networkError(req, url, err)));
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    r.on('error', (err) => reject(networkError(req, url, err)));
    r.end(req.body);
  });
}

function networkError(req: HttpRequest, url: URL, err: unknown): GatewayNetworkError {
  const code = (err as { code?: unknown })?.code;
  return new GatewayNetworkError(`${req.method} ${url.host}: ${typeof code === 'string' ? code : 'TLS or network error'}`, { cause: err });
}
