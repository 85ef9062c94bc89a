/**
 * Ask the provider, apply the answer: the ONE path by which queryPayment, closeOrder, the timer and the admin
 * sync learn where an order stands, and by which queryRefund and the timer learn a refund's result. Only the
 * provider interface is used (queryOrder, closeOrder, queryRefund and their fixed answer shapes), and every
 * answer is applied by the same functions as a notification (applyPaid, applyRefundFact), so whatever channel
 * answers, the same facts have the same effect:
 *   paid / refunded -> applyPaid (a paid answer without a usable transaction id is refused, never applied);
 *   closed          -> a pending order is closed here too;
 *   unpaid (pending / not_found) past expiry, when asked to -> closed at the provider FIRST, then here; a close
 *                      the provider refuses because the order is paid carries the provider's answer, which is
 *                      applied as a payment without asking again.
 */
import { toVkPayError } from '../../../../../../common/errors';
import { merchantOf } from '../config/merchants';
import { ProviderError } from '../providers/error-map';
import { definitionOf, payTypeSpec } from '../providers/registry';
import type { TradeQueryResult, TradeState } from '../providers/types';
import { writePaymentLog } from '../logging/logs';
import { raiseAlert, type HookRef } from '../outbox';
import type { OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { transitionOrder } from '../state/transition';
import { applyPaid } from './apply-payment';
import { applyRefundFact, type RefundRecord } from './apply-refund';
import type { CoreContext } from './context';
import { closeFieldsFromAnswer, type CloseFields, type CloseReason } from './close-reason';
import { createWriteBatch, type WriteBatch } from './write-batch';

export type ReconcileOutcome = 'repaired' | 'paid_after_close' | 'closed' | 'unchanged' | 'already_paid' | 'second_payment';

export interface ReconcileOptions {
  /** what asked: query, close, timer, admin (logs and history) */
  source: string;
  /** close an unpaid order whose expiry is at or before this time (the timer's run time) */
  closeExpiredAt?: number;
  /**
   * A repair means a notification did not arrive: alert a person. The timer and an admin's sync look at orders
   * whose notification had its chance; a payer's own poll right after paying does not (it may be in flight).
   */
  reportRepairs?: boolean;
  /** waits for the rate gate before each provider call */
  beforeCall?: () => Promise<void>;
  /** why a close this call makes happened, when the caller knows better than the provider's answer (a payer's cancel) */
  closeReason?: CloseReason;
}

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  transition: 'pay' | 'pay_after_close' | 'close' | null;
  provider_state?: TradeState;
  /** the order after the answer was applied (in memory) */
  order: OrderDoc;
  /** hooks this call made owed and holds the claim of */
  hooks: HookRef[];
}

/** Asks the provider about one order and applies the answer. */
export async function reconcileOrder(ctx: CoreContext, order: OrderDoc, opts: ReconcileOptions): Promise<ReconcileResult> {
  const provider = ctx.provider(order.channel, merchantOf(order));
  await opts.beforeCall?.();
  const started = performance.now();
  const answer = await provider.queryOrder(order.out_trade_no, { openid: order.openid });
  const response_time = Math.round(performance.now() - started);
  const batch = createWriteBatch();
  let r: ReconcileResult = { outcome: 'unchanged', transition: null, provider_state: answer.state, order, hooks: [] };
  if (answer.state === 'paid' || answer.state === 'refunded') {
    r = await applyPaidAnswer(ctx, order, answer, opts, batch);
  } else if (order.status === 'pending') {
    // the provider's own words say why (expired, closed, or a payment the payer attempted and the bank refused)
    if (answer.state === 'closed') r = await closeHere(ctx, order, opts.source, closeFieldsFromAnswer(answer, order, ctx.now()), answer.state);
    else if (opts.closeExpiredAt !== undefined && order.expires_at <= opts.closeExpiredAt) r = await closeAtProvider(ctx, order, opts, batch);
  }
  batch.keep(() => writePaymentLog(ctx, {
    type: 'query', status: r.transition ?? answer.state, out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount,
    user_id: order.user_id, response_time, detail: { source: opts.source, provider_state: answer.provider_state ?? answer.state, local_status: order.status },
  }));
  await batch.flush();
  return r;
}

async function applyPaidAnswer(ctx: CoreContext, order: OrderDoc, answer: TradeQueryResult, opts: ReconcileOptions, batch: WriteBatch): Promise<ReconcileResult> {
  const r = await applyPaid(ctx, {
    channel: order.channel, out_trade_no: order.out_trade_no, transaction_id: answer.transaction_id ?? '',
    amount: answer.amount as number, paid_at: answer.paid_at ?? ctx.now(), merchant: answer.merchant ?? {},
  }, opts.source, batch, order);
  const outcome: ReconcileOutcome = r.transition === 'pay' ? 'repaired' : r.transition === 'pay_after_close' ? 'paid_after_close' : r.second_payment ? 'second_payment' : 'already_paid';
  if (r.transition === 'pay' && opts.reportRepairs) {
    batch.keep(() => raiseAlert(ctx, {
      kind: 'status_mismatch', out_trade_no: order.out_trade_no, dedupe_key: `status_mismatch:${order.out_trade_no}`,
      message: `order ${order.out_trade_no} was pending here but paid at ${order.channel} (${answer.transaction_id}); repaired by ${opts.source}: its notification never arrived`,
    }));
  }
  return { outcome, transition: r.transition, provider_state: answer.state, order: r.order, hooks: r.hook ? [r.hook] : [] };
}

