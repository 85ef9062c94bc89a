/**
 * What the payer's result page reads (issue 10): getPaymentResult tells paid / cancelled / failed from the server,
 * with what was bought and what it did (points credited), only to the owner; cancelPayment closes at the provider
 * first, so "cancelled" is a fact the provider confirmed, never a URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
afterEach(async () => { await h?.close(); });

const recharge = { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 990 };

async function pay(channel: 'wxpay' | 'wxpay-v2' | 'alipay', no: string): Promise<void> {
  expect(h.sandbox.control.pay(channel, no).ok).toBe(true);
  expect(await h.sandbox.control.settled(10_000)).toBe(true);
}

describe('getPaymentResult', () => {
  it('a paid recharge shows the points credited and the balance, to its owner only', async () => {
    h = await startHarness();
    const a = await h.call('createPayment', recharge, { uid: 'res1' });
    await pay('wxpay', a.out_trade_no);
    const r = await h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'res1' });
    expect(r).toMatchObject({ status: 'paid', amount: 990, type: 'recharge', subject: expect.any(String), effect: { state: 'done', kind: 'points', points: 990, balance: 990 } });
    expect(typeof r.paid_at).toBe('number');
    expect(r.close_reason).toBeUndefined();
    // a second recharge adds to the same balance
    const b = await h.call('createPayment', { ...recharge, amount: 10 }, { uid: 'res1' });
    await pay('wxpay', b.out_trade_no);
    await expect(h.call('getPaymentResult', { out_trade_no: b.out_trade_no }, { uid: 'res1' })).resolves.toMatchObject({ effect: { points: 10, balance: 1000 } });
    // somebody else never reads it; an admin may
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'stranger' })).rejects.toMatchObject({ code: 40009 });
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, {})).rejects.toMatchObject({ code: 40009 });
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { admin: true })).resolves.toMatchObject({ status: 'paid' });
    await expect(h.call('getPaymentResult', { out_trade_no: 'bad no!' }, { uid: 'res1' })).rejects.toMatchObject({ code: 40001 });
  });

  it('goods show what was bought; a pending order is asked at the provider (the notification may be late)', async () => {
    h = await startHarness();
    const g = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'goods', goods_id: 'cup' }, { uid: 'res2' });
    await expect(h.call('getPaymentResult', { out_trade_no: g.out_trade_no }, { uid: 'res2' })).resolves.toMatchObject({ status: 'pending' });
    h.sandbox.control.setFaults('alipay', { unreachable: true });
    h.sandbox.control.pay('alipay', g.out_trade_no);
    const r = await h.call('getPaymentResult', { out_trade_no: g.out_trade_no }, { uid: 'res2' });
    expect(r).toMatchObject({ status: 'paid', goods_id: 'cup', subject: 'Demo mug', effect: { kind: 'goods', goods_id: 'cup', name: 'Demo mug' } });
  });
});

describe('cancel and failure, as the server knows them', () => {
  it('cancelPayment closes at the provider and records cancelled; the provider can no longer take the money', async () => {
    h = await startHarness();
    const a = await h.call('createPayment', recharge, { uid: 'cx1' });
    h.sandbox.control.pay('wxpay', a.out_trade_no, 'cancel'); // backed out at the cashier: still payable there
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'cx1' })).resolves.toMatchObject({ status: 'pending' });
    await expect(h.call('cancelPayment', { out_trade_no: a.out_trade_no }, { uid: 'stranger' })).rejects.toMatchObject({ code: 40009 });
    await expect(h.call('cancelPayment', { out_trade_no: a.out_trade_no }, { uid: 'cx1' })).resolves.toMatchObject({ status: 'closed' });
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'cx1' })).resolves.toMatchObject({ status: 'closed', close_reason: 'cancelled' });
    expect(h.sandbox.control.order('wxpay', a.out_trade_no)?.status).toBe('CLOSED');
    expect(h.sandbox.control.pay('wxpay', a.out_trade_no).ok).toBe(false);
    // the same recharge again is a new order, not the cancelled one
    const again = await h.call('createPayment', recharge, { uid: 'cx1' });
    expect(again.out_trade_no).not.toBe(a.out_trade_no);
  });

  it('a cancel that arrives after the payment went through answers paid (the money counts, not the click)', async () => {
    h = await startHarness();
    const a = await h.call('createPayment', recharge, { uid: 'cx2' });
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    h.sandbox.control.pay('wxpay', a.out_trade_no);
    await expect(h.call('cancelPayment', { out_trade_no: a.out_trade_no }, { uid: 'cx2' })).resolves.toMatchObject({ status: 'paid' });
    // the hook runs inline for at most a few seconds, then in the outbox: on a busy machine it may still be running
    await expect.poll(async () => (await h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'cx2' })).effect, { timeout: 15_000 })
      .toMatchObject({ state: 'done', points: 990 });
  });

  it('an admin closing an order records closed, not cancelled', async () => {
    h = await startHarness();
    const a = await h.call('createPayment', recharge, { uid: 'cx3' });
    await h.call('closeOrder', { out_trade_no: a.out_trade_no }, { admin: true });
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'cx3' })).resolves.toMatchObject({ status: 'closed', close_reason: 'closed' });
  });

  for (const channel of ['wxpay', 'wxpay-v2'] as const) {
    it(`${channel}: a payment the bank declined reads failed with the provider's reason`, async () => {
      h = await startHarness({ wxpayChannel: channel });
      const a = await h.call('createPayment', recharge, { uid: 'fx' });
      expect(h.sandbox.control.pay(channel, a.out_trade_no, 'fail', '银行卡已冻结').ok).toBe(true);
      const r = await h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'fx' });
      expect(r).toMatchObject({ status: 'closed', close_reason: 'failed', provider_reason: '银行卡已冻结' });
      expect(r.effect).toBeUndefined();
    });
  }

  it('an order left unpaid past its time reads expired', async () => {
    h = await startHarness();
    const a = await h.call('createPayment', recharge, { uid: 'ex' });
    await h.t.db.collection('payment_orders').where({ out_trade_no: a.out_trade_no }).update({ expires_at: Date.now() - 1000 });
    await h.t.db.collection('payment_orders').where({ out_trade_no: a.out_trade_no }).update({ status: 'closed', closed_at: Date.now() });
    await expect(h.call('getPaymentResult', { out_trade_no: a.out_trade_no }, { uid: 'ex' })).resolves.toMatchObject({ status: 'closed', close_reason: 'expired' });
  });

  it("Alipay wap: quit_url is the return URL marked vkpay_return=quit, so the page there knows to ask for a cancel", async () => {
    h = await startHarness();
    const a = await h.call('createPayment', { provider: 'alipay', pay_type: 'wap', type: 'recharge', amount: 100, return_url: 'http://127.0.0.1:9/#/pages/result/result' }, { uid: 'aq' });
    const biz = JSON.parse(new URL(a.payment.page_url).searchParams.get('biz_content')!);
    expect(biz.quit_url).toBe('http://127.0.0.1:9/#/pages/result/result?vkpay_return=quit');
  });
});
