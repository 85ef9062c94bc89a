/**
 * The refund step of a run: refunds still `processing` (WeChat's refund call only accepts; the result comes by
 * notification or query) are asked at the provider and the answer applied through the core's one reconcile path
 * (services/reconcile.ts: settles the reserved amount through the transition function, or releases it, or holds
 * it). Refunds are never failed by a local timer alone (docs/RELIABILITY.md section 4): only the provider's answer moves
 * them.
 */
import { writePaymentError } from '../logging/logs';
import { runHook } from '../outbox';
import type { Channel } from '../providers/types';
import type { RefundRecord } from '../services/apply-refund';
import { reconcileRefund } from '../services/reconcile';
import { COLLECTIONS } from '../state/collections';
import { claimDoc, errorBackoff, finishDoc, freeOrDue, releaseDoc } from './claim';
import { runPool } from './limiter';
import { noteOutage } from './order-sweep';
import { keysetPuller } from './keyset-scan';
import { isOutageError, type RunState } from './run-context';

type ScannedRefund = RefundRecord & { _id: string; sync_errors?: number; sync_next_at?: number };

export async function sweepRefunds(run: RunState): Promise<void> {
  const { ctx, settings } = run;
  const _ = ctx.db.command;
  const where = { status: 'processing', create_date: _.lte(run.t0 - settings.refundStaleMs), sync_next_at: freeOrDue(ctx, run.t0) };
  const pull = keysetPuller<ScannedRefund>(run, COLLECTIONS.refunds, where, (n) => { run.summary.refunds_scanned += n; });
  let handled = 0;
  await runPool(settings.concurrency, pull, async (r) => {
    await handleRefund(run, r);
    run.progress?.({ phase: 'refunds', handled: ++handled });
  });
}

async function handleRefund(run: RunState, scanned: ScannedRefund): Promise<void> {
  const { ctx, settings, summary } = run;
  const claim = await claimDoc<ScannedRefund>(ctx, COLLECTIONS.refunds, scanned._id, { status: 'processing' }, settings.leaseMs, { due: run.t0 });
  if (!claim) return;
  const record = claim.doc;
  const channel = record.channel as Channel;
  try {
    if (typeof record.out_refund_no !== 'string' || typeof record.out_trade_no !== 'string' || !Number.isSafeInteger(record.amount)) {
      throw new TypeError(`refund record ${record._id} is malformed`);
    }
    const applied = await reconcileRefund(ctx, record, { source: 'timer', beforeCall: () => run.gate.take() });
    run.breaker.ok(channel);
    if (applied.status !== 'processing') summary.refunds_updated++;
    for (const hook of applied.hooks) await runHook(ctx, hook).catch(() => 'retry');
    await finishDoc(ctx, COLLECTIONS.refunds, record._id, claim.token, { nextAt: ctx.now() + settings.recheckMs, failed: false });
  } catch (err) {
    summary.errors++;
    await writePaymentError(ctx, { action: 'sync.refund', error: err, input: { channel, out_refund_no: record.out_refund_no }, out_trade_no: record.out_trade_no });
    if (isOutageError(err)) {
      await releaseDoc(ctx, COLLECTIONS.refunds, record._id, claim.token, scanned.sync_next_at);
      await noteOutage(run, channel, err);
      return;
    }
    const failures = (record.sync_errors ?? 0) + 1;
    await finishDoc(ctx, COLLECTIONS.refunds, record._id, claim.token, { nextAt: ctx.now() + errorBackoff(failures - 1, settings.errorBackoffMs, settings.maxErrorBackoffMs), failed: true });
  }
}
