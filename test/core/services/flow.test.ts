/**
 * The whole path through the real sandbox and the real providers: create -> the person pays at the sandbox ->
 * the sandbox notifies over HTTP -> the core verifies, transitions, records and runs the hook -> query.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
afterEach(async () => { await h?.close(); });

// both key modes of both channels: WeChat Pay public key / platform certificates, Alipay public key / certificates
describe.each([
  ['wxpay', 'wxpay', 'native', 'public-key'], ['wxpay', 'wxpay', 'native', 'platform-cert'], ['wxpay', 'wxpay-v2', 'native', 'api-key'],
  ['alipay', 'alipay', 'qr', 'public-key'], ['alipay', 'alipay', 'qr', 'cert'],
] as const)('%s via %s (%s, key mode %s)', (provider, channel, pay_type, keyMode) => {
  beforeEach(async () => {
    const keyModes = keyMode === 'platform-cert' ? { wxpay: keyMode } : keyMode === 'cert' ? { alipay: keyMode } : {};
    h = await startHarness({ wxpayChannel: channel === 'wxpay-v2' ? 'wxpay-v2' : 'wxpay', keyModes });
  });

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
    // the sandbox answered and notified in the mode under test, and the core verified it that way
    if (keyMode === 'platform-cert') expect(h.received.map((r) => r.req.headers['wechatpay-serial'])).toContain((await h.sandbox.certModes.wxpayPlatformCerts()).signingCert().serial);
    if (keyMode === 'public-key' && channel === 'wxpay') expect(h.received.every((r) => r.req.headers['wechatpay-serial'] === h.creds.wxpay.platform.publicKeyId)).toBe(true);
    const types = new Set((await all(h.t.db, 'payment_logs')).map((l) => l.type));
    for (const t of ['create', 'notify', 'query', 'refund']) expect(types.has(t)).toBe(true);
  });
});
