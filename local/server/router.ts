/**
 * The host's routes (docs/CONTRACTS.md section 3). Bad input is refused here, before any function runs, so nothing is
 * written for it: an unknown function or method -> 404 with the envelope, `_`-prefixed methods never
 * callable, bodies over 256 KB -> 413 (40001). A body that is not JSON reaches the cloud object, whose `_before`
 * answers 40001 exactly as it would on uniCloud.
 */
import { isUtf8 } from 'node:buffer';
import type http from 'node:http';
import { routeByPath, type LoadedFunction } from '../runtime/functions';
import { FunctionTimeoutError, invokeCloudObject, invokeFunction, isCallableMethod, newRequestId, type IntegratedRequest, type InvokeClientInfo } from '../runtime/invoke';
import { timerTriggerOf } from '../runtime/timers';
import { DEV_ROLE_PATTERN, DEV_UID_PATTERN } from '../runtime/uni-id';
import type { HostContext } from '../runtime/unicloud-global';
import { clientIpOf, envelopeOf, lowerCaseHeaders, readBody, sendFunctionResult, sendJson, sendTooLarge } from './http-io';
import { handleLocalDebug, isLocalDebugPath } from './local-debug';
import { serveStatic } from './static';

export interface SandboxHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>;
}

export interface RouterDeps {
  host: HostContext;
  functions: Map<string, LoadedFunction>;
  h5Dir: string;
  sandbox: () => SandboxHandler | undefined;
  /** `/__dev/*` and `/sandbox/*` exist only while the plugin's config says `env: 'sandbox'`. */
  isSandboxEnv: () => boolean;
  /** `POST /__dev/login`: the uni-id token a login would give `uid` (sandbox env only) */
  issueToken: (uid: string, roles: string[]) => Promise<{ token: string; uid: string; tokenExpired: number }>;
  runTimer: (fn: string) => Promise<unknown>;
  log: (...args: unknown[]) => void;
}

function isText(buf: Buffer): boolean {
  // Valid UTF-8 is exactly what survives a decode and re-encode unchanged; node checks it without the copies.
  return isUtf8(buf);
}

function integratedRequest(req: http.IncomingMessage, url: URL, rest: string, body: Buffer): IntegratedRequest {
  const text = isText(body);
  return {
    path: rest,
    httpMethod: (req.method ?? 'GET').toUpperCase(),
    headers: lowerCaseHeaders(req),
    queryStringParameters: Object.fromEntries(url.searchParams.entries()),
    body: text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !text,
  };
}

function clientInfoOf(req: http.IncomingMessage): InvokeClientInfo {
  const platform = req.headers['x-client-platform'];
  return {
    clientIP: clientIpOf(req),
    userAgent: String(req.headers['user-agent'] ?? ''),
    source: 'http',
    requestId: newRequestId(),
    ...(typeof platform === 'string' ? { platform } : {}),
  };
}

async function handleFunction(deps: RouterDeps, req: http.IncomingMessage, res: http.ServerResponse, url: URL, fn: LoadedFunction, rest: string) {
  const method = (req.method ?? 'GET').toUpperCase();
  let objectMethod = '';
  if (fn.kind === 'object') {
    objectMethod = rest.split('/').filter(Boolean)[0] ?? '';
    try {
      objectMethod = decodeURIComponent(objectMethod);
    } catch { /* keep as is: it will not name a method */ }
    if (!isCallableMethod(fn.object as Record<string, unknown>, objectMethod)) {
      return sendJson(res, 404, envelopeOf(40001, `unknown method ${fn.name}.${objectMethod || '(none)'}`));
    }
    if (method !== 'POST' && method !== 'GET') return sendJson(res, 405, envelopeOf(40001, `${method} is not supported`), { allow: 'GET, POST' });
  }
  const body = await readBody(req);
  if (!body.ok) {
    if (body.reason === 'too-large') return sendTooLarge(res);
    return; // the client went away
  }
  const httpInfo = integratedRequest(req, url, rest, body.body);
  const clientInfo = clientInfoOf(req);
  try {
    const result = fn.kind === 'object'
      ? await invokeCloudObject(deps.host, fn, {
        method: objectMethod,
        // uniCloud passes the query string as the argument of a URL-ized method; the body is read in `_before`.
        params: [httpInfo.queryStringParameters],
        clientInfo,
        httpInfo,
        uniIdToken: httpInfo.headers['uni-id-token'],
      })
      : await invokeFunction(deps.host, fn, httpInfo, clientInfo);
    sendFunctionResult(res, result);
  } catch (err) {
    if (err instanceof FunctionTimeoutError) return sendJson(res, 504, envelopeOf(40010, err.message));
    deps.log(`[host] ${fn.name} failed`, err);
    sendJson(res, 500, envelopeOf(50000));
  }
}

