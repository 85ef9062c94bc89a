/**
 * The client's ways to the cloud object `vk-pay-co`, behind one `Transport`:
 *
 * - `uniCloud.importObject('vk-pay-co')`, the default wherever the app has a uniCloud space (mini-programs, App,
 *   H5 built with a space): uniCloud's own client sends the call, the uni-id token and the client info, and throws
 *   when the reply's `errCode` is truthy.
 * - HTTP to the URL-ized object, `POST <base>/http/vk-pay-co/<method>` with a JSON body: the fallback for H5 without
 *   a space and for the local host. It sends the uni-id token (`uni_id_token` in storage, where uni-id keeps it) as
 *   the `uni-id-token` header, and the admin bearer token on admin calls when one was entered.
 *
 * Either way the reply is the envelope of docs/CONTRACTS.md: uniCloud's `errCode`/`errMsg` beside VK's
 * `code`/`msg`/`action`; a failure becomes an `EnvelopeError` whose `code` is always a table code.
 */
import { ERROR_TABLE, VkPayError, isErrorCode, type ErrorCode } from '../../common/errors';

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

/** Where uni-id (and uniCloud's client) keep the user's token. */
export const UNI_ID_TOKEN_KEY = 'uni_id_token';
export const UNI_ID_TOKEN_EXPIRED_KEY = 'uni_id_token_expired';

export interface CallOptions {
  /** an admin method: sent with the bearer token when one was entered */
  admin?: boolean;
}

export interface Transport {
  /** 'unicloud' (importObject) or 'http' */
  readonly kind: 'unicloud' | 'http';
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

const METHOD_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

export function methodUrl(baseUrl: string, method: string): string {
  if (!METHOD_NAME.test(method)) throw new VkPayError(40001, `bad method name ${JSON.stringify(method)}`);
  return `${baseUrl.replace(/\/+$/, '')}/http/vk-pay-co/${method}`;
}

function tableCode(v: unknown): Exclude<ErrorCode, 0> {
  return isErrorCode(v) && v !== 0 ? v : 50000;
}

/** The code of a reply in either convention: `errCode` (uniCloud) first, then `code` (VK); undefined if neither. */
function replyCode(body: Record<string, unknown>): unknown {
  if ('errCode' in body) return body.errCode;
  return body.code;
}

/** Turns a reply (either convention) into its data, or throws the envelope's error. */
export function unwrapEnvelope<T>(res: HttpResponse): T {
  let body = res.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw new EnvelopeError(50000, `HTTP ${res.status}: the reply is not JSON`, ERROR_TABLE[50000].action, res.status);
    }
  }
  if (!body || typeof body !== 'object') throw new EnvelopeError(50000, `HTTP ${res.status}: the reply is not an envelope`, ERROR_TABLE[50000].action, res.status);
  const env = body as Record<string, unknown>;
  const code = replyCode(env);
  if (code === 0) return (env.data ?? null) as T;
  if (code === undefined || code === null || code === '') {
    throw new EnvelopeError(50000, `HTTP ${res.status}: the reply is not an envelope`, ERROR_TABLE[50000].action, res.status);
  }
  const c = tableCode(typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : code);
  const msg = typeof env.errMsg === 'string' ? env.errMsg : typeof env.msg === 'string' ? env.msg : '';
  const action = typeof env.action === 'string' && env.action ? env.action : ERROR_TABLE[c].action;
  throw new EnvelopeError(c, msg, action, res.status);
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
      throw new EnvelopeError(40004, err instanceof Error ? err.message : String(err), ERROR_TABLE[40004].action);
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
        fail: (err) => reject(new EnvelopeError(40004, err.errMsg || 'request failed', ERROR_TABLE[40004].action)),
      });
    });
}

export function defaultRequester(): Requester {
  return typeof uni !== 'undefined' && typeof uni.request === 'function' ? uniRequester() : fetchRequester();
}

/** The uni-id token uni-id keeps in storage, unless it has expired (then the server would refuse it anyway). */
export function storedUniIdToken(): string | undefined {
  if (typeof uni === 'undefined' || typeof uni.getStorageSync !== 'function') return undefined;
  const token: unknown = uni.getStorageSync(UNI_ID_TOKEN_KEY);
  if (typeof token !== 'string' || !token) return undefined;
  const expired = Number(uni.getStorageSync(UNI_ID_TOKEN_EXPIRED_KEY));
  if (Number.isFinite(expired) && expired > 0 && expired <= Date.now()) return undefined;
  return token;
}

export interface HttpTransportOptions {
  /** origin (and optional path prefix) of the routes; '' = same origin, which is what H5 served by the host uses */
  baseUrl?: string;
  /** the uni-id token to send; default: the one in storage */
  uniIdToken?: () => string | undefined;
  /** sent as `Authorization: Bearer <token>` on admin calls */
  adminToken?: string;
  timeoutMs?: number;
  requester?: Requester;
}

