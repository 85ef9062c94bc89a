/**
 * The cloud-object adapter: builds the object `vk-pay-co/index.obj.js` exports. uniCloud calls `_before`, then
 * the method, then `_after(error, result)` on one `this` that carries getClientInfo/getHttpInfo/getUniIdToken.
 * `_before` decides the parameters (for URL-ized calls the JSON body, docs/CONTRACTS.md section 3); `_after` shapes
 * every outcome into the envelope, so a thrown error never reaches the caller as anything but `{code,msg,action}`.
 */
import { ParamError } from '../../../../../../common/errors';
import { errorEnvelope, okEnvelope, type Envelope } from './envelope';
import type { ClientInfo, CloudRequest, CoreServices, HttpInfo } from './services';

/** What uniCloud puts on `this` inside a cloud object (the subset the adapter uses). */
export interface CloudObjectThis {
  getMethodName(): string;
  getClientInfo(): Partial<ClientInfo> & Record<string, unknown>;
  getHttpInfo?(): HttpInfo | undefined;
  getUniIdToken?(): string | undefined;
  getParams?(): unknown[];
}

export type CloudObject = Record<string, (this: CloudObjectThis, ...args: any[]) => unknown>;

/** Parameters decided by `_before`, kept per call (uniCloud uses one `this` for _before, method and _after). */
const callParams = new WeakMap<object, Record<string, unknown>>();

/** Largest body accepted (the host refuses bigger bodies before they reach the function). */
export const MAX_BODY_BYTES = 256 * 1024;

export function isCallableMethodName(services: CoreServices, name: string): boolean {
  return typeof name === 'string' && !name.startsWith('_') && Object.prototype.hasOwnProperty.call(services.methods, name)
    && typeof services.methods[name] === 'function';
}

function decodeBody(info: HttpInfo): string {
  if (!info.body) return '';
  return info.isBase64Encoded ? Buffer.from(info.body, 'base64').toString('utf8') : String(info.body);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** URL-ized call: the JSON body is the parameter object; query-string values fill in what the body lacks. */
export function paramsFromHttp(info: HttpInfo): Record<string, unknown> {
  const text = decodeBody(info);
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new ParamError('request body over 256 KB');
  const query = isPlainObject(info.queryStringParameters) ? info.queryStringParameters : {};
  if (text.trim() === '') return { ...query };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ParamError('request body is not JSON');
  }
  if (!isPlainObject(parsed)) throw new ParamError('request body must be a JSON object');
  return { ...query, ...parsed };
}

function toCloudRequest(self: CloudObjectThis, method: string): CloudRequest {
  const raw = self.getClientInfo() ?? {};
  const clientInfo: ClientInfo = {
    clientIP: String(raw.clientIP ?? ''),
    userAgent: String(raw.userAgent ?? ''),
    source: String(raw.source ?? 'client'),
    requestId: String(raw.requestId ?? ''),
  };
  if (raw.platform !== undefined) clientInfo.platform = String(raw.platform);
  const req: CloudRequest = { method, clientInfo };
  const httpInfo = self.getHttpInfo?.();
  if (httpInfo) req.httpInfo = httpInfo;
  const token = self.getUniIdToken?.();
  if (token) req.uniIdToken = token;
  return req;
}

export function createCloudObject(services: CoreServices): CloudObject {
  const obj: CloudObject = {
    _before(this: CloudObjectThis) {
      const method = this.getMethodName();
      if (!isCallableMethodName(services, method)) throw new ParamError(`unknown method ${String(method)}`);
      const httpInfo = this.getHttpInfo?.();
      if (httpInfo) callParams.set(this, paramsFromHttp(httpInfo));
    },
    _after(this: CloudObjectThis, error: unknown, result: unknown): Envelope {
      if (error) return errorEnvelope(error);
      return okEnvelope(result);
    },
  };
  for (const name of Object.keys(services.methods)) {
    if (name.startsWith('_')) continue;
    obj[name] = async function (this: CloudObjectThis, ...args: unknown[]) {
      const fromHttp = callParams.get(this);
      const first = args[0];
      const params = fromHttp ?? (isPlainObject(first) ? first : {});
      return services.methods[name](params, toCloudRequest(this, name));
    };
  }
  return obj;
}
