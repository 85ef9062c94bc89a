/**
 * The cloud-object methods of docs/CONTRACTS.md section 6 as CloudMethods. Each resolves the caller, runs its service
 * and, on failure, writes one payment_errors row and rethrows a VkPayError (the entry point turns it into the
 * `{code, msg, action}` envelope). Bad input is refused by the service's schema before anything else is written.
 * The admin's methods (syncOrder, replayHooks, stats, lists) live in admin/ and are merged in createCoreServices.
 */
import { toVkPayError } from '../../../../../../common/errors';
import type { CloudMethod, CloudRequest } from '../entry/services';
import { resolveIdentity, requireUser, type Identity } from '../auth/identity';
import { writePaymentError } from '../logging/logs';
import { channelsServing, findDefinition, PROVIDER_NAMES } from '../providers/registry';
import type { CallerMeta, CoreContext } from '../services/context';
import { channelOf, isChannelConfigured } from '../services/context';
import { createPayment } from '../services/create-payment';
import { closeOrder } from '../services/close-order';
import { queryPayment } from '../services/query-payment';
import { getPaymentResult } from '../services/payment-result';
import { queryRefund, refund } from '../services/refund';
import { getOpenid } from '../services/payer-id';
import { verifyPurchase } from '../services/verify-purchase';

export type RunHooksNow = (keys: string[]) => Promise<void>;

export function callerMeta(req: CloudRequest, who: Identity | null): CallerMeta {
  return {
    user_id: who?.uid, isAdmin: who?.isAdmin, ip: req.clientInfo?.clientIP,
    user_agent: req.clientInfo?.userAgent, platform: req.clientInfo?.platform,
  };
}

export function createApiMethods(ctx: CoreContext, runHooksNow: RunHooksNow): Record<string, CloudMethod> {
  const wrap = (action: string, fn: (who: Identity | null, params: Record<string, unknown>, meta: CallerMeta) => Promise<unknown>): CloudMethod =>
    async (params, req) => {
      let who: Identity | null = null;
      try {
        who = await resolveIdentity(ctx.config, req);
        return await fn(who, params ?? {}, callerMeta(req, who));
      } catch (err) {
        const e = toVkPayError(err);
        await writePaymentError(ctx, { action, error: err, input: params, user_id: who?.uid, out_trade_no: typeof params?.out_trade_no === 'string' ? params.out_trade_no : undefined });
        throw e;
      }
    };

  return {
    createPayment: wrap('createPayment', async (who, params, meta) => {
      const { hookKeys, ...result } = await createPayment(ctx, requireUser(who), params, meta);
      // a scanned payment code is paid within the call: its business hook runs now, as after a query
      if (hookKeys?.length) await runHooksNow(hookKeys);
      return result;
    }),
    queryPayment: wrap('queryPayment', async (who, params, meta) => {
      const r = await queryPayment(ctx, who, params, meta);
      await runHooksNow(r.hookKeys);
      return r.view;
    }),
    closeOrder: wrap('closeOrder', async (who, params, meta) => {
      const r = await closeOrder(ctx, who, params, meta);
      await runHooksNow(r.hookKeys);
      return r.view;
    }),
    // the payer backed out: close at the provider first, recorded as cancelled (see services/close-order.ts)
    cancelPayment: wrap('cancelPayment', async (who, params, meta) => {
      const r = await closeOrder(ctx, requireUser(who), params, meta, 'cancelled');
      await runHooksNow(r.hookKeys);
      return r.view;
    }),
    getPaymentResult: wrap('getPaymentResult', async (who, params, meta) => {
      const r = await getPaymentResult(ctx, who, params, meta);
      if (r.hookKeys.length) {
        await runHooksNow(r.hookKeys);
        // the hook just ran: read its effect again so the page shows the points at once
        return (await getPaymentResult(ctx, who, params, meta)).result;
      }
      return r.result;
    }),
    refund: wrap('refund', async (who, params, meta) => {
      const r = await refund(ctx, who, params, meta);
      await runHooksNow(r.hookKeys);
      return r.view;
    }),
    queryRefund: wrap('queryRefund', async (who, params) => {
      const r = await queryRefund(ctx, who, params);
      await runHooksNow(r.hookKeys);
      return r.view;
    }),
    getPayOptions: wrap('getPayOptions', async () => payOptions(ctx)),
    // a login code from uni.login / the official account's OAuth redirect -> the payer's openid, kept per user and app
    getOpenid: wrap('getOpenid', (who, params) => getOpenid(ctx, requireUser(who), params)),
    // a purchase the device made and proves (App Store): verified, then applied like any payment
    verifyApplePurchase: wrap('verifyApplePurchase', async (who, params, meta) => {
      const r = await verifyPurchase(ctx, who, params, meta);
      await runHooksNow(r.hookKeys);
      return r.view;
    }),
  };
}

/**
 * What the client needs to draw the checkout: the configured providers with their pay types and the uni-app
 * platforms each pay type opens on (from the registry, so the client hard-codes no provider), order types and limits.
 */
export function payOptions(ctx: CoreContext) {
  const providers = PROVIDER_NAMES
    .filter((provider) => channelsServing(provider).length > 0)
    .map((provider) => ({ provider, channel: channelOf(ctx.config, provider) }))
    .filter((p) => isChannelConfigured(ctx.config, p.channel))
    .map((p) => {
      const def = findDefinition(p.channel);
      const specs = def?.payTypes ?? [];
      const section = ctx.config.providers[p.channel];
      // pay types that pay as a known payer: the app the login code must come from (and the OAuth page for a browser)
      const login: Record<string, { app_id: string; authorize_url?: string }> = {};
      for (const t of specs) {
        if (!t.needsPayerId || !def?.payerAppId) continue;
        const authorize_url = def.loginAuthorizeUrl?.(section, t.name);
        login[t.name] = { app_id: def.payerAppId(section, t.name), ...(authorize_url ? { authorize_url } : {}) };
      }
      return { ...p, pay_types: specs.map((t) => t.name), platforms: Object.fromEntries(specs.map((t) => [t.name, [...t.platforms]])), login };
    })
    // a channel that only receives notifications of its own (no pay type) is nothing to offer a payer
    .filter((p) => p.pay_types.length > 0);
  const types = Object.entries(ctx.config.orderTypes).map(([type, t]) => {
    if (t.amount === 'client') return { type, amount: 'client' as const, min: t.min, max: Math.min(t.max ?? ctx.config.maxAmount, ctx.config.maxAmount) };
    if (t.amount === 'catalog') return { type, amount: 'catalog' as const, catalog: Object.entries(t.catalog).map(([goods_id, item]) => ({ goods_id, ...item })) };
    return { type, amount: 'custom' as const };
  });
  return { env: ctx.config.env, providers, types, maxAmount: ctx.config.maxAmount, ttlMs: ctx.config.ttlMs };
}
