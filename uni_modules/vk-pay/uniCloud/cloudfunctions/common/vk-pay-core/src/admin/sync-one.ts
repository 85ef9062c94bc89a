/**
 * Syncing one order on an admin's request, through the same claim and check as the timer: an admin pressing
 * "sync" while the timer runs cannot make the order be handled twice.
 */
import { VkPayError, toVkPayError } from '../../../../../../common/errors';
import { writePaymentError } from '../logging/logs';
import type { CoreContext } from '../services/context';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { claimDoc, finishDoc, releaseDoc } from '../sync/claim';
import { checkOrder, type OrderOutcome } from '../sync/order-check';
import { isOutageError } from '../sync/run-context';
import { resolveSyncSettings } from '../sync/settings';

export interface SyncOneResult { out_trade_no: string; outcome: OrderOutcome | 'final'; status: string; provider_state?: string; paid_after_close?: boolean }

export async function syncOneOrder(ctx: CoreContext, order: OrderDoc & { _id?: string }, source: string): Promise<SyncOneResult> {
  if (order.status !== 'pending' && order.status !== 'closed') return { out_trade_no: order.out_trade_no, outcome: 'final', status: order.status };
  const settings = resolveSyncSettings(ctx.config);
  const claim = await claimDoc<OrderDoc & { _id: string; sync_next_at?: number }>(ctx, COLLECTIONS.orders, String(order._id), { status: order.status }, settings.leaseMs, 'lease');
  if (!claim) throw new VkPayError(40010, `order ${order.out_trade_no} is being synced right now (or just changed); retry in a moment`);
  try {
    const r = await checkOrder(ctx, claim.doc, { t0: ctx.now(), source, beforeCall: async () => {} });
    await finishDoc(ctx, COLLECTIONS.orders, claim.doc._id, claim.token, { nextAt: ctx.now() + settings.recheckMs, failed: r.outcome === 'malformed' });
    const fresh = await ctx.dao.findById<OrderDoc>({ dbName: COLLECTIONS.orders, id: claim.doc._id });
    const out: SyncOneResult = { out_trade_no: order.out_trade_no, outcome: r.outcome, status: fresh?.status ?? order.status, provider_state: r.provider_state };
    if (fresh?.paid_after_close) out.paid_after_close = true;
    return out;
  } catch (err) {
    if (isOutageError(err)) await releaseDoc(ctx, COLLECTIONS.orders, claim.doc._id, claim.token, (order as { sync_next_at?: number }).sync_next_at);
    else await finishDoc(ctx, COLLECTIONS.orders, claim.doc._id, claim.token, { nextAt: ctx.now() + settings.errorBackoffMs, failed: true });
    await writePaymentError(ctx, { action: `${source}.syncOrder`, error: err, out_trade_no: order.out_trade_no });
    throw toVkPayError(err);
  }
}
