/**
 * WeChat virtual payment refunds through the core and the sandbox (docs/PROTOCOLS.md section 12): the admin's
 * refund calls /xpay/refund_order (left_fee read with query_order first), the refund task settles at the sandbox
 * and xpay_refund_notify is pushed to the notify route; the refund record and the order move once through the
 * existing refund bookkeeping. A lost push is repaired by the timer's refund sweep (query_order on the refund
 * order); forged pushes change nothing; nothing is ever refunded beyond what was paid, here or at WeChat.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { timerNow, type Harness } from '../support/harness';
import { orderOf, paidOrder, refundOf, refundPushRaised, startVirtual, type VirtualRuns } from '../support/virtual-payment';
import { aesKeyOf, encryptPush, pushSignature } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/message-crypto';
import { clearAccessTokenCache } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/token';
import { transitionOrder } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/transition';

let h: Harness;
let runs: VirtualRuns;
afterEach(async () => { clearAccessTokenCache(); await h?.close(); });

async function start(extra = {}) {
  ({ h, runs } = await startVirtual(extra));
}

const refund = (out_trade_no: string, amount: number, extra: Record<string, unknown> = {}) =>
  h.call('refund', { out_trade_no, amount, reason: 'customer asked', ...extra }, { admin: true });

/** An xpay_refund_notify as WeChat would push it, encrypted for the app and signed with `token`. */
function refundPush(fields: Record<string, unknown>, o: { token?: string } = {}) {
  const v = h.creds.wxpayVirtual;
  const message = JSON.stringify({
    ToUserName: 'gh_x', FromUserName: 'o0', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: 'xpay_refund_notify',
    RetCode: 0, RetMsg: 'success', RefundStartTimestamp: Math.floor(Date.now() / 1000), RefundSuccTimestamp: Math.floor(Date.now() / 1000), RetryTimes: 0, ...fields,
  });
  const Encrypt = encryptPush(aesKeyOf(v.encodingAESKey), message, h.creds.wxpay.apps.mp.appId);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const msg_signature = pushSignature([o.token ?? v.token, timestamp, '7', Encrypt]);
  return { headers: { 'content-type': 'application/json' }, rawBody: JSON.stringify({ ToUserName: 'gh_x', Encrypt }), query: { timestamp, nonce: '7', encrypt_type: 'aes', msg_signature } };
}

