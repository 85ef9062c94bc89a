/**
 * getTimeSeries({ from, to, bucket: 'hour' | 'day' }): the admin console's charts - orders, paid orders and paid
 * amount, payment success rate, notification success rate and notification latency per hour or per day (days
 * and hours as in China, UTC+8, where the payments are). Counts are grouped by the database; the latency is
 * measured on the newest LATENCY_SAMPLE notified payments of the range (notification arrival - the provider's
 * payment time), so a month of data costs a bounded number of reads.
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
  const key = $.subtract(['$create_date', $.mod([$.add(['$create_date', CHINA_OFFSET_MS]), size])]);
  const isPaid = $.in(['$status', [...PAID_STATUSES]]);

  const [orders, payments, notifiedTx] = await Promise.all([
    db.collection(COLLECTIONS.orders).aggregate().match(range)
      .group({ _id: key, orders: $.sum(1), paid: $.sum($.cond({ if: isPaid, then: 1, else: 0 })), paid_amount: $.sum($.cond({ if: isPaid, then: '$amount', else: 0 })) })
      .end(),
    db.collection(COLLECTIONS.transactions).aggregate().match({ ...range, action: 'pay' })
      .group({ _id: key, payments: $.sum(1), notified: $.sum($.cond({ if: $.eq(['$source', 'notify']), then: 1, else: 0 })) })
      .end(),
    db.collection(COLLECTIONS.transactions).where({ ...range, action: 'pay', source: 'notify' })
      .orderBy('create_date', 'desc').limit(LATENCY_SAMPLE).field({ out_trade_no: true, create_date: true }).get(),
  ]);
  const latency = await latencyByBucket(db, notifiedTx.data as Array<{ out_trade_no: string; create_date: number }>, bucket);

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
async function latencyByBucket(db: Database, sample: Array<{ out_trade_no: string; create_date: number }>, bucket: Bucket): Promise<Map<number, { sum: number; n: number }>> {
  const out = new Map<number, { sum: number; n: number }>();
  if (sample.length === 0) return out;
  const _ = db.command;
  const paid = await db.collection(COLLECTIONS.orders).where({ out_trade_no: _.in(sample.map((s) => s.out_trade_no)) })
    .field({ out_trade_no: true, paid_at: true }).limit(sample.length).get();
  const paidAt = new Map((paid.data as Array<{ out_trade_no: string; paid_at?: number }>).map((o) => [o.out_trade_no, o.paid_at]));
  for (const s of sample) {
    const at = paidAt.get(s.out_trade_no);
    if (typeof at !== 'number' || s.create_date < at) continue;
    const k = bucketStart(s.create_date, bucket);
    const acc = out.get(k) ?? { sum: 0, n: 0 };
    acc.sum += s.create_date - at;
    acc.n += 1;
    out.set(k, acc);
  }
  return out;
}
