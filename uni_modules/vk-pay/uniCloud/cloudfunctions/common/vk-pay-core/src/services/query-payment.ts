/**
 * queryPayment: while an order is pending, ask the provider (double confirmation: a lost notification must not
 * lose the payment) and apply its answer through the one reconcile path (services/reconcile.ts), the same steps
 * as a notification. `await_notify` then waits (up to config.awaitNotifyMs, default 20 s) polling the database
 * for the final status.
 */
import { OrderNotFoundError, toVkPayError } from '../../../../../../common/errors';
import type { OrderStatus } from '../../../../../../common/status';
import type { Identity } from '../auth/identity';
import { requireOwnerOrAdmin } from '../auth/identity';
import { writePaymentError, writePaymentLog } from '../logging/logs';
import { hookKey } from '../outbox';
import type { OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import type { CallerMeta, CoreContext } from './context';
import { reconcileOrder } from './reconcile';
import { parseParams, queryPaymentParams } from './validate';

export interface PaymentView { out_trade_no: string; status: OrderStatus; amount: number; paid_at?: number; refunded_amount: number; type: string; expires_at: number }

export function viewOf(order: OrderDoc): PaymentView {
  const v: PaymentView = { out_trade_no: order.out_trade_no, status: order.status, amount: order.amount, refunded_amount: order.refunded_amount ?? 0, type: order.type, expires_at: order.expires_at };
  if (order.paid_at !== undefined) v.paid_at = order.paid_at;
  return v;
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
      const r = await reconcileOrder(ctx, order, { source: 'query' });
      queried = true;
      order = r.order;
      hookKeys.push(...r.hooks.map(hookKey));
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
    // reconcileOrder logs the calls that asked the provider; the rest are logged here (one row per query).
    await writePaymentLog(ctx, {
      type: 'query', status: order.status, out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount,
      user_id: who?.uid, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started,
    });
  }
  return { view: viewOf(order), hookKeys };
}
