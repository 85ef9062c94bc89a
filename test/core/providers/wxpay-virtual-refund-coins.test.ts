/**
 * The virtual payment provider's refunds (refund.ts), coin calls (coins.ts) and refund push (notify.ts) against a
 * fixture playing WeChat: the exact bodies and signatures sent, how each answer and errcode is read.
 */
import { describe, expect, it } from 'vitest';
import { ParamError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createWxpayVirtualProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import type { SeenRequest } from './gateway-fixture';
import { APPID, hmac, NOW, SANDBOX_KEY, SESSION_KEY, signedPush, useVirtualGateway, virtualConfig } from './wxpay-virtual-fixture';

const gw = useVirtualGateway();
const provider = () => createWxpayVirtualProvider(virtualConfig(gw()), { http: createFetchHttpClient(), budgetMs: 3000, timeoutMs: 1000, now: () => NOW });

/** WeChat: a token, pay_sig checked over the raw body, then `answers[api]` (an object, or a function of the body). */
function wechat(answers: Record<string, Record<string, unknown> | ((body: Record<string, unknown>) => Record<string, unknown>)>) {
  return (req: SeenRequest) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.endsWith('/cgi-bin/stable_token')) return { status: 200, body: JSON.stringify({ access_token: 'T', expires_in: 7200 }) };
    const uri = url.pathname.replace('/sandbox/wxapi', '');
    if (url.searchParams.get('pay_sig') !== hmac(SANDBOX_KEY, `${uri}&${req.body}`)) return { status: 200, body: JSON.stringify({ errcode: 90011, errmsg: 'pay_sig' }) };
    const a = answers[uri.replace('/xpay/', '')];
    const doc = typeof a === 'function' ? a(JSON.parse(req.body)) : a;
    return { status: 200, body: JSON.stringify(doc ?? { errcode: 40066, errmsg: 'invalid url' }) };
  };
}
const calls = (api: string) => gw().seen.filter((r) => r.url.includes(`/xpay/${api}`));
const refundInput = (over: object = {}) => ({ out_trade_no: 'VK2026120200000001', out_refund_no: 'RF20261202000001', refund_amount: 300, total_amount: 990, reason: 'asked', openid: 'oUser1', ...over });
const payment = { order_id: 'VK2026120200000001', order_type: 0, status: 4, paid_fee: 990, paid_time: 1764676800, left_fee: 990 };
/** query_order: the payment by its number; our refund number unknown (no task started yet) unless `refundOrder`. */
const queryOrder = (pay: Record<string, unknown>, refundOrder?: Record<string, unknown>) => (body: Record<string, unknown>) =>
  body.order_id === pay.order_id ? { errcode: 0, order: pay } : refundOrder ? { errcode: 0, order: refundOrder } : { errcode: 268490002, errmsg: '数据不存在' };

