/**
 * `getStats({ from, to })`: the admin dashboard's figures, each computed by the database (aggregate match/group),
 * never by reading every document into the function - a month of orders must not cost a month of reads.
 * Times are ms epochs; rates are 0..1, or null when there is nothing to divide by.
 */
import { ParamError } from '../../../../../../common/errors';
import type { Database } from '../platform/database';
import { COLLECTIONS } from '../state/collections';
import { PAID_STATUSES } from '../state/order';
import { notifyHealth } from './notify-health';

export interface ProviderLatency { provider: string; calls: number; avg_ms: number; max_ms: number; min_ms: number }

export interface PaymentStats {
  from: number;
  to: number;
  orders: number;
  orders_by_status: Record<string, number>;
  /** orders paid (including those refunded since) */
  paid: number;
  /** fen */
  paid_amount: number;
  success_rate: number | null;
  /** orders of the range still pending, and every pending order now */
  pending: number;
  pending_now: number;
  /** notification deliveries handled (each log row), and those refused (bad signature, unknown order, ...) */
  notifications: number;
  notifications_refused: number;
  /**
   * payments whose notification confirmed them / all payments confirmed in the range: a payment the query or the
   * timer had to repair counts as a missed notification (see notify-health.ts)
   */
  notification_success_rate: number | null;
  missed_notifications: number;
  /** of the missed, those whose notification arrived after the repair */
  late_notifications: number;
  /** requests to the notify URL that did not verify (counted, not logged: logging/rejections.ts) */
  notifications_rejected: number;
  /** provider answers that moved an order a notification should have moved (timer, query, admin sync) */
  mismatches_repaired: number;
  paid_after_close: number;
  latency_by_provider: ProviderLatency[];
  refunds: number;
  refunds_by_status: Record<string, number>;
  refund_success_rate: number | null;
  errors: number;
  errors_by_code: Record<string, number>;
  alerts_by_kind: Record<string, number>;
}

/** The log types that are one provider call each (notify logs time our handling, not a provider). */
export const PROVIDER_CALL_TYPES = ['create', 'query', 'close', 'refund', 'query_refund'];

function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

async function countBy(db: Database, name: string, match: Record<string, unknown>, field: string): Promise<Record<string, number>> {
  const $ = db.command.aggregate;
  const res = await db.collection(name).aggregate().match(match).group({ _id: `$${field}`, n: $.sum(1) }).end();
  const out: Record<string, number> = {};
  for (const row of res.data as Array<{ _id: unknown; n: number }>) out[String(row._id)] = row.n;
  return out;
}

const sum = (o: Record<string, number>, keys?: readonly string[]) => Object.entries(o).reduce((n, [k, v]) => n + (!keys || keys.includes(k) ? v : 0), 0);

export function checkRange(p: { from?: unknown; to?: unknown }, now: number): { from: number; to: number } {
  const to = p.to === undefined ? now : Number(p.to);
  const from = p.from === undefined ? to - 24 * 3600_000 : Number(p.from);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new ParamError('from and to must be ms timestamps');
  if (from > to) throw new ParamError('from must not be after to');
  return { from, to };
}

export async function getStats(ctx: { db: Database; now: () => number }, params: { from?: number; to?: number } = {}): Promise<PaymentStats> {
  const { db } = ctx;
  const _ = db.command;
  const $ = db.command.aggregate;
  const { from, to } = checkRange(params, ctx.now());
  const inRange = { create_date: _.gte(from).and(_.lte(to)) };

  const [ordersByStatus, amountRows, pendingNow, notifyByStatus, repairs, latencyRows, refundsByStatus, errorsByCode, alertsByKind, health, rejected] = await Promise.all([
    countBy(db, COLLECTIONS.orders, inRange, 'status'),
    db.collection(COLLECTIONS.orders).aggregate().match({ ...inRange, status: _.in([...PAID_STATUSES]) }).group({ _id: null, amount: $.sum('$amount') }).end(),
    db.collection(COLLECTIONS.orders).where({ status: 'pending' }).count(),
    countBy(db, COLLECTIONS.logs, { ...inRange, type: 'notify' }, 'status'),
    countBy(db, COLLECTIONS.logs, { ...inRange, type: 'query', status: _.in(['pay', 'pay_after_close']) }, 'status'),
    db.collection(COLLECTIONS.logs).aggregate()
      .match({ ...inRange, type: _.in(PROVIDER_CALL_TYPES), provider: _.exists(true), response_time: _.gte(0) })
      .group({ _id: '$provider', calls: $.sum(1), avg: $.avg('$response_time'), max: $.max('$response_time'), min: $.min('$response_time') })
      .end(),
    countBy(db, COLLECTIONS.refunds, inRange, 'status'),
    countBy(db, COLLECTIONS.errors, inRange, 'code'),
    countBy(db, COLLECTIONS.alerts, inRange, 'kind'),
    notifyHealth(db, from, to),
    db.collection(COLLECTIONS.rejections).aggregate().match({ minute: _.gte(from - (from % 60_000)).and(_.lte(to)) }).group({ _id: null, n: $.sum('$count') }).end(),
  ]);

  const orders = sum(ordersByStatus);
  const paid = sum(ordersByStatus, PAID_STATUSES);
  const notifications = sum(notifyByStatus);
  const refundsDone = (refundsByStatus.success ?? 0) + (refundsByStatus.failed ?? 0);
  return {
    from, to,
    orders,
    orders_by_status: ordersByStatus,
    paid,
    paid_amount: Number((amountRows.data[0] as { amount?: number } | undefined)?.amount ?? 0),
    success_rate: rate(paid, orders),
    pending: ordersByStatus.pending ?? 0,
    pending_now: pendingNow.total,
    notifications,
    notifications_refused: notifyByStatus.fail ?? 0,
    notification_success_rate: health.rate,
    missed_notifications: health.missed,
    late_notifications: health.late,
    notifications_rejected: Number((rejected.data[0] as { n?: number } | undefined)?.n ?? 0),
    mismatches_repaired: sum(repairs),
    paid_after_close: repairs.pay_after_close ?? 0,
    latency_by_provider: (latencyRows.data as Array<{ _id: string; calls: number; avg: number; max: number; min: number }>)
      .map((r) => ({ provider: String(r._id), calls: r.calls, avg_ms: Math.round(r.avg * 10) / 10, max_ms: r.max, min_ms: r.min }))
      .sort((a, b) => a.provider.localeCompare(b.provider)),
    refunds: sum(refundsByStatus),
    refunds_by_status: refundsByStatus,
    refund_success_rate: rate(refundsByStatus.success ?? 0, refundsDone),
    errors: sum(errorsByCode),
    errors_by_code: errorsByCode,
    alerts_by_kind: alertsByKind,
  };
}
