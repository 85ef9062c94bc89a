/**
 * The payment core behind the three entry points: `createCoreServices(deps)` returns the CoreServices the
 * adapters in entry/ call (cloud-object methods, provider notifications, the timer). Everything it needs is
 * injected - data access, config, providers, clock, hooks - so the same code runs on uniCloud, on the local
 * host and in tests.
 */
import { ParamError } from '../../../../../common/errors';
import type { VkPayConfig } from './config/schema';
import type { BaseDao } from './dao/types';
import type { CoreServices } from './entry/services';
import { createHookRegistry, type BusinessHook, type HookRegistry } from './hooks/registry';
import type { Database } from './platform/database';
import type { Channel, PaymentProvider } from './providers/types';
import { createApiMethods } from './api/methods';
import { parseHookKey, runHook, type HookRef } from './outbox/outbox';
import type { CoreContext } from './services/context';
import { handleNotification } from './services/notify';
import { createAdminMethods } from './admin/methods';
import { createSyncTimerForCore } from './sync/for-core';
import type { SyncSettings } from './sync/settings';
import { providersFromConfig } from './services/provider-source';
import type { HttpClient } from './platform/http';
import { createTransferApi, type TransferApi } from './services/transfer/api';
import { createVirtualCoinApi, type VirtualCoinApi } from './services/virtual-coins';
import { handleTransferNotification } from './services/transfer/notify';
import { isChannel } from './providers/registry';
import { DEFAULT_MERCHANT, merchantSection } from './config/merchants';

export { loadConfig, parseConfig } from './config/load';
export { uniIdAuth, vkRouterAuth } from './auth/adapters';

/** A provider per configured channel: a factory (given the channel's config section) or ready instances. */
export type ProviderSource = ((channel: Channel, channelConfig: unknown) => PaymentProvider) | Partial<Record<Channel, PaymentProvider>>;

export interface CoreDeps {
  dao: BaseDao;
  db: Database;
  config: VkPayConfig;
  /** default: providers built from the config over uniCloud.httpclient / fetch */
  providers?: ProviderSource;
  http?: HttpClient;
  now?: () => number;
  /** a registry, the hooks directory, or hook modules by order type; default: the vk-pay-hooks module */
  hooks?: HookRegistry | { dir: string } | { modules: Record<string, BusinessHook> };
  sleep?: (ms: number) => Promise<void>;
  /** how long a method/notification waits for freshly enqueued hooks before answering (they keep running) */
  inlineHookWaitMs?: number;
  /** timer tuning in code (overrides config.sync) */
  sync?: Partial<SyncSettings>;
}

export interface VkPayCore extends CoreServices {
  /** the context the services run with (tests and the monitoring part use it) */
  ctx: CoreContext;
  /** runs hooks just made owed (keys from the services, or the refs a notification returns), waiting at most inlineHookWaitMs */
  runHooksNow(keys: Array<string | HookRef>): Promise<void>;
  /** payouts for the merchant's own server code (no caller identity: the code calling it is trusted) */
  transfers: TransferApi;
  /** WeChat virtual payment coins (balance, coin pay) for the merchant's own server code, likewise trusted */
  virtualCoins: VirtualCoinApi;
}

export function createCoreContext(deps: CoreDeps): CoreContext {
  const cache = new Map<string, PaymentProvider>();
  const source = deps.providers ?? providersFromConfig({ http: deps.http, now: deps.now });
  const hooks: HookRegistry =
    deps.hooks && 'get' in deps.hooks ? deps.hooks
      : deps.hooks && 'modules' in deps.hooks ? createHookRegistry({ modules: deps.hooks.modules })
        : createHookRegistry({ dir: deps.hooks && 'dir' in deps.hooks ? deps.hooks.dir : undefined });
  return {
    dao: deps.dao,
    db: deps.db,
    config: deps.config,
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    hooks,
    provider(channel, merchant = DEFAULT_MERCHANT) {
      const key = `${channel}\u0000${merchant}`;
      const hit = cache.get(key);
      if (hit) return hit;
      if (!deps.config.providers[channel]) throw new ParamError(`channel ${channel} is not configured`);
      const section = merchantSection(deps.config, channel, merchant);
      if (!section) throw new ParamError(`merchant ${merchant.slice(0, 32)} of channel ${channel} is not configured`);
      // ready instances serve the default merchant only; a factory builds each merchant from its own section
      const made = typeof source === 'function' ? source(channel, section) : merchant === DEFAULT_MERCHANT ? source[channel] : undefined;
      if (!made) throw new ParamError(`no provider for channel ${channel}${merchant === DEFAULT_MERCHANT ? '' : ` merchant ${merchant}`}`);
      cache.set(key, made);
      return made;
    },
  };
}

export function createCoreServices(deps: CoreDeps): VkPayCore {
  const ctx = createCoreContext(deps);
  const waitMs = deps.inlineHookWaitMs ?? 3_000;
  const runHooksNow = async (keys: Array<string | HookRef>): Promise<void> => {
    const refs = keys.map((k) => (typeof k === 'string' ? parseHookKey(k) : k)).filter((r): r is HookRef => r !== null);
    if (!ctx.config.hooks.inline || refs.length === 0) return;
    // A failing or slow hook never fails the call that made it owed: the outbox retries it.
    const run = Promise.all(refs.map((r) => runHook(ctx, r).catch((err) => console.error('[vk-pay] hook run failed:', (err as Error).message))));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([run, new Promise<void>((r) => { timer = setTimeout(r, waitMs); })]);
    if (timer) clearTimeout(timer);
  };
  // The timer (sync/): stale pending orders, processing refunds, due hooks, alerts - through the same apply functions.
  const timer = createSyncTimerForCore(ctx, { http: deps.http, settings: deps.sync });
  return {
    ctx,
    runHooksNow,
    transfers: createTransferApi(ctx),
    virtualCoins: createVirtualCoinApi(ctx),
    // Client methods, then the admin's (which take over syncOrder/replayHooks with the timer's per-order claim).
    methods: { ...createApiMethods(ctx, runHooksNow), ...createAdminMethods(ctx) },
    async notify(route, req) {
      const forwarded = req.headers['x-forwarded-for']?.split(',')[0]?.trim();
      const transferOf = route.endsWith('-transfer') ? route.slice(0, -'-transfer'.length) : undefined;
      if (transferOf !== undefined && isChannel(transferOf)) {
        return (await handleTransferNotification(ctx, transferOf, req, { ip: forwarded || req.headers['x-real-ip'], user_agent: req.headers['user-agent'] })).reply;
      }
      const channel = route as Channel;
      const handled = await handleNotification(ctx, channel, req, { ip: forwarded || req.headers['x-real-ip'], user_agent: req.headers['user-agent'] });
      await runHooksNow(handled.hooks);
      return handled.reply;
    },
    async runTimer(trigger) {
      return { ...(await timer.runSync({ now: trigger.time })) };
    },
  };
}
