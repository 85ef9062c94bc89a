/**
 * The payout step of a run: payouts still open - recorded but never answered (the sender died or timed out),
 * accepted, or waiting for the payee's confirmation - whose `sync_next_at` is due are settled through the one
 * settle path (services/transfer/service.ts): asked by their own out_bill_no, the answer applied by the one
 * transition; only a verified "never received" sends the same number again. Never failed by a local timer.
 */
import { writePaymentError } from '../logging/logs';
import type { TransferDoc } from '../services/transfer/record';
import { settleTransfer } from '../services/transfer/service';
import { COLLECTIONS } from '../state/collections';
import { OPEN_TRANSFER_STATUSES } from '../state/transfer-status';
import { errorBackoff } from './claim';
import { runPool } from './limiter';
import { keysetPuller } from './keyset-scan';
import { isOutageError, type RunState } from './run-context';

type ScannedTransfer = TransferDoc & { _id: string; sync_errors?: number };

export async function sweepTransfers(run: RunState): Promise<void> {
  const { ctx, settings } = run;
  const _ = ctx.db.command;
  const where = { status: _.in([...OPEN_TRANSFER_STATUSES]), sync_next_at: _.lte(run.t0) };
  const pull = keysetPuller<ScannedTransfer>(run, COLLECTIONS.transfers, where, (n) => { run.summary.transfers_scanned += n; });
  await runPool(settings.concurrency, pull, (t) => handleTransfer(run, t));
}

async function handleTransfer(run: RunState, t: ScannedTransfer): Promise<void> {
  const { ctx, settings, summary } = run;
  const _ = ctx.db.command;
  // one run at a time per payout: move sync_next_at forward conditionally; the loser of a race skips it
  const claimed = await ctx.dao.update({
    dbName: COLLECTIONS.transfers,
    whereJson: { _id: t._id, sync_next_at: _.lte(run.t0) },
    dataJson: { sync_next_at: ctx.now() + settings.recheckMs },
  });
  if (claimed !== 1) return;
  try {
    await run.gate.take();
    const after = await settleTransfer(ctx, t, 'timer');
    run.breaker.ok(t.channel);
    if (after.status !== t.status) summary.transfers_updated++;
  } catch (err) {
    summary.errors++;
    await writePaymentError(ctx, { action: 'sync.transfer', error: err, input: { channel: t.channel, out_bill_no: t.out_bill_no } });
    const failures = (t.sync_errors ?? 0) + 1;
    await ctx.dao.update({
      dbName: COLLECTIONS.transfers,
      whereJson: { _id: t._id },
      dataJson: { sync_errors: failures, sync_next_at: ctx.now() + (isOutageError(err) ? settings.recheckMs : errorBackoff(failures - 1, settings.errorBackoffMs, settings.maxErrorBackoffMs)) },
    });
  }
}
