import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyConfigError, SignatureError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createProvider, createWxpayV2Provider, ProviderError, type WxpayV2Config } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { encryptReqInfo, signV2, verifyV2, type V2SignType } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import { buildV2Xml, parseV2Xml } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/xml';
import { startFixture, type Fixture, type SeenRequest } from './gateway-fixture';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureSandboxTls } from '../../../sandbox/tls';
import type { HttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const APPID = 'wxd930ea5d5a258f4f';
const MCH = '10000100';

let gw: Fixture;
/** the merchant API certificate (PEM pair) /secapi/ calls must carry: made with the sandbox's own maker */
let cert: { clientKeyPem: string; clientCertPem: string };
beforeAll(async () => {
  gw = await startFixture();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vkpay-v2-cert-'));
  const tls = await ensureSandboxTls(dir, MCH);
  cert = { clientKeyPem: tls.clientKeyPem, clientCertPem: tls.clientCertPem };
  await rm(dir, { recursive: true, force: true });
});
afterAll(async () => { await gw.close(); });
beforeEach(() => { gw.seen.length = 0; tlsSeen.length = 0; });

/** The fixture speaks plain HTTP: the client certificate each request asked for is recorded here, then dropped. */
const tlsSeen: Array<{ path: string; tls: boolean }> = [];
const fetchHttp = createFetchHttpClient();
const http: HttpClient = (req) => {
  tlsSeen.push({ path: new URL(req.url).pathname, tls: Boolean(req.tls?.key && req.tls?.cert) });
  return fetchHttp({ ...req, tls: undefined });
};
const config = (over: Partial<WxpayV2Config> = {}): WxpayV2Config => ({ appId: APPID, mchId: MCH, apiV2Key: KEY, baseUrl: `${gw.origin}/sandbox/wxpay/`, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...cert, ...over });
const provider = (over: Partial<WxpayV2Config> = {}) => createWxpayV2Provider(config(over), { http, budgetMs: 3000, timeoutMs: 1000 });
const order = (pay_type: string, extra: object = {}) => ({
  out_trade_no: 'VK20260101000003', amount: 100, subject: 'test', pay_type: pay_type as any,
  notify_url: 'https://example.com/http/vk-pay-notify/wxpay-v2', expires_at: Date.UTC(2026, 0, 1, 4, 0, 0), ...extra,
});

/** Gateway side: verify the request sign with the declared sign_type, answer signed XML. */
function gateway(route: (path: string, f: Record<string, string>) => Record<string, string | undefined>, signType: V2SignType = 'MD5') {
  return (req: SeenRequest) => {
    const f = parseV2Xml(req.body);
    const st = (f.sign_type as V2SignType) || 'MD5';
    if (!verifyV2(f, KEY, st)) return { status: 200, body: buildV2Xml({ return_code: 'FAIL', return_msg: '签名错误' }) };
    const fields: Record<string, string | undefined> = { return_code: 'SUCCESS', return_msg: 'OK', appid: APPID, mch_id: MCH, nonce_str: 'n0nce', ...route(req.url, f) };
    return { status: 200, headers: { 'content-type': 'text/xml' }, body: buildV2Xml({ ...fields, sign: signV2(fields, KEY, signType === st ? st : signType) }) };
  };
}

describe('wxpay v2 unifiedorder', () => {
  it('NATIVE: XML fields, sign verifies, answer verified, code_url', async () => {
    gw.handle(gateway(() => ({ result_code: 'SUCCESS', trade_type: 'NATIVE', prepay_id: 'wx1', code_url: 'weixin://wxpay/bizpayurl?pr=v2' })));
    const { payment } = await provider().createOrder(order('native'));
    expect(payment).toEqual({ kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=v2' });
    expect(gw.seen[0].url).toBe('/sandbox/wxpay/pay/unifiedorder');
    expect(parseV2Xml(gw.seen[0].body)).toMatchObject({ appid: APPID, mch_id: MCH, total_fee: '100', trade_type: 'NATIVE', product_id: 'VK20260101000003', time_expire: '20260101120000' });
  });

  it('JSAPI paySign covers signType; APP sign covers the six lowercase fields; HMAC-SHA256 mode end to end', async () => {
    for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
      gw.handle(gateway(() => ({ result_code: 'SUCCESS', prepay_id: 'wx2014' }), signType));
      const { payment } = await provider({ signType }).createOrder(order('mp', { openid: 'oUpF8u' }));
      if (payment.kind !== 'requestPayment') throw new Error('expected requestPayment');
      const { paySign, ...signed } = payment.params;
      expect(signed).toMatchObject({ appId: APPID, package: 'prepay_id=wx2014', signType });
      expect(paySign).toBe(signV2(signed, KEY, signType));
      expect(parseV2Xml(gw.seen.at(-1)!.body)).toMatchObject({ trade_type: 'JSAPI', openid: 'oUpF8u' });
      const app = await provider({ signType }).createOrder(order('app'));
      if (app.payment.kind !== 'requestPayment') throw new Error('expected requestPayment');
      const { sign, ...fields } = app.payment.params;
      expect(Object.keys(fields).sort()).toEqual(['appid', 'noncestr', 'package', 'partnerid', 'prepayid', 'timestamp']);
      expect(sign).toBe(signV2(fields, KEY, signType));
    }
  });

  it('MWEB: scene_info and mweb_url', async () => {
    gw.handle(gateway(() => ({ result_code: 'SUCCESS', mweb_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx3' })));
    const { payment } = await provider().createOrder(order('h5', { client_ip: '203.0.113.9' }));
    expect(payment).toEqual({ kind: 'h5_url', h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx3' });
    const sent = parseV2Xml(gw.seen[0].body);
    expect(sent).toMatchObject({ trade_type: 'MWEB', spbill_create_ip: '203.0.113.9' });
    expect(JSON.parse(sent.scene_info)).toEqual({ h5_info: { type: 'Wap' } });
  });

  it('an answer with a bad sign is a SignatureError; return_code FAIL 签名错误 -> 40002', async () => {
    gw.handle(() => ({ status: 200, body: buildV2Xml({ return_code: 'SUCCESS', result_code: 'SUCCESS', code_url: 'weixin://evil', sign: 'ABCDEF' }) }));
    await expect(provider().createOrder(order('native'))).rejects.toBeInstanceOf(SignatureError);
    gw.handle(() => ({ status: 200, body: buildV2Xml({ return_code: 'FAIL', return_msg: '签名错误' }) }));
    await expect(provider().createOrder(order('native'))).rejects.toMatchObject({ code: 40002 });
  });
});

describe('wxpay v2 query, close, refund, errors', () => {
  it('orderquery SUCCESS -> paid; ORDERNOTEXIST -> not_found', async () => {
    gw.handle(gateway((_p, f) => (f.out_trade_no === 'NOPE000001'
      ? { result_code: 'FAIL', err_code: 'ORDERNOTEXIST', err_code_des: '此交易订单号不存在' }
      : { result_code: 'SUCCESS', trade_state: 'SUCCESS', out_trade_no: f.out_trade_no, transaction_id: '4200000002', total_fee: '100', time_end: '20260101120005' })));
    expect(await provider().queryOrder('VK20260101000003')).toMatchObject({ state: 'paid', amount: 100, transaction_id: '4200000002', paid_at: Date.UTC(2026, 0, 1, 4, 0, 5) });
    expect(await provider().queryOrder('NOPE000001')).toMatchObject({ state: 'not_found' });
  });

  it('closeorder: ORDERPAID -> 40006; ORDERCLOSED -> ok', async () => {
    gw.handle(gateway(() => ({ result_code: 'FAIL', err_code: 'ORDERPAID', err_code_des: '订单已支付' })));
    await expect(provider().closeOrder('VK20260101000003')).rejects.toMatchObject({ code: 40006, providerCode: 'ORDERPAID' });
    gw.handle(gateway(() => ({ result_code: 'FAIL', err_code: 'ORDERCLOSED', err_code_des: '订单已关闭' })));
    await expect(provider().closeOrder('VK20260101000003')).resolves.toBeUndefined();
  });

  it('refund (accepted -> processing) and refundquery (SUCCESS -> success)', async () => {
    gw.handle(gateway((path) => (path.endsWith('/secapi/pay/refund')
      ? { result_code: 'SUCCESS', refund_id: '50000002', out_refund_no: 'RF2' }
      : { result_code: 'SUCCESS', refund_count: '2', out_refund_no_0: 'RF1', refund_status_0: 'PROCESSING', refund_fee_0: '10', out_refund_no_1: 'RF2', refund_id_1: '50000002', refund_status_1: 'SUCCESS', refund_fee_1: '50', refund_success_time_1: '2026-01-01 12:10:00' })));
    expect(await provider().refund({ out_trade_no: 'VK20260101000003', out_refund_no: 'RF2', refund_amount: 50, total_amount: 100 })).toMatchObject({ state: 'processing', refund_id: '50000002' });
    expect(parseV2Xml(gw.seen[0].body)).toMatchObject({ out_refund_no: 'RF2', refund_fee: '50', total_fee: '100' });
    // only /secapi/ carries the merchant certificate
    expect(tlsSeen[0]).toEqual({ path: '/sandbox/wxpay/secapi/pay/refund', tls: true });
    expect(await provider().queryRefund('RF2', 'VK20260101000003')).toMatchObject({ state: 'success', amount: 50, success_at: Date.UTC(2026, 0, 1, 4, 10, 0) });
  });

  it.each([['SYSTEMERROR', 40010], ['NOTENOUGH', 40007], ['NOAUTH', 40009], ['ORDERNOTEXIST', 40005], ['SIGNERROR', 40002]])('err_code %s -> %i', async (code, expected) => {
    gw.handle(gateway(() => ({ result_code: 'FAIL', err_code: code, err_code_des: `des-${code}` })));
    const err = await provider({ retry: { maxAttempts: 1 } }).refund({ out_trade_no: 'A', out_refund_no: 'RF1', refund_amount: 1, total_amount: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: expected, providerCode: code, providerMessage: `des-${code}` });
  });

  it('SYSTEMERROR then SUCCESS: retried with the same out_trade_no and a fresh nonce_str', async () => {
    let n = 0;
    gw.handle(gateway(() => (n++ === 0 ? { result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: 'busy' } : { result_code: 'SUCCESS', code_url: 'weixin://ok' })));
    await expect(provider().createOrder(order('native'))).resolves.toMatchObject({ payment: { code_url: 'weixin://ok' } });
    const [a, b] = gw.seen.map((s) => parseV2Xml(s.body));
    expect(b.out_trade_no).toBe(a.out_trade_no);
    expect(b.nonce_str).not.toBe(a.nonce_str);
  });
});

describe('wxpay v2 notifications', () => {
  const pay = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APPID, mch_id: MCH, nonce_str: 'abc', openid: 'o1', trade_type: 'JSAPI', bank_type: 'CMC', total_fee: '100', cash_fee: '100', transaction_id: '4200000003', out_trade_no: 'VK20260101000003', time_end: '20260101120005' };
  const signed = (f: Record<string, string>, key = KEY, st: V2SignType = 'MD5') => buildV2Xml({ ...f, ...(st === 'MD5' ? {} : { sign_type: st }), sign: signV2({ ...f, ...(st === 'MD5' ? {} : { sign_type: st }) }, key, st) });

  it('payment: verified (MD5 and HMAC-SHA256), mapped to paid in fen', async () => {
    for (const st of ['MD5', 'HMAC-SHA256'] as const) {
      expect(await provider().verifyNotification({ headers: {}, rawBody: signed(pay, KEY, st) })).toMatchObject({ kind: 'paid', event_id: 'pay:4200000003', amount: 100, transaction_id: '4200000003', paid_at: Date.UTC(2026, 0, 1, 4, 0, 5), merchant: { app_id: APPID, merchant_id: MCH } });
    }
  });

  it('forged sign, edited amount, not XML, DOCTYPE entity tricks -> SignatureError', async () => {
    const forged = signed(pay, 'f'.repeat(32));
    const edited = signed(pay).replace('<total_fee><![CDATA[100]]></total_fee>', '<total_fee><![CDATA[1]]></total_fee>');
    const entity = `<!DOCTYPE xml [<!ENTITY x "100">]><xml><total_fee>&x;</total_fee><sign>00</sign></xml>`;
    // The genuine sign with one hex letter in lowercase (a bit flip the fuzz campaign found accepted): WeChat
    // signs in uppercase hex, so this is not its signature.
    const sign = signV2(pay, KEY);
    const letter = sign.search(/[A-F]/);
    const recased = signed(pay).replace(sign, sign.slice(0, letter) + sign[letter].toLowerCase() + sign.slice(letter + 1));
    expect(recased).not.toBe(signed(pay));
    for (const rawBody of [forged, edited, 'not xml at all', entity, recased]) {
      await expect(provider().verifyNotification({ headers: {}, rawBody })).rejects.toBeInstanceOf(SignatureError);
    }
    expect(parseV2Xml(`<!DOCTYPE xml [<!ENTITY x "EXPANDED">]><xml><a>&x;</a></xml>`).a).not.toBe('EXPANDED');
  });

  it('refund: req_info decrypted with md5(key) -> refund outcome; wrong key or tampering -> SignatureError', async () => {
    const info = buildV2Xml({ transaction_id: '4200000003', out_trade_no: 'VK20260101000003', refund_id: '50000002', out_refund_no: 'RF2', total_fee: '100', refund_fee: '50', refund_status: 'SUCCESS', success_time: '2026-01-01 12:10:00' }, 'root');
    const body = (reqInfo: string) => buildV2Xml({ return_code: 'SUCCESS', appid: APPID, mch_id: MCH, nonce_str: 'n', req_info: reqInfo });
    expect(await provider().verifyNotification({ headers: {}, rawBody: body(encryptReqInfo(info, KEY)) })).toMatchObject({ kind: 'refund_succeeded', out_refund_no: 'RF2', amount: 50, success_at: Date.UTC(2026, 0, 1, 4, 10, 0), event_id: 'refund:50000002:SUCCESS' });
    const closed = info.replace('<refund_status><![CDATA[SUCCESS]]>', '<refund_status><![CDATA[REFUNDCLOSE]]>');
    expect(await provider().verifyNotification({ headers: {}, rawBody: body(encryptReqInfo(closed, KEY)) })).toMatchObject({ kind: 'refund_failed' });
    // CHANGE: the money left the merchant but could not reach the person - held, not failed
    const change = info.replace('<refund_status><![CDATA[SUCCESS]]>', '<refund_status><![CDATA[CHANGE]]>');
    expect(await provider().verifyNotification({ headers: {}, rawBody: body(encryptReqInfo(change, KEY)) })).toMatchObject({ kind: 'refund_held', amount: 50 });
    await expect(provider().verifyNotification({ headers: {}, rawBody: body(encryptReqInfo(info, 'e'.repeat(32))) })).rejects.toBeInstanceOf(SignatureError);
    const ct = Buffer.from(encryptReqInfo(info, KEY), 'base64');
    ct[ct.length - 1] ^= 0xff;
    await expect(provider().verifyNotification({ headers: {}, rawBody: body(ct.toString('base64')) })).rejects.toBeInstanceOf(SignatureError);
  });

  it('reply XML', () => {
    expect(provider().notifyReply(true).body).toBe('<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>');
    expect(provider().notifyReply(false).body).toContain('FAIL');
  });

  it('config: key must be 32 chars -> KeyConfigError; createProvider', () => {
    expect(() => createWxpayV2Provider(config({ apiV2Key: 'short' }), { http })).toThrow(KeyConfigError);
    expect(createProvider('wxpay-v2', config(), { http }).channel).toBe('wxpay-v2');
  });
});
