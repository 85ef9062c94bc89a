/**
 * The order step of a run: page through the orders that are due (oldest first, with the shared keyset puller so
 * the scan always moves forward), claim each one, check it at its provider with bounded concurrency and rate,
 * and say when it is due again. Two kinds are swept: pending orders older than `staleMs`, and orders closed
 * within `closedWindowMs` (a payment may still land on them). An order is claimed before its provider call, so
 * overlapping runs never query or move the same order twice.
 */
import { toVkPayError } from '../../../../../../common/errors';
import { writePaymentError } from '../logging/logs';
import { raiseThrottled } from '../monitor/alert-store';
import type { Channel } from '../providers/types';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { claimDoc, errorBackoff, finishDoc, freeOrDue, releaseDoc } from './claim';
import { runPool } from './limiter';
import { checkOrder, type OrderCheckResult } from './order-check';
import { keysetPuller } from './keyset-scan';
import { isOutageError, type RunState } from './run-context';

type SweepKind = 'pending' | 'closed';

type ScannedOrder = OrderDoc & { _id: string; sync_errors?: number; sync_next_at?: number };

/**
 * Due orders, oldest first by (create_date, _id) for pending orders and (closed_at, _id) for closed ones: the
 * field each kind bounds, so every scanned order has it. Keyset paging means the scan only moves forward, so
 * an order given back after a network failure (still due) is not read again in the same run, and no run spins.
 */
function orderPuller(run: RunState, kind: SweepKind): () => Promise<ScannedOrder | null> {
  const _ = run.ctx.db.command;
  const { t0, settings } = run;
  const where: Record<string, unknown> = kind === 'pending'
    ? { status: 'pending', create_date: _.lte(t0 - settings.staleMs) }
    : { status: 'closed', closed_at: _.gte(t0 - settings.closedWindowMs) };
  where.sync_next_at = freeOrDue(run.ctx, t0);
  const sortField = kind === 'pending' ? 'create_date' : 'closed_at';
  return keysetPuller<ScannedOrder>(run, COLLECTIONS.orders, where, (n) => { run.summary.scanned += n; }, { sortField });
}

export async function sweepOrders(run: RunState, kind: SweepKind): Promise<void> {
  let handled = 0;
  await runPool(run.settings.concurrency, orderPuller(run, kind), async (order) => {
    await handleOne(run, order, kind);
    run.progress?.({ phase: kind === 'pending' ? 'orders' : 'closed', handled: ++handled });
  });
}

async function handleOne(run: RunState, scanned: ScannedOrder, kind: SweepKind): Promise<void> {
  const { ctx, settings, summary } = run;
  // Still due at claim time: an overlapping run may have taken or finished this order since our scan read it.
  const claim = await claimDoc<ScannedOrder>(ctx, COLLECTIONS.orders, scanned._id, { status: kind }, settings.leaseMs, { due: run.t0 });
  if (!claim) return; // another run holds it, or it moved on since the scan
  const order = claim.doc;
  const channel = order.channel as Channel;
  let result: OrderCheckResult;
  try {
    summary.queried++;
    result = await checkOrder(ctx, order, {
      t0: run.t0, source: 'timer', beforeCall: () => run.gate.take(),
      refundPaidAfterClose: settings.autoRefundPaidAfterClose ? run.deps.refundPaidAfterClose : undefined,
    });
    run.breaker.ok(channel);
  } catch (err) {
    summary.errors++;
    if (isOutageError(err)) {
      // Nothing is known about the order: leave it exactly as it was and let the next run ask again.
      await releaseDoc(ctx, COLLECTIONS.orders, order._id, claim.token, scanned.sync_next_at);
      await writePaymentError(ctx, { action: 'sync', error: err, input: { channel }, out_trade_no: order.out_trade_no });
      await noteOutage(run, channel, err);
      return;
    }
    await writePaymentError(ctx, { action: 'sync', error: err, input: { channel, status: order.status }, out_trade_no: order.out_trade_no });
    const failures = (order.sync_errors ?? 0) + 1;
    await finishDoc(ctx, COLLECTIONS.orders, order._id, claim.token, { nextAt: ctx.now() + errorBackoff(failures - 1, settings.errorBackoffMs, settings.maxErrorBackoffMs), failed: true });
    return;
  }
  if (result.hook_ran) summary.hooks_run++;
  switch (result.outcome) {
    case 'repaired': summary.repaired++; summary.alerts_raised++; break;
    case 'paid_after_close': summary.paid_after_close++; summary.alerts_raised++; break;
    case 'closed': summary.closed++; break;
    case 'malformed': summary.malformed++; summary.errors++; break;
    default: break;
  }
  const failed = result.outcome === 'malformed';
  const nextAt = failed
    ? ctx.now() + errorBackoff(order.sync_errors ?? 0, settings.errorBackoffMs, settings.maxErrorBackoffMs)
    // A closed order (swept, or just closed here) is looked at again only once the close has settled.
    : ctx.now() + (kind === 'closed' || result.outcome === 'closed' ? settings.closedRecheckMs : settings.recheckMs);
  await finishDoc(ctx, COLLECTIONS.orders, order._id, claim.token, { nextAt, failed });
}

/** Counts a network-level failure; the one that opens the channel's breaker records the outage and alerts once. */
export async function noteOutage(run: RunState, channel: Channel, err: unknown): Promise<void> {
  if (!run.breaker.fail(channel)) return;
  run.summary.outage.push(channel);
  const e = toVkPayError(err);
  const raised = await raiseThrottled(run.ctx, {
    kind: 'provider_outage',
    message: `${channel} gateway unreachable during the sync timer (${e.code} ${e.message}); its orders and refunds were left unchanged`,
  }, 10 * 60_000);
  if (raised) run.summary.alerts_raised++;
}
