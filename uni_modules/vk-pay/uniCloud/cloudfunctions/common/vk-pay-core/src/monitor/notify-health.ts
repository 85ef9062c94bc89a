/**
 * How well provider notifications reach us, from what the payments themselves show. The move that pays an order
 * records on it `paid_source`, the path that got there first ('notify' when the notification did; 'query',
 * 'timer', 'admin' or 'close' when we had to ask the provider), and `paid_recorded_at`. An order the query or the
 * timer repaired is a MISSED notification, even when the notification turns up afterwards; such a straggler is
 * also counted (late), so a dead notify URL (missed, never late) can be told from a slow one.
 */
import type { Database } from '../platform/database';
import { COLLECTIONS } from '../state/collections';

/** Repaired payments looked at for stragglers, newest first; beyond it `late` is a lower bound. */
export const LATE_SAMPLE = 2000;

export interface NotifyHealth {
  /** payments confirmed in the range */
  payments: number;
  /** confirmed by their notification first */
  notified: number;
  /** confirmed by a query, the timer or an admin sync: the notification had not come */
  missed: number;
  /** of the missed, those whose notification arrived after all */
  late: number;
  /** notified / payments, 0..1, null without payments */
  rate: number | null;
}

export async function notifyHealth(db: Database, from: number, to: number): Promise<NotifyHealth> {
  const _ = db.command;
  const $ = db.command.aggregate;
  const inRange = { paid_recorded_at: _.gte(from).and(_.lte(to)) };
  const rows = (await db.collection(COLLECTIONS.orders).aggregate().match(inRange)
    .group({ _id: null, payments: $.sum(1), notified: $.sum($.cond({ if: $.eq(['$paid_source', 'notify']), then: 1, else: 0 })) })
    .end()).data as Array<{ payments: number; notified: number }>;
  const payments = rows[0]?.payments ?? 0;
  const notified = rows[0]?.notified ?? 0;
  const missed = payments - notified;
  let late = 0;
  if (missed > 0) {
    const repaired = (await db.collection(COLLECTIONS.orders).where({ ...inRange, paid_source: _.neq('notify') })
      .orderBy('paid_recorded_at', 'desc').limit(LATE_SAMPLE).field({ out_trade_no: true }).get()).data as Array<{ out_trade_no: string }>;
    const numbers = [...new Set(repaired.map((r) => r.out_trade_no))];
    if (numbers.length) {
      // a notification for an order already paid is answered as a duplicate and logged, not stored in the inbox
      const arrived = await db.collection(COLLECTIONS.logs).aggregate()
        .match({ type: 'notify', out_trade_no: _.in(numbers), status: _.in(['duplicate', 'pay', 'pay_after_close']) })
        .group({ _id: '$out_trade_no' }).end();
      late = arrived.data.length;
    }
  }
  return { payments, notified, missed, late, rate: payments > 0 ? Math.round((notified / payments) * 10_000) / 10_000 : null };
}