/**
 * `POST /__dev/login {uid, role?}` -> `{token, uid, tokenExpired}`: a uni-id token for a made-up user, signed with
 * the project's uni-id secret, so the demo and the tests pay as a logged-in user through the real token check.
 * `role` is a role name or a list of them (`admin` opens the admin methods).
 */
async function handleDevLogin(deps: RouterDeps, req: http.IncomingMessage, res: http.ServerResponse) {
  if ((req.method ?? '').toUpperCase() !== 'POST') return sendJson(res, 405, envelopeOf(40001, 'POST only'), { allow: 'POST' });
  const body = await readBody(req, 4096);
  if (!body.ok) return body.reason === 'too-large' ? sendTooLarge(res) : undefined;
  let input: { uid?: unknown; role?: unknown };
  try {
    input = JSON.parse(body.body.toString('utf8') || '{}') as typeof input;
  } catch {
    return sendJson(res, 400, envelopeOf(40001, 'body is not JSON'));
  }
  const uid = input?.uid;
  if (typeof uid !== 'string' || !DEV_UID_PATTERN.test(uid)) return sendJson(res, 400, envelopeOf(40001, 'uid: 1-64 of A-Z a-z 0-9 _ . : @ -'));
  const roles = input.role === undefined ? [] : Array.isArray(input.role) ? input.role : [input.role];
  if (!roles.every((r) => typeof r === 'string' && DEV_ROLE_PATTERN.test(r))) return sendJson(res, 400, envelopeOf(40001, 'role: a name or a list of names'));
  sendJson(res, 200, await deps.issueToken(uid, roles as string[]));
}

async function handleDevTimer(deps: RouterDeps, req: http.IncomingMessage, res: http.ServerResponse, name: string) {
  const fn = deps.functions.get(name);
  if (!fn || !timerTriggerOf(fn)) return sendJson(res, 404, envelopeOf(40001, `no timer ${name}`));
  if ((req.method ?? '').toUpperCase() !== 'POST') return sendJson(res, 405, envelopeOf(40001, 'POST only'), { allow: 'POST' });
  req.resume();
  try {
    sendJson(res, 200, (await deps.runTimer(name)) ?? null);
  } catch (err) {
    if (err instanceof FunctionTimeoutError) return sendJson(res, 504, envelopeOf(40010, err.message));
    deps.log(`[host] timer ${name} failed`, err);
    sendJson(res, 500, envelopeOf(50000));
  }
}

/**
 * The URL-ized functions answer any origin, as a uniCloud space configured for cross-origin calls does, so a
 * client served elsewhere (the uni-app dev server, a mini-program simulator) can call the host.
 */
const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization, uni-id-token, x-client-platform',
  'access-control-max-age': '600',
};

export function createRouter(deps: RouterDeps) {
  return async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    // The sandbox gateways and the dev routes exist only in the sandbox env: with a production config the host
    // serves the app and the functions, and nothing else can pay, log in or run a timer.
    const devOnly = p === '/sandbox' || p.startsWith('/sandbox/') || p === '/__dev' || p.startsWith('/__dev/');
    if (devOnly && !deps.isSandboxEnv()) return sendJson(res, 404, envelopeOf(40001, `no route ${p} (sandbox env only)`));
    if (p === '/sandbox' || p.startsWith('/sandbox/')) {
      const sandbox = deps.sandbox();
      if (sandbox && (await sandbox.handle(req, res))) return;
      return sendJson(res, 404, envelopeOf(40001, `no sandbox route ${p}`));
    }
    if (p === '/__dev/login') return handleDevLogin(deps, req, res);
    if (p.startsWith('/__dev/timers/')) return handleDevTimer(deps, req, res, decodeURIComponent(p.slice('/__dev/timers/'.length)));
    if (devOnly) return sendJson(res, 404, envelopeOf(40001, `no dev route ${p}`));
    // uniCloud's client in an app built for local debugging (see local-debug.ts)
    if (isLocalDebugPath(p)) return handleLocalDebug(deps, req, res, p);
    if (p === '/http' || p.startsWith('/http/')) {
      for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
      if ((req.method ?? '').toUpperCase() === 'OPTIONS') {
        res.writeHead(204);
        res.end();
        return;
      }
      const hit = routeByPath(deps.functions, p);
      if (!hit) return sendJson(res, 404, envelopeOf(40001, `unknown function ${p}`));
      return handleFunction(deps, req, res, url, hit.fn, hit.rest);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' || method === 'HEAD') return serveStatic(deps.h5Dir, req, res, p);
    sendJson(res, 404, envelopeOf(40001, `no route ${method} ${p}`));
  };
}
