/**
 * Refund money on the order, kept so that concurrent refunds can never return more than was paid
 * (RELIABILITY.md 8.E: reserve atomically BEFORE calling the provider). The order carries
 * `refundable_remaining` (= amount - refunded - in flight); a reservation is one conditional update guarded by
 * `refundable_remaining >= amount`, so a hundred concurrent requests can only reserve what exists.
 * `refunds_reserved` / `refunds_done` (arrays of out_refund_no) make reserve, release and settle idempotent:
 * retrying any of them with the same out_refund_no changes nothing the second time.
 */
import type { OrderDoc } from './order';
import { PAID_STATUSES } from './order';
import { COLLECTIONS } from './collections';
import { transitionOrder, type StoreContext } from './transition';

export interface RefundKey { out_trade_no: string; out_refund_no: string; amount: number }

export type ReserveResult = 'reserved' | 'already_reserved' | 'insufficient';

export async function reserveRefund(ctx: StoreContext, r: RefundKey): Promise<ReserveResult> {
  const _ = ctx.db.command;
  const updated = await ctx.dao.update({
    dbName: COLLECTIONS.orders,
    whereJson: {
      out_trade_no: r.out_trade_no,
      status: _.in([...PAID_STATUSES.filter((s) => s !== 'refunded')]),
      refundable_remaining: _.gte(r.amount),
      refunds_reserved: _.nin([r.out_refund_no]),
    },
    dataJson: {
      refundable_remaining: _.inc(-r.amount),
      refund_in_flight: _.inc(r.amount),
      refunds_reserved: _.push(r.out_refund_no),
      update_date: ctx.now(),
    },
  });
  if (updated === 1) return 'reserved';
  const order = await findOrder(ctx, r.out_trade_no);
  return order?.refunds_reserved?.includes(r.out_refund_no) ? 'already_reserved' : 'insufficient';
}

/** The provider refused the refund: give the reserved amount back. True when this call released it. */
export async function releaseRefund(ctx: StoreContext, r: RefundKey): Promise<boolean> {
  const _ = ctx.db.command;
  const updated = await ctx.dao.update({
    dbName: COLLECTIONS.orders,
    whereJson: { out_trade_no: r.out_trade_no, refunds_reserved: r.out_refund_no, refunds_done: _.nin([r.out_refund_no]) },
    dataJson: {
      refundable_remaining: _.inc(r.amount),
      refund_in_flight: _.inc(-r.amount),
      refunds_done: _.push(r.out_refund_no),
      update_date: ctx.now(),
    },
  });
  return updated === 1;
}

/**
 * The provider confirmed the refund: move the reserved amount to refunded and the order to partially_refunded
 * or refunded, in one conditional update through the transition function. The refunded total is compared and
 * set (CAS) so two settlements racing on one order retry instead of overwriting each other.
 * Returns true when this call settled it (false: already settled, or never reserved).
 */
export async function settleRefund(ctx: StoreContext, r: RefundKey & { source: string }, known?: OrderDoc | null): Promise<boolean> {
  const _ = ctx.db.command;
  let order = known ?? (await findOrder(ctx, r.out_trade_no));
  for (let attempt = 0; attempt < 20 && order; attempt++) {
    if (!order.refunds_reserved?.includes(r.out_refund_no) || order.refunds_done?.includes(r.out_refund_no)) return false;
    const refunded = (order.refunded_amount ?? 0) + r.amount;
    const changed = await transitionOrder(ctx, {
      out_trade_no: r.out_trade_no,
      event: refunded >= order.amount ? 'refund_full' : 'refund_partial',
      source: r.source,
      where: { refunded_amount: order.refunded_amount ?? 0, refunds_reserved: r.out_refund_no, refunds_done: _.nin([r.out_refund_no]) },
      set: { refunded_amount: refunded, refund_in_flight: _.inc(-r.amount), refunds_done: _.push(r.out_refund_no) },
    });
    if (changed) return true;
    order = await findOrder(ctx, r.out_trade_no);
  }
  return false;
}

export function findOrder(ctx: StoreContext, out_trade_no: string): Promise<OrderDoc | null> {
  return ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no } });
}
