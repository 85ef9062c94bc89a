/**
 * The timer's daily reconciliation step: once the providers have published yesterday's statements (from 10:00
 * UTC+8), each configured channel that publishes statements is reconciled for yesterday, once. A report that
 * is done is left alone; one that is pending (not yet published) or failed is asked again when its
 * `next_attempt_at` comes, at most MAX_ATTEMPTS times, so an outage or a late statement never becomes a storm
 * of calls. The step starts no channel past the run's deadline: the next run (a minute later) resumes with
 * the channels not yet done.
 */
import { writePaymentError } from '../logging/logs';
import type { Channel } from '../providers/types';
import { findReport, reconcileDay, yesterdayUtc8 } from '../services/daily-reconcile';
import type { RunState } from './run-context';

/** WeChat publishes after about 10:00 UTC+8 (Alipay before 09:00): start then. */
export const RECONCILE_FROM_HOUR_UTC8 = 10;
/** pending or failed reports are retried every 30 minutes: 24 attempts cover the rest of the day */
export const MAX_ATTEMPTS = 24;

export async function reconcileYesterday(run: RunState): Promise<void> {
  const { ctx, t0 } = run;
  if (new Date(t0 + 8 * 3600_000).getUTCHours() < RECONCILE_FROM_HOUR_UTC8) return;
  const date = yesterdayUtc8(t0);
  const channels = (Object.keys(ctx.config.providers) as Channel[]).filter((c) => ctx.config.providers[c]);
  for (const channel of channels) {
    if (performance.now() >= run.deadline) {
      run.summary.budget_exhausted = true;
      return;
    }
    let provider;
    try {
      provider = ctx.provider(channel);
    } catch {
      continue;
    }
    if (!provider.downloadStatement) continue;
    const report = await findReport(ctx, channel, date);
    if (report && (report.status === 'done' || (report.next_attempt_at ?? 0) > t0 || report.attempts >= MAX_ATTEMPTS)) continue;
    try {
      const r = await reconcileDay(ctx, { channel, date, source: 'timer', recordFailure: true });
      run.summary.statements_reconciled = (run.summary.statements_reconciled ?? 0) + (r.status === 'done' ? 1 : 0);
    } catch (err) {
      run.summary.errors++;
      await writePaymentError(ctx, { action: 'sync.reconcile', error: err, input: { channel, date } });
    }
  }
}
