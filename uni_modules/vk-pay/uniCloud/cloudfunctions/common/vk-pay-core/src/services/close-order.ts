/**
 * closeOrder: close at the provider FIRST, then locally. If the provider says the order is already paid, it is
 * applied as paid (money was received) instead of closed.
 *
 * cancelPayment is the payer's own close ("I backed out at the cashier"): the same steps, recorded with
 * close_reason 'cancelled', so the result page learns "cancelled" from the order once the provider has confirmed
 * the trade can no longer be paid - never from a return URL alone.
 */
import { OrderNotFoundError, VkPayError, toVkPayError } from '../../../../../../common/errors';
import type { Identity } from '../auth/identity';
import { requireOwnerOrAdmin } from '../auth/identity';
import { writePaymentLog } from '../logging/logs';
import { findOrder } from '../state/refund-ledger';
import { transitionOrder } from '../state/transition';
import type { CallerMeta, CoreContext } from './context';
import { syncOrder, viewOf, type PaymentView } from './query-payment';
import { closeOrderParams, parseParams } from './validate';

export async function closeOrder(ctx: CoreContext, who: Identity | null, rawParams: unknown, meta: CallerMeta = {}, reason: 'cancelled' | 'closed' = 'closed'): Promise<{ view: PaymentView; hookKeys: string[] }> {
  const p = parseParams(closeOrderParams, rawParams);
  const order = await findOrder(ctx, p.out_trade_no);
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  const caller = requireOwnerOrAdmin(who, order.user_id);
  // only the payer cancels; an admin closing someone's order closes it
  const closeReason = reason === 'cancelled' && caller.uid === order.user_id ? 'cancelled' : 'closed';
  if (order.status === 'closed') return { view: viewOf(order), hookKeys: [] };
  if (order.status !== 'pending') throw new VkPayError(40006, p.out_trade_no);

  const provider = ctx.provider(order.channel);
  const started = ctx.now();
  try {
    await provider.closeOrder(order.out_trade_no);
  } catch (err) {
    const e = toVkPayError(err);
    if (e.code === 40006) {
      // Paid at the provider: record the payment rather than closing.
      const r = await syncOrder(ctx, order, 'close');
      await writePaymentLog(ctx, { type: 'close', status: 'paid_at_provider', out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount, user_id: order.user_id, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started });
      return { view: viewOf(r.order), hookKeys: r.hookKeys };
    }
    // Unknown at the provider: it holds nothing payable, so closing locally is safe.
    if (e.code !== 40005) throw e;
  }
  const closed = await transitionOrder(ctx, { out_trade_no: order.out_trade_no, event: 'close', source: 'close', set: { closed_at: ctx.now(), close_reason: closeReason } });
  await writePaymentLog(ctx, { type: 'close', status: closed ? (closeReason === 'cancelled' ? 'cancelled' : 'success') : 'unchanged', out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount, user_id: order.user_id, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started });
  const fresh = (await findOrder(ctx, order.out_trade_no)) ?? order;
  return { view: viewOf(fresh), hookKeys: [] };
}
