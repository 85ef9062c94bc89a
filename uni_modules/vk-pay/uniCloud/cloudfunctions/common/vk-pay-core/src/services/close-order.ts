/**
 * closeOrder: close at the provider FIRST, then locally - the reconcile path's close (services/reconcile.ts). If
 * the provider refuses because the order is paid, the payment it reports is applied instead of closing.
 *
 * cancelPayment is the payer's own close ("I backed out at the cashier"): the same steps, recorded with
 * close_reason 'cancelled', so the result page learns "cancelled" from the order once the provider has confirmed
 * the trade can no longer be paid - never from a return URL alone.
 */
import { OrderNotFoundError, VkPayError } from '../../../../../../common/errors';
import type { Identity } from '../auth/identity';
import { requireOwnerOrAdmin } from '../auth/identity';
import { writePaymentLog } from '../logging/logs';
import { hookKey } from '../outbox';
import { findOrder } from '../state/refund-ledger';
import type { CallerMeta, CoreContext } from './context';
import { viewOf, type PaymentView } from './query-payment';
import { closeAtProvider } from './reconcile';
import { closeOrderParams, parseParams } from './validate';
import { createWriteBatch } from './write-batch';

export async function closeOrder(ctx: CoreContext, who: Identity | null, rawParams: unknown, meta: CallerMeta = {}, reason: 'cancelled' | 'closed' = 'closed'): Promise<{ view: PaymentView; hookKeys: string[] }> {
  const p = parseParams(closeOrderParams, rawParams);
  const order = await findOrder(ctx, p.out_trade_no);
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  const caller = requireOwnerOrAdmin(who, order.user_id);
  // only the payer cancels; an admin closing someone's order closes it
  const closeReason = reason === 'cancelled' && caller.uid === order.user_id ? 'cancelled' : 'closed';
  if (order.status === 'closed') return { view: viewOf(order), hookKeys: [] };
  if (order.status !== 'pending') throw new VkPayError(40006, p.out_trade_no);

  const started = ctx.now();
  const batch = createWriteBatch();
  const r = await closeAtProvider(ctx, order, { source: 'close', closeReason }, batch);
  const status = r.transition === 'close' ? (closeReason === 'cancelled' ? 'cancelled' : 'success') : r.transition ? 'paid_at_provider' : 'unchanged';
  batch.keep(() => writePaymentLog(ctx, { type: 'close', status, out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount, user_id: order.user_id, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started }));
  await batch.flush();
  const fresh = r.transition ? r.order : (await findOrder(ctx, order.out_trade_no)) ?? order;
  return { view: viewOf(fresh), hookKeys: r.hooks.map(hookKey) };
}
