/**
 * The whole path through the real sandbox and the real providers: create -> the person pays at the sandbox ->
 * the sandbox notifies over HTTP -> the core verifies, transitions, records and runs the hook -> query.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
afterEach(async () => { await h?.close(); });

describe.each([['wxpay', 'wxpay', 'native'], ['wxpay', 'wxpay-v2', 'native'], ['alipay', 'alipay', 'qr']] as const)('%s via %s', (provider, channel, pay_type) => {
  beforeEach(async () => { h = await startHarness({ wxpayChannel: channel === 'wxpay-v2' ? 'wxpay-v2' : 'wxpay' }); });

  it('create, pay at the sandbox, notified once, hook credits points once, query answers paid', async () => {
    const created = await h.call('createPayment', { provider, pay_type, type: 'recharge', amount: 1234 }, { uid: 'u1' });
    expect(created.out_trade_no).toMatch(/^\d{22}$/);
    expect(created.amount).toBe(1234);
    expect(created.payment).toBeTruthy();

    expect(h.sandbox.control.pay(channel, created.out_trade_no).ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);

    const [order] = (await all(h.t.db, 'payment_orders'));
    expect(order.status).toBe('paid');
    expect(order.transaction_id).toBeTruthy();
    expect(order.refundable_remaining).toBe(1234);
    // The pay transition itself carries the transaction id (unique across orders) and the owed hook: no
    // payment_transactions row (that collection keeps only money that is not an order's own payment).
    expect((await all(h.t.db, 'payment_transactions')).length).toBe(0);
    expect((await all(h.t.db, 'payment_notifications')).length).toBe(1);
    const points = await all(h.t.db, 'vk_pay_points');
    expect(points).toMatchObject([{ user_id: 'u1', points: 1234, credited_orders: [created.out_trade_no] }]);
    const [paid] = await all(h.t.db, 'payment_orders');
    expect(paid).toMatchObject({ hook_status: 'done', hook_attempts: 1 });

    const view = await h.call('queryPayment', { out_trade_no: created.out_trade_no }, { uid: 'u1' });
    expect(view).toMatchObject({ status: 'paid', amount: 1234, refunded_amount: 0 });
    expect(h.received.every((r) => r.status < 300)).toBe(true);

    await h.call('closeOrder', { out_trade_no: created.out_trade_no }, { uid: 'u1' }).catch((e) => expect(e.code).toBe(40006));
    const refund = await h.call('refund', { out_trade_no: created.out_trade_no, amount: 234, reason: 'flow' }, { admin: true });
    await h.sandbox.control.settled(10_000);
    await h.call('queryRefund', { out_refund_no: refund.out_refund_no }, { admin: true });
    expect(await h.call('queryPayment', { out_trade_no: created.out_trade_no }, { uid: 'u1' })).toMatchObject({ status: 'partially_refunded', refunded_amount: 234 });
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 1000 }]);
    const types = new Set((await all(h.t.db, 'payment_logs')).map((l) => l.type));
    for (const t of ['create', 'notify', 'query', 'refund']) expect(types.has(t)).toBe(true);
  });
});
