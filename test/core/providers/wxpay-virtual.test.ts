import { describe, expect, it } from 'vitest';
import { ParamError, SignatureError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createWxpayVirtualProvider, type WxpayVirtualConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import type { SeenRequest } from './gateway-fixture';
import { APPID, hmac, NOW, PROD_KEY, SANDBOX_KEY, SESSION_KEY, signedPush, useVirtualGateway, virtualConfig } from './wxpay-virtual-fixture';

const gw = useVirtualGateway();
const http = createFetchHttpClient();
let clock = NOW;
const config = (over: Partial<WxpayVirtualConfig> = {}): WxpayVirtualConfig => virtualConfig(gw(), over);
const provider = (over: Partial<WxpayVirtualConfig> = {}) => createWxpayVirtualProvider(config(over), { http, budgetMs: 3000, timeoutMs: 1000, now: () => clock });
const order = (extra: object = {}) => ({
  out_trade_no: 'VK2026120200000001', amount: 990, subject: 'episode 1', pay_type: 'mp', openid: 'oUser000001',
  notify_url: 'https://example.com/http/vk-pay-notify/wxpay-virtual', expires_at: NOW + 3600_000,
  catalog_item: { amount: 990, subject: 'episode 1', wxVirtualProductId: 'ep01' }, session_key: SESSION_KEY, ...extra,
});

describe('createOrder', () => {
  it('goods: signData from the catalog and config, paySig with the sandbox AppKey for env 1, signature with the session key', async () => {
    const { payment } = await provider().createOrder(order());
    expect(payment).toMatchObject({ kind: 'virtualPayment', mode: 'short_series_goods' });
    if (payment.kind !== 'virtualPayment') throw new Error('kind');
    expect(JSON.parse(payment.signData)).toEqual({ offerId: '1450000001', buyQuantity: 1, env: 1, currencyType: 'CNY', productId: 'ep01', goodsPrice: 990, outTradeNo: 'VK2026120200000001', attach: 'VK2026120200000001' });
    expect(payment.paySig).toBe(hmac(SANDBOX_KEY, `requestVirtualPayment&${payment.signData}`));
    expect(payment.signature).toBe(hmac(SESSION_KEY, payment.signData));
    expect(JSON.stringify(payment)).not.toContain(SESSION_KEY);
    expect(gw().seen).toHaveLength(0); // no gateway call: the client opens the payment
  });
  it('env 0 signs with the production AppKey only', async () => {
    const { payment } = await provider({ env: 0 }).createOrder(order());
    if (payment.kind !== 'virtualPayment') throw new Error('kind');
    expect(JSON.parse(payment.signData).env).toBe(0);
    expect(payment.paySig).toBe(hmac(PROD_KEY, `requestVirtualPayment&${payment.signData}`));
    expect(() => provider({ env: 0, appKey: undefined })).toThrow(/appKey/);
  });
  it('coins: quantity from the item, amount must be coins x coinPrice', async () => {
    const item = { amount: 600, subject: '60 coins', wxVirtualCoins: 60 };
    const { payment } = await provider().createOrder(order({ amount: 600, catalog_item: item }));
    if (payment.kind !== 'virtualPayment') throw new Error('kind');
    expect(payment.mode).toBe('short_series_coin');
    expect(JSON.parse(payment.signData)).toMatchObject({ buyQuantity: 60 });
    expect(JSON.parse(payment.signData).productId).toBeUndefined();
    await expect(provider().createOrder(order({ amount: 500, catalog_item: { ...item, amount: 500 } }))).rejects.toThrow(/cost 600 fen/);
  });
  it('refuses an order without a session key, without a virtual item, or outside mini programs', async () => {
    await expect(provider().createOrder(order({ session_key: undefined }))).rejects.toThrow(ParamError);
    await expect(provider().createOrder(order({ catalog_item: { amount: 990, subject: 'x' } }))).rejects.toThrow(/wxVirtualProductId/);
    await expect(provider().createOrder(order({ pay_type: 'jsapi' }))).rejects.toThrow(/mini programs/);
  });
});

/** The fixture as WeChat: stable_token, and query_order checking access_token and pay_sig over the raw body. */
function wechat(orderDoc: Record<string, unknown> | null, opts: { tokens?: string[]; current?: string; refuseTokens?: boolean } = {}) {
  const tokens = [...(opts.tokens ?? ['TOKEN-1'])];
  let current = opts.current ?? '';
  return (req: SeenRequest) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.endsWith('/cgi-bin/stable_token')) {
      current = tokens.shift() ?? current;
      return { status: 200, body: JSON.stringify({ access_token: current, expires_in: 7200 }) };
    }
    if (opts.refuseTokens || url.searchParams.get('access_token') !== current) return { status: 200, body: JSON.stringify({ errcode: 42001, errmsg: 'access_token expired' }) };
    const uri = url.pathname.replace('/sandbox/wxapi', '');
    if (url.searchParams.get('pay_sig') !== hmac(SANDBOX_KEY, `${uri}&${req.body}`)) return { status: 200, body: JSON.stringify({ errcode: 90011, errmsg: 'pay_sig error' }) };
    if (!orderDoc) return { status: 200, body: JSON.stringify({ errcode: 268490002, errmsg: '数据不存在 rid: 1' }) };
    return { status: 200, body: JSON.stringify({ errcode: 0, errmsg: 'ok', order: orderDoc }) };
  };
}

