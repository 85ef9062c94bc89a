/**
 * Applying "the provider says this order is paid" - from a notification, a query or the timer - through the
 * same steps (docs/RELIABILITY.md section 2): bind checks -> record the raw notification once -> the one transition ->
 * record the transaction once -> enqueue the business hook. Every step is idempotent by a unique key or a
 * conditional update, so any number of concurrent or repeated deliveries has one effect, and a crash between
 * steps is repaired by the next delivery (the provider retries until we answer success).
 */
import { OrderNotFoundError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import type { Channel, MerchantBinding } from '../providers/types';
import { sanitize } from '../logging/sanitize';
import { enqueueHook, hasOutboxEntry, outboxKey, raiseAlert } from '../outbox';
import { COLLECTIONS } from '../state/collections';
import { PAID_STATUSES, type OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { markPaid } from '../state/transition';
import { checkMerchant, checkOrderBinding } from './bind';
import type { CoreContext } from './context';

export interface PaidFact {
  channel: Channel;
  out_trade_no: string;
  transaction_id: string;
  amount: number;
  paid_at: number;
  merchant: MerchantBinding;
  /** present for notifications: recorded once in payment_notifications */
  notification?: { event_id: string; kind: string; raw: Record<string, unknown> };
}

export interface ApplyResult {
  order: OrderDoc;
  /** the transition this call made, if any */
  transition: 'pay' | 'pay_after_close' | null;
  /** the outbox entry to run now (when this call enqueued it) */
  hookKey?: string;
  duplicate: boolean;
}

/** Records a verified notification once (unique `event_key`). Duplicates are expected and fine. */
export async function recordNotification(ctx: CoreContext, p: { channel: Channel; event_id: string; kind: string; out_trade_no?: string; out_refund_no?: string; raw: Record<string, unknown> }): Promise<boolean> {
  try {
    await ctx.dao.add({
      dbName: COLLECTIONS.notifications,
      dataJson: {
        event_key: `${p.channel}:${p.event_id}`, channel: p.channel, event_id: p.event_id, kind: p.kind,
        out_trade_no: p.out_trade_no ?? '', out_refund_no: p.out_refund_no ?? '', raw: sanitize(p.raw), create_date: ctx.now(),
      },
      cancelAddTime: true,
    });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

/** Records a provider transaction once (unique provider + transaction_id + action). */
export async function recordTransaction(ctx: CoreContext, p: { provider: string; transaction_id: string; action: 'pay' | 'refund'; out_trade_no: string; amount: number; source: string; out_refund_no?: string }): Promise<boolean> {
  try {
    await ctx.dao.add({ dbName: COLLECTIONS.transactions, dataJson: { ...p, out_refund_no: p.out_refund_no ?? '', create_date: ctx.now() }, cancelAddTime: true });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

export async function applyPaid(ctx: CoreContext, fact: PaidFact, source: string, known?: OrderDoc | null): Promise<ApplyResult> {
  const order = known ?? (await findOrder(ctx, fact.out_trade_no));
  if (!order) throw new OrderNotFoundError(fact.out_trade_no);
  checkMerchant(ctx.config, fact.channel, fact.merchant);
  checkOrderBinding(order, { channel: fact.channel, amount: fact.amount });

  const alreadyPaid = PAID_STATUSES.includes(order.status);
  if (alreadyPaid && order.transaction_id !== fact.transaction_id) {
    // Money arrived twice for one order (e.g. paid through two channels): record it and tell a person.
    await recordTransaction(ctx, { provider: order.provider, transaction_id: fact.transaction_id, action: 'pay', out_trade_no: order.out_trade_no, amount: fact.amount, source });
    await raiseAlert(ctx, { kind: 'double_payment', out_trade_no: order.out_trade_no, message: `second payment ${fact.transaction_id} for an order paid by ${order.transaction_id}` });
    return { order, transition: null, duplicate: true };
  }
  // The cheap duplicate: already paid by this transaction and the hook is enqueued, so every step is done.
  const hookKey = outboxKey(order.out_trade_no, 'paid');
  if (alreadyPaid && (await hasOutboxEntry(ctx, hookKey))) return { order, transition: null, duplicate: true };

  if (fact.notification) {
    await recordNotification(ctx, { channel: fact.channel, out_trade_no: order.out_trade_no, ...fact.notification });
  }
  const transition = alreadyPaid
    ? null
    : await markPaid(ctx, { out_trade_no: order.out_trade_no, amount: order.amount, transaction_id: fact.transaction_id, paid_at: fact.paid_at, source, knownStatus: order.status });
  await recordTransaction(ctx, { provider: order.provider, transaction_id: fact.transaction_id, action: 'pay', out_trade_no: order.out_trade_no, amount: fact.amount, source });
  const enq = await enqueueHook(ctx, { out_trade_no: order.out_trade_no, event: 'paid', type: order.type, amount: order.amount });
  if (transition === 'pay_after_close') {
    await raiseAlert(ctx, { kind: 'paid_after_close', out_trade_no: order.out_trade_no, message: `payment ${fact.transaction_id} arrived for a closed order` });
  }
  return { order, transition, hookKey: enq.added ? enq.key : undefined, duplicate: transition === null };
}
