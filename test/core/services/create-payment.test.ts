/**
 * createPayment: server-decided amounts, the same request within 5 minutes returning the same order (also when
 * racing), a per-user rate limit kept in the database, and unique order numbers under concurrency and collisions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { cloudRequest, startHarness, type Harness } from '../support/harness';
import { makeOrderNo, nextSequence, isValidOrderNo } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/orders/order-no';
import { createCoreServices } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { decryptUserInfo } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/logging/user-info-crypto';

let h: Harness;
afterEach(async () => { await h?.close(); });

const recharge = { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 990 };

describe('createPayment', () => {
  it('returns what the client needs; amounts come from the server for catalog and custom types', async () => {
    h = await startHarness();
    const r = await h.call('createPayment', recharge, { uid: 'c1' });
    expect(isValidOrderNo(r.out_trade_no)).toBe(true);
    expect(r.payment).toMatchObject({ kind: 'code_url' });
    expect(r.expires_at - Date.now()).toBeGreaterThan(2 * 3600_000 - 60_000);
    const goods = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'goods', goods_id: 'cup' }, { uid: 'c1' });
    expect(goods.amount).toBe(1990);
    const custom = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'custom', goods_id: 'big' }, { uid: 'c1' });
    expect(custom.amount).toBe(9999);
    const order = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === goods.out_trade_no)!;
    expect(order).toMatchObject({ status: 'pending', amount: 1990, user_id: 'c1', channel: 'alipay', refundable_remaining: 0 });
    const gateway = h.sandbox.control.order('alipay', goods.out_trade_no)!;
    expect(gateway.amount).toBe(1990);
    expect(gateway.expires_at).toBeGreaterThan(Date.now() + 3600_000); // time_expire reached the provider
    const logs = await all(h.t.db, 'payment_logs');
    expect(logs.filter((l) => l.type === 'create' && l.status === 'success')).toHaveLength(3);
    expect(logs[0]).toMatchObject({ ip: '127.0.0.1', user_agent: 'vitest', provider: 'wxpay', user_id: 'c1' });
    expect(typeof logs[0].response_time).toBe('number');
  });

  it('the same request within 5 minutes returns the same pending order, also when 10 race', async () => {
    h = await startHarness();
    const a = await h.call('createPayment', recharge, { uid: 'dup' });
    const b = await h.call('createPayment', { ...recharge }, { uid: 'dup' });
    expect(b.out_trade_no).toBe(a.out_trade_no);
    const other = await h.call('createPayment', { ...recharge, amount: 991 }, { uid: 'dup' });
    expect(other.out_trade_no).not.toBe(a.out_trade_no);
    const racing = await Promise.all(Array.from({ length: 10 }, () => h.call('createPayment', { ...recharge, amount: 555 }, { uid: 'racer' })));
    expect(new Set(racing.map((r) => r.out_trade_no)).size).toBe(1);
    expect((await all(h.t.db, 'payment_orders')).filter((o) => o.user_id === 'racer')).toHaveLength(1);
  });

  it('a repeat recharge after the first was paid makes a new pending order, never the paid one (issue 10)', async () => {
    h = await startHarness();
    const first = await h.call('createPayment', recharge, { uid: 'again' });
    expect(h.sandbox.control.pay('wxpay', first.out_trade_no).ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    await expect(h.call('queryPayment', { out_trade_no: first.out_trade_no }, { uid: 'again' })).resolves.toMatchObject({ status: 'paid' });

    const second = await h.call('createPayment', recharge, { uid: 'again' });
    expect(second.out_trade_no).not.toBe(first.out_trade_no);
    expect(second.reused).toBeUndefined();
    await expect(h.call('queryPayment', { out_trade_no: second.out_trade_no }, { uid: 'again' })).resolves.toMatchObject({ status: 'pending' });
    // pressing Pay twice on the second recharge still answers the second order
    const again = await h.call('createPayment', recharge, { uid: 'again' });
    expect(again.out_trade_no).toBe(second.out_trade_no);
    // ... and ten racing creates after it was paid too make exactly one third order between them
    h.sandbox.control.pay('wxpay', second.out_trade_no);
    await h.sandbox.control.settled(10_000);
    await h.call('queryPayment', { out_trade_no: second.out_trade_no }, { uid: 'again' });
    const racing = await Promise.all(Array.from({ length: 10 }, () => h.call('createPayment', recharge, { uid: 'again' })));
    expect(new Set(racing.map((r) => r.out_trade_no)).size).toBe(1);
    expect([first.out_trade_no, second.out_trade_no]).not.toContain(racing[0].out_trade_no);
    const orders = (await all(h.t.db, 'payment_orders')).filter((o) => o.user_id === 'again');
    expect(orders.map((o) => o.status).sort()).toEqual(['paid', 'paid', 'pending']);
    expect(new Set(orders.map((o) => o.dedupe_key)).size).toBe(3);
  });

  it('a closed or expired twin is not reused: the same input makes a new order', async () => {
    h = await startHarness();
    const first = await h.call('createPayment', recharge, { uid: 'twins' });
    await h.call('closeOrder', { out_trade_no: first.out_trade_no }, { uid: 'twins' });
    const afterClose = await h.call('createPayment', recharge, { uid: 'twins' });
    expect(afterClose.out_trade_no).not.toBe(first.out_trade_no);
    expect(afterClose.reused).toBeUndefined();

    // a pending twin whose time is (nearly) up is not handed out either: the person would meet an expired cashier
    await h.t.db.collection('payment_orders').where({ out_trade_no: afterClose.out_trade_no }).update({ expires_at: Date.now() + 5_000 });
    const afterExpiry = await h.call('createPayment', recharge, { uid: 'twins' });
    expect([first.out_trade_no, afterClose.out_trade_no]).not.toContain(afterExpiry.out_trade_no);
    expect(afterExpiry.expires_at).toBeGreaterThan(Date.now() + 3600_000);
  });

  it('a given out_trade_no that was paid answers 40006, never the paid order as a new payment', async () => {
    h = await startHarness();
    const given = { ...recharge, out_trade_no: 'GIVEN_0001' };
    const first = await h.call('createPayment', given, { uid: 'given' });
    h.sandbox.control.pay('wxpay', first.out_trade_no);
    await h.sandbox.control.settled(10_000);
    await h.call('queryPayment', { out_trade_no: first.out_trade_no }, { uid: 'given' });
    await expect(h.call('createPayment', given, { uid: 'given' })).rejects.toMatchObject({ code: 40006 });
  });

  it('rate limit per user and minute, shared by every instance through the database (40008)', async () => {
    h = await startHarness({ config: { rateLimit: { perMinute: 3 } } });
    const second = createCoreServices({ dao: h.t.dao, db: h.t.db, config: h.core.ctx.config, providers: (ch) => h.core.ctx.provider(ch) });
    const req = (uid: string) => cloudRequest('createPayment', { uid });
    await h.call('createPayment', { ...recharge, amount: 1 }, { uid: 'rl' });
    await second.methods.createPayment({ ...recharge, amount: 2 }, await req('rl'));
    await h.call('createPayment', { ...recharge, amount: 3 }, { uid: 'rl' });
    await expect(second.methods.createPayment({ ...recharge, amount: 4 }, await req('rl'))).rejects.toMatchObject({ code: 40008 });
    await expect(h.call('createPayment', { ...recharge, amount: 5 }, { uid: 'rl' })).rejects.toMatchObject({ code: 40008 });
    await h.call('createPayment', { ...recharge, amount: 6 }, { uid: 'someone-else' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => h.call('createPayment', { ...recharge, amount: 100 + i }, { uid: 'burst' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
  });

  it('an order number already taken is retried with the next sequence (unique index, not an in-process counter)', async () => {
    h = await startHarness();
    const seq = nextSequence();
    const taken = makeOrderNo({ now: Date.now(), channel: 'h5', uid: 'collide', sequence: (seq + 1) % 10_000 });
    await h.t.db.collection('payment_orders').add({ out_trade_no: taken, user_id: 'collide', status: 'closed', dedupe_key: 'other', create_date: Date.now() });
    const r = await h.call('createPayment', recharge, { uid: 'collide' });
    expect(r.out_trade_no).not.toBe(taken);
    expect(isValidOrderNo(r.out_trade_no)).toBe(true);
  });

  it('200 concurrent creates get 200 distinct valid numbers', async () => {
    h = await startHarness();
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => h.call('createPayment', { ...recharge, amount: 1 + i }, { uid: `many${i % 7}` })));
    const numbers = new Set(rs.map((r) => r.out_trade_no));
    expect(numbers.size).toBe(200);
    expect([...numbers].every(isValidOrderNo)).toBe(true);
  });

  it('user_info from the auth hook is stored AES-256-GCM encrypted when a key is configured', async () => {
    const key = 'ab'.repeat(32);
    h = await startHarness({ config: { userInfoKey: key, auth: () => ({ uid: 'enc', role: [], userInfo: { nickname: 'Ming', phone: '13812345678' } }) } });
    const r = await h.call('createPayment', recharge, {});
    const order = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === r.out_trade_no)!;
    expect(JSON.stringify(order)).not.toContain('13812345678');
    expect(decryptUserInfo(order.user_info, key)).toEqual({ nickname: 'Ming', phone: '13812345678' });
  });
});
