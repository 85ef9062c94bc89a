/**
 * getTimeSeries({ from, to, bucket: 'hour' | 'day' }): the admin console's charts - orders, paid orders and paid
 * amount, payment success rate, notification success rate and notification latency per hour or per day (days
 * and hours as in China, UTC+8, where the payments are). Counts are grouped by the database; payments are
 * bucketed by when we learned of them (`paid_recorded_at`, written by the paying move with `paid_source`); the
 * latency is measured on the newest LATENCY_SAMPLE notified payments of the range (notification arrival - the
 * provider's payment time), so a month of data costs a bounded number of reads.
 */
import { ParamError } from '../../../../../../common/errors';
import type { Database } from '../platform/database';
import { COLLECTIONS } from '../state/collections';
import { PAID_STATUSES } from '../state/order';
import { checkRange } from './stats';

export const BUCKET_MS = { hour: 3600_000, day: 86_400_000 } as const;
export type Bucket = keyof typeof BUCKET_MS;
/** China Standard Time, no daylight saving */
const CHINA_OFFSET_MS = 8 * 3600_000;
export const MAX_POINTS = 400;
export const LATENCY_SAMPLE = 500;

export interface SeriesPoint {
  /** bucket start, ms epoch */
  t: number;
  orders: number;
  paid: number;
  /** fen */
  paid_amount: number;
  success_rate: number | null;
  /** payments confirmed in the bucket, and those their notification confirmed first */
  payments: number;
  notified: number;
  notification_success_rate: number | null;
  /** average ms from the provider's payment time to the notification's arrival, over the sample */
  notify_latency_ms: number | null;
}

export interface TimeSeries { from: number; to: number; bucket: Bucket; points: SeriesPoint[] }

/** The start of the bucket holding `ms`. */
export function bucketStart(ms: number, bucket: Bucket): number {
  const size = BUCKET_MS[bucket];
  return ms - ((((ms + CHINA_OFFSET_MS) % size) + size) % size);
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

export async function getTimeSeries(ctx: { db: Database; now: () => number }, params: { from?: number; to?: number; bucket?: Bucket }): Promise<TimeSeries> {
  const { db } = ctx;
  const _ = db.command;
  const $ = db.command.aggregate;
  const bucket = params.bucket ?? 'hour';
  const { from, to } = checkRange(params, ctx.now());
  const size = BUCKET_MS[bucket];
  const first = bucketStart(from, bucket);
  if ((to - first) / size > MAX_POINTS) throw new ParamError(`at most ${MAX_POINTS} ${bucket}s per chart: narrow the range or use days`);
  const range = { create_date: _.gte(from).and(_.lte(to)) };
  // create_date - ((create_date + 8h) mod size): the bucket's start, computed by the database
  const keyOf = (field: string) => $.subtract([`$${field}`, $.mod([$.add([`$${field}`, CHINA_OFFSET_MS]), size])]);
  const isPaid = $.in(['$status', [...PAID_STATUSES]]);
  const recorded = { paid_recorded_at: _.gte(from).and(_.lte(to)) };

  const [orders, payments, notified] = await Promise.all([
    db.collection(COLLECTIONS.orders).aggregate().match(range)
      .group({ _id: keyOf('create_date'), orders: $.sum(1), paid: $.sum($.cond({ if: isPaid, then: 1, else: 0 })), paid_amount: $.sum($.cond({ if: isPaid, then: '$amount', else: 0 })) })
      .end(),
    db.collection(COLLECTIONS.orders).aggregate().match(recorded)
      .group({ _id: keyOf('paid_recorded_at'), payments: $.sum(1), notified: $.sum($.cond({ if: $.eq(['$paid_source', 'notify']), then: 1, else: 0 })) })
      .end(),
    db.collection(COLLECTIONS.orders).where({ ...recorded, paid_source: 'notify' })
      .orderBy('paid_recorded_at', 'desc').limit(LATENCY_SAMPLE).field({ paid_at: true, paid_recorded_at: true }).get(),
  ]);
  const latency = latencyByBucket(notified.data as Array<{ paid_at?: number; paid_recorded_at: number }>, bucket);

  const byOrders = new Map((orders.data as Array<{ _id: number; orders: number; paid: number; paid_amount: number }>).map((r) => [r._id, r]));
  const byPayments = new Map((payments.data as Array<{ _id: number; payments: number; notified: number }>).map((r) => [r._id, r]));
  const points: SeriesPoint[] = [];
  for (let t = first; t <= to; t += size) {
    const o = byOrders.get(t);
    const p = byPayments.get(t);
    const l = latency.get(t);
    points.push({
      t, orders: o?.orders ?? 0, paid: o?.paid ?? 0, paid_amount: o?.paid_amount ?? 0, success_rate: ratio(o?.paid ?? 0, o?.orders ?? 0),
      payments: p?.payments ?? 0, notified: p?.notified ?? 0, notification_success_rate: ratio(p?.notified ?? 0, p?.payments ?? 0),
      notify_latency_ms: l ? Math.round(l.sum / l.n) : null,
    });
  }
  return { from, to, bucket, points };
}

/** Arrival minus the provider's payment time, per bucket of arrival, for the sampled notified payments. */
function latencyByBucket(sample: Array<{ paid_at?: number; paid_recorded_at: number }>, bucket: Bucket): Map<number, { sum: number; n: number }> {
  const out = new Map<number, { sum: number; n: number }>();
  for (const s of sample) {
    const at = s.paid_at;
    if (typeof at !== 'number' || s.paid_recorded_at < at) continue;
    const k = bucketStart(s.paid_recorded_at, bucket);
    const acc = out.get(k) ?? { sum: 0, n: 0 };
    acc.sum += s.paid_recorded_at - at;
    acc.n += 1;
    out.set(k, acc);
  }
  return out;
}
