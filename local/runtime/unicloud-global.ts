/**
 * The `uniCloud` global the cloud functions see on the local host: `database()` (the embedded database),
 * `httpclient.request` and `request` on Node's fetch, `logger`. One global per process, as on uniCloud; which
 * host's database it answers is decided per invocation (AsyncLocalStorage), so two hosts started in one test
 * process never see each other's data.
 *
 * While only one host has ever been alive at a time (`npm start`, the benchmarks, most tests), its calls run
 * without entering the AsyncLocalStorage: on Node 20 a store that has been entered once turns on async hooks
 * for every promise the process makes from then on (a promise-init hook per promise: the host's HTTP, the core
 * and the database alike), and with one host the answer is that host anyway. From the moment a second host is
 * alive, every call enters its host's store; a call the first host began alone keeps answering that host.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { httpclientRequest, type HttpclientOptions } from './httpclient';

export interface HostContext {
  db: Database;
  home: string;
  url: string;
}

const current = new AsyncLocalStorage<HostContext>();
/** Hosts alive in this process, newest last: the answer outside any invocation (module-level code). */
const alive: HostContext[] = [];

/** Set for good once two hosts were alive together: from then on every call enters its host's store. */
let shared = false;
/** The host whose calls run without a store, and how many of them are still running. */
let solo: HostContext | undefined;
let soloCalls = 0;

export function runInHost<T>(ctx: HostContext, fn: () => T): T {
  if (shared || alive.length !== 1 || alive[0] !== ctx) return current.run(ctx, fn);
  solo = ctx;
  soloCalls++;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    soloCalls--;
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => { soloCalls--; }) as T;
  soloCalls--;
  return result;
}

/** The host whose cloud code is being loaded (synchronously) right now. */
let loading: HostContext | undefined;

/**
 * Runs `fn` - the synchronous loading of a host's cloud code - so that module-level code asking for
 * `uniCloud.database()` gets `ctx`'s. Not through the store: entering it once would turn the hooks on for good.
 */
export function loadingFor<T>(ctx: HostContext, fn: () => T): T {
  const before = loading;
  loading = ctx;
  try {
    return fn();
  } finally {
    loading = before;
  }
}

function activeHost(): HostContext {
  const stored = current.getStore();
  if (stored) return stored;
  // Outside any store: module-level code being loaded, a call begun while its host was alone (it may still run
  // after a second host arrived), or other code outside any invocation, which gets the newest host.
  const ctx = loading ?? (soloCalls > 0 && solo && alive.includes(solo) ? solo : alive[alive.length - 1]);
  if (!ctx) throw new Error('uniCloud: no local host is running in this process');
  return ctx;
}

export interface UniCloudGlobal {
  database(spaceInfo?: unknown): Database;
  httpclient: { request: typeof httpclientRequest };
  request(opts: { url: string; method?: string; data?: unknown; header?: Record<string, string>; timeout?: number; dataType?: string }): Promise<{ statusCode: number; data: unknown; header: Record<string, string> }>;
  logger: Pick<Console, 'log' | 'info' | 'warn' | 'error'>;
}

export function createUniCloudGlobal(): UniCloudGlobal {
  return {
    database: () => activeHost().db,
    httpclient: { request: httpclientRequest },
    async request(opts) {
      const options: HttpclientOptions = {
        method: opts.method ?? 'GET',
        data: opts.data,
        headers: opts.header,
        timeout: opts.timeout ?? 60_000,
        dataType: opts.dataType === 'json' || opts.dataType === undefined ? 'json' : 'text',
        contentType: typeof opts.data === 'object' && opts.data !== null ? 'json' : undefined,
      };
      const res = await httpclientRequest(opts.url, options);
      return { statusCode: res.status, data: res.data, header: res.headers };
    },
    logger: console,
  };
}

/**
 * The cloud code's config (uni-config-center/vk-pay/config.js) finds the host's data and URL through
 * `VKPAY_HOME` and `VKPAY_PUBLIC_URL`: process-wide, so they follow the newest host still running.
 */
function exportHostEnv(ctx: HostContext | undefined): void {
  if (!ctx) return;
  process.env.VKPAY_HOME = ctx.home;
  process.env.VKPAY_PUBLIC_URL = ctx.url;
}

/** Registers a host and makes sure the global exists; returns the function that unregisters it. */
export function attachHost(ctx: HostContext): () => void {
  const g = globalThis as { uniCloud?: unknown };
  if (!g.uniCloud) g.uniCloud = createUniCloudGlobal();
  alive.push(ctx);
  if (alive.length > 1) shared = true;
  exportHostEnv(ctx);
  return () => {
    const i = alive.indexOf(ctx);
    if (i < 0) return;
    alive.splice(i, 1);
    if (i === alive.length) exportHostEnv(alive[alive.length - 1]);
  };
}
