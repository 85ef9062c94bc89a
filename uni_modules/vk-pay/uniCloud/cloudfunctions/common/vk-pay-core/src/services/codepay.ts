/**
 * A scanned payment code (pay_type `codepay`, docs/PROTOCOLS.md section 11). The provider answers the pay call at
 * once (paid) or keeps the payer confirming (a password: WeChat USERPAYING, Alipay WAIT_BUYER_PAY). No
 * notification ever comes, so the order is settled by the one "ask the provider and apply the answer" path
 * (reconcile.ts) - every `codepay.pollMs` until it is paid or closed; past `codepay.timeoutMs` it is reversed at
 * the provider FIRST (closed, or refunded if it was paid in the very last moment) and only then closed here, so
 * money is never left taken without an order. A paid answer pays the order through the one transition.
 */
import { ParamError } from '../../../../../../common/errors';
import { hookKey } from '../outbox';
import { findOrder } from '../state/refund-ledger';
import type { OrderDoc } from '../state/order';
import type { CoreContext } from './context';
import type { CreatePaymentResult } from './create-payment';
import { reconcileOrder } from './reconcile';

export async function settleScanned(ctx: CoreContext, out_trade_no: string, startedAt: number): Promise<CreatePaymentResult> {
  const { pollMs, timeoutMs } = ctx.config.codepay;
  let order = await findOrder(ctx, out_trade_no);
  if (!order) throw new ParamError(`order ${out_trade_no} vanished`);
  const hookKeys: string[] = [];
  for (;;) {
    const last = ctx.now() >= startedAt + timeoutMs;
    // the last ask also reverses an order still unpaid: closeExpiredAt makes reconcile close at the provider first
    const r = await reconcileOrder(ctx, order, { source: 'codepay', ...(last ? { closeExpiredAt: Number.MAX_SAFE_INTEGER, closeReason: 'expired' as const } : {}) });
    hookKeys.push(...r.hooks.map(hookKey));
    order = r.order;
    if (order.status !== 'pending' || last) break;
    await ctx.sleep(Math.min(pollMs, Math.max(0, startedAt + timeoutMs - ctx.now())));
  }
  return viewOf(order, hookKeys);
}

function viewOf(order: OrderDoc, hookKeys: string[]): CreatePaymentResult {
  const paid = order.status !== 'pending' && order.status !== 'closed';
  return {
    out_trade_no: order.out_trade_no, amount: order.amount, expires_at: order.expires_at,
    payment: { kind: 'codepay', state: paid ? 'paid' : 'paying' }, status: order.status, hookKeys,
  };
}
