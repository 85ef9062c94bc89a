/**
 * `createSyncTimer(deps).runSync({ now, budgetMs })`: one run of the `vk-pay-sync` timer (docs/CONTRACTS.md section 11).
 *
 *   1. due outbox hooks (retries with backoff; dead letters alert through the outbox)   <= 20 % of the budget
 *   2. refunds still processing, queried and applied                                    <= 40 % of the budget
 *   2b. open payouts (recorded, accepted, waiting for the payee) asked by their out_bill_no  <= 50 % of the budget
 *   3. pending orders older than 2 minutes: queried, repaired, or closed when expired   rest of the budget
 *   4. orders closed recently: paid after close?                                        rest of the budget
 *   5. after 10:00 UTC+8: yesterday's statements reconciled, once per channel             rest of the budget
 *   6. alerts: thresholds evaluated, undelivered alerts delivered                        (a small reserve)
 *
 * A run never starts new work past its budget; everything it did not reach is still due, oldest first, for the
 * next run. Failing documents are pushed back by a growing backoff, so no run spins on them.
 */
import { writePaymentError, writePaymentLog } from '../logging/logs';
import { runDueHooks } from '../outbox';
import { refundViaCore } from './auto-refund';
import { createRateGate } from './limiter';
import { sweepOrders } from './order-sweep';
import { sweepRefunds } from './refund-sweep';
import { reconcileYesterday } from './daily-reconcile';
import { sweepTransfers } from './transfer-sweep';
import { emptySummary, OutageBreaker, type RunState, type SyncDeps, type SyncProgress, type SyncSummary } from './run-context';
import { resolveSyncSettings, type SyncSettings } from './settings';

export interface RunSyncOptions {
  /** the run's reference time (ms epoch, e.g. the trigger time); default ctx.now() */
  now?: number;
  /** overrides the configured budget for this run */
  budgetMs?: number;
  /** progress of the order and refund steps (e.g. `npm run sync`'s progress bar) */
  onProgress?: (e: SyncProgress) => void;
}

export interface SyncTimer {
  readonly settings: SyncSettings;
  runSync(opts?: RunSyncOptions): Promise<SyncSummary>;
}

export function createSyncTimer(deps: SyncDeps, overrides: Partial<SyncSettings> = {}): SyncTimer {
  const settings = resolveSyncSettings(deps.ctx.config, overrides);
  return {
    settings,
    async runSync(opts = {}) {
      const ctx = deps.ctx;
      const wallStart = performance.now();
      const budget = opts.budgetMs ?? settings.budgetMs;
      const t0 = opts.now ?? ctx.now();
      const reserve = Math.min(5_000, budget * 0.1);
      const runDeps: SyncDeps = settings.autoRefundPaidAfterClose && !deps.refundPaidAfterClose ? { ...deps, refundPaidAfterClose: refundViaCore(ctx) } : deps;
      const run: RunState = {
        deps: runDeps, ctx, settings, t0, summary: emptySummary(t0),
        gate: createRateGate(settings.ratePerSecond, (ms) => new Promise((r) => setTimeout(r, ms))),
        breaker: new OutageBreaker(settings.outageThreshold),
        deadline: wallStart + budget * 0.2,
        progress: opts.onProgress,
      };
      const step = async (name: string, share: number, fn: () => Promise<void>) => {
        run.deadline = wallStart + Math.max(0, budget * share - (share === 1 ? reserve : 0));
        try {
          await fn();
        } catch (err) {
          // A failing step (e.g. the database refusing a query) must not stop the others.
          run.summary.errors++;
          await writePaymentError(ctx, { action: `sync.${name}`, error: err });
        }
      };
      await step('hooks', 0.2, async () => {
        const left = run.deadline - performance.now();
        if (left <= 0) return;
        const hooks = await runDueHooks(ctx, { budgetMs: left });
        run.summary.hooks_run += hooks.claimed;
        run.summary.hooks_dead += hooks.dead;
      });
      await step('refunds', 0.4, () => sweepRefunds(run));
      await step('transfers', 0.5, () => sweepTransfers(run));
      await step('orders', 1, () => sweepOrders(run, 'pending'));
      await step('closed', 1, () => sweepOrders(run, 'closed'));
      await step('reconcile', 1, () => reconcileYesterday(run));
      if (deps.deliverAlerts) {
        try {
          const a = await deps.deliverAlerts(ctx.now());
          run.summary.alerts_raised += a.raised;
          run.summary.alerts_delivered += a.delivered;
        } catch (err) {
          run.summary.errors++;
          await writePaymentError(ctx, { action: 'sync.alerts', error: err });
        }
      }
      run.summary.elapsed_ms = Math.round(performance.now() - wallStart);
      await writePaymentLog(ctx, { type: 'timer', status: run.summary.errors ? 'fail' : 'success', response_time: run.summary.elapsed_ms, detail: { ...run.summary } });
      return run.summary;
    },
  };
}
