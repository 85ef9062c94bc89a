/**
 * The admin's cloud-object methods (docs/CONTRACTS.md section 6): every one requires the admin role (40009 otherwise,
 * resolved by the core's auth module: admin bearer token, or an auth hook granting the `admin` role). A failure
 * writes one payment_errors row and is rethrown as a VkPayError for the envelope.
 *
 *   methods: { ...createApiMethods(ctx, runHooksNow), ...createAdminMethods(ctx) }
 */
import { OrderNotFoundError, toVkPayError } from '../../../../../../common/errors';
import { requireAdmin, resolveIdentity } from '../auth/identity';
import type { CloudMethod } from '../entry/services';
import { writePaymentError } from '../logging/logs';
import { getStats } from '../monitor/stats';
import { replayHooks } from '../outbox/outbox';
import { notifyUrlFor, type CoreContext } from '../services/context';
import { outTradeNo, parseParams, replayHooksParams } from '../services/validate';
import { findOrder } from '../state/refund-ledger';
import type { Channel } from '../providers/types';
import { z } from 'zod';
import { listAlerts, listErrors, listLogs, listTransfers } from './lists';
import { getOrder, listOrders } from './orders';
import { getTimeSeries } from '../monitor/series';
import { probeNotifyUrl } from './notify-probe';
import { syncOneOrder } from './sync-one';
import { syncRange } from './sync-range';
import { listReconciliations, runReconcile } from './reconciliations';
import { cancelTransfer, queryTransfer, requestTransfer } from '../services/transfer/service';

const syncOrderParams = z.object({ out_trade_no: outTradeNo });
const statsParams = z.object({ from: z.number().int().nonnegative().optional(), to: z.number().int().nonnegative().optional() });
const seriesParams = statsParams.extend({ bucket: z.enum(['hour', 'day']).default('hour') }).strict();
const checkNotifyParams = z.object({ url: z.string().min(1).max(2048).optional(), timeoutMs: z.number().int().positive().max(30_000).optional() });

/** The names, for `lazyServices(methodNames, ...)`, which must know every method before the core is built. */
export const ADMIN_METHOD_NAMES = ['syncOrder', 'replayHooks', 'syncRange', 'listLogs', 'listErrors', 'getStats', 'checkNotifyUrl', 'listOrders', 'getOrder', 'getTimeSeries', 'listAlerts', 'reconcile', 'listReconciliations', 'transfer', 'queryTransfer', 'cancelTransfer', 'listTransfers'] as const;

export interface AdminMethodOptions {
  /** per-call time budget of syncRange (default 20 s) */
  syncRangeBudgetMs?: number;
}

export function createAdminMethods(ctx: CoreContext, opts: AdminMethodOptions = {}): Record<string, CloudMethod> {
  const admin = (action: string, fn: (params: Record<string, unknown>) => Promise<unknown>): CloudMethod => async (params, req) => {
    let uid: string | undefined;
    try {
      uid = requireAdmin(await resolveIdentity(ctx.config, req)).uid;
      return await fn(params ?? {});
    } catch (err) {
      await writePaymentError(ctx, { action, error: err, input: params, user_id: uid, out_trade_no: typeof params?.out_trade_no === 'string' ? params.out_trade_no : undefined });
      throw toVkPayError(err);
    }
  };

  return {
    syncOrder: admin('syncOrder', async (params) => {
      const p = parseParams(syncOrderParams, params);
      const order = await findOrder(ctx, p.out_trade_no);
      if (!order) throw new OrderNotFoundError(p.out_trade_no);
      return syncOneOrder(ctx, order, 'admin');
    }),
    replayHooks: admin('replayHooks', async (params) => {
      const p = parseParams(replayHooksParams, params);
      if (!(await findOrder(ctx, p.out_trade_no))) throw new OrderNotFoundError(p.out_trade_no);
      return replayHooks(ctx, { out_trade_no: p.out_trade_no, includeDone: p.include_done });
    }),
    syncRange: admin('syncRange', (params) => syncRange(ctx, params, { budgetMs: opts.syncRangeBudgetMs })),
    listLogs: admin('listLogs', (params) => listLogs(ctx, params)),
    listErrors: admin('listErrors', (params) => listErrors(ctx, params)),
    getStats: admin('getStats', (params) => getStats(ctx, parseParams(statsParams, params))),
    getTimeSeries: admin('getTimeSeries', (params) => getTimeSeries(ctx, parseParams(seriesParams, params))),
    listOrders: admin('listOrders', (params) => listOrders(ctx, params)),
    getOrder: admin('getOrder', (params) => getOrder(ctx, params)),
    listAlerts: admin('listAlerts', (params) => listAlerts(ctx, params)),
    reconcile: admin('reconcile', (params) => runReconcile(ctx, params)),
    listReconciliations: admin('listReconciliations', (params) => listReconciliations(ctx, params)),
    // payouts (services/transfer/): the admin's identity is required before anything is parsed, recorded or sent
    transfer: admin('transfer', (params) => requestTransfer(ctx, params, 'admin')),
    queryTransfer: admin('queryTransfer', (params) => queryTransfer(ctx, params)),
    cancelTransfer: admin('cancelTransfer', (params) => cancelTransfer(ctx, params)),
    listTransfers: admin('listTransfers', (params) => listTransfers(ctx, params)),
    checkNotifyUrl: admin('checkNotifyUrl', async (params) => {
      const p = parseParams(checkNotifyParams, params);
      const production = ctx.config.env === 'production';
      const urls: Array<{ channel?: Channel; url: string }> = p.url
        ? [{ url: p.url }]
        : (Object.keys(ctx.config.providers) as Channel[]).filter((c) => ctx.config.providers[c]).map((channel) => ({ channel, url: notifyUrlFor(ctx.config, channel) }));
      const results = await Promise.all(urls.map(async (u) => ({ ...(u.channel ? { channel: u.channel } : {}), ...(await probeNotifyUrl(u.url, { production, timeoutMs: p.timeoutMs })) })));
      return { env: ctx.config.env, notifyUrl: ctx.config.notifyUrl, ok: results.every((r) => r.reachable && r.problems.length === 0), results };
    }),
  };
}
