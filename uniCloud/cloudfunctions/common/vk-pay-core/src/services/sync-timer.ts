/**
 * The timer's core pass (DESIGN.md section 8), kept small here: pending orders older than 2 minutes are asked
 * about and repaired through the same apply functions as notifications; expired ones are closed only after the
 * provider confirms they are unpaid; refunds still processing are queried; due hooks run. Overlapping runs are
 * safe because every effect is a conditional update or a unique insert (two runs may ask the provider twice,
 * but can only apply once). The monitoring part builds leases, alerts and statistics on top of these functions.
 */
import { toVkPayError } from '../../../../../../common/errors';
import { writePaymentError } from '../logging/logs';
import { runDueHooks } from '../outbox/outbox';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import type { RefundRecord } from './apply-refund';
import type { CoreContext } from './context';
import { syncOrder } from './query-payment';
import { syncRefund } from './refund';

export const STALE_PENDING_MS = 2 * 60 * 1000;

export interface TimerSummary {
  time: number; scanned: number; repaired: number; closed: number; refunds_updated: number;
  hooks_run: number; hooks_dead: number; errors: number; elapsed_ms: number;
}

export async function runSyncPass(ctx: CoreContext, opts: { budgetMs?: number; batch?: number; minAgeMs?: number } = {}): Promise<TimerSummary> {
  const started = Date.now();
  const budget = opts.budgetMs ?? 50_000;
  const within = () => Date.now() - started < budget;
  const _ = ctx.db.command;
  const now = ctx.now();
  const summary: TimerSummary = { time: now, scanned: 0, repaired: 0, closed: 0, refunds_updated: 0, hooks_run: 0, hooks_dead: 0, errors: 0, elapsed_ms: 0 };

  const pending = await ctx.dao.select<OrderDoc>({
    dbName: COLLECTIONS.orders,
    whereJson: { status: 'pending', create_date: _.lte(now - (opts.minAgeMs ?? STALE_PENDING_MS)) },
    sortArr: [{ name: 'create_date', type: 'asc' }],
    pageSize: opts.batch ?? 50,
  });
  for (const order of pending.rows) {
    if (!within()) break;
    summary.scanned++;
    try {
      const r = await syncOrder(ctx, order, 'timer', { closeIfExpired: true });
      if (r.transition === 'pay' || r.transition === 'pay_after_close') summary.repaired++;
      if (r.transition === 'close') summary.closed++;
    } catch (err) {
      summary.errors++;
      await writePaymentError(ctx, { action: 'timer.syncOrder', error: toVkPayError(err), out_trade_no: order.out_trade_no });
    }
  }

  const refunds = await ctx.dao.select<RefundRecord>({ dbName: COLLECTIONS.refunds, whereJson: { status: 'processing' }, pageSize: opts.batch ?? 50 });
  for (const record of refunds.rows) {
    if (!within()) break;
    try {
      const r = await syncRefund(ctx, record, 'timer');
      if (r.record.status !== 'processing') summary.refunds_updated++;
    } catch (err) {
      summary.errors++;
      await writePaymentError(ctx, { action: 'timer.syncRefund', error: toVkPayError(err), out_trade_no: record.out_trade_no });
    }
  }

  if (within()) {
    const hooks = await runDueHooks(ctx, { budgetMs: Math.max(0, budget - (Date.now() - started)) });
    summary.hooks_run = hooks.claimed;
    summary.hooks_dead = hooks.dead;
  }
  summary.elapsed_ms = Date.now() - started;
  return summary;
}
