/**
 * The `uniCloud` global the cloud functions see on the local host: `database()` (the embedded database),
 * `httpclient.request` and `request` on Node's fetch, `logger`. One global per process, as on uniCloud; which
 * host's database it answers is decided per invocation (AsyncLocalStorage), so two hosts started in one test
 * process never see each other's data.
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

export function runInHost<T>(ctx: HostContext, fn: () => T): T {
  return current.run(ctx, fn);
}

function activeHost(): HostContext {
  const ctx = current.getStore() ?? alive[alive.length - 1];
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
  exportHostEnv(ctx);
  return () => {
    const i = alive.indexOf(ctx);
    if (i < 0) return;
    alive.splice(i, 1);
    if (i === alive.length) exportHostEnv(alive[alive.length - 1]);
  };
}