/** The local close, with why it happened written by the same update. */
async function closeHere(ctx: CoreContext, order: OrderDoc, source: string, fields: CloseFields, state?: TradeState): Promise<ReconcileResult> {
  const at = fields.closed_at;
  const closed = await transitionOrder(ctx, { out_trade_no: order.out_trade_no, event: 'close', source, set: { ...fields } });
  const after: OrderDoc = closed ? { ...order, ...fields, status: 'closed', update_date: at, history: [...(order.history ?? []), { event: 'close', to: 'closed', at, source }] } : order;
  return { outcome: closed ? 'closed' : 'unchanged', transition: closed ? 'close' : null, provider_state: state, order: after, hooks: [] };
}

/**
 * Closes a pending order at its provider first, then here. Unknown at the provider (40005): nothing there can
 * be paid, so the local close is safe. Refused because it is paid (40006): the payment wins. Anything else: the
 * order stays pending and the error goes to the caller.
 */
export async function closeAtProvider(ctx: CoreContext, order: OrderDoc, opts: ReconcileOptions, batch: WriteBatch): Promise<ReconcileResult> {
  const provider = ctx.provider(order.channel, merchantOf(order));
  // a scanned payment code is reversed, not merely closed: money taken meanwhile goes back to the payer
  const reverse = payTypeSpec(order.channel, order.pay_type)?.scanned && provider.reverseOrder ? provider.reverseOrder.bind(provider) : undefined;
  try {
    await opts.beforeCall?.();
    if (reverse) await reverse(order.out_trade_no);
    else await provider.closeOrder(order.out_trade_no, { openid: order.openid });
  } catch (err) {
    const code = toVkPayError(err).code;
    if (code === 40006) {
      const answer = err instanceof ProviderError && err.answer ? err.answer : await queryAgain(ctx, order, opts);
      if (answer.state === 'paid' || answer.state === 'refunded') return applyPaidAnswer(ctx, order, answer, opts, batch);
      throw err;
    }
    if (code !== 40005) throw err;
  }
  // The close was ours: a payer's cancel or an owner/admin close, or the timer closing an unpaid order past expiry.
  const now = ctx.now();
  const reason: CloseReason = opts.closeReason ?? (order.expires_at <= now ? 'expired' : 'closed');
  return closeHere(ctx, order, opts.source, { closed_at: now, close_reason: reason });
}

async function queryAgain(ctx: CoreContext, order: OrderDoc, opts: ReconcileOptions): Promise<TradeQueryResult> {
  await opts.beforeCall?.();
  return ctx.provider(order.channel, merchantOf(order)).queryOrder(order.out_trade_no, { openid: order.openid });
}

export interface RefundReconcileResult { record: RefundRecord; status: RefundRecord['status']; provider_state?: string; hooks: HookRef[] }

/** Asks the provider about a refund still processing (or held) and applies the answer. */
export async function reconcileRefund(ctx: CoreContext, record: RefundRecord, opts: { source: string; beforeCall?: () => Promise<void> }): Promise<RefundReconcileResult> {
  if (record.status !== 'processing' && record.status !== 'held') return { record, status: record.status, hooks: [] };
  await opts.beforeCall?.();
  const started = performance.now();
  const channel = record.channel as OrderDoc['channel'];
  // channels whose refund queries name the payer (WeChat virtual payment) get the order's openid
  const hint = definitionOf(channel).refundQueryNeedsPayer ? { openid: (await findOrder(ctx, record.out_trade_no))?.openid } : undefined;
  const answer = await ctx.provider(channel, merchantOf(record)).queryRefund(record.out_refund_no, record.out_trade_no, hint);
  const response_time = Math.round(performance.now() - started);
  const batch = createWriteBatch();
  const applied = await applyRefundFact(ctx, { record, fact: answer, source: opts.source, batch });
  batch.keep(() => writePaymentLog(ctx, {
    type: 'query_refund', status: applied.status, out_trade_no: record.out_trade_no, provider: record.provider, amount: record.amount, user_id: record.user_id,
    response_time, detail: { source: opts.source, out_refund_no: record.out_refund_no, provider_state: answer.provider_state ?? answer.state },
  }));
  await batch.flush();
  const status = applied.duplicate ? record.status : applied.status;
  return { record: { ...record, status }, status, provider_state: answer.provider_state ?? answer.state, hooks: applied.hooks };
}
