/**
 * The client's only way to the cloud object: `POST <base>/http/vk-pay-co/<method>` with a JSON body, answered by the
 * envelope `{code,msg,data}` / `{code,msg,action}` (docs/CONTRACTS.md 3, 5). The same URL shape works against the local
 * host and against a real uniCloud space with URL-ized cloud objects, so only the base URL differs.
 */
import { VkPayError, isErrorCode, type ErrorCode } from '../../common/errors';

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}
export interface HttpResponse {
  status: number;
  /** the body as text, or as the value a platform already parsed (uni.request parses JSON) */
  body: unknown;
}
/** Sends one POST. Rejects only when no HTTP answer arrived (network down, timeout). */
export type Requester = (req: HttpRequest) => Promise<HttpResponse>;

export interface TransportOptions {
  /** origin (and optional path prefix) of the routes; '' = same origin, which is what H5 served by the host uses */
  baseUrl?: string;
  /** sent as `x-vkpay-dev-uid`; the server honours it only while its env is `sandbox` */
  devUid?: string;
  /** sent as `Authorization: Bearer <token>` on admin calls */
  adminToken?: string;
  timeoutMs?: number;
  requester?: Requester;
}

export interface CallOptions {
  /** attach the admin token */
  admin?: boolean;
}

export interface Transport {
  call<T>(method: string, params?: object, options?: CallOptions): Promise<T>;
}

/** An error envelope from the server, or a failure to get one; `code` is always a table code. */
export class EnvelopeError extends VkPayError {
  readonly action: string;
  readonly httpStatus: number | undefined;
  constructor(code: Exclude<ErrorCode, 0>, detail: string, action: string, httpStatus?: number) {
    super(code, detail);
    this.name = 'EnvelopeError';
    this.action = action;
    this.httpStatus = httpStatus;
  }
}

export function methodUrl(baseUrl: string, method: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(method)) throw new VkPayError(40001, `bad method name ${JSON.stringify(method)}`);
  return `${baseUrl.replace(/\/+$/, '')}/http/vk-pay-co/${method}`;
}

/** Turns an HTTP answer into the envelope's data, or throws the envelope's error. */
export function unwrapEnvelope<T>(res: HttpResponse): T {
  let body = res.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw new EnvelopeError(50000, `HTTP ${res.status}: the reply is not JSON`, 'contact support', res.status);
    }
  }
  if (!body || typeof body !== 'object' || typeof (body as { code?: unknown }).code !== 'number') {
    throw new EnvelopeError(50000, `HTTP ${res.status}: the reply is not an envelope`, 'contact support', res.status);
  }
  const env = body as { code: number; msg?: unknown; data?: unknown; action?: unknown };
  if (env.code === 0) return env.data as T;
  const code: Exclude<ErrorCode, 0> = isErrorCode(env.code) && env.code !== 0 ? env.code : 50000;
  const msg = typeof env.msg === 'string' ? env.msg : '';
  const action = typeof env.action === 'string' ? env.action : '';
  throw new EnvelopeError(code, msg, action, res.status);
}

/** Requester on `fetch` (H5, Node 20 and tests against a real server). */
export function fetchRequester(fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): Requester {
  return async (req) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    try {
      const res = await fetchImpl(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: controller.signal });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      throw new EnvelopeError(40004, err instanceof Error ? err.message : String(err), 'check network, retry');
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Requester on `uni.request`, which exists on every uni-app platform (mini-programs have no fetch). */
export function uniRequester(): Requester {
  return (req) =>
    new Promise<HttpResponse>((resolve, reject) => {
      uni.request({
        url: req.url,
        method: 'POST',
        header: req.headers,
        data: req.body,
        dataType: 'text',
        responseType: 'text',
        timeout: req.timeoutMs,
        success: (res) => resolve({ status: res.statusCode, body: res.data }),
        fail: (err) => reject(new EnvelopeError(40004, err.errMsg || 'request failed', 'check network, retry')),
      });
    });
}

export function defaultRequester(): Requester {
  return typeof uni !== 'undefined' && typeof uni.request === 'function' ? uniRequester() : fetchRequester();
}

export function createTransport(options: TransportOptions = {}): Transport {
  const baseUrl = options.baseUrl ?? '';
  const timeoutMs = options.timeoutMs ?? 15_000;
  const requester = options.requester ?? defaultRequester();
  return {
    async call<T>(method: string, params: object = {}, callOptions: CallOptions = {}): Promise<T> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.devUid) headers['x-vkpay-dev-uid'] = options.devUid;
      if (callOptions.admin) {
        if (!options.adminToken) throw new EnvelopeError(40009, 'no admin token entered', 'check permissions');
        headers.authorization = `Bearer ${options.adminToken}`;
      }
      const res = await requester({ url: methodUrl(baseUrl, method), headers, body: JSON.stringify(params), timeoutMs });
      return unwrapEnvelope<T>(res);
    },
  };
}