describe('refund (refund_order)', () => {
  it('reads left_fee first, then starts the task with our refund number: processing, WeChat\'s refund id', async () => {
    gw().handle(wechat({ query_order: queryOrder(payment), refund_order: { errcode: 0, errmsg: 'ok', refund_order_id: 'RF20261202000001', refund_wx_order_id: 'wxr9', pay_order_id: 'VK2026120200000001' } }));
    const r = await provider().refund(refundInput());
    expect(r).toEqual({ state: 'processing', out_refund_no: 'RF20261202000001', out_trade_no: 'VK2026120200000001', refund_id: 'wxr9', amount: 300, provider_state: 'refund task started' });
    // first our refund number (no task yet), then the payment's left_fee
    expect(calls('query_order').map((c) => JSON.parse(c.body))).toEqual([{ openid: 'oUser1', env: 1, order_id: 'RF20261202000001' }, { openid: 'oUser1', env: 1, order_id: 'VK2026120200000001' }]);
    expect(JSON.parse(calls('refund_order')[0].body)).toEqual({
      openid: 'oUser1', order_id: 'VK2026120200000001', refund_order_id: 'RF20261202000001', left_fee: 990, refund_fee: 300,
      biz_meta: 'asked', refund_reason: '0', req_from: '1', env: 1,
    });
    expect(new URL(calls('refund_order')[0].url, 'http://x').searchParams.get('signature')).toBeNull();
  });
  it('refuses before WeChat is asked: no payer, a refund number WeChat refuses, more than WeChat says is left', async () => {
    gw().handle(wechat({ query_order: queryOrder({ ...payment, left_fee: 200 }) }));
    await expect(provider().refund(refundInput({ openid: undefined }))).rejects.toThrow(ParamError);
    await expect(provider().refund(refundInput({ out_refund_no: 'R'.repeat(33) }))).rejects.toThrow(ParamError);
    await expect(provider().refund(refundInput({ out_refund_no: 'RF2026|1202' }))).rejects.toThrow(ParamError);
    expect(gw().seen).toHaveLength(0);
    await expect(provider().refund(refundInput())).rejects.toThrow(/200 fen WeChat says is left/);
    expect(calls('refund_order')).toHaveLength(0);
  });
  it('WeChat\'s refusals: left_fee differs is a definite 40001, a refund in progress a retryable 40010', async () => {
    gw().handle(wechat({ query_order: queryOrder(payment), refund_order: { errcode: 268490016, errmsg: 'left_fee' } }));
    await expect(provider().refund(refundInput())).rejects.toMatchObject({ code: 40001, providerCode: '268490016' });
    gw().handle(wechat({ query_order: queryOrder(payment), refund_order: { errcode: 268490014, errmsg: 'in progress' } }));
    await expect(provider().refund(refundInput())).rejects.toMatchObject({ code: 40010, providerCode: '268490014' });
  });
  it('a retry whose first call started the task answers that task, even when WeChat\'s left_fee is already lower', async () => {
    const task = { order_id: 'RF20261202000001', order_type: 1, status: 1, refund_fee: 990, wx_order_id: 'wxr9' };
    gw().handle(wechat({ query_order: queryOrder({ ...payment, left_fee: 0 }, task) }));
    expect(await provider().refund(refundInput({ refund_amount: 990 }))).toMatchObject({ state: 'processing', refund_id: 'wxr9' });
    gw().handle(wechat({ query_order: queryOrder({ ...payment, left_fee: 0 }, { ...task, status: 8, paid_time: 1764677000 }) }));
    expect(await provider().refund(refundInput({ refund_amount: 990 }))).toMatchObject({ state: 'success', amount: 990, success_at: 1764677000_000 });
    expect(calls('refund_order')).toHaveLength(0);
  });
});

describe('queryRefund (query_order on the refund order)', () => {
  const refundOrder = (status: number, over: object = {}) => ({ errcode: 0, order: { order_id: 'RF20261202000001', order_type: 1, status, refund_fee: 300, paid_time: 1764677000, wx_order_id: 'wxr9', ...over } });
  const q = () => provider().queryRefund('RF20261202000001', 'VK2026120200000001', { openid: 'oUser1' });
  it('5 and 8 succeeded with refund_fee and the refund time, 7 failed, anything else processing', async () => {
    for (const [status, state] of [[5, 'success'], [8, 'success'], [7, 'failed'], [0, 'processing'], [1, 'processing'], [3, 'processing'], [42, 'processing']] as const) {
      gw().handle(wechat({ query_order: refundOrder(status) }));
      expect((await q()).state, `status ${status}`).toBe(state);
    }
    gw().handle(wechat({ query_order: refundOrder(8) }));
    expect(await q()).toMatchObject({ amount: 300, success_at: 1764677000_000, refund_id: 'wxr9', provider_state: 'status 8' });
    expect(JSON.parse(gw().seen.at(-1)!.body)).toEqual({ openid: 'oUser1', env: 1, order_id: 'RF20261202000001' });
  });
  it('never reads a payment as a refund, nor a final answer without its amount; needs the payer', async () => {
    gw().handle(wechat({ query_order: refundOrder(5, { order_type: 0 }) }));
    await expect(q()).rejects.toMatchObject({ code: 40001 });
    gw().handle(wechat({ query_order: refundOrder(8, { refund_fee: undefined }) }));
    await expect(q()).rejects.toMatchObject({ code: 40010 });
    gw().handle(wechat({ query_order: { errcode: 268490002, errmsg: '数据不存在' } }));
    await expect(q()).rejects.toMatchObject({ code: 40005 });
    await expect(provider().queryRefund('RF20261202000001', 'VK2026120200000001')).rejects.toThrow(ParamError);
  });
});

