/**
 * What one timer run carries while it works: the core's context, the settings, the rate gate, the per-channel
 * outage breaker and the running summary. Shared by the order, refund and hook steps of the run.
 */
import { toVkPayError } from '../../../../../../common/errors';
import type { Channel } from '../providers/types';
import type { CoreContext } from '../services/context';
import type { OrderDoc } from '../state/order';
import type { RateGate } from './limiter';
import type { SyncSettings } from './settings';

export interface SyncSummary {
  time: number;
  /** orders read by the scan */
  scanned: number;
  /** orders this run claimed and asked the provider about */
  queried: number;
  /** pending orders the provider reported paid (a lost notification repaired) */
  repaired: number;
  /** closed orders the provider reported paid (money received after close) */
  paid_after_close: number;
  closed: number;
  refunds_scanned: number;
  refunds_updated: number;
  /** open payouts read by the scan, and those that moved (settled by a query, or sent after a verified "never received") */
  transfers_scanned: number;
  transfers_updated: number;
  hooks_run: number;
  hooks_dead: number;
  /** failures handled (error rows written); an outage counts once per failed call */
  errors: number;
  /** stored documents skipped because they are not orders the timer can read */
  malformed: number;
  /** channels whose gateway was unreachable this run; their orders were left as they were */
  outage: Channel[];
  alerts_raised: number;
  alerts_delivered: number;
  /** channels whose statement of yesterday this run reconciled (sync/daily-reconcile.ts) */
  statements_reconciled?: number;
  /** true when the run stopped because its time budget was spent (the next run resumes) */
  budget_exhausted: boolean;
  elapsed_ms: number;
}

export function emptySummary(time: number): SyncSummary {
  return {
    time, scanned: 0, queried: 0, repaired: 0, paid_after_close: 0, closed: 0, refunds_scanned: 0, refunds_updated: 0, transfers_scanned: 0, transfers_updated: 0,
    hooks_run: 0, hooks_dead: 0, errors: 0, malformed: 0, outage: [], alerts_raised: 0, alerts_delivered: 0,
    budget_exhausted: false, elapsed_ms: 0,
  };
}

/** Optional collaborators the integrator may pass. */
export interface SyncDeps {
  ctx: CoreContext;
  /** refunds an order paid after close, when `sync.autoRefundPaidAfterClose` is on (the core's refund service) */
  refundPaidAfterClose?: (order: OrderDoc) => Promise<unknown>;
  /** delivers alerts (monitor/alerts); without it alerts are stored and delivered by whoever runs delivery */
  deliverAlerts?: (now: number) => Promise<{ raised: number; delivered: number }>;
}

/** Network-level failures of one channel in a row; past the threshold the channel is left alone for the run. */
export class OutageBreaker {
  private readonly failures = new Map<Channel, number>();
  readonly open = new Set<Channel>();
  constructor(private readonly threshold: number) {}
  /** true when this failure opened the breaker (the caller alerts once) */
  fail(channel: Channel): boolean {
    const n = (this.failures.get(channel) ?? 0) + 1;
    this.failures.set(channel, n);
    if (n >= this.threshold && !this.open.has(channel)) {
      this.open.add(channel);
      return true;
    }
    return false;
  }
  ok(channel: Channel): void {
    this.failures.set(channel, 0);
  }
  isOpen(channel: Channel): boolean {
    return this.open.has(channel);
  }
}

/** Gateway unreachable, timing out, rate limiting or busy: nothing is known about the order, so nothing changes. */
export function isOutageError(err: unknown): boolean {
  const code = toVkPayError(err).code;
  return code === 40004 || code === 40008 || code === 40010;
}

export interface RunState {
  deps: SyncDeps;
  ctx: CoreContext;
  settings: SyncSettings;
  gate: RateGate;
  breaker: OutageBreaker;
  summary: SyncSummary;
  /** the run's reference time (ms epoch): due dates, staleness and expiry are judged against it */
  t0: number;
  /** wall-clock deadline (performance.now based) after which no new work starts */
  deadline: number;
  /** called after each order or refund handled (progress bars) */
  progress?: (e: SyncProgress) => void;
}

export interface SyncProgress { phase: 'refunds' | 'orders' | 'closed'; handled: number }

export function budgetLeft(run: RunState): number {
  return run.deadline - performance.now();
}
