/**
 * HttpClient over Node's built-in fetch (local host, tests, sandbox contract suite). The body is read as text
 * so signatures are verified over the exact bytes; each request is bounded by AbortSignal.timeout.
 * Network failures and timeouts become GatewayNetworkError (40004), which the retry layer treats as retryable.
 */
import { GatewayNetworkError } from '../../../../../../common/errors';
import type { HttpClient, HttpRequest, HttpResponse } from './http';
import { requestWithClientCert } from './http-node-tls';

export function createFetchHttpClient(fetchImpl: typeof fetch = fetch): HttpClient {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    if (req.tls) return requestWithClientCert(req);
    let res: Response;
    let body = '';
    let bytes: Uint8Array | undefined;
    try {
      res = await fetchImpl(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.max(1, Math.ceil(req.timeoutMs))), // an integer, or it throws RangeError
      });
      if (req.responseType === 'bytes') bytes = new Uint8Array(await res.arrayBuffer());
      else body = await res.text();
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      const what = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timeout after ${req.timeoutMs} ms` : e.cause?.code ?? e.message ?? String(err);
      throw new GatewayNetworkError(`${req.method} ${new URL(req.url).host}: ${what}`, { cause: err });
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
    return bytes ? { status: res.status, headers, body, bytes } : { status: res.status, headers, body };
  };
}
