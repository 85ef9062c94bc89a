/**
 * queryPayment and syncOrder: while an order is pending, ask the provider (double confirmation: a lost
 * notification must not lose the payment) and apply its answer through the same steps as a notification.
 * `await_notify` then waits (up to config.awaitNotifyMs, default 20 s) polling the database for the final status.
 */
import { OrderNotFoundError, ParamError, toVkPayError } from '../../../../../../common/errors';
import type { OrderStatus } from '../../../../../../common/status';
import type { TradeQueryResult } from '../providers/types';
import type { Identity } from '../auth/identity';
import { requireOwnerOrAdmin } from '../auth/identity';
import { writePaymentError, writePaymentLog } from '../logging/logs';
import type { OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { transitionOrder } from '../state/transition';
import { applyPaid } from './apply-payment';
import { closeFieldsFromAnswer } from './close-reason';
import type { CallerMeta, CoreContext } from './context';
import { parseParams, queryPaymentParams } from './validate';

export interface PaymentView { out_trade_no: string; status: OrderStatus; amount: number; paid_at?: number; refunded_amount: number; type: string; expires_at: number }

export function viewOf(order: OrderDoc): PaymentView {
  const v: PaymentView = { out_trade_no: order.out_trade_no, status: order.status, amount: order.amount, refunded_amount: order.refunded_amount ?? 0, type: order.type, expires_at: order.expires_at };
  if (order.paid_at !== undefined) v.paid_at = order.paid_at;
  return v;
}

export interface SyncResult { order: OrderDoc; provider_state?: TradeQueryResult['state']; transition: string | null; hookKeys: string[] }

/**
 * Asks the provider about one pending order and applies the answer. Provider "paid" -> paid (bind-checked);
 * provider "closed" -> closed; with `closeIfExpired`, an expired order the provider reports unpaid is closed
 * at the provider first and then locally. Used by queryPayment and the timer.
 */
export async function syncOrder(ctx: CoreContext, order: OrderDoc, source: string, opts: { closeIfExpired?: boolean } = {}): Promise<SyncResult> {
  if (order.status !== 'pending' && order.status !== 'closed') return { order, transition: null, hookKeys: [] };
  const provider = ctx.provider(order.channel);
  const started = ctx.now();
  const answer = await provider.queryOrder(order.out_trade_no);
  const response_time = ctx.now() - started;
  let transition: string | null = null;
  const hookKeys: string[] = [];
  if ((answer.state === 'paid' || answer.state === 'refunded') && !answer.transaction_id) throw new ParamError('provider answer carries no transaction id');
  if (answer.state === 'paid' || answer.state === 'refunded') {
    const r = await applyPaid(ctx, {
      channel: order.channel, out_trade_no: order.out_trade_no, transaction_id: answer.transaction_id ?? '',
      amount: answer.amount ?? -1, paid_at: answer.paid_at ?? ctx.now(), merchant: answer.merchant ?? {},
    }, source, order);
    transition = r.transition;
    if (r.hookKey) hookKeys.push(r.hookKey);
  } else if (order.status === 'pending' && (answer.state === 'closed' || (opts.closeIfExpired && order.expires_at <= ctx.now() && (answer.state === 'pending' || answer.state === 'not_found')))) {
    if (answer.state !== 'closed') await provider.closeOrder(order.out_trade_no);
    if (await transitionOrder(ctx, { out_trade_no: order.out_trade_no, event: 'close', source, set: { ...closeFieldsFromAnswer(answer, order, ctx.now()) } })) transition = 'close';
  }
  await writePaymentLog(ctx, {
    type: 'query', status: transition ?? answer.state, out_trade_no: order.out_trade_no, provider: order.provider,
    amount: order.amount, user_id: order.user_id, response_time, detail: { source, provider_state: answer.provider_state },
  });
  const fresh = transition ? await findOrder(ctx, order.out_trade_no) : order;
  return { order: fresh ?? order, provider_state: answer.state, transition, hookKeys };
}

export async function queryPayment(ctx: CoreContext, who: Identity | null, rawParams: unknown, meta: CallerMeta = {}): Promise<{ view: PaymentView; hookKeys: string[] }> {
  const p = parseParams(queryPaymentParams, rawParams);
  let order = await findOrder(ctx, p.out_trade_no);
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  requireOwnerOrAdmin(who, order.user_id);
  const hookKeys: string[] = [];
  const started = ctx.now();
  let queried = false;
  if (order.status === 'pending') {
    try {
      const r = await syncOrder(ctx, order, 'query');
      queried = true;
      order = r.order;
      hookKeys.push(...r.hookKeys);
    } catch (err) {
      // The provider being unreachable is not the client's failure: answer what the database knows.
      await writePaymentError(ctx, { action: 'queryPayment', error: err, input: p, out_trade_no: p.out_trade_no, user_id: who?.uid });
      if (!toVkPayError(err).retryable) throw err;
    }
  }
  if (p.await_notify && order.status === 'pending') {
    const deadline = ctx.now() + ctx.config.awaitNotifyMs;
    while (order.status === 'pending' && ctx.now() < deadline) {
      await ctx.sleep(500);
      order = (await findOrder(ctx, p.out_trade_no)) ?? order;
    }
  }
  if (!queried) {
    // syncOrder logs the calls that asked the provider; the rest are logged here (one row per query).
    await writePaymentLog(ctx, {
      type: 'query', status: order.status, out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount,
      user_id: who?.uid, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started,
    });
  }
  return { view: viewOf(order), hookKeys };
}
