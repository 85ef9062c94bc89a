/**
 * The admin console's methods (issue 10): the order list with search and paging, the order page with everything
 * about one order, the time series behind the charts, readable error rows without stack traces, and bad input
 * refused with 40001 before anything is read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness';
import { bucketStart } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/monitor/series';

let h: Harness;
afterEach(async () => { await h?.close(); });

const recharge = (amount: number) => ({ provider: 'wxpay', pay_type: 'native', type: 'recharge', amount });

async function paid(uid: string, amount: number, opts: { lost?: boolean } = {}): Promise<string> {
  const c = await h.call('createPayment', recharge(amount), { uid });
  // lost: every delivery of the notification fails, so only the query finds the payment
  if (opts.lost) h.sandbox.control.setFaults('wxpay', { unreachable: true });
  h.sandbox.control.pay('wxpay', c.out_trade_no);
  await h.sandbox.control.settled(10_000);
  if (opts.lost) h.sandbox.control.setFaults('wxpay', {});
  await h.call('queryPayment', { out_trade_no: c.out_trade_no }, { uid });
  return c.out_trade_no;
}

describe('listOrders', () => {
  it('searches by order number, user, status, provider and date, newest first, a page at a time', async () => {
    h = await startHarness();
    const a = await paid('ann', 100);
    await paid('ann', 200);
    const pending = (await h.call('createPayment', recharge(300), { uid: 'bob' })).out_trade_no;
    await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'goods', goods_id: 'cup' }, { uid: 'bob' });

    const all = await h.call('listOrders', {}, { admin: true });
    expect(all).toMatchObject({ total: 4, page: 1, hasMore: false });
    expect(all.rows.map((r: { create_date: number }) => r.create_date)).toEqual([...all.rows.map((r: { create_date: number }) => r.create_date)].sort((x, y) => y - x));
    expect(Object.keys(all.rows[0])).not.toContain('payment');
    expect(Object.keys(all.rows[0])).not.toContain('user_info');
    await expect(h.call('listOrders', { out_trade_no: a }, { admin: true })).resolves.toMatchObject({ total: 1, rows: [{ out_trade_no: a, status: 'paid', amount: 100 }] });
    await expect(h.call('listOrders', { user_id: 'ann', status: 'paid' }, { admin: true })).resolves.toMatchObject({ total: 2 });
    await expect(h.call('listOrders', { status: 'pending', provider: 'wxpay' }, { admin: true })).resolves.toMatchObject({ total: 1, rows: [{ out_trade_no: pending }] });
    await expect(h.call('listOrders', { provider: 'alipay' }, { admin: true })).resolves.toMatchObject({ total: 1 });
    await expect(h.call('listOrders', { from: Date.now() + 60_000 }, { admin: true })).resolves.toMatchObject({ total: 0, rows: [] });
    const page2 = await h.call('listOrders', { pageIndex: 2, pageSize: 3 }, { admin: true });
    expect(page2).toMatchObject({ total: 4, page: 2, pageIndex: 2, hasMore: false });
    expect(page2.rows).toHaveLength(1);
    await expect(h.call('listOrders', { page: 1, pageIndex: 2 }, { admin: true })).rejects.toMatchObject({ code: 40001, message: expect.stringContaining('pageIndex') });
  });

  it('bad search input is 40001 and reads nothing; a non-admin is 40009', async () => {
    h = await startHarness();
    for (const bad of [{ status: 'payed' }, { from: 'yesterday' }, { from: 10, to: 5 }, { provider: 'paypal' }, { pageSize: 1000 }, { out_trade_no: "x' || 1" }, { sort: 'amount' }]) {
      await expect(h.call('listOrders', bad, { admin: true })).rejects.toMatchObject({ code: 40001 });
    }
    await expect(h.call('listOrders', {}, { uid: 'ann' })).rejects.toMatchObject({ code: 40009 });
    await expect(h.call('getOrder', { out_trade_no: 'NOSUCH0001' }, { admin: true })).rejects.toMatchObject({ code: 40005 });
  });
});

describe('getOrder', () => {
  it('gathers history, transactions, refunds, raw notifications, hook runs, alerts and logs, and the refundable amount', async () => {
    h = await startHarness();
    const no = await paid('cat', 500);
    await h.call('refund', { out_trade_no: no, amount: 120, reason: 'test' }, { admin: true });
    await h.sandbox.control.settled(10_000);
    const o = await h.call('getOrder', { out_trade_no: no }, { admin: true });
    expect(o.order).toMatchObject({ out_trade_no: no, user_id: 'cat', amount: 500 });
    expect(o.order.user_info).toBeUndefined();
    expect(o.order.history.map((e: { event: string }) => e.event)).toContain('pay');
    expect(o.transactions.map((t: { action: string }) => t.action)).toContain('pay');
    expect(o.refunds).toHaveLength(1);
    expect(o.refunds[0]).toMatchObject({ amount: 120 });
    expect(o.notifications.length).toBeGreaterThan(0);
    expect(o.transactions.map((t: { action: string }) => t.action)).toEqual(['pay', 'refund']);
    // the hooks ride on the order (onPaid) and the refund record (onRefunded); no lease token is shown
    expect(o.hooks[0]).toMatchObject({ event: 'paid', type: 'recharge', status: 'done' });
    expect(o.hooks.find((x: { event: string }) => x.event === 'refunded')).toBeDefined();
    expect(JSON.stringify(o)).not.toContain('hook_lease');
    expect(o.logs.length).toBeGreaterThan(0);
    expect(o.refundable).toBe(380);
    // the server refuses a refund above what is left, whatever the page did
    await expect(h.call('refund', { out_trade_no: no, amount: 381 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('getOrder', { out_trade_no: no }, { uid: 'cat' })).rejects.toMatchObject({ code: 40009 });
  });
});

describe('getTimeSeries and the notification success rate', () => {
  it('buckets orders, paid amount and rates by hour; a payment the query repaired is a missed notification', async () => {
    h = await startHarness();
    const from = Date.now() - 3 * 3600_000;
    await paid('dan', 100);
    await paid('dan', 200, { lost: true }); // notification dropped: the query repaired it
    await h.call('createPayment', recharge(300), { uid: 'dan' });
    const s = await h.call('getTimeSeries', { from, bucket: 'hour' }, { admin: true });
    expect(s.bucket).toBe('hour');
    expect(s.points.length).toBeGreaterThanOrEqual(3);
    expect(s.points.every((p: { t: number }) => p.t === bucketStart(p.t, 'hour'))).toBe(true);
    const sum = (k: string) => s.points.reduce((n: number, p: Record<string, number>) => n + p[k], 0);
    expect([sum('orders'), sum('paid'), sum('paid_amount'), sum('payments'), sum('notified')]).toEqual([3, 2, 300, 2, 1]);
    const last = s.points.find((p: { orders: number }) => p.orders > 0);
    expect(last.success_rate).toBeCloseTo(2 / 3, 3);
    expect(last.notification_success_rate).toBe(0.5);
    expect(last.notify_latency_ms).toBeGreaterThanOrEqual(0);
    const stats = await h.call('getStats', { from }, { admin: true });
    expect(stats).toMatchObject({ notification_success_rate: 0.5, missed_notifications: 1 });

    const days = await h.call('getTimeSeries', { from: Date.now() - 3 * 86_400_000, bucket: 'day' }, { admin: true });
    expect(days.points.length).toBeGreaterThanOrEqual(3);
    await expect(h.call('getTimeSeries', { from: 0, bucket: 'hour' }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('getTimeSeries', { bucket: 'week' }, { admin: true })).rejects.toMatchObject({ code: 40001 });
  });

  it('buckets follow China time: a day starts at 00:00 UTC+8', () => {
    const t = Date.UTC(2026, 0, 2, 15, 59); // 23:59 on 2 Jan in China
    expect(new Date(bucketStart(t, 'day')).toISOString()).toBe('2026-01-01T16:00:00.000Z');
    expect(new Date(bucketStart(t, 'hour')).toISOString()).toBe('2026-01-02T15:00:00.000Z');
  });
});

describe('listErrors and listAlerts', () => {
  it('error rows never carry the stack trace; filters work; alerts list by kind', async () => {
    h = await startHarness();
    await expect(h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'goods', goods_id: 'nope' }, { uid: 'eve' })).rejects.toMatchObject({ code: 40001 });
    const stored = await h.t.db.collection('payment_errors').get();
    expect(stored.data[0].stack).toBeTruthy(); // kept in the row for the uniCloud console
    const errors = await h.call('listErrors', { code: 40001 }, { admin: true });
    expect(errors.total).toBe(1);
    expect(errors.rows[0]).toMatchObject({ code: 40001, action: 'createPayment' });
    expect(errors.rows[0].stack).toBeUndefined();
    await expect(h.call('listErrors', { code: 40004 }, { admin: true })).resolves.toMatchObject({ total: 0 });
    await expect(h.call('listAlerts', { kind: 'paid_after_close' }, { admin: true })).resolves.toMatchObject({ total: 0 });
    await expect(h.call('listLogs', { from: 5, to: 1 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
  });
});
