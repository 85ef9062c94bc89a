/**
 * One claimed order, asked at its provider and brought in line with the answer through the core's one
 * "ask the provider, apply the answer" path (services/reconcile.ts): every change is applyPaid (pay /
 * pay_after_close with the transaction and the hook in one move) or the close transition. An expired order is
 * closed only after the provider has confirmed it unpaid AND accepted the close; a provider that says paid (even
 * while we close) makes it paid, never closed. The timer's own parts: malformed documents are skipped, a hook a
 * repair made owed runs right away (hooks.inline), and money received after close may be refunded.
 */
import { ORDER_STATUSES } from '../../../../../../common/status';
import { VkPayError } from '../../../../../../common/errors';
import { writePaymentError } from '../logging/logs';
import { runHook } from '../outbox';
import { isChannel } from '../providers/registry';
import type { TradeQueryResult } from '../providers/types';
import type { CoreContext } from '../services/context';
import { reconcileOrder } from '../services/reconcile';
import type { OrderDoc } from '../state/order';

export type OrderOutcome = 'repaired' | 'paid_after_close' | 'closed' | 'unchanged' | 'already_paid' | 'second_payment' | 'malformed' | 'error' | 'outage';

export interface OrderCheckResult {
  outcome: OrderOutcome;
  /** what the provider said, when it answered */
  provider_state?: TradeQueryResult['state'];
  error?: { code: number; message: string };
  /** the business hook this repair enqueued was run right away (config hooks.inline) */
  hook_ran?: boolean;
}

export interface OrderCheckOptions {
  /** the reference time for expiry */
  t0: number;
  /** waits for the rate gate before each provider call */
  beforeCall: () => Promise<void>;
  /** refunds an order paid after close (config `sync.autoRefundPaidAfterClose`) */
  refundPaidAfterClose?: (order: OrderDoc) => Promise<unknown>;
  source: string;
}

/** Why a stored document cannot be handled as an order, or null when it can. */
export function malformedReason(doc: Record<string, unknown>): string | null {
  if (typeof doc.out_trade_no !== 'string' || doc.out_trade_no.length === 0) return 'out_trade_no is missing';
  if (!isChannel(doc.channel)) return `channel ${String(doc.channel)} is not a channel`;
  if (!Number.isSafeInteger(doc.amount) || (doc.amount as number) <= 0) return `amount ${String(doc.amount)} is not a positive integer of fen`;
  if (!(ORDER_STATUSES as readonly unknown[]).includes(doc.status)) return `status ${String(doc.status)} is unknown`;
  if (typeof doc.expires_at !== 'number' || !Number.isFinite(doc.expires_at)) return 'expires_at is not a time';
  if (typeof doc.type !== 'string') return 'type is missing';
  return null;
}

export async function checkOrder(ctx: CoreContext, order: OrderDoc, opts: OrderCheckOptions): Promise<OrderCheckResult> {
  const bad = malformedReason(order as unknown as Record<string, unknown>);
  if (bad) {
    await writePaymentError(ctx, { action: 'sync', error: new VkPayError(40001, `stored order ${String(order._id)} skipped: ${bad}`), input: { _id: order._id }, out_trade_no: typeof order.out_trade_no === 'string' ? order.out_trade_no : undefined });
    return { outcome: 'malformed' };
  }
  const r = await reconcileOrder(ctx, order, { source: opts.source, closeExpiredAt: opts.t0, reportRepairs: true, beforeCall: opts.beforeCall });
  let hookRan = false;
  for (const hook of r.hooks) {
    hookRan = true;
    try {
      await runHook(ctx, hook);
    } catch (err) {
      // The hook stays owed; the next run's hook step retries it.
      await writePaymentError(ctx, { action: 'sync.hook', error: err, out_trade_no: order.out_trade_no });
    }
  }
  if (r.outcome === 'paid_after_close' && opts.refundPaidAfterClose) {
    // applyPaid has raised the paid_after_close alert; an automatic refund is the merchant's choice.
    try {
      await opts.refundPaidAfterClose(r.order);
    } catch (err) {
      await writePaymentError(ctx, { action: 'sync.autoRefund', error: err, out_trade_no: order.out_trade_no });
    }
  }
  return hookRan ? { outcome: r.outcome, provider_state: r.provider_state, hook_ran: true } : { outcome: r.outcome, provider_state: r.provider_state };
}
