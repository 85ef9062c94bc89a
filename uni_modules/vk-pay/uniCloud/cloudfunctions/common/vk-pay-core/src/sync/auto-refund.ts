/**
 * The optional automatic refund of money received for an order we had closed (config
 * `sync.autoRefundPaidAfterClose: true`): the core's own refund service, called as the timer (an admin identity),
 * with an out_refund_no derived from the order so that every retry is the same refund, never a second one.
 */
import type { Identity } from '../auth/identity';
import { derivedRefundNo, refund } from '../services/refund';
import { definitionOf } from '../providers/registry';
import type { CoreContext } from '../services/context';
import type { OrderDoc } from '../state/order';

const TIMER_IDENTITY: Identity = { uid: 'vk-pay-sync', roles: ['admin'], isAdmin: true, via: 'admin-token' };

export function refundViaCore(ctx: CoreContext): (order: OrderDoc) => Promise<unknown> {
  return async (order) => {
    // only channels whose refunds the merchant starts here (the App Store's come from the payer; WeChat virtual
    // payment's go through /xpay/refund_order like any other): the paid-after-close alert asks a person about the rest
    if (definitionOf(order.channel).refunds !== 'merchant') return null;
    const amount = order.amount - (order.refunded_amount ?? 0) - (order.refund_in_flight ?? 0);
    if (amount <= 0) return null;
    return refund(ctx, TIMER_IDENTITY, { out_trade_no: order.out_trade_no, amount, reason: 'paid after close', out_refund_no: derivedRefundNo(order.channel, order.out_trade_no, 'pac') });
  };
}