describe('wxpay-virtual refunds', () => {
  it('pay -> refund_order -> refund push -> refund succeeded, order partially then fully refunded, onRefunded once each', async () => {
    await start();
    const paid = await paidOrder(h, 'r1');
    const first = await refund(paid.out_trade_no, 300);
    expect(first).toMatchObject({ status: 'processing', amount: 300 });
    // WeChat's refund_order_id: 8-32 of letters, digits, _ and -
    expect(first.out_refund_no).toMatch(/^[A-Za-z0-9_-]{8,32}$/);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await refundOf(h, first.out_refund_no)).toMatchObject({ status: 'success', amount: 300, refund_id: expect.stringMatching(/^wxr/) });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'partially_refunded', refunded_amount: 300, refund_in_flight: 0 });
    expect(runs.refunded.episode).toBe(1);

    // the rest: left_fee is read again at WeChat (690 now), and the order ends refunded
    const second = await refund(paid.out_trade_no, 690);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await refundOf(h, second.out_refund_no)).toMatchObject({ status: 'success', amount: 690 });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'refunded', refunded_amount: 990, refund_in_flight: 0, refundable_remaining: 0 });
    expect(runs.refunded.episode).toBe(2);
    const pushes = h.sandbox.control.notifications({ channel: 'wxpay-virtual', out_trade_no: paid.out_trade_no }).filter((n) => n.kind === 'refund');
    expect(pushes.map((n) => n.state)).toEqual(['delivered', 'delivered']);
    expect(h.sandbox.control.order('wxpay-virtual', paid.out_trade_no)?.refunded).toBe(990);
    // a repeated push of a settled refund changes nothing (a duplicate, answered as success)
    expect(await h.call('queryRefund', { out_refund_no: first.out_refund_no }, { admin: true })).toMatchObject({ status: 'success', refunded_amount: 990 });
  });

  it('a refund push that never arrives: the timer asks query_order on the refund order and settles it, hook once', async () => {
    await start();
    const paid = await paidOrder(h, 'r2');
    h.sandbox.control.setFaults('wxpay-virtual', { unreachable: true });
    const started = await refund(paid.out_trade_no, 990);
    await refundPushRaised(h, paid.out_trade_no);
    expect(await refundOf(h, started.out_refund_no)).toMatchObject({ status: 'processing' });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'paid', refund_in_flight: 990 });
    await timerNow(h);
    expect(await refundOf(h, started.out_refund_no)).toMatchObject({ status: 'success', amount: 990 });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'refunded', refunded_amount: 990, refund_in_flight: 0 });
    expect(runs.refunded.episode).toBe(1);
    await timerNow(h);
    expect(runs.refunded.episode).toBe(1);
  });

  it('a refund WeChat fails (RetCode 1): the reservation is released and the money is refundable again', async () => {
    await start();
    const paid = await paidOrder(h, 'r3');
    h.sandbox.control.setFaults('wxpay-virtual', { refund: 'closed' });
    const started = await refund(paid.out_trade_no, 500);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await refundOf(h, started.out_refund_no)).toMatchObject({ status: 'failed' });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'paid', refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 990 });
    expect(runs.refunded.episode).toBe(0);
  });

  it('forged and other-amount refund pushes are refused with an error row and change nothing', async () => {
    await start();
    const paid = await paidOrder(h, 'r4');
    h.sandbox.control.setFaults('wxpay-virtual', { unreachable: true });
    const started = await refund(paid.out_trade_no, 400);
    const fields = { OpenId: paid.openid, MchRefundId: started.out_refund_no, MchOrderId: paid.out_trade_no, WxRefundId: 'wxr1', WxOrderId: 'wxo1', RefundFee: 400 };
    const forged = await h.notify('wxpay-virtual', refundPush(fields, { token: 'forgedToken' }));
    const otherAmount = await h.notify('wxpay-virtual', refundPush({ ...fields, RefundFee: 990 }));
    for (const r of [forged, otherAmount]) expect(JSON.parse(r.body).ErrCode).not.toBe(0);
    expect(await refundOf(h, started.out_refund_no)).toMatchObject({ status: 'processing' });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'paid', refunded_amount: 0, refund_in_flight: 400 });
    expect(runs.refunded.episode).toBe(0);
    const errors = (await all(h.t.db, 'payment_errors')).map((e) => JSON.stringify(e));
    expect(errors.some((e) => e.includes('40002') && e.includes('msg_signature mismatch'))).toBe(true);
    expect(errors.some((e) => e.includes('990 fen does not match'))).toBe(true);
    // the genuine push is applied once, however often it comes
    for (let i = 0; i < 2; i++) expect(JSON.parse((await h.notify('wxpay-virtual', refundPush(fields))).body).ErrCode).toBe(0);
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'partially_refunded', refunded_amount: 400, refund_in_flight: 0 });
    expect(runs.refunded.episode).toBe(1);
  });

  it('never over-refunds: beyond the paid amount here, beyond what WeChat says is left, or a refund number WeChat would refuse', async () => {
    await start();
    const paid = await paidOrder(h, 'r5');
    await expect(refund(paid.out_trade_no, 991)).rejects.toMatchObject({ code: 40001 });
    await expect(refund(paid.out_trade_no, 10, { out_refund_no: 'R'.repeat(33) })).rejects.toMatchObject({ code: 40001 });
    expect(await all(h.t.db, 'refund_records')).toHaveLength(0);
    // a person refunded 500 in WeChat's console: our books still say 990, WeChat's left_fee says 490
    expect(h.sandbox.control.platformRefund('wxpay-virtual', paid.out_trade_no, 500)).toMatchObject({ ok: true });
    await expect(refund(paid.out_trade_no, 600)).rejects.toMatchObject({ code: 40001, message: expect.stringContaining('490 fen WeChat says is left') });
    expect(await orderOf(h, paid.out_trade_no)).toMatchObject({ status: 'paid', refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 990 });
    expect(h.sandbox.control.order('wxpay-virtual', paid.out_trade_no)?.refunded).toBe(500);
    // within both: taken, and the two refunds together stay at what was paid
    await refund(paid.out_trade_no, 490);
    await expect(refund(paid.out_trade_no, 1)).rejects.toMatchObject({ code: 40001 });
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(h.sandbox.control.order('wxpay-virtual', paid.out_trade_no)?.refunded).toBe(990);
  });

  it('money paid after close is refunded automatically through refund_order, and a lost push of it repaired', async () => {
    await start({ sync: { autoRefundPaidAfterClose: true } });
    const { loggedIn, opened } = await import('../support/virtual-payment');
    const { openid } = await loggedIn(h, 'r6');
    const created = await opened(h, 'r6', openid, 'episode', 'ep01');
    h.sandbox.control.setFaults('wxpay-virtual', { unreachable: true });
    h.sandbox.control.pay('wxpay-virtual', created.out_trade_no);
    await transitionOrder(h.core.ctx, { out_trade_no: created.out_trade_no, event: 'close', source: 'test', set: { closed_at: Date.now() } });
    await timerNow(h);
    const [auto] = (await all(h.t.db, 'refund_records')).filter((r) => r.out_trade_no === created.out_trade_no);
    expect(auto).toMatchObject({ out_refund_no: `${created.out_trade_no}-pac`, amount: 990 });
    await refundPushRaised(h, created.out_trade_no);
    await timerNow(h);
    expect(await refundOf(h, auto.out_refund_no)).toMatchObject({ status: 'success' });
    expect(await orderOf(h, created.out_trade_no)).toMatchObject({ status: 'refunded', paid_after_close: true, refunded_amount: 990 });
  });
});
