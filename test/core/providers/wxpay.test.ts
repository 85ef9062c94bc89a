import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { KeyConfigError, SignatureError, VkPayError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createProvider, createWxpayProvider, ProviderError, type WxpayConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import {
  buildAppPaySignMessage, buildPaySignMessage, SIGNTEST_PREFIX, verifySha256Rsa,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { deadPort, rsaPair, startFixture, type Fixture } from './gateway-fixture';
import {
  API_V3_KEY, APPID, errorAnswer, MCHID, merchant, MERCHANT_SERIAL, notification, platform, PUB_KEY_ID, requestVerifies, signedAnswer,
} from './wxpay-fixture';

let gw: Fixture;
beforeAll(async () => { gw = await startFixture(); });
afterAll(async () => { await gw.close(); });
beforeEach(() => { gw.seen.length = 0; });

const http = createFetchHttpClient();
const config = (over: Partial<WxpayConfig> = {}): WxpayConfig => ({
  appId: APPID, mchId: MCHID, apiV3Key: API_V3_KEY,
  merchant: { serialNo: MERCHANT_SERIAL, privateKeyPem: merchant.privateKeyPem },
  verifyKeys: [{ serial: PUB_KEY_ID, publicKeyPem: platform.publicKeyPem }],
  baseUrl: `${gw.origin}/sandbox/wxpay/`,
  retry: { baseDelayMs: 5, maxDelayMs: 20 },
  ...over,
});
const provider = (over: Partial<WxpayConfig> = {}, budgetMs = 3000) => createWxpayProvider(config(over), { http, budgetMs, timeoutMs: 1000 });
const order = (pay_type: string, extra: object = {}) => ({
  out_trade_no: 'VK20260101000001', amount: 1234, subject: '充值 12.34', pay_type: pay_type as any,
  notify_url: 'https://example.com/http/vk-pay-notify/wxpay', expires_at: Date.UTC(2026, 0, 1, 4, 0, 0), ...extra,
});

describe('wxpay v3 orders', () => {
  it('native: signs the full prefixed path it sends, body fields in fen, verified answer', async () => {
    gw.handle((req) => (requestVerifies(req) ? signedAnswer(200, '{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}') : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    const res = await provider().createOrder(order('native'));
    expect(res.payment).toEqual({ kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=abc' });
    const seen = gw.seen[0];
    expect(seen.url).toBe('/sandbox/wxpay/v3/pay/transactions/native');
    expect(seen.headers['wechatpay-serial']).toBe(PUB_KEY_ID);
    const body = JSON.parse(seen.body);
    expect(body).toMatchObject({ appid: APPID, mchid: MCHID, out_trade_no: 'VK20260101000001', amount: { total: 1234, currency: 'CNY' }, time_expire: '2026-01-01T12:00:00+08:00' });
    expect(body.payer).toBeUndefined();
  });

  it('jsapi and mp: paySign over `prepay_id=...`; app: sign over the bare prepay_id', async () => {
    gw.handle((req) => (requestVerifies(req) ? signedAnswer(200, '{"prepay_id":"wx201410272009395522657a690389285100"}') : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    for (const t of ['jsapi', 'mp']) {
      const { payment } = await provider().createOrder(order(t, { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }));
      if (payment.kind !== 'requestPayment') throw new Error('expected requestPayment');
      const p = payment.params;
      expect(p.package).toBe('prepay_id=wx201410272009395522657a690389285100');
      expect(p.signType).toBe('RSA');
      expect(verifySha256Rsa(buildPaySignMessage(APPID, p.timeStamp, p.nonceStr, 'wx201410272009395522657a690389285100'), p.paySign, merchant.publicKeyPem)).toBe(true);
      expect(JSON.parse(gw.seen.at(-1)!.body).payer).toEqual({ openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
      expect(gw.seen.at(-1)!.url).toBe('/sandbox/wxpay/v3/pay/transactions/jsapi');
    }
    const { payment } = await provider().createOrder(order('app'));
    if (payment.kind !== 'requestPayment') throw new Error('expected requestPayment');
    const a = payment.params;
    expect(a).toMatchObject({ appid: APPID, partnerid: MCHID, prepayid: 'wx201410272009395522657a690389285100', package: 'Sign=WXPay' });
    expect(verifySha256Rsa(buildAppPaySignMessage(APPID, a.timestamp, a.noncestr, a.prepayid), a.sign, merchant.publicKeyPem)).toBe(true);
    expect(verifySha256Rsa(buildPaySignMessage(APPID, a.timestamp, a.noncestr, a.prepayid), a.sign, merchant.publicKeyPem)).toBe(false);
    expect(gw.seen.at(-1)!.url).toBe('/sandbox/wxpay/v3/pay/transactions/app');
  });

  it('jsapi without openid and h5 without client_ip are refused before any request', async () => {
    await expect(provider().createOrder(order('jsapi'))).rejects.toMatchObject({ code: 40001 });
    await expect(provider().createOrder(order('h5'))).rejects.toMatchObject({ code: 40001 });
    await expect(provider().createOrder(order('native', { amount: 12.5 }))).rejects.toMatchObject({ code: 40001 });
    expect(gw.seen).toHaveLength(0);
  });

  it('h5: scene_info with h5_info, redirect_url appended', async () => {
    gw.handle((req) => (requestVerifies(req) ? signedAnswer(200, '{"h5_url":"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=2"}') : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    const { payment } = await provider().createOrder(order('h5', { client_ip: '203.0.113.9', return_url: 'https://shop.example.com/result?id=1' }));
    expect(payment).toEqual({ kind: 'h5_url', h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=2&redirect_url=https%3A%2F%2Fshop.example.com%2Fresult%3Fid%3D1' });
    expect(JSON.parse(gw.seen[0].body).scene_info).toEqual({ payer_client_ip: '203.0.113.9', h5_info: { type: 'Wap' } });
  });
});

describe('wxpay v3 query, close, refund', () => {
  it('query by out_trade_no signs path+query; SUCCESS -> paid; 404 ORDER_NOT_EXIST -> not_found', async () => {
    gw.handle((req) => {
      if (!requestVerifies(req)) return errorAnswer(401, 'SIGN_ERROR', 'bad');
      if (req.url.includes('NOPE')) return errorAnswer(404, 'ORDER_NOT_EXIST', '订单不存在');
      return signedAnswer(200, JSON.stringify({ appid: APPID, mchid: MCHID, out_trade_no: 'VK20260101000001', transaction_id: '4200000001', trade_state: 'SUCCESS', success_time: '2026-01-01T12:00:05+08:00', amount: { total: 1234, payer_total: 1234, currency: 'CNY' } }));
    });
    const q = await provider().queryOrder('VK20260101000001');
    expect(gw.seen[0].url).toBe(`/sandbox/wxpay/v3/pay/transactions/out-trade-no/VK20260101000001?mchid=${MCHID}`);
    expect(gw.seen[0].body).toBe('');
    expect(q).toMatchObject({ state: 'paid', amount: 1234, transaction_id: '4200000001', paid_at: Date.UTC(2026, 0, 1, 4, 0, 5), merchant: { app_id: APPID, merchant_id: MCHID } });
    expect(await provider().queryOrder('NOPE000001')).toMatchObject({ state: 'not_found' });
  });

  it('close: 204 with a signed empty body; close of a paid order -> 40006 after a query', async () => {
    gw.handle((req) => (requestVerifies(req) ? signedAnswer(204, '') : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    await expect(provider().closeOrder('VK20260101000001')).resolves.toBeUndefined();
    expect(JSON.parse(gw.seen[0].body)).toEqual({ mchid: MCHID });
    expect(gw.seen[0].url).toBe('/sandbox/wxpay/v3/pay/transactions/out-trade-no/VK20260101000001/close');
    gw.handle((req) => (req.method === 'POST' ? errorAnswer(400, 'ORDER_PAID', '订单已支付') : signedAnswer(200, JSON.stringify({ out_trade_no: 'X', trade_state: 'SUCCESS', amount: { total: 1 } }))));
    await expect(provider().closeOrder('VK20260101000001')).rejects.toMatchObject({ code: 40006 });
    gw.handle((req) => (req.method === 'POST' ? errorAnswer(400, 'ORDER_CLOSED', 'closed') : signedAnswer(200, JSON.stringify({ out_trade_no: 'X', trade_state: 'CLOSED' }))));
    await expect(provider().closeOrder('VK20260101000001')).resolves.toBeUndefined();
  });

  it('refund create and query: amounts in fen, status mapped', async () => {
    gw.handle((req) => {
      if (!requestVerifies(req)) return errorAnswer(401, 'SIGN_ERROR', 'bad');
      if (req.method === 'POST') return signedAnswer(200, JSON.stringify({ refund_id: '50000001', out_refund_no: 'RF1', out_trade_no: 'VK20260101000001', status: 'PROCESSING', amount: { refund: 500, total: 1234 } }));
      return signedAnswer(200, JSON.stringify({ refund_id: '50000001', out_refund_no: 'RF1', out_trade_no: 'VK20260101000001', status: 'SUCCESS', success_time: '2026-01-01T12:10:00+08:00', amount: { refund: 500, total: 1234 } }));
    });
    const r = await provider().refund({ out_trade_no: 'VK20260101000001', out_refund_no: 'RF1', refund_amount: 500, total_amount: 1234, reason: 'r' });
    expect(r).toMatchObject({ state: 'processing', refund_id: '50000001', amount: 500 });
    expect(JSON.parse(gw.seen[0].body)).toMatchObject({ out_refund_no: 'RF1', amount: { refund: 500, total: 1234, currency: 'CNY' } });
    const q = await provider().queryRefund('RF1', 'VK20260101000001');
    expect(gw.seen[1].url).toBe('/sandbox/wxpay/v3/refund/domestic/refunds/RF1');
    expect(q).toMatchObject({ state: 'success', amount: 500, success_at: Date.UTC(2026, 0, 1, 4, 10, 0) });
    await expect(provider().refund({ out_trade_no: 'A', out_refund_no: 'RF2', refund_amount: 2000, total_amount: 1234 })).rejects.toMatchObject({ code: 40001 });
  });
});

describe('wxpay v3 error mapping and retry', () => {
  const cases: Array<[number, string, number]> = [
    [404, 'ORDER_NOT_EXIST', 40005], [404, 'RESOURCE_NOT_EXISTS', 40005], [403, 'NOT_ENOUGH', 40007], [429, 'FREQUENCY_LIMITED', 40008],
    [403, 'NO_AUTH', 40009], [401, 'SIGN_ERROR', 40002], [500, 'SYSTEM_ERROR', 40010], [400, 'PARAM_ERROR', 40001], [403, 'ORDERPAID', 40006],
  ];
  it.each(cases)('HTTP %i %s -> %i, provider code and message kept', async (status, code, expected) => {
    gw.handle(() => errorAnswer(status, code, `msg-${code}`));
    const err = await provider({ retry: { maxAttempts: 1 } }).refund({ out_trade_no: 'A1', out_refund_no: 'RF1', refund_amount: 1, total_amount: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: expected, providerCode: code, providerMessage: `msg-${code}`, httpStatus: status });
    expect(err.detail).toContain(code);
  });

  it('network failure -> 40004', async () => {
    const p = createWxpayProvider(config({ baseUrl: `http://127.0.0.1:${await deadPort()}/`, retry: { maxAttempts: 2, baseDelayMs: 1 } }), { http, budgetMs: 2000, timeoutMs: 500 });
    await expect(p.queryOrder('VK20260101000001')).rejects.toMatchObject({ code: 40004 });
  });

  it('503 then 200: one success, same body and out_trade_no, re-signed with a fresh nonce', async () => {
    let n = 0;
    gw.handle((req) => (n++ === 0 ? errorAnswer(503, 'SERVICE_UNAVAILABLE', 'busy') : requestVerifies(req) ? signedAnswer(200, '{"code_url":"weixin://x"}') : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    const res = await provider().createOrder(order('native'));
    expect(res.payment.kind).toBe('code_url');
    expect(gw.seen).toHaveLength(2);
    expect(gw.seen[1].body).toBe(gw.seen[0].body);
    expect(JSON.parse(gw.seen[1].body).out_trade_no).toBe('VK20260101000001');
    expect(gw.seen[1].headers.authorization).not.toBe(gw.seen[0].headers.authorization);
  });

  it('400 is not retried', async () => {
    gw.handle(() => errorAnswer(400, 'PARAM_ERROR', 'bad field'));
    await expect(provider().createOrder(order('native'))).rejects.toMatchObject({ code: 40001 });
    expect(gw.seen).toHaveLength(1);
  });

  it('SYSTEM_ERROR retried inside the budget, then the last error', async () => {
    gw.handle(() => errorAnswer(500, 'SYSTEM_ERROR', 'busy'));
    const started = performance.now();
    // attempts get 500 ms each so a loaded machine does not turn the gateway's answer into a timeout
    const err = await createWxpayProvider(config({ retry: { maxAttempts: 100, baseDelayMs: 40, maxDelayMs: 80 } }), { http, budgetMs: 1_000, timeoutMs: 500 })
      .queryOrder('VK20260101000001').catch((e) => e);
    const took = performance.now() - started;
    expect(err).toMatchObject({ code: 40010, providerCode: 'SYSTEM_ERROR' });
    expect(gw.seen.length).toBeGreaterThan(1);
    // generous slack for a loaded machine; ignoring the budget would take seconds (100 attempts, ~40 ms apart)
    expect(took).toBeLessThan(1_000 + 1_000);
  });

  it('a 2xx answer with a forged signature or an unknown serial is a SignatureError, not retried', async () => {
    const other = rsaPair();
    gw.handle(() => signedAnswer(200, '{"code_url":"weixin://x"}', { key: other.privateKeyPem }));
    await expect(provider().createOrder(order('native'))).rejects.toBeInstanceOf(SignatureError);
    expect(gw.seen).toHaveLength(1);
    gw.handle(() => signedAnswer(200, '{"code_url":"weixin://x"}', { serial: 'PUB_KEY_ID_UNKNOWN' }));
    await expect(provider().createOrder(order('native'))).rejects.toMatchObject({ code: 40002 });
  });
});

describe('wxpay v3 notifications', () => {
  const txn = { appid: APPID, mchid: MCHID, out_trade_no: 'VK20260101000001', transaction_id: '4200000001', trade_type: 'NATIVE', trade_state: 'SUCCESS', success_time: '2026-01-01T12:00:05+08:00', amount: { total: 1234, payer_total: 1234, currency: 'CNY' } };
  const p = () => provider();

  it('good TRANSACTION.SUCCESS -> paid, event_id = notification id', async () => {
    const out = await p().verifyNotification(notification('TRANSACTION.SUCCESS', txn, { id: 'EV-1' }));
    expect(out).toMatchObject({ kind: 'paid', event_id: 'EV-1', out_trade_no: 'VK20260101000001', transaction_id: '4200000001', amount: 1234, paid_at: Date.UTC(2026, 0, 1, 4, 0, 5), channel: 'wxpay', merchant: { app_id: APPID, merchant_id: MCHID } });
  });

  it('refund events map onto refund outcomes', async () => {
    const refund = { mchid: MCHID, out_trade_no: 'VK20260101000001', transaction_id: '42', refund_id: '50', out_refund_no: 'RF1', refund_status: 'SUCCESS', success_time: '2026-01-01T12:10:00+08:00', amount: { total: 1234, refund: 500, payer_total: 1234, payer_refund: 500 } };
    expect(await p().verifyNotification(notification('REFUND.SUCCESS', refund))).toMatchObject({ kind: 'refund_succeeded', out_refund_no: 'RF1', amount: 500, refund_id: '50' });
    expect(await p().verifyNotification(notification('REFUND.ABNORMAL', { ...refund, refund_status: 'ABNORMAL' }))).toMatchObject({ kind: 'refund_held', amount: 500 });
    expect(await p().verifyNotification(notification('REFUND.CLOSED', { ...refund, refund_status: 'CLOSED' }))).toMatchObject({ kind: 'refund_failed', amount: 500 });
    expect(await p().verifyNotification(notification('REFUND.CLOSED', { ...refund, refund_status: 'CLOSED' }))).toMatchObject({ kind: 'refund_failed' });
  });

  it('forged signature, 301 s old, unknown serial, SIGNTEST probe, tampered ciphertext -> SignatureError 40002', async () => {
    const forged = notification('TRANSACTION.SUCCESS', txn, { key: rsaPair().privateKeyPem });
    const old = notification('TRANSACTION.SUCCESS', txn, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const unknown = notification('TRANSACTION.SUCCESS', txn, { serial: 'PUB_KEY_ID_OTHER' });
    const probe = notification('TRANSACTION.SUCCESS', txn);
    probe.headers['wechatpay-signature'] = `${SIGNTEST_PREFIX}${probe.headers['wechatpay-signature']}`;
    const tampered = notification('TRANSACTION.SUCCESS', txn, { apiV3Key: 'z'.repeat(32) });
    const edited = notification('TRANSACTION.SUCCESS', txn);
    edited.rawBody = edited.rawBody.replace('"summary":"ok"', '"summary":"ok "');
    for (const n of [forged, old, unknown, probe, tampered, edited]) {
      const err = await p().verifyNotification(n).catch((e) => e);
      expect(err).toBeInstanceOf(SignatureError);
      expect(err.code).toBe(40002);
    }
  });

  it('the window uses the injected clock, and a future timestamp is refused too', async () => {
    const at = 1_700_000_000;
    const n = notification('TRANSACTION.SUCCESS', txn, { timestamp: at });
    const withClock = (ms: number) => createWxpayProvider(config(), { http, now: () => ms });
    await expect(withClock(at * 1000 + 299_000).verifyNotification(n)).resolves.toMatchObject({ kind: 'paid' });
    await expect(withClock(at * 1000 + 301_000).verifyNotification(n)).rejects.toBeInstanceOf(SignatureError);
    await expect(withClock(at * 1000 - 301_000).verifyNotification(n)).rejects.toBeInstanceOf(SignatureError);
  });

  it('both key modes and rotation at once: the key is chosen by Wechatpay-Serial', async () => {
    const certKey = rsaPair();
    const rotated = rsaPair();
    const prov = provider({
      verifyKeys: [
        { serial: PUB_KEY_ID, publicKeyPem: platform.publicKeyPem },
        { serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', publicKeyPem: certKey.publicKeyPem },
        { serial: 'PUB_KEY_ID_0114232134912410000000000001', publicKeyPem: rotated.publicKeyPem },
      ],
    });
    await expect(prov.verifyNotification(notification('TRANSACTION.SUCCESS', txn))).resolves.toMatchObject({ kind: 'paid' });
    await expect(prov.verifyNotification(notification('TRANSACTION.SUCCESS', txn, { serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', key: certKey.privateKeyPem }))).resolves.toMatchObject({ kind: 'paid' });
    await expect(prov.verifyNotification(notification('TRANSACTION.SUCCESS', txn, { serial: 'PUB_KEY_ID_0114232134912410000000000001', key: rotated.privateKeyPem }))).resolves.toMatchObject({ kind: 'paid' });
    // a valid signature under the wrong serial's key is refused
    await expect(prov.verifyNotification(notification('TRANSACTION.SUCCESS', txn, { serial: PUB_KEY_ID, key: certKey.privateKeyPem }))).rejects.toBeInstanceOf(SignatureError);
  });

  it('reply: 200 SUCCESS json, or 500 FAIL so WeChat redelivers', () => {
    expect(p().notifyReply(true)).toMatchObject({ statusCode: 200, body: JSON.stringify({ code: 'SUCCESS', message: '成功' }) });
    expect(p().notifyReply(false).statusCode).toBe(500);
  });
});

describe('wxpay config', () => {
  it('bad or missing keys -> KeyConfigError 40003 naming the field', () => {
    const ctx = { http };
    const e1 = (() => { try { createWxpayProvider(config({ merchant: { serialNo: 'S', privateKeyPem: 'not a pem' } }), ctx); } catch (e) { return e; } })() as VkPayError;
    expect(e1).toBeInstanceOf(KeyConfigError);
    expect(e1.code).toBe(40003);
    expect(e1.message).toContain('wxpay.merchant.privateKeyPem');
    expect(() => createWxpayProvider(config({ verifyKeys: [] }), ctx)).toThrow(/wxpay.verifyKeys/);
    expect(() => createWxpayProvider(config({ verifyKeys: [{ serial: 'X', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }] }), ctx)).toThrow(/verifyKeys\[0\]\.publicKeyPem/);
    expect(() => createWxpayProvider(config({ apiV3Key: 'short' }), ctx)).toThrow(/apiV3Key/);
  });

  it('createProvider builds the same provider; a PKCS#1 merchant key works too', async () => {
    const pkcs1 = createPrivateKey(merchant.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    const p = createProvider('wxpay', config({ merchant: { serialNo: MERCHANT_SERIAL, privateKeyPem: pkcs1 } }), { http });
    expect(p.channel).toBe('wxpay');
    gw.handle((req) => (requestVerifies(req) ? signedAnswer(200, '{"code_url":"weixin://y"}') : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    await expect(p.createOrder(order('native'))).resolves.toMatchObject({ payment: { code_url: 'weixin://y' } });
  });
});

describe('wxpay v3 header names', () => {
  it('Wechatpay-* headers are matched case-insensitively', async () => {
    const n = notification('TRANSACTION.SUCCESS', { appid: APPID, mchid: MCHID, out_trade_no: 'VK1000001', transaction_id: '42', trade_state: 'SUCCESS', amount: { total: 5 } });
    const mixed: Record<string, string> = {};
    for (const [k, v] of Object.entries(n.headers)) mixed[k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())] = v;
    expect(Object.keys(mixed)).toContain('Wechatpay-Signature');
    await expect(provider().verifyNotification({ headers: mixed, rawBody: n.rawBody })).resolves.toMatchObject({ kind: 'paid', amount: 5 });
  });
});