describe('coins', () => {
  const user = { openid: 'oUser1', session_key: SESSION_KEY, user_ip: '10.0.0.8' };
  it('balance: pay_sig and the user-state signature over the same body', async () => {
    gw().handle(wechat({ query_user_balance: { errcode: 0, balance: 60, present_balance: 0, sum_save: 60, sum_present: 0, sum_balance: 60, sum_cost: 0, first_save_flag: 0 } }));
    expect(await provider().coinBalance!(user)).toEqual({ balance: 60, present_balance: 0, sum_save: 60, sum_present: 0, sum_balance: 60, sum_cost: 0, first_save_flag: false });
    const call = calls('query_user_balance')[0];
    expect(JSON.parse(call.body)).toEqual({ openid: 'oUser1', env: 1, user_ip: '10.0.0.8' });
    expect(new URL(call.url, 'http://x').searchParams.get('signature')).toBe(hmac(SESSION_KEY, call.body));
    expect(call.url).not.toContain(encodeURIComponent(SESSION_KEY));
  });
  it('currency_pay: the order, 268490004 read as done before, 268490006 as 40007, 268490009 as 40009', async () => {
    const pay = { ...user, order_id: 'SPEND0000001', amount: 25, payitem: '[]', remark: '' };
    gw().handle(wechat({ currency_pay: { errcode: 0, order_id: 'SPEND0000001', balance: 35, used_present_amount: 0 } }));
    expect(await provider().payWithCoins!(pay)).toEqual({ order_id: 'SPEND0000001', balance: 35, used_present_amount: 0, repeated: false });
    expect(JSON.parse(calls('currency_pay')[0].body)).toEqual({ openid: 'oUser1', env: 1, user_ip: '10.0.0.8', amount: 25, order_id: 'SPEND0000001', payitem: '[]', remark: '' });
    gw().handle(wechat({ currency_pay: { errcode: 268490004, errmsg: '重复操作' } }));
    expect(await provider().payWithCoins!(pay)).toEqual({ order_id: 'SPEND0000001', repeated: true });
    gw().handle(wechat({ currency_pay: { errcode: 268490006, errmsg: '金额不足' } }));
    await expect(provider().payWithCoins!(pay)).rejects.toMatchObject({ code: 40007 });
    gw().handle(wechat({ currency_pay: { errcode: 268490009, errmsg: 'session_key' } }));
    await expect(provider().payWithCoins!(pay)).rejects.toMatchObject({ code: 40009 });
    const before = gw().seen.length;
    await expect(provider().payWithCoins!({ ...pay, amount: 0 })).rejects.toThrow(ParamError);
    await expect(provider().payWithCoins!({ ...pay, user_ip: 'x' })).rejects.toThrow(ParamError);
    expect(gw().seen).toHaveLength(before);
  });
});

describe('xpay_refund_notify', () => {
  const push = (fields: Record<string, unknown>) =>
    signedPush(JSON.stringify({ ToUserName: 'gh_1', CreateTime: NOW / 1000, MsgType: 'event', Event: 'xpay_refund_notify', ...fields }), { nonce: '5' });
  const fields = { OpenId: 'oUser1', WxRefundId: 'wxr9', MchRefundId: 'RF20261202000001', WxOrderId: 'wxo1', MchOrderId: 'VK2026120200000001', RefundFee: 300, RetCode: 0, RetMsg: 'ok', RefundSuccTimestamp: 1764677000 };
  it('RetCode 0 is a succeeded refund of RefundFee; anything else a failed one', async () => {
    expect(await provider().verifyNotification(push(fields))).toMatchObject({
      kind: 'refund_succeeded', event_id: 'xpay_refund_notify:RF20261202000001:ok', out_refund_no: 'RF20261202000001', out_trade_no: 'VK2026120200000001',
      refund_id: 'wxr9', amount: 300, success_at: 1764677000_000, merchant: { app_id: APPID },
    });
    expect(await provider().verifyNotification(push({ ...fields, RetCode: 3, RefundSuccTimestamp: 0 }))).toMatchObject({ kind: 'refund_failed', event_id: 'xpay_refund_notify:RF20261202000001:fail', success_at: undefined });
    expect(await provider().verifyNotification(push({ ...fields, RetCode: 3, RefundFee: undefined }))).toMatchObject({ kind: 'refund_failed', amount: undefined });
  });
  it('a genuine push that does not read is refused for good (ParamError)', async () => {
    for (const bad of [{ MchRefundId: '' }, { MchOrderId: undefined }, { RetCode: '0' }, { RefundFee: -1 }, { RefundFee: 0 }, { RefundFee: undefined }]) {
      await expect(provider().verifyNotification(push({ ...fields, ...bad })), JSON.stringify(bad)).rejects.toThrow(ParamError);
    }
  });
});