describe('queryOrder and the access_token', () => {
  const paid = { order_id: 'VK2026120200000001', status: 2, order_fee: 990, paid_fee: 990, paid_time: 1764676800, wx_order_id: 'wxo1', wxpay_order_id: '4200001' };
  it('maps a paid order, signing pay_sig over the exact body with the env AppKey', async () => {
    gw().handle(wechat(paid));
    const q = await provider().queryOrder('VK2026120200000001', { openid: 'oUser000001' });
    expect(q).toMatchObject({ state: 'paid', amount: 990, transaction_id: '4200001', paid_at: 1764676800_000 });
    const call = gw().seen.find((r) => r.url.includes('/xpay/query_order'))!;
    expect(JSON.parse(call.body)).toEqual({ openid: 'oUser000001', env: 1, order_id: 'VK2026120200000001' });
  });
  it('an unpaid order is pending, an unknown one not_found', async () => {
    gw().handle(wechat({ ...paid, status: 1, paid_fee: 0, paid_time: 0 }));
    expect((await provider().queryOrder('VK2026120200000001', { openid: 'o1' })).state).toBe('pending');
    gw().handle(wechat(null));
    expect((await provider().queryOrder('VK2026120200000001', { openid: 'o1' })).state).toBe('not_found');
  });
  it('caches the token, and fetches a new one once when WeChat says it expired', async () => {
    gw().handle(wechat(paid, { tokens: ['T1', 'T2'] }));
    const p = provider();
    await p.queryOrder('VK2026120200000001', { openid: 'o1' });
    await p.queryOrder('VK2026120200000001', { openid: 'o1' });
    expect(gw().seen.filter((r) => r.url.includes('stable_token'))).toHaveLength(1);
    // WeChat no longer takes T1 (it was replaced): the call is refused, the token fetched again, the call made once more
    gw().seen.length = 0;
    gw().handle(wechat(paid, { tokens: ['T2'], current: 'T2' }));
    expect((await p.queryOrder('VK2026120200000001', { openid: 'o1' })).state).toBe('paid');
    expect(gw().seen.map((r) => new URL(r.url, 'http://x').pathname.split('/').pop())).toEqual(['query_order', 'stable_token', 'query_order']);
    // a token refused twice is an error, not a loop
    gw().seen.length = 0;
    gw().handle(wechat(paid, { tokens: ['T3'], refuseTokens: true }));
    await expect(p.queryOrder('VK2026120200000001', { openid: 'o1' })).rejects.toMatchObject({ code: 40003 });
    expect(gw().seen).toHaveLength(3);
  });
  it('renews the token shortly before it expires', async () => {
    gw().handle(wechat(paid, { tokens: ['A', 'B'] }));
    const p = provider();
    await p.queryOrder('VK2026120200000001', { openid: 'o1' });
    clock = NOW + 7200_000 - 60_000;
    await p.queryOrder('VK2026120200000001', { openid: 'o1' });
    clock = NOW;
    expect(gw().seen.filter((r) => r.url.includes('stable_token'))).toHaveLength(2);
  });
  it('a query without the payer is refused before any call', async () => {
    await expect(provider().queryOrder('VK2026120200000001')).rejects.toThrow(ParamError);
    expect(gw().seen).toHaveLength(0);
  });
  it('close: nothing to close at WeChat unless it is paid', async () => {
    gw().handle(wechat({ ...paid, paid_fee: 0, paid_time: 0 }));
    await expect(provider().closeOrder('VK2026120200000001', { openid: 'o1' })).resolves.toBeUndefined();
    gw().handle(wechat(paid));
    await expect(provider().closeOrder('VK2026120200000001', { openid: 'o1' })).rejects.toMatchObject({ code: 40006 });
  });
});

