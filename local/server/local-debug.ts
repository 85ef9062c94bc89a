/**
 * uniCloud's local-debug protocol: what the client SDK (`@dcloudio/uni-cloud`) speaks to HBuilderX when a
 * project "runs with local cloud functions", answered by the host so `uniCloud.importObject('vk-pay-co')` and
 * `uniCloud.callFunction` in an app built for local debugging run the functions loaded here.
 *
 *   GET  /system/ping                      -> {code: 0}: "this address answers" (the SDK probes each address)
 *   POST /system/check-function            {name, platform, provider, spaceId}
 *                                          -> {code: 0}: run `name` here; any other code makes the SDK give up
 *   POST /cloudfunctions/<name>            {provider, platform, param}
 *                                          -> the function's return value, as JSON
 *
 * `param` is what the SDK would have sent the space: for a cloud object `{method, params, clientInfo,
 * uniIdToken?}` (params = the method's arguments), for a function the caller's data plus `clientInfo` and
 * `uniIdToken`. The SDK reads a non-2xx answer as `{code, message}` and throws it as errCode/errMsg, so refusals
 * here carry `message` beside the host's envelope. As with `/http/*`, bad input is refused before any function
 * runs, so nothing is written for it; identity comes only from the uni-id token, which the function verifies.
 */
import type http from 'node:http';
import type { LoadedFunction } from '../runtime/functions';
import { FunctionTimeoutError, invokeCloudObject, invokeFunction, isCallableMethod, newRequestId, type InvokeClientInfo } from '../runtime/invoke';
import type { HostContext } from '../runtime/unicloud-global';
import { clientIpOf, envelopeOf, readBody, sendJson } from './http-io';

export interface LocalDebugDeps {
  host: HostContext;
  functions: Map<string, LoadedFunction>;
  log: (...args: unknown[]) => void;
}

/** Providers the SDK names in its requests (its own spelling: tcb for tencent). */
const PROVIDERS = new Set(['aliyun', 'tcb', 'alipay', 'dcloud']);
/** Client-info fields worth passing on: short scalars only (the SDK sends system info, locale, appId...). */
const MAX_CLIENT_INFO_KEYS = 64;
const MAX_CLIENT_INFO_VALUE = 512;

export function isLocalDebugPath(p: string): boolean {
  return p === '/system/ping' || p === '/system/check-function' || p.startsWith('/cloudfunctions/');
}

/** A page served from another origin (the uni-app dev server, HBuilderX's browser) may call the host too. */
const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

type Refusal = Parameters<typeof envelopeOf>[0];

/** A refusal in the host's envelope plus the `message` the SDK reads from a non-2xx answer. */
function refuse(res: http.ServerResponse, status: number, code: Refusal, detail: string): void {
  const envelope = envelopeOf(code, detail);
  sendJson(res, status, { ...envelope, message: envelope.msg });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function readJsonObject(req: http.IncomingMessage, res: http.ServerResponse): Promise<Record<string, unknown> | undefined> {
  const body = await readBody(req);
  if (!body.ok) {
    if (body.reason === 'too-large') refuse(res, 413, 40001, 'request body over 256 KB');
    return undefined; // or the client went away
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.body.toString('utf8'));
  } catch {
    refuse(res, 400, 40001, 'request body is not JSON');
    return undefined;
  }
  if (!isPlainObject(parsed)) {
    refuse(res, 400, 40001, 'request body must be a JSON object');
    return undefined;
  }
  return parsed;
}

/**
 * The client info a call carries: what the client said about itself (scalars only, bounded), then what only the
 * host knows and the client cannot choose: its IP, user agent, the source `client` and a fresh request id.
 */
