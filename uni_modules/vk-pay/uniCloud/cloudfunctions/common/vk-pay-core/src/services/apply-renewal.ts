/**
 * A subscription period the provider renewed by itself (App Store DID_RENEW) is a new paid period: a new order,
 * copied from the subscription's first order (user, type, goods, amount, product), numbered after the renewal's
 * transaction so every delivery of the same renewal names the same order, and paid through applyPaid like any
 * payment - one move that writes the transaction id under its unique index and makes onPaid owed for this
 * period. The first order is never credited twice; a repeat finds the period's order already paid.
 */
import { OrderNotFoundError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import type { NotificationOutcome } from '../providers/types';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { applyPaid, type ApplyResult } from './apply-payment';
import type { CoreContext } from './context';
import type { WriteBatch } from './write-batch';

type Renewed = Extract<NotificationOutcome, { kind: 'renewed' }>;

/** The period's order number: `RN` + the renewal's transaction id (digits), within out_trade_no's 32 characters. */
export function renewalOrderNo(transactionId: string): string {
  return `RN${transactionId}`.slice(0, 32);
}

export async function applyRenewal(ctx: CoreContext, outcome: Renewed, batch: WriteBatch): Promise<ApplyResult> {
  const first = await findOrder(ctx, outcome.out_trade_no);
  if (!first) throw new OrderNotFoundError(outcome.out_trade_no);
  const out_trade_no = renewalOrderNo(outcome.transaction_id);
  let period = await findOrder(ctx, out_trade_no);
  if (!period) {
    const now = ctx.now();
    const doc: OrderDoc = {
      out_trade_no, user_id: first.user_id, type: first.type, provider: first.provider, channel: first.channel, pay_type: first.pay_type,
      amount: first.amount, subject: first.subject, status: 'pending', create_date: now, update_date: now, expires_at: now + ctx.config.ttlMs,
      fingerprint: first.fingerprint, dedupe_key: `renewal:${first.channel}:${outcome.transaction_id}`, renewal_of: first.renewal_of ?? first.out_trade_no,
      refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 0, refunds_reserved: [], refunds_done: [], refunds_released: [], history: [],
    };
    if (first.goods_id) doc.goods_id = first.goods_id;
    if (first.provider_product_id) doc.provider_product_id = first.provider_product_id;
    if (first.user_info !== undefined) doc.user_info = first.user_info;
    if (outcome.expires_at !== undefined) doc.period_ends_at = outcome.expires_at;
    try {
      await ctx.dao.add({ dbName: COLLECTIONS.orders, dataJson: doc, cancelAddTime: true });
      period = doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      period = await findOrder(ctx, out_trade_no); // a concurrent delivery of the same renewal made it
      if (!period) throw err;
    }
  }
  return applyPaid(ctx, {
    channel: outcome.channel, out_trade_no, transaction_id: outcome.transaction_id, paid_at: outcome.paid_at, merchant: outcome.merchant,
    product_id: outcome.product_id, notification: { event_id: outcome.event_id, kind: outcome.kind, raw: outcome.raw },
  }, 'notify', batch, period);
}