describe('verifyNotification', () => {
  const goods = (over: Record<string, unknown> = {}) => JSON.stringify({
    ToUserName: 'gh_000000000001', FromUserName: 'o_wechat', CreateTime: NOW / 1000, MsgType: 'event', Event: 'xpay_goods_deliver_notify',
    OpenId: 'oUser000001', OutTradeNo: 'VK2026120200000001', Env: 1,
    WeChatPayInfo: { MchOrderNo: 'M1', TransactionId: '4200001', PaidTime: NOW / 1000 },
    GoodsInfo: { ProductId: 'ep01', Quantity: 1, OrigPrice: 990, ActualPrice: 990, Attach: 'VK2026120200000001' }, ...over,
  });
  const push = signedPush;
  it('a genuine goods delivery is paid with the actual price', async () => {
    const o = await provider().verifyNotification(push(goods()));
    expect(o).toMatchObject({ kind: 'paid', out_trade_no: 'VK2026120200000001', transaction_id: '4200001', amount: 990, event_id: 'xpay_goods_deliver_notify:VK2026120200000001', merchant: { app_id: APPID } });
  });
  it('a coin payment is paid too', async () => {
    const msg = goods({ Event: 'xpay_coin_pay_notify', GoodsInfo: undefined, CoinInfo: { Quantity: 60, OrigPrice: 600, ActualPrice: 600, Attach: '' } });
    expect(await provider().verifyNotification(push(msg))).toMatchObject({ kind: 'paid', amount: 600 });
  });
  it('forged, replayed and foreign pushes are SignatureErrors; a push for the other environment is refused', async () => {
    await expect(provider().verifyNotification(push(goods(), { token: 'wrongToken' }))).rejects.toThrow(SignatureError);
    await expect(provider().verifyNotification(push(goods(), { ts: NOW - 600_000 }))).rejects.toThrow(/window/);
    await expect(provider().verifyNotification(push(goods(), { appId: 'wx9999999999999999' }))).rejects.toThrow(SignatureError);
    await expect(provider().verifyNotification({ headers: {}, rawBody: 'not json', query: {} })).rejects.toThrow(SignatureError);
    await expect(provider().verifyNotification(push(goods({ Env: 0 })))).rejects.toThrow(/env/);
  });
  it('answers {ErrCode: 0, ErrMsg: "success"} so WeChat stops, anything else so it retries', () => {
    expect(JSON.parse(provider().notifyReply(true).body)).toEqual({ ErrCode: 0, ErrMsg: 'success' });
    expect(JSON.parse(provider().notifyReply(false).body).ErrCode).not.toBe(0);
  });
});
