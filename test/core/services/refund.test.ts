/**
 * Refunds never return more than was paid: reserved on the order before the provider is called, a stable
 * out_refund_no reused on retry, partial and full refunds, results applied from the answer or the notification.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { countingHooks } from '../support/hooks';

let h: Harness;
afterEach(async () => { await h?.close(); });

async function paidOrder(provider: 'wxpay' | 'alipay', amount: number, uid = 'payer', channel: 'wxpay' | 'wxpay-v2' | 'alipay' = provider) {
  const { out_trade_no } = await h.call('createPayment', { provider, pay_type: provider === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount }, { uid });
  expect(h.sandbox.control.pay(channel, out_trade_no).ok).toBe(true);
  expect(await h.sandbox.control.settled(10_000)).toBe(true);
  return out_trade_no;
}

async function orderOf(out_trade_no: string) {
  return (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no)!;
}

describe.each(['wxpay', 'alipay'] as const)('%s refunds', (provider) => {
  it.each([30, 25])('100 concurrent refund requests of %i fen on a 1000 fen order: total refunded <= paid, the books balance', async (each) => {
    h = await startHarness();
    const out_trade_no = await paidOrder(provider, 1000);
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => h.call('refund', { out_trade_no, amount: each, reason: 'race' }, { admin: true })));
    await h.sandbox.control.settled(15_000);
    await h.core.runTimer({ time: Date.now() }); // picks up anything still processing
    const order = await orderOf(out_trade_no);
    const records = await all(h.t.db, 'refund_records');
    const succeeded = records.filter((r) => r.status === 'success');
    const refusedCalls = results.filter((r) => r.status === 'rejected').length;
    const refunded = succeeded.reduce((s, r) => s + r.amount, 0);
    const gateway = h.sandbox.control.order(provider, out_trade_no)!;
    console.log(`[figures] ${provider} 100 concurrent refunds of ${each} on 1000: accepted=${results.length - refusedCalls} refused=${refusedCalls} succeeded=${succeeded.length} refunded=${refunded} order.refunded_amount=${order.refunded_amount} gateway refunded=${gateway.refunded} status=${order.status}`);
    expect(refunded).toBeLessThanOrEqual(1000);
    expect(gateway.refunded).toBeLessThanOrEqual(1000);
    expect(order.refunded_amount).toBe(refunded);
    expect(order.refunded_amount + order.refund_in_flight + order.refundable_remaining).toBe(1000);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(gateway.refunded).toBe(order.refunded_amount + order.refund_in_flight);
    expect(order.status).toBe(refunded === 1000 ? 'refunded' : 'partially_refunded');
  });

  it('partial then full refund; a retry with the same out_refund_no refunds nothing more; onRefunded runs once each', async () => {
    const hooks = countingHooks();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules } } });
    const out_trade_no = await paidOrder(provider, 1000, 'refundee');
    const first = await h.call('refund', { out_trade_no, amount: 400, reason: 'partial' }, { admin: true });
    expect(first.out_refund_no).toBeTruthy();
    await h.sandbox.control.settled(10_000);
    await h.call('queryRefund', { out_refund_no: first.out_refund_no }, { admin: true });
    expect((await orderOf(out_trade_no))).toMatchObject({ status: 'partially_refunded', refunded_amount: 400 });

    const again = await h.call('refund', { out_trade_no, amount: 400, reason: 'partial', out_refund_no: first.out_refund_no }, { admin: true });
    expect(again.status).toBe('success');
    await expect(h.call('refund', { out_trade_no, amount: 700 }, { admin: true })).rejects.toMatchObject({ code: 40001 });

    const rest = await h.call('refund', { out_trade_no, amount: 600, reason: 'rest' }, { admin: true });
    await h.sandbox.control.settled(10_000);
    await h.call('queryRefund', { out_refund_no: rest.out_refund_no }, { admin: true });
    const order = await orderOf(out_trade_no);
    expect(order).toMatchObject({ status: 'refunded', refunded_amount: 1000, refund_in_flight: 0, refundable_remaining: 0 });
    expect(h.sandbox.control.order(provider, out_trade_no)!.refunded).toBe(1000);
    expect(hooks.refundedRuns).toBe(2);
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 0 }]);
    // each refund succeeded once: the record moved to success once (no separate payment_transactions row)
    const succeeded = (await all(h.t.db, 'refund_records')).filter((r) => r.status === 'success');
    expect(succeeded).toHaveLength(2);
    for (const r of succeeded) expect(r.history.filter((e: { to: string }) => e.to === 'success')).toHaveLength(1);
  });

  it('refund is admin only (40009) and refuses unpaid orders and bad amounts (40001)', async () => {
    h = await startHarness();
    const { out_trade_no } = await h.call('createPayment', { provider, pay_type: provider === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount: 100 }, { uid: 'x' });
    await expect(h.call('refund', { out_trade_no, amount: 10 }, { uid: 'x' })).rejects.toMatchObject({ code: 40009 });
    await expect(h.call('refund', { out_trade_no, amount: 10 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('refund', { out_trade_no, amount: 1.5 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    expect(await all(h.t.db, 'refund_records')).toHaveLength(0);
  });
});

describe('refunds the provider does not complete (WeChat)', () => {
  it.each(['wxpay', 'wxpay-v2'] as const)('%s REFUND.CLOSED releases the reservation; ABNORMAL keeps it held and alerts', async (channel) => {
    h = await startHarness({ wxpayChannel: channel });
    const out_trade_no = await paidOrder('wxpay', 1000, `held-${channel}`, channel);

    h.sandbox.control.setFaults(channel, { refund: 'closed' });
    const closed = await h.call('refund', { out_trade_no, amount: 300 }, { admin: true });
    await h.sandbox.control.settled(10_000);
    let record = (await all(h.t.db, 'refund_records')).find((r) => r.out_refund_no === closed.out_refund_no)!;
    expect(record.status).toBe('failed');
    expect(await orderOf(out_trade_no)).toMatchObject({ status: 'paid', refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 1000 });

    h.sandbox.control.setFaults(channel, { refund: 'abnormal' });
    const held = await h.call('refund', { out_trade_no, amount: 400 }, { admin: true });
    await h.sandbox.control.settled(10_000);
    await h.call('queryRefund', { out_refund_no: held.out_refund_no }, { admin: true });
    record = (await all(h.t.db, 'refund_records')).find((r) => r.out_refund_no === held.out_refund_no)!;
    expect(record).toMatchObject({ status: 'held' });
    expect(await orderOf(out_trade_no)).toMatchObject({ refunded_amount: 0, refund_in_flight: 400, refundable_remaining: 600 });
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'refund_mismatch')).toHaveLength(1);
    // what is left stays refundable, and only that
    await expect(h.call('refund', { out_trade_no, amount: 700 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    h.sandbox.control.setFaults(channel, {});
    const rest = await h.call('refund', { out_trade_no, amount: 600 }, { admin: true });
    await h.sandbox.control.settled(10_000);
    await h.call('queryRefund', { out_refund_no: rest.out_refund_no }, { admin: true });
    expect(await orderOf(out_trade_no)).toMatchObject({ refunded_amount: 600, refund_in_flight: 400, refundable_remaining: 0 });
  });
});

describe('a refund made outside vk-pay (merchant platform)', () => {
  it.each(['wxpay', 'alipay'] as const)('%s: the provider\'s refund notification is adopted into the books once', async (provider) => {
    h = await startHarness();
    const out_trade_no = await paidOrder(provider, 800, `outside-${provider}`);
    const notify_url = `${h.base}/http/vk-pay-notify/${provider}`;
    // The merchant refunds in the provider's own console: vk-pay never saw the request.
    await h.core.ctx.provider(provider).refund({ out_trade_no, out_refund_no: `CONSOLE${Date.now()}`, refund_amount: 300, total_amount: 800, notify_url });
    // WeChat settles the refund a moment later and notifies; Alipay settles at once and notifies the trade.
    const deadline = Date.now() + 10_000;
    while ((await all(h.t.db, 'refund_records')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await h.sandbox.control.settled(10_000);
    const order = await orderOf(out_trade_no);
    const records = await all(h.t.db, 'refund_records');
    expect(records).toMatchObject([{ source: 'provider', status: 'success', amount: 300 }]);
    expect(order).toMatchObject({ status: 'partially_refunded', refunded_amount: 300, refund_in_flight: 0, refundable_remaining: 500 });
    // and what is left is all that can still be refunded
    await expect(h.call('refund', { out_trade_no, amount: 501 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
  });
});