export function clientInfoFromParam(req: http.IncomingMessage, sent: unknown, platform: string): InvokeClientInfo & Record<string, unknown> {
  const fromClient: Record<string, unknown> = {};
  if (isPlainObject(sent)) {
    for (const [k, v] of Object.entries(sent).slice(0, MAX_CLIENT_INFO_KEYS)) {
      if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= MAX_CLIENT_INFO_VALUE)) fromClient[k] = v;
    }
  }
  const named = fromClient.uniPlatform ?? fromClient.PLATFORM ?? platform;
  return {
    ...fromClient,
    platform: typeof named === 'string' && named ? named : platform,
    clientIP: clientIpOf(req),
    userAgent: String(req.headers['user-agent'] ?? ''),
    source: 'client',
    requestId: newRequestId(),
  };
}

function handleCheckFunction(deps: LocalDebugDeps, body: Record<string, unknown>, res: http.ServerResponse): void {
  const { name, provider } = body;
  if (typeof name !== 'string' || !name) return refuse(res, 400, 40001, 'name is required');
  if (provider !== undefined && !PROVIDERS.has(String(provider))) return refuse(res, 400, 40001, `unknown provider ${String(provider)}`);
  // Any code but 0 and the SDK's own fallbacks makes it throw "检测本地调试服务出现错误" with this message,
  // so an unknown name fails loudly on the client instead of going to a space that does not exist here.
  if (!deps.functions.has(name)) return sendJson(res, 200, { code: 'FUNCTION_NOT_FOUND', message: `no cloud function ${name} on the local host` });
  sendJson(res, 200, { code: 0, message: '' });
}

async function handleCall(deps: LocalDebugDeps, req: http.IncomingMessage, res: http.ServerResponse, name: string, body: Record<string, unknown>): Promise<void> {
  const fn = deps.functions.get(name);
  if (!fn) return refuse(res, 404, 40001, `unknown function ${name}`);
  const param = body.param;
  if (!isPlainObject(param)) return refuse(res, 400, 40001, 'param must be an object');
  const platform = typeof body.platform === 'string' ? body.platform : '';
  const { clientInfo: sentClientInfo, uniIdToken, ...rest } = param;
  const clientInfo = clientInfoFromParam(req, sentClientInfo, platform);
  const token = typeof uniIdToken === 'string' && uniIdToken ? uniIdToken : undefined;
  try {
    let result: unknown;
    if (fn.kind === 'object') {
      const method = rest.method;
      const params = rest.params ?? [];
      if (typeof method !== 'string' || !isCallableMethod(fn.object as Record<string, unknown>, method)) {
        return refuse(res, 404, 40001, `unknown method ${fn.name}.${typeof method === 'string' && method ? method : '(none)'}`);
      }
      if (!Array.isArray(params)) return refuse(res, 400, 40001, 'params must be an array');
      result = await invokeCloudObject(deps.host, fn, { method, params, clientInfo, uniIdToken: token });
    } else {
      // uniCloud hands a function the caller's data with the token in it; the client info goes to the context.
      result = await invokeFunction(deps.host, fn, token ? { ...rest, uniIdToken: token } : rest, clientInfo);
    }
    sendJson(res, 200, result === undefined ? null : result);
  } catch (err) {
    if (err instanceof FunctionTimeoutError) return refuse(res, 504, 40010, err.message);
    deps.log(`[host] ${fn.name} (local debug) failed`, err);
    refuse(res, 500, 50000, `${fn.name} failed`);
  }
}

export async function handleLocalDebug(deps: LocalDebugDeps, req: http.IncomingMessage, res: http.ServerResponse, p: string): Promise<void> {
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'OPTIONS') {
    res.writeHead(204);
    res.end();
    return;
  }
  if (p === '/system/ping') {
    req.resume();
    return sendJson(res, 200, { code: 0 });
  }
  if (method !== 'POST') return refuse(res, 405, 40001, `${method} is not supported`);
  const body = await readJsonObject(req, res);
  if (!body) return;
  if (p === '/system/check-function') return handleCheckFunction(deps, body, res);
  let name = p.slice('/cloudfunctions/'.length);
  try {
    name = decodeURIComponent(name);
  } catch { /* keep as is: it will not name a function */ }
  return handleCall(deps, req, res, name, body);
}
