/**
 * Refund money on the order, kept so that concurrent refunds can never return more than was paid
 * (docs/RELIABILITY.md section 4: reserve atomically BEFORE calling the provider). The order carries
 * `refundable_remaining` (= amount - refunded - in flight); a reservation is one conditional update guarded by
 * `refundable_remaining >= amount`, so a hundred concurrent requests can only reserve what exists.
 * `refunds_reserved` / `refunds_done` (arrays of out_refund_no) make reserve, release and settle idempotent:
 * retrying any of them with the same out_refund_no changes nothing the second time.
 */
import { OrderNotFoundError, VkPayError } from '../../../../../../common/errors';
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
      refunds_released: _.push(r.out_refund_no),
      update_date: ctx.now(),
    },
  });
  return updated === 1;
}

/**
 * The provider confirmed the refund: move the reserved amount to refunded and the order to partially_refunded
 * or refunded, in ONE conditional update through the transition function - no read-modify-write, so any number
 * of settlements racing on one order each take one or two round trips. Whether this refund completes the order
 * is a condition on a single field: refunded_amount == amount - this refund (refunded only ever grows).
 * Returns 'settled' when this call settled it, 'already' when it was settled before (or released), and throws
 * when the refund was never reserved on this order (the caller leaves the record processing).
 */
export async function settleRefund(ctx: StoreContext, r: RefundKey & { source: string }, known?: OrderDoc | null): Promise<'settled' | 'already' | 'released'> {
  const _ = ctx.db.command;
  const order = known ?? (await findOrder(ctx, r.out_trade_no));
  if (!order) throw new OrderNotFoundError(r.out_trade_no);
  const completing = order.amount - r.amount;
  const guard = { refunds_reserved: r.out_refund_no, refunds_done: _.nin([r.out_refund_no]) };
  const set = { refunded_amount: _.inc(r.amount), refund_in_flight: _.inc(-r.amount), refunds_done: _.push(r.out_refund_no) };
  const attempts = [
    { event: 'refund_partial' as const, where: { ...guard, refunded_amount: _.neq(completing) } },
    { event: 'refund_full' as const, where: { ...guard, refunded_amount: completing } },
  ];
  if (order.refunded_amount === completing) attempts.reverse();
  for (const a of attempts) {
    if (await transitionOrder(ctx, { out_trade_no: r.out_trade_no, event: a.event, source: r.source, where: a.where, set })) return 'settled';
  }
  const fresh = await findOrder(ctx, r.out_trade_no);
  if (fresh?.refunds_released?.includes(r.out_refund_no)) return 'released';
  if (fresh?.refunds_done?.includes(r.out_refund_no)) return 'already';
  throw new VkPayError(50000, `refund ${r.out_refund_no} is not reserved on ${r.out_trade_no}`);
}

/**
 * A refund the provider made without us (the merchant platform): the money has left, so it is reserved and
 * settled in ONE conditional update - guarded like a reservation (refundable_remaining >= amount, never
 * reserved before) and moved like a settlement. 'settled' when this call did it; 'known' when the refund is
 * already on the order (reserved by us or adopted before); 'insufficient' when it does not fit what is left.
 */
export async function settleAdopted(ctx: StoreContext, r: RefundKey & { source: string }, known?: OrderDoc | null): Promise<'settled' | 'known' | 'insufficient'> {
  const _ = ctx.db.command;
  let order = known ?? (await findOrder(ctx, r.out_trade_no));
  for (let round = 0; round < 3 && order; round++) {
    if (order.refunds_reserved?.includes(r.out_refund_no)) return 'known';
    if (!PAID_STATUSES.includes(order.status) || order.status === 'refunded' || order.refundable_remaining < r.amount) return 'insufficient';
    const full = order.refunded_amount + r.amount === order.amount;
    const moved = await transitionOrder(ctx, {
      out_trade_no: r.out_trade_no, event: full ? 'refund_full' : 'refund_partial', source: r.source,
      where: { refundable_remaining: _.gte(r.amount), refunds_reserved: _.nin([r.out_refund_no]), refunded_amount: full ? order.refunded_amount : _.neq(order.amount - r.amount) },
      set: { refundable_remaining: _.inc(-r.amount), refunded_amount: _.inc(r.amount), refunds_reserved: _.push(r.out_refund_no), refunds_done: _.push(r.out_refund_no) },
    });
    if (moved) return 'settled';
    order = await findOrder(ctx, r.out_trade_no);
  }
  if (!order) throw new OrderNotFoundError(r.out_trade_no);
  throw new VkPayError(40010, `order ${r.out_trade_no} kept changing while refund ${r.out_refund_no} was adopted`);
}

export function findOrder(ctx: StoreContext, out_trade_no: string): Promise<OrderDoc | null> {
  return ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no } });
}
