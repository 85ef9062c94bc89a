/**
 * The order step of a run: page through the orders that are due (oldest first, by a (create_date, _id) cursor so
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
import { budgetLeft, isOutageError, type RunState } from './run-context';

type SweepKind = 'pending' | 'closed';

interface Cursor { create_date: number; _id: string }

type ScannedOrder = OrderDoc & { _id: string; sync_errors?: number };

function dueWhere(run: RunState, kind: SweepKind, cursor: Cursor | null): Record<string, unknown> {
  const _ = run.ctx.db.command;
  const { t0, settings } = run;
  const base: Record<string, unknown> = kind === 'pending'
    ? { status: 'pending', create_date: _.lte(t0 - settings.staleMs) }
    : { status: 'closed', closed_at: _.gte(t0 - settings.closedWindowMs) };
  base.sync_next_at = freeOrDue(run.ctx, t0);
  base.sync_lease_until = freeOrDue(run.ctx, run.ctx.now());
  if (run.breaker.open.size > 0) base.channel = _.nin([...run.breaker.open]);
  if (!cursor) return base;
  return _.and(base, _.or({ create_date: _.gt(cursor.create_date) }, { create_date: cursor.create_date, _id: _.gt(cursor._id) }));
}

/** Yields due orders one at a time, reading a page whenever the previous one is used up. */
function orderSource(run: RunState, kind: SweepKind): () => Promise<ScannedOrder | null> {
  let cursor: Cursor | null = null;
  let page: ScannedOrder[] = [];
  let exhausted = false;
  return async () => {
    for (;;) {
      if (budgetLeft(run) <= 0) {
        run.summary.budget_exhausted = true;
        return null;
      }
      const next = page.shift();
      if (next) {
        if (next.channel && run.breaker.isOpen(next.channel)) continue;
        return next;
      }
      if (exhausted) return null;
      // One query per page (the database's own limit; BaseDao.select would add a second query for hasMore).
      const res = await run.ctx.db.collection<ScannedOrder>(COLLECTIONS.orders)
        .where(dueWhere(run, kind, cursor) as Record<string, unknown>)
        .orderBy('create_date', 'asc').orderBy('_id', 'asc')
        .limit(run.settings.pageSize)
        .get();
      page = res.data;
      run.summary.scanned += page.length;
      if (page.length < run.settings.pageSize) exhausted = true;
      const last = page[page.length - 1];
      if (last) cursor = { create_date: Number(last.create_date), _id: String(last._id) };
      if (page.length === 0) return null;
    }
  };
}

export async function sweepOrders(run: RunState, kind: SweepKind): Promise<void> {
  let handled = 0;
  await runPool(run.settings.concurrency, orderSource(run, kind), async (order) => {
    await handleOne(run, order, kind);
    run.progress?.({ phase: kind === 'pending' ? 'orders' : 'closed', handled: ++handled });
  });
}

async function handleOne(run: RunState, scanned: ScannedOrder, kind: SweepKind): Promise<void> {
  const { ctx, settings, summary } = run;
  // Still due at claim time: an overlapping run may have finished this order since our scan read it.
  const claim = await claimDoc<ScannedOrder>(ctx, COLLECTIONS.orders, scanned._id, { status: kind, sync_next_at: freeOrDue(ctx, run.t0) }, settings.leaseMs);
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
      await releaseDoc(ctx, COLLECTIONS.orders, order._id, claim.token);
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
