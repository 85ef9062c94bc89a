/**
 * Calling loaded cloud functions the way uniCloud calls them:
 * - a cloud object: `_before`, the method, then `_after(error, result)`, all on one `this` that carries
 *   getMethodName/getParams/getClientInfo/getHttpInfo/getUniIdToken/getCloudInfo/getUniCloudRequestId;
 *   a timer runs `_timing(param)` without `_before`/`_after`;
 * - a function: `main(event, context)`.
 * Every call runs inside its host's context (which database `uniCloud.database()` answers) and within the
 * function's `cloudfunction-config.timeout` (default 5 s, as on uniCloud).
 */
import { randomUUID } from 'node:crypto';
import type { LoadedFunction } from './functions';
import { runInHost, type HostContext } from './unicloud-global';

export interface InvokeClientInfo {
  clientIP: string;
  userAgent: string;
  source: 'client' | 'function' | 'http' | 'timing' | 'server';
  requestId: string;
  platform?: string;
}

export interface IntegratedRequest {
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  queryStringParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export class FunctionTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`cloud function ${name} timed out after ${seconds} s`);
    this.name = 'FunctionTimeoutError';
  }
}

const DEFAULT_TIMEOUT_S = 5;

function withTimeout<T>(fn: LoadedFunction, work: Promise<T>): Promise<T> {
  const seconds = fn.config.timeout ?? DEFAULT_TIMEOUT_S;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(fn.name, seconds)), seconds * 1000);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** True when `method` is a client-callable method of the object: own, a function, not `_`-prefixed. */
export function isCallableMethod(obj: Record<string, unknown>, method: string): boolean {
  return method.length > 0 && !method.startsWith('_') && Object.prototype.hasOwnProperty.call(obj, method) && typeof obj[method] === 'function';
}

export function newRequestId(): string {
  return randomUUID();
}

export async function invokeCloudObject(
  host: HostContext,
  fn: LoadedFunction,
  call: { method: string; params: unknown[]; clientInfo: InvokeClientInfo; httpInfo?: IntegratedRequest; uniIdToken?: string },
): Promise<unknown> {
  const obj = fn.object as Record<string, (...args: unknown[]) => unknown>;
  if (!isCallableMethod(obj, call.method)) throw new Error(`${fn.name} has no callable method ${call.method}`);
  const self = Object.create(obj) as Record<string, unknown>;
  Object.assign(self, {
    getMethodName: () => call.method,
    getParams: () => call.params,
    getClientInfo: () => ({ ...call.clientInfo }),
    getHttpInfo: () => (call.httpInfo ? { ...call.httpInfo, headers: { ...call.httpInfo.headers } } : undefined),
    getUniIdToken: () => call.uniIdToken,
    getUniCloudRequestId: () => call.clientInfo.requestId,
    getCloudInfo: () => ({ provider: 'local', spaceId: 'local', useOldSpaceId: false, functionName: fn.name, functionType: 'cloudobject', runtimeEnv: 'local' }),
  });
  const run = async () => {
    let error: unknown;
    let result: unknown;
    try {
      if (typeof obj._before === 'function') await obj._before.call(self);
      result = await obj[call.method].apply(self, call.params);
    } catch (err) {
      error = err;
    }
    if (typeof obj._after === 'function') return obj._after.call(self, error, result);
    if (error) throw error;
    return result;
  };
  return withTimeout(fn, runInHost(host, run));
}

export async function invokeFunction(host: HostContext, fn: LoadedFunction, event: unknown, clientInfo: InvokeClientInfo): Promise<unknown> {
  if (!fn.main) throw new Error(`${fn.name} is not a plain cloud function`);
  const main = fn.main;
  const context = {
    requestId: clientInfo.requestId,
    CLIENTIP: clientInfo.clientIP,
    CLIENTUA: clientInfo.userAgent,
    SOURCE: clientInfo.source,
    FUNCTION_NAME: fn.name,
    PLATFORM: clientInfo.platform,
    SPACEINFO: { provider: 'local', spaceId: 'local' },
  };
  return withTimeout(fn, runInHost(host, async () => main(event, context)));
}

/** A timer trigger: uniCloud's event `{Time, TriggerName, Type}`; cloud objects get it through `_timing`. */
export async function invokeTimer(host: HostContext, fn: LoadedFunction, trigger: { name: string }, now = new Date()): Promise<unknown> {
  const event = { Time: now.toISOString(), TriggerName: trigger.name, Type: 'Timer' };
  const clientInfo: InvokeClientInfo = { clientIP: '127.0.0.1', userAgent: '', source: 'timing', requestId: newRequestId() };
  if (fn.kind === 'object') {
    const obj = fn.object as Record<string, unknown>;
    if (typeof obj._timing !== 'function') throw new Error(`${fn.name} has a timer trigger but no _timing method`);
    const timing = obj._timing as (p: unknown) => unknown;
    const self = Object.assign(Object.create(obj) as object, { getClientInfo: () => clientInfo, getMethodName: () => '_timing' });
    return withTimeout(fn, runInHost(host, async () => timing.call(self, event)));
  }
  return invokeFunction(host, fn, event, clientInfo);
}
