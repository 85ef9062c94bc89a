import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { KeyConfigError, SignatureError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { alipayConfigFromCredentials, createAlipayProvider, createProvider, ProviderError, type AlipayConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { verifyAlipayParams } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { deadPort, rsaPair, startFixture, type Fixture } from './gateway-fixture';
import { alipayKeys, answer, APP_ID, appKeys, biz, notifyBody, paramsOf, requestVerifies, SELLER_ID } from './alipay-fixture';

let gw: Fixture;
beforeAll(async () => { gw = await startFixture(); });
afterAll(async () => { await gw.close(); });
beforeEach(() => { gw.seen.length = 0; });

const http = createFetchHttpClient();
const config = (over: Partial<AlipayConfig> = {}): AlipayConfig => ({
  appId: APP_ID, sellerId: SELLER_ID, appPrivateKeyPem: appKeys.privateKeyPem, alipayPublicKeyPem: alipayKeys.publicKeyPem,
  gatewayUrl: `${gw.origin}/sandbox/alipay/gateway.do`, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...over,
});
const provider = (over: Partial<AlipayConfig> = {}) => createAlipayProvider(config(over), { http, budgetMs: 3000, timeoutMs: 1000 });
const order = (pay_type: string, extra: object = {}) => ({
  out_trade_no: 'VK20260101000002', amount: 8888, subject: '会员 88.88', pay_type: pay_type as any,
  notify_url: 'https://example.com/http/vk-pay-notify/alipay', expires_at: Date.UTC(2026, 0, 1, 4, 0, 0), ...extra,
});
const verified = (method: string, json: object | string) => (req: any) =>
  requestVerifies(req) && paramsOf(req).method === method ? answer(method, typeof json === 'string' ? json : JSON.stringify(json)) : answer(method, '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"bad"}');

describe('alipay orders', () => {
  it('qr: trade.precreate signed (common params in the URL, biz_content in the form), yuan exact', async () => {
    // raw text with escaped slashes, as Alipay sends it: the sign covers these bytes
    gw.handle(verified('alipay.trade.precreate', '{"code":"10000","msg":"Success","out_trade_no":"VK20260101000002","qr_code":"https:\\/\\/qr.alipay.com\\/bax01"}'));
    const { payment } = await provider().createOrder(order('qr'));
    expect(payment).toEqual({ kind: 'code_url', code_url: 'https://qr.alipay.com/bax01' });
    const seen = gw.seen[0];
    expect(seen.url.startsWith('/sandbox/alipay/gateway.do?')).toBe(true);
    const q = new URL(seen.url, 'http://x').searchParams;
    expect(q.get('method')).toBe('alipay.trade.precreate');
    expect(q.get('sign')).toBeTruthy();
    expect(q.get('notify_url')).toBe('https://example.com/http/vk-pay-notify/alipay');
    expect(new URLSearchParams(seen.body).has('biz_content')).toBe(true);
    expect(biz(seen)).toMatchObject({ out_trade_no: 'VK20260101000002', total_amount: '88.88', subject: '会员 88.88', time_expire: '2026-01-01 12:00:00' });
  });

  it('mp: trade.create with buyer_id (2088...) or buyer_open_id, returns trade_no', async () => {
    gw.handle(verified('alipay.trade.create', { code: '10000', msg: 'Success', out_trade_no: 'VK20260101000002', trade_no: '2026010122001400000000000001' }));
    expect((await provider().createOrder(order('mp', { openid: '2088102534368455' }))).payment).toEqual({ kind: 'trade_no', trade_no: '2026010122001400000000000001' });
    expect(biz(gw.seen[0])).toMatchObject({ buyer_id: '2088102534368455', product_code: 'JSAPI_PAY' });
    await provider().createOrder(order('mp', { openid: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5' }));
    expect(biz(gw.seen[1]).buyer_open_id).toBe('074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5');
    await expect(provider().createOrder(order('mp'))).rejects.toMatchObject({ code: 40001 });
  });

  it('app: a signed order string the gateway accepts; wap/page: signed GET URLs', async () => {
    const { payment } = await provider().createOrder(order('app'));
    if (payment.kind !== 'order_string') throw new Error('expected order_string');
    const params = Object.fromEntries(new URLSearchParams(payment.order_string));
    expect(params.method).toBe('alipay.trade.app.pay');
    expect(verifyAlipayParams(params, appKeys.publicKeyPem)).toBe(true);
    expect(JSON.parse(params.biz_content)).toMatchObject({ total_amount: '88.88', product_code: 'QUICK_MSECURITY_PAY' });
    for (const [t, method, code] of [['wap', 'alipay.trade.wap.pay', 'QUICK_WAP_WAY'], ['page', 'alipay.trade.page.pay', 'FAST_INSTANT_TRADE_PAY']]) {
      const r = await provider().createOrder(order(t, { return_url: 'https://shop.example.com/done' }));
      if (r.payment.kind !== 'page_url') throw new Error('expected page_url');
      const u = new URL(r.payment.page_url);
      expect(`${u.origin}${u.pathname}`).toBe(`${gw.origin}/sandbox/alipay/gateway.do`);
      const p = Object.fromEntries(u.searchParams);
      expect(p.method).toBe(method);
      expect(p.return_url).toBe('https://shop.example.com/done');
      expect(verifyAlipayParams(p, appKeys.publicKeyPem)).toBe(true);
      expect(JSON.parse(p.biz_content).product_code).toBe(code);
    }
    expect(gw.seen).toHaveLength(0);
  });
});

describe('alipay query, close, refund', () => {
  it('trade.query: TRADE_SUCCESS -> paid with fen; ACQ.TRADE_NOT_EXIST -> not_found', async () => {
    gw.handle((req) => biz(req).out_trade_no === 'NOPE000001'
      ? answer('alipay.trade.query', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}')
      : verified('alipay.trade.query', { code: '10000', msg: 'Success', trade_no: '2026T1', out_trade_no: 'VK20260101000002', trade_status: 'TRADE_SUCCESS', total_amount: '88.88', send_pay_date: '2026-01-01 12:00:05' })(req));
    expect(await provider().queryOrder('VK20260101000002')).toMatchObject({ state: 'paid', amount: 8888, transaction_id: '2026T1', paid_at: Date.UTC(2026, 0, 1, 4, 0, 5) });
    expect(await provider().queryOrder('NOPE000001')).toMatchObject({ state: 'not_found' });
  });

  it('an unsigned error answer fails the call but is never read as not_found', async () => {
    gw.handle(() => answer('alipay.trade.query', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"x"}', { unsigned: true }));
    await expect(provider().queryOrder('VK20260101000002')).rejects.toMatchObject({ code: 40005, verified: false });
    gw.handle(() => answer('alipay.trade.query', '{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS"}', { unsigned: true }));
    await expect(provider().queryOrder('VK20260101000002')).rejects.toBeInstanceOf(SignatureError);
    const foreign = rsaPair(); // made before the handler: key generation under load must not eat the request timeout
    gw.handle(() => answer('alipay.trade.query', '{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS"}', { key: foreign.privateKeyPem }));
    await expect(provider().queryOrder('VK20260101000002')).rejects.toBeInstanceOf(SignatureError);
  });

  it('close: success; ACQ.TRADE_NOT_EXIST is idempotent; a paid trade -> 40006', async () => {
    gw.handle(verified('alipay.trade.close', { code: '10000', msg: 'Success', out_trade_no: 'VK20260101000002' }));
    await expect(provider().closeOrder('VK20260101000002')).resolves.toBeUndefined();
    gw.handle(() => answer('alipay.trade.close', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"x"}'));
    await expect(provider().closeOrder('VK20260101000002')).resolves.toBeUndefined();
    gw.handle((req) => paramsOf(req).method === 'alipay.trade.close'
      ? answer('alipay.trade.close', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR","sub_msg":"x"}')
      : answer('alipay.trade.query', '{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS","total_amount":"88.88"}'));
    await expect(provider().closeOrder('VK20260101000002')).rejects.toMatchObject({ code: 40006 });
  });

  it('refund: out_request_no = out_refund_no; fund_change Y -> success; N -> refund query decides', async () => {
    gw.handle(verified('alipay.trade.refund', { code: '10000', msg: 'Success', trade_no: '2026T1', out_trade_no: 'VK20260101000002', fund_change: 'Y', refund_fee: '10.00', gmt_refund_pay: '2026-01-01 12:10:00' }));
    const r = await provider().refund({ out_trade_no: 'VK20260101000002', out_refund_no: 'RF20260101000001', refund_amount: 1000, total_amount: 8888, reason: '退款' });
    expect(r).toMatchObject({ state: 'success', amount: 1000, success_at: Date.UTC(2026, 0, 1, 4, 10, 0) });
    expect(biz(gw.seen[0])).toMatchObject({ out_request_no: 'RF20260101000001', refund_amount: '10.00', out_trade_no: 'VK20260101000002' });
    gw.handle((req) => paramsOf(req).method === 'alipay.trade.refund'
      ? answer('alipay.trade.refund', '{"code":"10000","msg":"Success","fund_change":"N","refund_fee":"10.00"}')
      : verified('alipay.trade.fastpay.refund.query', { code: '10000', msg: 'Success', out_request_no: 'RF20260101000001', refund_amount: '10.00', refund_status: 'REFUND_SUCCESS', gmt_refund_pay: '2026-01-01 12:10:00' })(req));
    expect(await provider().refund({ out_trade_no: 'VK20260101000002', out_refund_no: 'RF20260101000001', refund_amount: 1000, total_amount: 8888 })).toMatchObject({ state: 'success', amount: 1000, provider_state: 'REFUND_SUCCESS' });
    expect(biz(gw.seen.at(-1)!)).toMatchObject({ out_request_no: 'RF20260101000001', out_trade_no: 'VK20260101000002' });
  });

  it('refund query: absent refund_status -> processing, never a guess of failure', async () => {
    gw.handle(verified('alipay.trade.fastpay.refund.query', { code: '10000', msg: 'Success' }));
    expect(await provider().queryRefund('RF20260101000009', 'VK20260101000002')).toMatchObject({ state: 'processing', provider_state: 'REFUND_NOT_FOUND' });
  });
});

describe('alipay error mapping and retry', () => {
  const cases: Array<[string, string, number]> = [
    ['40004', 'ACQ.TRADE_NOT_EXIST', 40005], ['40004', 'ACQ.TRADE_HAS_SUCCESS', 40006], ['40004', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', 40007],
    ['40004', 'ACQ.ACCESS_FORBIDDEN', 40009], ['40002', 'isv.invalid-signature', 40002], ['40004', 'ACQ.INVALID_PARAMETER', 40001],
    ['20000', 'aop.ACQ.SYSTEM_ERROR', 40010], ['40004', 'ACQ.SOMETHING_NEW', 50000],
  ];
  it.each(cases)('code %s %s -> %i, sub_code and messages kept', async (code, sub, expected) => {
    gw.handle(() => answer('alipay.trade.refund', JSON.stringify({ code, msg: 'Business Failed', sub_code: sub, sub_msg: `sub-${sub}` })));
    const err = await provider({ retry: { maxAttempts: 1 } }).refund({ out_trade_no: 'VK20260101000002', out_refund_no: 'RF1', refund_amount: 1, total_amount: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: expected, providerCode: sub });
    expect(err.providerMessage).toContain(`sub-${sub}`);
  });

  it('ACQ.SYSTEM_ERROR then success: one refund, same out_request_no and biz_content, fresh signature', async () => {
    let n = 0;
    gw.handle((req) => (n++ === 0
      ? answer('alipay.trade.refund', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"busy"}')
      : verified('alipay.trade.refund', { code: '10000', msg: 'Success', fund_change: 'Y', refund_fee: '0.01' })(req)));
    const r = await provider().refund({ out_trade_no: 'VK20260101000002', out_refund_no: 'RF1', refund_amount: 1, total_amount: 1 });
    expect(r.state).toBe('success');
    expect(gw.seen).toHaveLength(2);
    expect(paramsOf(gw.seen[1]).biz_content).toBe(paramsOf(gw.seen[0]).biz_content);
    expect(biz(gw.seen[1]).out_request_no).toBe('RF1');
  });

  it('HTTP 502 then 200 retried; ACQ.TRADE_HAS_SUCCESS not retried; network -> 40004', async () => {
    let n = 0;
    gw.handle((req) => (n++ === 0 ? { status: 502, body: 'bad gateway' } : verified('alipay.trade.close', { code: '10000', msg: 'Success' })(req)));
    await provider().closeOrder('VK20260101000002');
    expect(gw.seen).toHaveLength(2);
    gw.seen.length = 0;
    gw.handle(() => answer('alipay.trade.precreate', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_HAS_SUCCESS","sub_msg":"paid"}'));
    await expect(provider().createOrder(order('qr'))).rejects.toMatchObject({ code: 40006 });
    expect(gw.seen).toHaveLength(1);
    const dead = createAlipayProvider(config({ gatewayUrl: `http://127.0.0.1:${await deadPort()}/gateway.do`, retry: { maxAttempts: 2, baseDelayMs: 1 } }), { http, budgetMs: 2000, timeoutMs: 500 });
    await expect(dead.queryOrder('VK20260101000002')).rejects.toMatchObject({ code: 40004 });
  });
});

describe('alipay notifications', () => {
  const paid = { notify_id: 'N1', notify_time: '2026-01-01 12:00:06', trade_no: '2026T1', out_trade_no: 'VK20260101000002', trade_status: 'TRADE_SUCCESS', total_amount: '88.88', receipt_amount: '88.88', gmt_payment: '2026-01-01 12:00:05', subject: '会员 88.88 & more+', buyer_logon_id: '', fund_bill_list: '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]' };

  it('paid: verified over the form (empty values dropped, decoded once), amount in fen, event_id = notify_id', async () => {
    const out = await provider().verifyNotification({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: notifyBody(paid) });
    expect(out).toMatchObject({ kind: 'paid', event_id: 'N1', out_trade_no: 'VK20260101000002', transaction_id: '2026T1', amount: 8888, paid_at: Date.UTC(2026, 0, 1, 4, 0, 5), merchant: { app_id: APP_ID, merchant_id: SELLER_ID } });
  });

  it('refund fields -> refund_succeeded with out_refund_no = out_biz_no; TRADE_CLOSED -> closed; WAIT_BUYER_PAY -> ignored', async () => {
    const refund = { ...paid, notify_id: 'N2', out_biz_no: 'RF20260101000001', refund_fee: '10.00', gmt_refund: '2026-01-01 12:10:00.123' };
    expect(await provider().verifyNotification({ headers: {}, rawBody: notifyBody(refund) })).toMatchObject({ kind: 'refund_succeeded', out_refund_no: 'RF20260101000001', refunded_total: 1000, success_at: Date.UTC(2026, 0, 1, 4, 10, 0, 123) });
    // refund_fee is the order's cumulative refunded amount, never passed off as this refund's amount
    expect(await provider().verifyNotification({ headers: {}, rawBody: notifyBody(refund) })).not.toHaveProperty('amount');
    expect(await provider().verifyNotification({ headers: {}, rawBody: notifyBody({ ...paid, notify_id: 'N3', trade_status: 'TRADE_CLOSED' }) })).toMatchObject({ kind: 'closed', event_id: 'N3' });
    expect(await provider().verifyNotification({ headers: {}, rawBody: notifyBody({ ...paid, trade_status: 'WAIT_BUYER_PAY' }) })).toMatchObject({ kind: 'ignored' });
  });

  it('forged, tampered amount, missing sign -> SignatureError 40002; malformed amount -> 40001', async () => {
    const forged = notifyBody(paid, rsaPair().privateKeyPem);
    const tampered = notifyBody(paid).replace('total_amount=88.88', 'total_amount=0.01');
    const unsigned = new URLSearchParams({ ...paid, app_id: APP_ID }).toString();
    for (const rawBody of [forged, tampered, unsigned]) {
      const err = await provider().verifyNotification({ headers: {}, rawBody }).catch((e) => e);
      expect(err).toBeInstanceOf(SignatureError);
      expect(err.code).toBe(40002);
    }
    await expect(provider().verifyNotification({ headers: {}, rawBody: notifyBody({ ...paid, total_amount: '88.888' }) })).rejects.toMatchObject({ code: 40001 });
  });

  it('reply is exactly `success`', () => {
    expect(provider().notifyReply(true).body).toBe('success');
    expect(provider().notifyReply(false).body).not.toBe('success');
  });
});

describe('alipay config', () => {
  it('bare base64 keys from the Alipay key tool (PKCS#1 private, SPKI public) work; bad keys -> 40003 naming the field', async () => {
    const b64 = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    const pkcs1 = createPrivateKey(appKeys.privateKeyPem).export({ type: 'pkcs1', format: 'der' }).toString('base64');
    const spki = b64(createPublicKey(alipayKeys.publicKeyPem).export({ type: 'spki', format: 'pem' }).toString());
    const p = createProvider('alipay', config({ appPrivateKeyPem: pkcs1, alipayPublicKeyPem: spki }), { http });
    gw.handle(verified('alipay.trade.close', { code: '10000', msg: 'Success' }));
    await expect(p.closeOrder('VK20260101000002')).resolves.toBeUndefined();
    const err = (() => { try { createAlipayProvider(config({ alipayPublicKeyPem: 'garbage!' }), { http }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(KeyConfigError);
    expect((err as KeyConfigError).message).toContain('alipay.alipayPublicKeyPem');
    expect(() => createAlipayProvider(config({ appPrivateKeyPem: '' }), { http })).toThrow(/alipay.appPrivateKeyPem is missing/);
  });

  it('maps the sandbox credentials shape (docs/CONTRACTS.md section 12)', () => {
    const c = alipayConfigFromCredentials({ appId: APP_ID, sellerId: SELLER_ID, app: { privateKeyPem: appKeys.privateKeyPem, publicKeyPem: appKeys.publicKeyPem }, alipay: { publicKeyPem: alipayKeys.publicKeyPem } }, 'http://127.0.0.1:1/sandbox/alipay/gateway.do');
    expect(c).toMatchObject({ appId: APP_ID, sellerId: SELLER_ID, appPrivateKeyPem: appKeys.privateKeyPem, alipayPublicKeyPem: alipayKeys.publicKeyPem, gatewayUrl: 'http://127.0.0.1:1/sandbox/alipay/gateway.do' });
  });
});
