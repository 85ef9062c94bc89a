import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../support/db';
import { getStats } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/monitor';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';

let t: TestDb | undefined;
afterEach(async () => { await t?.close(); t = undefined; });

const FROM = Date.UTC(2026, 10, 1);
const TO = Date.UTC(2026, 10, 2);
const IN = FROM + 3600_000;
const OUT = FROM - 3600_000;

async function add(dbName: string, docs: Record<string, unknown>[]) {
  await t!.dao.adds({ dbName, dataJson: docs, cancelAddTime: true });
}

let seq = 0;
const order = (status: string, amount: number, create_date = IN) => ({ out_trade_no: `STATS${String(++seq).padStart(6, "0")}`, dedupe_key: `d${seq}`, status, amount, create_date });

describe('getStats on a known data set', () => {
  it('computes every figure by aggregation, counting only the range', async () => {
    t = await openTestDb();
    await add(COLLECTIONS.orders, [
      order('paid', 100), order('paid', 200), order('refunded', 300), order('partially_refunded', 400),
      order('pending', 50), order('pending', 60), order('closed', 70), order('closed', 80),
      order('paid', 9999, OUT), order('pending', 1, OUT), // outside: only pending_now sees the pending one
    ]);
    await add(COLLECTIONS.logs, [
      { type: 'notify', status: 'pay', create_date: IN },
      { type: 'notify', status: 'duplicate', create_date: IN },
      { type: 'notify', status: 'refund_success', create_date: IN },
      { type: 'notify', status: 'fail', create_date: IN },
      { type: 'notify', status: 'fail', create_date: OUT },
      { type: 'query', status: 'pay', provider: 'wxpay', response_time: 40, create_date: IN },
      { type: 'query', status: 'pay_after_close', provider: 'wxpay', response_time: 120, create_date: IN },
      { type: 'query', status: 'pending', provider: 'wxpay', response_time: 20, create_date: IN },
      { type: 'create', status: 'success', provider: 'alipay', response_time: 300, create_date: IN },
      { type: 'refund', status: 'success', provider: 'alipay', response_time: 100, create_date: IN },
      { type: 'notify', status: 'pay', provider: 'alipay', response_time: 5000, create_date: IN }, // our handling, not a provider call
      { type: 'query', status: 'pay', provider: 'wxpay', response_time: 1, create_date: OUT },
      { type: 'timer', status: 'success', response_time: 900, create_date: IN },
    ]);
    await add(COLLECTIONS.refunds, [
      { out_refund_no: 'R1', status: 'success', create_date: IN }, { out_refund_no: 'R2', status: 'success', create_date: IN },
      { out_refund_no: 'R3', status: 'success', create_date: IN }, { out_refund_no: 'R4', status: 'failed', create_date: IN },
      { out_refund_no: 'R5', status: 'processing', create_date: IN }, { out_refund_no: 'R6', status: 'failed', create_date: OUT },
    ]);
    await add(COLLECTIONS.errors, [
      { code: 40004, create_date: IN }, { code: 40004, create_date: IN }, { code: 40002, create_date: IN }, { code: 40001, create_date: OUT },
    ]);
    await add(COLLECTIONS.alerts, [{ kind: 'status_mismatch', delivered: false, create_date: IN }]);
    // unverified notify requests are counted per source and minute, not logged
    await add(COLLECTIONS.rejections, [
      { key: `wxpay:${IN - (IN % 60_000)}`, source: 'wxpay', minute: IN - (IN % 60_000), count: 7 },
      { key: `alipay:${IN - (IN % 60_000)}`, source: 'alipay', minute: IN - (IN % 60_000), count: 3 },
      { key: `wxpay:${OUT - (OUT % 60_000)}`, source: 'wxpay', minute: OUT - (OUT % 60_000), count: 100 },
    ]);
    // five payments: two confirmed by their notification, three repaired by a query or the timer (missed), one of
    // which had its notification turn up afterwards (late, logged as a duplicate)
    // (the paying move writes paid_source and paid_recorded_at on the order)
    const paidOrder = (n: string, source: string, at = IN) => ({ out_trade_no: n, user_id: 'u', type: 'recharge', provider: 'wxpay', channel: 'wxpay', amount: 1, status: 'paid', dedupe_key: `dk-${n}`, transaction_id: `T${n}`, paid_at: at - 1000, paid_source: source, paid_recorded_at: at, create_date: OUT - 1 });
    await add(COLLECTIONS.orders, [paidOrder('N1', 'notify'), paidOrder('N2', 'notify'), paidOrder('Q1', 'query'), paidOrder('Q2', 'timer'), paidOrder('Q3', 'admin'), paidOrder('OLD', 'query', OUT)]);
    await add(COLLECTIONS.logs, [{ type: 'notify', status: 'duplicate', out_trade_no: 'Q1', create_date: IN + 5000 }]);

    const s = await getStats({ db: t.db, now: () => TO }, { from: FROM, to: TO });
    expect(s).toMatchObject({
      orders: 8,
      orders_by_status: { paid: 2, refunded: 1, partially_refunded: 1, pending: 2, closed: 2 },
      paid: 4,
      paid_amount: 1000,
      success_rate: 0.5,
      pending: 2,
      pending_now: 3,
      notifications: 6, // the 4 notify logs in range + the alipay one + Q1's late one
      notifications_refused: 1,
      notification_success_rate: 0.4, // not 5/6: three of five payments had to be repaired
      missed_notifications: 3,
      late_notifications: 1,
      notifications_rejected: 10,
      mismatches_repaired: 2,
      paid_after_close: 1,
      refunds: 5,
      refund_success_rate: 0.75,
      errors: 3,
      errors_by_code: { 40004: 2, 40002: 1 },
      alerts_by_kind: { status_mismatch: 1 },
    });
    expect(s.latency_by_provider).toEqual([
      { provider: 'alipay', calls: 2, avg_ms: 200, max_ms: 300, min_ms: 100 },
      { provider: 'wxpay', calls: 3, avg_ms: 60, max_ms: 120, min_ms: 20 },
    ]);
  });

  it('an empty range has null rates, not NaN; a reversed range is refused', async () => {
    t = await openTestDb();
    const s = await getStats({ db: t.db, now: () => TO }, { from: FROM, to: TO });
    expect(s).toMatchObject({ orders: 0, success_rate: null, notification_success_rate: null, refund_success_rate: null, latency_by_provider: [] });
    await expect(getStats({ db: t.db, now: () => TO }, { from: TO, to: FROM })).rejects.toMatchObject({ code: 40001 });
  });
});