export function createHttpTransport(options: HttpTransportOptions = {}): Transport {
  const baseUrl = options.baseUrl ?? '';
  const timeoutMs = options.timeoutMs ?? 15_000;
  const requester = options.requester ?? defaultRequester();
  const tokenOf = options.uniIdToken ?? storedUniIdToken;
  return {
    kind: 'http',
    async call<T>(method: string, params: object = {}, callOptions: CallOptions = {}): Promise<T> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const token = tokenOf();
      if (token) headers['uni-id-token'] = token;
      if (callOptions.admin && options.adminToken) headers.authorization = `Bearer ${options.adminToken}`;
      const res = await requester({ url: methodUrl(baseUrl, method), headers, body: JSON.stringify(params), timeoutMs });
      return unwrapEnvelope<T>(res);
    },
  };
}

/** The part of uniCloud's client this transport uses. */
export interface UniCloudClient {
  importObject(name: string, options?: { customUI?: boolean }): Record<string, (params?: object) => Promise<unknown>>;
}

/** The uniCloud client of this app, when the app has one with a space to call (see hasUniCloudSpace). */
export function uniCloudClient(): UniCloudClient | undefined {
  const g = globalThis as { uniCloud?: unknown };
  const client = (typeof uniCloud !== 'undefined' ? uniCloud : g.uniCloud) as Partial<UniCloudClient> | undefined;
  return client && typeof client.importObject === 'function' ? (client as UniCloudClient) : undefined;
}

declare const process: { env: Record<string, string | undefined> };

/** The space list uni-app compiles into the client (`process.env.UNI_CLOUD_PROVIDER`, replaced at build time). */
function builtInSpaces(): unknown {
  try {
    // A build without the define leaves `process` undefined on mini-programs: that is "no space".
    return JSON.parse(process.env.UNI_CLOUD_PROVIDER || '[]');
  } catch {
    return [];
  }
}

/**
 * True when the app was built with a uniCloud space: uni-app puts the project's space list into the client at
 * build time, the same list uniCloud's own client starts from (an empty list when the project has none).
 */
export function hasUniCloudSpace(): boolean {
  if (!uniCloudClient()) return false;
  const spaces = builtInSpaces();
  return Array.isArray(spaces) && spaces.length > 0;
}

/** A thrown importObject failure -> EnvelopeError with the table code it carries (the network, when it has none). */
function fromUniCloudError(err: unknown): EnvelopeError {
  const e = (err ?? {}) as { errCode?: unknown; code?: unknown; errMsg?: unknown; message?: unknown };
  const raw = e.errCode ?? e.code;
  const numeric = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  const code = isErrorCode(numeric) && numeric !== 0 ? numeric : 40004;
  const msg = typeof e.errMsg === 'string' ? e.errMsg : typeof e.message === 'string' ? e.message : String(err);
  return new EnvelopeError(code, msg, ERROR_TABLE[code].action);
}

export function createUniCloudTransport(client: UniCloudClient | undefined = uniCloudClient()): Transport {
  if (!client) throw new VkPayError(40003, 'uniCloud is not available in this app: associate a service space or use the HTTP transport');
  let object: ReturnType<UniCloudClient['importObject']> | undefined;
  return {
    kind: 'unicloud',
    async call<T>(method: string, params: object = {}): Promise<T> {
      if (!METHOD_NAME.test(method)) throw new VkPayError(40001, `bad method name ${JSON.stringify(method)}`);
      // customUI: the component shows its own messages instead of uniCloud's loading and error toasts.
      object ??= client.importObject('vk-pay-co', { customUI: true });
      let reply: unknown;
      try {
        reply = await object[method](params);
      } catch (err) {
        throw fromUniCloudError(err);
      }
      return unwrapEnvelope<T>({ status: 200, body: reply });
    },
  };
}

export interface TransportOptions extends HttpTransportOptions {
  /** 'auto' (default): importObject where the app has a uniCloud space, HTTP otherwise */
  kind?: 'auto' | 'unicloud' | 'http';
  uniCloud?: UniCloudClient;
}

/**
 * The transport for these options. Admin calls made with an entered bearer token always go over HTTP, the only
 * way to send it; everything else uses uniCloud's client when the app has a space.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const kind = options.kind ?? 'auto';
  const http = createHttpTransport(options);
  const useUniCloud = kind === 'unicloud' || (kind === 'auto' && (options.uniCloud ? true : hasUniCloudSpace()));
  if (!useUniCloud) return http;
  const cloud = createUniCloudTransport(options.uniCloud);
  return {
    kind: 'unicloud',
    call<T>(method: string, params: object = {}, callOptions: CallOptions = {}): Promise<T> {
      if (callOptions.admin && options.adminToken) return http.call<T>(method, params, callOptions);
      return cloud.call<T>(method, params, callOptions);
    },
  };
}
