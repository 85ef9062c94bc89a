/**
 * Applying "the provider says this order is paid" - from a notification, a query, the timer or an admin sync -
 * through the same steps (docs/EXACTLY-ONCE.md): bind checks -> ONE conditional update that moves the order to
 * paid AND writes the transaction id (unique across orders) AND makes the business hook owed (claimed for the
 * caller when hooks run inline) -> the records of it (raw notification, alert), issued together with the log.
 *
 * Read, move, record: three round trips for a first delivery; a repeat is read, record. Nothing that decides
 * the outcome is written separately from the move, so there is no half-done state for a crash to leave: an order
 * is either pending (the redelivery applies it) or paid with its transaction and its hook.
 */
import { OrderNotFoundError, ParamError, VkPayError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import type { Channel, MerchantBinding } from '../providers/types';
import { sanitize } from '../logging/sanitize';
import { owedHook, raiseAlert, type HookRef } from '../outbox';
import { COLLECTIONS } from '../state/collections';
import { PAID_STATUSES, type OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { transitionOrder } from '../state/transition';
import { definitionOf } from '../providers/registry';
import { checkMerchant, checkOrderBinding, checkOrderMerchant } from './bind';
import { merchantOf } from '../config/merchants';
import type { CoreContext } from './context';
import type { WriteBatch } from './write-batch';

export interface PaidFact {
  channel: Channel;
  out_trade_no: string;
  transaction_id: string;
  /** integer fen; absent only for channels bound by product (checkOrderBinding refuses it for the others) */
  amount?: number;
  paid_at: number;
  merchant: MerchantBinding;
  /**
   * the configured merchant whose keys verified the message AND whose ids the message names (notifications: the
   * notify path checks that binding once, while verifying); queries ask the order's own and are checked here
   */
  verified_by?: string;
  /** the provider's product id, for channels that bind a payment by product (definition.orderBinding) */
  product_id?: string;
  /** present for notifications: recorded once in payment_notifications */
  notification?: { event_id: string; kind: string; raw: Record<string, unknown> };
}

export interface ApplyResult {
  /** the order as it is after this call (in memory: the move's own fields applied, no re-read) */
  order: OrderDoc;
  /** the transition this call made, if any */
  transition: 'pay' | 'pay_after_close' | null;
  /** the business hook this call's move made owed and claimed for the caller (hooks.inline) */
  hook?: HookRef;
  duplicate: boolean;
  /** paid before by ANOTHER provider transaction: recorded and alerted, nothing moved */
  second_payment?: boolean;
}

/** Provider payment ids as every channel issues them: printable ASCII, at most 64 characters. */
const TRANSACTION_ID = /^[\x21-\x7e]{1,64}$/;

/** The provider name a channel serves (wxpay-v2 serves "wxpay"). */
export function providerOf(channel: Channel): string {
  return definitionOf(channel).provider;
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

/**
 * Money the provider reports that is not an order's own payment: a payment for an order we do not have
 * (`orphan`) or a second payment of an order already paid by another transaction (`second_payment`). Kept
 * once per provider transaction (unique provider + transaction_id + action) for a person to settle.
 */
export async function recordUnappliedTransaction(ctx: CoreContext, p: {
  provider: string; transaction_id: string; action: 'pay' | 'refund'; status: 'orphan' | 'second_payment';
  out_trade_no: string; out_refund_no?: string; amount?: number; source: string; channel: Channel; event_id?: string;
}): Promise<boolean> {
  try {
    const row: Record<string, unknown> = { ...p, out_refund_no: p.out_refund_no ?? '', create_date: ctx.now() };
    for (const k of Object.keys(row)) if (row[k] === undefined) delete row[k];
    await ctx.dao.add({ dbName: COLLECTIONS.transactions, dataJson: row, cancelAddTime: true });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

export async function applyPaid(ctx: CoreContext, fact: PaidFact, source: string, batch: WriteBatch, known?: OrderDoc | null): Promise<ApplyResult> {
  if (typeof fact.transaction_id !== 'string' || !TRANSACTION_ID.test(fact.transaction_id)) {
    // A payment without a usable provider id cannot be told from another one: never applied on trust.
    throw new ParamError(`the provider's answer for ${fact.out_trade_no} carries no usable transaction id`);
  }
  let order = known === undefined ? await findOrder(ctx, fact.out_trade_no) : known;
  if (!order) throw new OrderNotFoundError(fact.out_trade_no);
  checkOrderMerchant(order, fact.verified_by);
  // A notification's ids were checked against verified_by, which is now known to be the order's merchant.
  if (fact.verified_by === undefined) checkMerchant(ctx.config, fact.channel, fact.merchant, merchantOf(order));
  checkOrderBinding(order, { channel: fact.channel, amount: fact.amount, product_id: fact.product_id });

  // At most a few rounds: a lost race re-reads the order once and decides again from what won.
  for (let round = 0; round < 3; round++) {
    if (PAID_STATUSES.includes(order.status)) {
      if (order.transaction_id === fact.transaction_id) return { order, transition: null, duplicate: true };
      // Money arrived twice for one order (e.g. paid through two channels): record it and tell a person, once.
      const provider = order.provider;
      batch.need(() => recordUnappliedTransaction(ctx, { provider, transaction_id: fact.transaction_id, action: 'pay', status: 'second_payment', out_trade_no: order!.out_trade_no, amount: fact.amount, source, channel: fact.channel }));
      batch.keep(() => raiseAlert(ctx, { kind: 'double_payment', out_trade_no: fact.out_trade_no, dedupe_key: `double_payment:${provider}:${fact.transaction_id}`, message: `second payment ${fact.transaction_id} for an order paid by ${order!.transaction_id}` }));
      return { order, transition: null, duplicate: true, second_payment: true };
    }
    const event = order.status === 'closed' ? 'pay_after_close' as const : 'pay' as const;
    const owed = owedHook(ctx, order.type, 'paid');
    // paid_source / paid_recorded_at: which path learned of the payment first, and when - in the same move, so the
    // notification health figures (monitor/notify-health.ts) cost no write of their own.
    const set: Record<string, unknown> = {
      transaction_id: fact.transaction_id, paid_at: fact.paid_at, refundable_remaining: order.amount, paid_source: source, paid_recorded_at: ctx.now(), ...owed.fields,
    };
    if (event === 'pay_after_close') set.paid_after_close = true;
    let moved: boolean;
    try {
      moved = await transitionOrder(ctx, { out_trade_no: order.out_trade_no, event, source, set });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // The unique transaction id: this payment already paid ANOTHER order. Nothing moves; a person looks.
      await raiseAlert(ctx, { kind: 'double_payment', out_trade_no: order.out_trade_no, dedupe_key: `transaction_reused:${order.provider}:${fact.transaction_id}`, message: `transaction ${fact.transaction_id} reported for ${order.out_trade_no} already paid another order` });
      throw new ParamError(`transaction ${fact.transaction_id} already paid another order`);
    }
    if (moved) {
      const at = ctx.now();
      const after: OrderDoc = { ...order, ...(set as Partial<OrderDoc>), status: 'paid', update_date: at, history: [...(order.history ?? []), { event, to: 'paid', at, source }] };
      if (fact.notification) {
        const n = fact.notification;
        batch.keep(() => recordNotification(ctx, { channel: fact.channel, out_trade_no: after.out_trade_no, ...n }));
      }
      if (event === 'pay_after_close') {
        batch.keep(() => raiseAlert(ctx, { kind: 'paid_after_close', out_trade_no: after.out_trade_no, message: `payment ${fact.transaction_id} arrived for a closed order` }));
      }
      const hook: HookRef | undefined = owed.token ? { event: 'paid', out_trade_no: after.out_trade_no, token: owed.token, order: after } : undefined;
      return { order: after, transition: event, hook, duplicate: false };
    }
    order = await findOrder(ctx, fact.out_trade_no);
    if (!order) throw new OrderNotFoundError(fact.out_trade_no);
  }
  throw new VkPayError(40010, `order ${fact.out_trade_no} kept changing while it was being paid`);
}
