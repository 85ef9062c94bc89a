/**
 * The notify path's cost in SEQUENTIAL database round trips (on uniCloud every database call is one), counted by
 * wrapping the database: independent calls issued together count once, a call made after another returned counts
 * after it (support/db.ts `depth`). For every kind of notification - WeChat v3, v2 and Alipay; paid and refund -
 * a first delivery takes at most 3 round trips including its log row, a duplicate at most 2, and what each does
 * is checked (the order moved once, the refund settled once).
 *
 * This is the notification's own handling up to the reply (handleNotification). With hooks inline (the default)
 * the reply then also waits for the business hook, whose claim the pay move already took: the hook's own writes
 * plus ONE write of vk-pay's (marking it done) - counted in the last test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxChannel, SandboxOrder, SandboxRefund } from '../../../sandbox/state';
import { buildAlipayNotification } from '../../../sandbox/alipay/objects';
import { buildV2Notification } from '../../../sandbox/wxpay/v2-notify';
import { buildV3Notification } from '../../../sandbox/wxpay/v3-objects';
import type { IncomingNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
// the channels these round trips exercise are the sandbox's gateway channels
import type { SandboxChannel as Channel } from '../../../sandbox/state';
import { handleNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/notify';
import { reserveRefund } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/refund-ledger';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { paidSandboxOrder } from '../support/notifications';

let h: Harness;
afterEach(async () => { await h?.close(); });

const lower = (o: { headers: Record<string, string>; body: string }): IncomingNotification => ({
  headers: Object.fromEntries(Object.entries(o.headers).map(([k, v]) => [k.toLowerCase(), v])), rawBody: o.body,
});

function paidNotice(channel: Channel, order: SandboxOrder): IncomingNotification {
  if (channel === 'wxpay') return lower(buildV3Notification(h.creds, `ev-${order.out_trade_no}`, Date.now(), order, undefined, undefined, Date.now()));
  if (channel === 'alipay') return lower(buildAlipayNotification(h.creds, `ev-${order.out_trade_no}`, order, undefined, [], undefined, Date.now()));
  return lower(buildV2Notification(h.creds, order, undefined, undefined));
}

function refundNotice(channel: Channel, order: SandboxOrder, refund: SandboxRefund): IncomingNotification {
  if (channel === 'wxpay') return lower(buildV3Notification(h.creds, `ev-${refund.out_refund_no}`, Date.now(), order, refund, undefined, Date.now()));
  if (channel === 'alipay') return lower(buildAlipayNotification(h.creds, `ev-${refund.out_refund_no}`, order, refund, [refund], undefined, Date.now()));
  return lower(buildV2Notification(h.creds, order, refund, undefined));
}

async function measure(channel: Channel, notice: IncomingNotification) {
  const c = h.t.counting;
  c.reset();
  const r = await handleNotification(h.core.ctx, channel, notice);
  return { r, depth: c.depth(), trace: c.trace().map((t) => `${t.depth}:${t.call}`) };
}

const CHANNELS: Array<[SandboxChannel, 'wxpay' | 'alipay', string]> = [['wxpay', 'wxpay', 'native'], ['wxpay-v2', 'wxpay', 'native'], ['alipay', 'alipay', 'qr']];

describe.each(CHANNELS)('%s', (channel, provider, pay_type) => {
  async function start() {
    // hooks off the reply path here: this counts the notification's own handling (see the last test for hooks)
    h = await startHarness({ wxpayChannel: channel === 'wxpay-v2' ? 'wxpay-v2' : 'wxpay', config: { hooks: { inline: false } } });
    h.sandbox.control.setFaults(channel, { unreachable: true }); // only the notifications this test sends arrive
  }
  async function paidOrder(amount: number): Promise<SandboxOrder> {
    const { out_trade_no } = await h.call('createPayment', { provider, pay_type, type: 'recharge', amount }, { uid: `rt-${channel}` });
    expect(h.sandbox.control.pay(channel, out_trade_no).ok).toBe(true);
    return paidSandboxOrder(h, channel, out_trade_no);
  }

  it('paid: first delivery <= 3 round trips including the log, duplicate <= 2', async () => {
    await start();
    const order = await paidOrder(1200);
    const notice = paidNotice(channel, order);
    const first = await measure(channel, notice);
    const dup = await measure(channel, notice);
    console.log(`[figures] round trips ${channel} paid: first ${first.depth} [${first.trace.join(', ')}]; duplicate ${dup.depth} [${dup.trace.join(', ')}]`);
    expect(first.r).toMatchObject({ ok: true, result: 'pay' });
    expect(dup.r).toMatchObject({ ok: true, result: 'duplicate' });
    expect(first.depth).toBeLessThanOrEqual(3);
    expect(dup.depth).toBeLessThanOrEqual(2);
    expect(first.trace.some((t) => t.endsWith('payment_logs'))).toBe(true);
    expect(dup.trace.some((t) => t.endsWith('payment_logs'))).toBe(true);
    const [stored] = (await all(h.t.db, 'payment_orders')).filter((o) => o.out_trade_no === order.out_trade_no);
    expect(stored).toMatchObject({ status: 'paid', transaction_id: order.transaction_id, hook_status: 'pending' });
    expect(stored.history).toHaveLength(1);
  });

  it('refund: first delivery <= 3 round trips including the log, duplicate <= 2', async () => {
    await start();
    const order = await paidOrder(1000);
    expect((await measure(channel, paidNotice(channel, order))).r.result).toBe('pay');
    // Our refund of 400 fen, accepted by the provider: reserved on the order, its record processing, its result
    // not known yet (the answer was lost) - the notification brings it.
    const out_refund_no = `${order.out_trade_no}R1`;
    const answer = await h.core.ctx.provider(channel).refund({ out_trade_no: order.out_trade_no, out_refund_no, refund_amount: 400, total_amount: 1000 });
    const now = Date.now();
    await h.t.dao.add({ dbName: 'refund_records', dataJson: { out_refund_no, out_trade_no: order.out_trade_no, amount: 400, status: 'processing', provider, channel, user_id: `rt-${channel}`, type: 'recharge', source: 'admin', reason: '', create_date: now, update_date: now, history: [] }, cancelAddTime: true });
    expect(await reserveRefund(h.core.ctx, { out_trade_no: order.out_trade_no, out_refund_no, amount: 400 })).toBe('reserved');
    const refund: SandboxRefund = { channel, out_refund_no, out_trade_no: order.out_trade_no, refund_id: answer.refund_id ?? `RID${now}`, amount: 400, total: 1000, status: 'SUCCESS', created_at: now - 100, success_at: now };
    const notice = refundNotice(channel, { ...order, refunded: 400 }, refund);

    const first = await measure(channel, notice);
    const dup = await measure(channel, notice);
    console.log(`[figures] round trips ${channel} refund: first ${first.depth} [${first.trace.join(', ')}]; duplicate ${dup.depth} [${dup.trace.join(', ')}]`);
    expect(first.r).toMatchObject({ ok: true, result: 'refund_success' });
    expect(dup.r).toMatchObject({ ok: true, result: 'duplicate' });
    expect(first.depth).toBeLessThanOrEqual(3);
    expect(dup.depth).toBeLessThanOrEqual(2);
    const [o] = (await all(h.t.db, 'payment_orders')).filter((x) => x.out_trade_no === order.out_trade_no);
    expect(o).toMatchObject({ status: 'partially_refunded', refunded_amount: 400, refund_in_flight: 0, refundable_remaining: 600 });
    const [rec] = await all(h.t.db, 'refund_records');
    expect(rec).toMatchObject({ status: 'success', hook_status: 'pending' });
  });
});

describe('with hooks inline (the default)', () => {
  it('the business hook runs right after, already claimed by the pay move: its own write plus one of vk-pay\'s', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 700 }, { uid: 'rt-inline' });
    h.sandbox.control.pay('wxpay', out_trade_no);
    const notice = paidNotice('wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));
    const c = h.t.counting;
    c.reset();
    const handled = await handleNotification(h.core.ctx, 'wxpay', notice);
    const ack = c.depth();
    await h.core.runHooksNow(handled.hooks);
    const vkPayHookWrites = c.trace().filter((t) => t.depth > ack).map((t) => t.call);
    console.log(`[figures] round trips with the inline hook: reply path ${ack}, then the hook: [${vkPayHookWrites.join(', ')}] (+ the hook's own writes on vk_pay_points, through db)`);
    expect(ack).toBeLessThanOrEqual(3);
    // no claim and no order read: the pay move claimed the hook and handed over the order
    expect(vkPayHookWrites).toEqual(['update:payment_orders']);
    expect((await all(h.t.db, 'payment_orders'))[0]).toMatchObject({ hook_status: 'done', hook_attempts: 1 });
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 700 }]);
  });
});
