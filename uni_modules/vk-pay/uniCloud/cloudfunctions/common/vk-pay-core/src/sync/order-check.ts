/**
 * One claimed order, asked at its provider and brought in line with the answer - every change through the
 * core's one path: `applyPaid` (transition pay / pay_after_close, transaction once, hook enqueued once) or
 * `transitionOrder` with the `close` event. An expired order is closed only after the provider has confirmed it
 * unpaid AND accepted the close; a provider that says paid (even while we close) makes it paid, never closed.
 */
import { ORDER_STATUSES } from '../../../../../../common/status';
import { toVkPayError, VkPayError } from '../../../../../../common/errors';
import { writePaymentError, writePaymentLog } from '../logging/logs';
import { raiseAlert } from '../outbox/alerts';
import { runHookEntry } from '../outbox';
import { PAY_TYPES, type Channel, type TradeQueryResult } from '../providers/types';
import { applyPaid } from '../services/apply-payment';
import type { CoreContext } from '../services/context';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { transitionOrder } from '../state/transition';

export type OrderOutcome = 'repaired' | 'paid_after_close' | 'closed' | 'unchanged' | 'already_paid' | 'malformed' | 'error' | 'outage';

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
  if (typeof doc.channel !== 'string' || !Object.prototype.hasOwnProperty.call(PAY_TYPES, doc.channel)) return `channel ${String(doc.channel)} is not a channel`;
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
  const provider = ctx.provider(order.channel as Channel);
  await opts.beforeCall();
  const started = performance.now();
  const answer = await provider.queryOrder(order.out_trade_no);
  const response_time = Math.round(performance.now() - started);
  let outcome: OrderOutcome = 'unchanged';
  let hookRan = false;

  if (answer.state === 'paid' || answer.state === 'refunded') {
    const applied = await applyProviderPaid(ctx, order, answer, opts);
    outcome = applied.outcome;
    hookRan = applied.hookRan;
  } else if (order.status === 'pending') {
    const expired = order.expires_at <= opts.t0;
    if (answer.state === 'closed') {
      outcome = (await closeLocally(ctx, order, opts.source)) ? 'closed' : 'unchanged';
    } else if (expired && (answer.state === 'pending' || answer.state === 'not_found')) {
      outcome = await closeExpired(ctx, order, opts);
    }
  }
  await writePaymentLog(ctx, {
    type: 'query', status: logStatus(outcome), out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount,
    user_id: order.user_id, response_time, detail: { source: opts.source, provider_state: answer.provider_state ?? answer.state, local_status: order.status },
  });
  return hookRan ? { outcome, provider_state: answer.state, hook_ran: true } : { outcome, provider_state: answer.state };
}

/** Log statuses match the core's query logs (`pay`, `pay_after_close`, `close`, or the provider's state). */
function logStatus(outcome: OrderOutcome): string {
  switch (outcome) {
    case 'repaired': return 'pay';
    case 'paid_after_close': return 'pay_after_close';
    case 'closed': return 'close';
    default: return outcome;
  }
}

async function applyProviderPaid(ctx: CoreContext, order: OrderDoc, answer: TradeQueryResult, opts: OrderCheckOptions): Promise<{ outcome: OrderOutcome; hookRan: boolean }> {
  const r = await applyPaid(ctx, {
    channel: order.channel, out_trade_no: order.out_trade_no, transaction_id: answer.transaction_id ?? '',
    amount: answer.amount ?? -1, paid_at: answer.paid_at ?? ctx.now(), merchant: answer.merchant ?? {},
  }, opts.source, order);
  const hookRan = Boolean(r.hookKey && ctx.config.hooks.inline);
  if (r.hookKey && hookRan) await runHookInline(ctx, r.hookKey);
  if (r.transition === 'pay') {
    await raiseAlert(ctx, {
      kind: 'status_mismatch', out_trade_no: order.out_trade_no,
      message: `order ${order.out_trade_no} was pending here but paid at ${order.channel} (${answer.transaction_id ?? '?'}); repaired by ${opts.source}: its notification never arrived`,
    });
    return { outcome: 'repaired', hookRan };
  }
  if (r.transition === 'pay_after_close') {
    // applyPaid has raised the paid_after_close alert; an automatic refund is the merchant's choice.
    if (opts.refundPaidAfterClose) {
      try {
        await opts.refundPaidAfterClose((await ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: order.out_trade_no } })) ?? order);
      } catch (err) {
        await writePaymentError(ctx, { action: 'sync.autoRefund', error: err, out_trade_no: order.out_trade_no });
      }
    }
    return { outcome: 'paid_after_close', hookRan };
  }
  return { outcome: 'already_paid', hookRan };
}

async function runHookInline(ctx: CoreContext, key: string): Promise<void> {
  try {
    await runHookEntry(ctx, key);
  } catch (err) {
    // The entry stays due; the next run's hook step retries it.
    await writePaymentError(ctx, { action: 'sync.hook', error: err, input: { key } });
  }
}

function closeLocally(ctx: CoreContext, order: OrderDoc, source: string): Promise<boolean> {
  return transitionOrder(ctx, { out_trade_no: order.out_trade_no, event: 'close', source, set: { closed_at: ctx.now() } });
}

async function closeExpired(ctx: CoreContext, order: OrderDoc, opts: OrderCheckOptions): Promise<OrderOutcome> {
  const provider = ctx.provider(order.channel);
  try {
    await opts.beforeCall();
    await provider.closeOrder(order.out_trade_no);
  } catch (err) {
    const code = toVkPayError(err).code;
    if (code === 40006) {
      // Paid between our query and the close: the payment wins.
      await opts.beforeCall();
      const again = await provider.queryOrder(order.out_trade_no);
      if (again.state === 'paid' || again.state === 'refunded') return (await applyProviderPaid(ctx, order, again, opts)).outcome;
      throw err;
    }
    // Unknown at the provider: nothing there can be paid, so the local close is safe. Anything else: not closed.
    if (code !== 40005) throw err;
  }
  return (await closeLocally(ctx, order, opts.source)) ? 'closed' : 'unchanged';
}
