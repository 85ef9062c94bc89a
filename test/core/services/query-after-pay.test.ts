/**
 * queryPayment right after the person paid: the provider says paid, so the answer is paid - even when the
 * notification never arrives (notify URL unreachable) and even after an earlier query made while the order was
 * still unpaid. Through the real sandbox: the person pays with the sandbox control (what the cashier's Pay does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
afterEach(async () => { await h?.close(); });

const CASES = [['wxpay', 'wxpay', 'native'], ['wxpay', 'wxpay', 'h5'], ['wxpay', 'wxpay-v2', 'native'], ['alipay', 'alipay', 'qr'], ['alipay', 'alipay', 'wap']] as const;

describe.each(CASES)('%s via %s (%s), notify URL unreachable', (provider, channel, pay_type) => {
  async function created(uid: string): Promise<string> {
    h = await startHarness({ wxpayChannel: channel === 'wxpay-v2' ? 'wxpay-v2' : 'wxpay' });
    h.sandbox.control.setFaults(channel, { unreachable: true });
    const c = await h.call('createPayment', { provider, pay_type, type: 'recharge', amount: 1234, return_url: 'https://example.com/#/pages/result/result' }, { uid });
    // An Alipay wap order exists at the gateway once the person's browser opens its page URL.
    if (c.payment.page_url) expect((await fetch(c.payment.page_url, { redirect: 'manual' })).status).toBe(303);
    return c.out_trade_no;
  }

  async function expectPaidOnce(out_trade_no: string) {
    const [order] = await all(h.t.db, 'payment_orders');
    expect(order).toMatchObject({ out_trade_no, status: 'paid', amount: 1234 });
    // the pay transition carries the transaction (no payment_transactions row since the notify path redesign)
    expect(order.transaction_id).toBeTruthy();
    expect(order.history.filter((e: { event: string }) => e.event === 'pay')).toHaveLength(1);
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 1234 }]);
    expect(h.received).toHaveLength(0); // the notification never reached the core: the query alone found it
    expect(await all(h.t.db, 'payment_errors')).toHaveLength(0);
  }

  it('a single queryPayment after the provider says paid answers paid', async () => {
    const out_trade_no = await created('single');
    expect(h.sandbox.control.pay(channel, out_trade_no).ok).toBe(true);
    expect(await h.call('queryPayment', { out_trade_no }, { uid: 'single' })).toMatchObject({ status: 'paid', amount: 1234 });
    await expectPaidOnce(out_trade_no);
  });

  it('a queryPayment made while unpaid does not hold back the next one', async () => {
    const out_trade_no = await created('twice');
    expect(await h.call('queryPayment', { out_trade_no }, { uid: 'twice' })).toMatchObject({ status: 'pending' });
    expect(h.sandbox.control.pay(channel, out_trade_no).ok).toBe(true);
    expect(await h.call('queryPayment', { out_trade_no }, { uid: 'twice' })).toMatchObject({ status: 'paid' });
    await expectPaidOnce(out_trade_no);
  });
});
