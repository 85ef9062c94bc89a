/**
 * Alipay's refund notification says `refund_fee` = the order's TOTAL refunded so far, not the refund it is about.
 * The core must learn that refund's own amount (fastpay.refund.query answers it per out_request_no) before it
 * applies or adopts anything - otherwise a second partial refund notified while its record is still processing
 * is refused as a mismatch on every redelivery, and a refund made in the merchant platform is adopted with the
 * cumulative figure. Everything below goes over HTTP through the real sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import type { HttpClient, HttpRequest, HttpResponse } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { countingHooks } from '../support/hooks';
import { waitFor } from '../../support/wait';

let h: Harness;
afterEach(async () => { await h?.close(); });

async function paidOrder(provider: 'wxpay' | 'alipay', amount: number, uid: string) {
  const { out_trade_no } = await h.call('createPayment', { provider, pay_type: provider === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount }, { uid });
  expect(h.sandbox.control.pay(provider, out_trade_no).ok).toBe(true);
  expect(await h.sandbox.control.settled(10_000)).toBe(true);
  return out_trade_no;
}

const orderOf = async (out_trade_no: string) => (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no)!;
const refundNotices = (out_refund_no: string) => h.received.filter((r) => r.channel === 'alipay' && new URLSearchParams(r.req.rawBody).get('out_biz_no') === out_refund_no);

describe('Alipay refund notifications carry the cumulative refund_fee', () => {
  it('a second partial refund notified while its record is processing is applied once, with its own amount', async () => {
    const hooks = countingHooks();
    // The refund call's answer is held back until the sandbox's notification of that refund has been handled:
    // the notification is then applied while our record is still `processing`, as when the answer is slow.
    let holdRefundAnswer: ((req: HttpRequest, res: HttpResponse) => Promise<void>) | undefined;
    const fetchClient = createFetchHttpClient();
    const http: HttpClient = async (req) => {
      const res = await fetchClient(req);
      if (holdRefundAnswer && new URL(req.url).searchParams.get('method') === 'alipay.trade.refund') await holdRefundAnswer(req, res);
      return res;
    };
    h = await startHarness({ deps: { http, hooks: { modules: hooks.modules } } });
    const out_trade_no = await paidOrder('alipay', 1000, 'cumulative');

    const first = await h.call('refund', { out_trade_no, amount: 300, out_refund_no: `${out_trade_no}RA` }, { admin: true });
    expect(first.status).toBe('success');
    expect(await h.sandbox.control.settled(10_000)).toBe(true);

    const second = `${out_trade_no}RB`;
    let statusWhileHeld: string | undefined;
    holdRefundAnswer = async () => {
      await waitFor(() => refundNotices(second).length > 0);
      statusWhileHeld = (await all(h.t.db, 'refund_records')).find((r) => r.out_refund_no === second)?.status;
    };
    const view = await h.call('refund', { out_trade_no, amount: 200, out_refund_no: second }, { admin: true });
    holdRefundAnswer = undefined;
    expect(await h.sandbox.control.settled(10_000)).toBe(true);

    // the sandbox speaks the real protocol: refund_fee is 3.00 + 2.00
    const [notice] = refundNotices(second);
    expect(new URLSearchParams(notice.req.rawBody).get('refund_fee')).toBe('5.00');
    // the first delivery was accepted, and it was the notification that settled the refund
    expect(notice.status).toBe(200);
    expect(statusWhileHeld).toBe('success');
    expect(view).toMatchObject({ status: 'success', amount: 200, refunded_amount: 500 });

    const records = await all(h.t.db, 'refund_records');
    expect(records.map((r) => [r.out_refund_no, r.amount, r.status]).sort()).toEqual([[`${out_trade_no}RA`, 300, 'success'], [second, 200, 'success']]);
    expect(await orderOf(out_trade_no)).toMatchObject({ status: 'partially_refunded', refunded_amount: 500, refund_in_flight: 0, refundable_remaining: 500 });
    // each refund moved its record to success once (the record is the refund's transaction; no separate row)
    expect(records.map((r) => r.history.filter((e: { to: string }) => e.to === 'success').length)).toEqual([1, 1]);
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'refund_mismatch')).toHaveLength(0);
    expect((await all(h.t.db, 'payment_errors')).filter((e) => e.action === 'notify')).toHaveLength(0);
    expect(hooks.refundedRuns).toBe(2);
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 500 }]);
    console.log(`[figures] alipay second partial refund notified while processing: first delivery status=${notice.status} refunded_amount=500 refund transactions=2 onRefunded runs=${hooks.refundedRuns}`);
  });
});

describe('a refund made only at the provider, after an earlier partial refund', () => {
  it.each(['wxpay', 'alipay'] as const)('%s: adopted with its own amount, not the total refunded so far', async (provider) => {
    h = await startHarness();
    const out_trade_no = await paidOrder(provider, 1000, `console-${provider}`);
    const ours = await h.call('refund', { out_trade_no, amount: 300 }, { admin: true });
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    await h.call('queryRefund', { out_refund_no: ours.out_refund_no }, { admin: true });
    expect(await orderOf(out_trade_no)).toMatchObject({ refunded_amount: 300 });

    // The merchant refunds 200 more in the provider's console: a direct gateway call vk-pay never saw.
    const consoleNo = `CONSOLE${Date.now()}`;
    await h.core.ctx.provider(provider).refund({ out_trade_no, out_refund_no: consoleNo, refund_amount: 200, total_amount: 1000, notify_url: `${h.base}/http/vk-pay-notify/${provider}` });
    await waitFor(async () => (await all(h.t.db, 'refund_records')).some((r) => r.out_refund_no === consoleNo && r.status === 'success'));
    expect(await h.sandbox.control.settled(10_000)).toBe(true);

    const adopted = (await all(h.t.db, 'refund_records')).find((r) => r.out_refund_no === consoleNo)!;
    expect(adopted).toMatchObject({ source: 'provider', status: 'success', amount: 200 });
    expect(await orderOf(out_trade_no)).toMatchObject({ status: 'partially_refunded', refunded_amount: 500, refund_in_flight: 0, refundable_remaining: 500 });
    expect(h.sandbox.control.order(provider, out_trade_no)!.refunded).toBe(500);
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'refund_mismatch')).toHaveLength(0);
    // what is left (500) is all that can still be refunded
    await expect(h.call('refund', { out_trade_no, amount: 501 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
  });
});
