/**
 * App Store Server Notifications V2 from the sandbox App Store to the core's notify route: a purchase the device
 * never came back to verify is paid by its ONE_TIME_CHARGE (found by the order's token), Apple's REFUND becomes a
 * refund of the whole payment through the refund bookkeeping with onRefunded, each applied once whatever the
 * faults (dropped, sent twice); one signed by an untrusted chain or edited after signing changes nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { all } from '../support/db';

const ALERTS = COLLECTIONS.alerts;
import { startHarness, type Harness } from '../support/harness';

const PRODUCT = 'com.example.vkpay.points600';
let h: Harness;
let seq = 0;

beforeAll(async () => {
  h = await startHarness({
    appleiap: true,
    config: {
      hooks: { inline: true },
      // `recharge` has the demo hook (points credited on paid, taken back on refunded)
      orderTypes: { recharge: { amount: 'catalog', catalog: { p600: { amount: 600, subject: '600 points', appleProductId: PRODUCT } } } },
    },
  });
});
afterEach(async () => {
  h.sandbox.control.setFaults('appleiap', {});
  await h.sandbox.control.settled(10_000);
});
afterAll(async () => { await h?.close(); });

async function order() {
  const uid = `n${++seq}`;
  const o = await h.call<{ out_trade_no: string; payment: any }>('createPayment', { provider: 'appleiap', pay_type: 'app', type: 'recharge', goods_id: 'p600' }, { uid });
  return { ...o, uid };
}
const buy = (o: { out_trade_no: string }) => h.sandbox.control.apple.purchase({ out_trade_no: o.out_trade_no, product_id: PRODUCT });
const stored = async (no: string) => (await all(h.t.db, 'payment_orders')).find((x) => x.out_trade_no === no)!;
const points = async (uid: string) => (await all(h.t.db, 'vk_pay_points')).find((p) => p.user_id === uid)?.points ?? 0;
const appleDeliveries = () => h.received.filter((r) => r.channel === 'appleiap');

describe('App Store Server Notifications V2', () => {
  it('ONE_TIME_CHARGE pays an order whose device never verified the purchase; verifying afterwards answers the paid order', async () => {
    const o = await order();
    const bought = buy(o);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await stored(o.out_trade_no)).toMatchObject({ status: 'paid', transaction_id: bought.transaction_id, paid_source: 'notify' });
    expect(await points(o.uid)).toBe(600);
    expect(await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: bought.signed_transaction }, { uid: o.uid })).toMatchObject({ status: 'paid', transaction_id: bought.transaction_id });
    expect((await stored(o.out_trade_no)).history).toHaveLength(1);
  });

  it('REFUND refunds the whole payment once (refund record from the provider, onRefunded takes the points back)', async () => {
    const o = await order();
    const bought = buy(o);
    await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: bought.signed_transaction }, { uid: o.uid });
    await h.sandbox.control.settled(10_000);
    h.sandbox.control.setFaults('appleiap', { duplicate: 2 });
    h.sandbox.control.apple.refund(bought.transaction_id);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await stored(o.out_trade_no)).toMatchObject({ status: 'refunded', refunded_amount: 600 });
    const refunds = (await all(h.t.db, 'refund_records')).filter((r) => r.out_trade_no === o.out_trade_no);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ out_refund_no: `AR${bought.transaction_id}`, amount: 600, status: 'success', source: 'provider', refund_id: bought.transaction_id });
    expect(await points(o.uid)).toBe(0);
    // the admin cannot start an App Store refund: Apple refunds at the customer's request
    await expect(h.call('refund', { out_trade_no: o.out_trade_no, amount: 100 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
  });

  it('a notification sent three times is applied once; a dropped one arrives on the retry', async () => {
    h.sandbox.control.setFaults('appleiap', { duplicate: 2, drop: 1 });
    const o = await order();
    const before = appleDeliveries().length;
    const bought = buy(o);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(appleDeliveries().length - before).toBe(3);
    const doc = await stored(o.out_trade_no);
    expect(doc).toMatchObject({ status: 'paid', transaction_id: bought.transaction_id });
    expect(doc.history).toHaveLength(1);
    expect(await points(o.uid)).toBe(600);
    const n = (await all(h.t.db, 'payment_notifications')).filter((x) => x.channel === 'appleiap' && x.out_trade_no === o.out_trade_no);
    expect(n).toHaveLength(1);
  });

  it('signed by an untrusted chain, or edited after signing: refused (retry reply), nothing changes', async () => {
    for (const tamper of ['chain', 'signature', 'amount'] as const) {
      h.sandbox.control.setFaults('appleiap', { tamper });
      const o = await order();
      const before = appleDeliveries().length;
      buy(o);
      // the first delivery is refused; stop the retries rather than wait for them
      for (let i = 0; i < 200 && appleDeliveries().length === before; i++) await new Promise((r) => setTimeout(r, 10));
      const got = appleDeliveries().slice(before);
      expect(got.length).toBeGreaterThan(0);
      expect(got.every((d) => d.status === 500)).toBe(true);
      expect(await stored(o.out_trade_no)).toMatchObject({ status: 'pending' });
      expect((await stored(o.out_trade_no)).transaction_id).toBeUndefined();
    }
    // the refused notifications would be retried for days (scaled): forget them
    await h.sandbox.control.reset();
  });

  it('subscriptions: SUBSCRIBED pays the first order; each DID_RENEW is a new paid period with its own onPaid, once; EXPIRED changes nothing', async () => {
    const o = await order();
    const sub = h.sandbox.control.apple.purchase({ out_trade_no: o.out_trade_no, product_id: PRODUCT, type: 'Auto-Renewable Subscription' });
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await stored(o.out_trade_no)).toMatchObject({ status: 'paid', transaction_id: sub.transaction_id });
    expect(await points(o.uid)).toBe(600);

    h.sandbox.control.setFaults('appleiap', { duplicate: 1 });
    const renewal = h.sandbox.control.apple.renew(sub.transaction_id);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const periods = (await all(h.t.db, 'payment_orders')).filter((x) => x.renewal_of === o.out_trade_no);
    expect(periods).toHaveLength(1);
    expect(periods[0]).toMatchObject({ out_trade_no: `RN${renewal.transaction_id}`, status: 'paid', transaction_id: renewal.transaction_id, user_id: o.uid, amount: 600, type: 'recharge', provider_product_id: PRODUCT });
    expect(periods[0].period_ends_at).toBeGreaterThan(Date.now());
    expect(await points(o.uid)).toBe(1200);
    // the first order is not credited again, and the renewal shown to it by a restoring device changes nothing
    expect((await stored(o.out_trade_no)).history).toHaveLength(1);
    expect(await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: renewal.signed_transaction }, { uid: o.uid })).toMatchObject({ status: 'paid', transaction_id: sub.transaction_id });
    expect(await points(o.uid)).toBe(1200);

    const second = h.sandbox.control.apple.renew(sub.transaction_id);
    await h.sandbox.control.settled(10_000);
    expect((await all(h.t.db, 'payment_orders')).filter((x) => x.renewal_of === o.out_trade_no).map((x) => x.transaction_id).sort()).toEqual([renewal.transaction_id, second.transaction_id].sort());
    expect(await points(o.uid)).toBe(1800);

    h.sandbox.control.setFaults('appleiap', {});
    const before = appleDeliveries().length;
    h.sandbox.control.apple.expire(sub.transaction_id);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(appleDeliveries().slice(before).map((d) => d.status)).toEqual([200]);
    expect((await all(h.t.db, 'payment_orders')).filter((x) => x.renewal_of === o.out_trade_no)).toHaveLength(2);
    expect(await points(o.uid)).toBe(1800);
  });

  it('a purchase for no order of ours (e.g. bought outside the app\'s checkout) is acknowledged and alerted, never applied', async () => {
    const before = appleDeliveries().length;
    h.sandbox.control.apple.purchase({ out_trade_no: 'NOT-OURS-0001', product_id: PRODUCT });
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(appleDeliveries().slice(before).map((d) => d.status)).toEqual([200]);
    expect((await all(h.t.db, ALERTS)).some((a) => a.kind === 'notify_refused')).toBe(true);
  });
});
