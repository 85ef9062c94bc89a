/**
 * The timer's tuning, read defensively from `config.sync` (the config schema passes unknown keys through, so
 * these fields need no schema change to be set; bad values fall back to the defaults rather than stopping the
 * timer that repairs payments). Options given in code override the config.
 */
import type { VkPayConfig } from '../config/schema';

export interface SyncSettings {
  /** a run stops starting new work after this long (default 50 s of uniCloud's 60 s function timeout) */
  budgetMs: number;
  /** pending orders younger than this are left to their notification (default 2 min) */
  staleMs: number;
  /** how long a claim on one order or refund holds (a crashed run's claims expire after it) */
  leaseMs: number;
  /** provider calls in flight at once */
  concurrency: number;
  /** provider calls started per second, across all channels (0 = unlimited) */
  ratePerSecond: number;
  /** an order the provider still reports unpaid is asked again after this long */
  recheckMs: number;
  /**
   * a locally closed order is re-checked (paid after close? - the race of a payment completing while we close)
   * while closed less than this long, every closedRecheckMs: with the defaults, about once, 10 minutes after
   */
  closedWindowMs: number;
  /** and at most this often */
  closedRecheckMs: number;
  /** refunds still processing are queried once they are this old */
  refundStaleMs: number;
  /** an order whose handling failed waits min(errorBackoffMs * 2^(n-1), maxErrorBackoffMs) */
  errorBackoffMs: number;
  maxErrorBackoffMs: number;
  /** consecutive network failures of one channel in a run that count as an outage (its orders are then left alone) */
  outageThreshold: number;
  /** orders read per database page */
  pageSize: number;
  /** refund money received for an order closed locally (needs a refund function in the timer's deps) */
  autoRefundPaidAfterClose: boolean;
}

export const DEFAULT_SYNC_SETTINGS: SyncSettings = {
  budgetMs: 50_000,
  staleMs: 2 * 60_000,
  leaseMs: 120_000,
  concurrency: 4,
  ratePerSecond: 50,
  recheckMs: 55_000,
  closedWindowMs: 15 * 60_000,
  closedRecheckMs: 10 * 60_000,
  refundStaleMs: 60_000,
  errorBackoffMs: 60_000,
  maxErrorBackoffMs: 60 * 60_000,
  outageThreshold: 3,
  pageSize: 100,
  autoRefundPaidAfterClose: false,
};

function num(v: unknown, fallback: number, min: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : fallback;
}

/** Config (`config.sync`) then code overrides, each field checked on its own. */
export function resolveSyncSettings(config: VkPayConfig | undefined, overrides: Partial<SyncSettings> = {}): SyncSettings {
  const raw = { ...((config as { sync?: Record<string, unknown> } | undefined)?.sync ?? {}), ...overrides } as Record<string, unknown>;
  const d = DEFAULT_SYNC_SETTINGS;
  return {
    budgetMs: num(raw.budgetMs, d.budgetMs, 0),
    staleMs: num(raw.staleMs, d.staleMs, 0),
    leaseMs: num(raw.leaseMs, d.leaseMs, 1),
    concurrency: Math.floor(num(raw.concurrency, d.concurrency, 1)),
    ratePerSecond: num(raw.ratePerSecond, d.ratePerSecond, 0),
    recheckMs: num(raw.recheckMs, d.recheckMs, 0),
    closedWindowMs: num(raw.closedWindowMs, d.closedWindowMs, 0),
    closedRecheckMs: num(raw.closedRecheckMs, d.closedRecheckMs, 0),
    refundStaleMs: num(raw.refundStaleMs, d.refundStaleMs, 0),
    errorBackoffMs: num(raw.errorBackoffMs, d.errorBackoffMs, 0),
    maxErrorBackoffMs: num(raw.maxErrorBackoffMs, d.maxErrorBackoffMs, 0),
    outageThreshold: Math.floor(num(raw.outageThreshold, d.outageThreshold, 1)),
    pageSize: Math.min(500, Math.floor(num(raw.pageSize, d.pageSize, 1))),
    autoRefundPaidAfterClose: raw.autoRefundPaidAfterClose === true,
  };
}
