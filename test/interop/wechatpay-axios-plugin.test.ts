/**
 * Interop with code nobody here wrote: wechatpay-axios-plugin 0.9.6 (TheNorthMemory, author of the official
 * wechatpay-php) against the sandbox. Its signer's requests must pass the sandbox's verification; its axios
 * response interceptor must accept the sandbox's signed answers (and refuse them under a wrong key); its
 * Rsa/Formatter/Aes helpers must verify and decrypt the sandbox's notifications.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WechatpayModule from 'wechatpay-axios-plugin';
import { control, startReceiver, startSandbox, tradeNo, V2_SUCCESS, waitFor, type Received, type RunningSandbox } from '../sandbox/helpers';

// The package's hand-written typings describe its CommonJS exports loosely; the tests use it as its README does.
const { Wechatpay, Rsa, Formatter, Aes } = WechatpayModule as any;

let s: RunningSandbox;
let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  s = await startSandbox();
  rx = await startReceiver((r) => (r.headers['content-type']?.startsWith('text/xml') ? { status: 200, body: V2_SUCCESS } : { status: 204 }));
});
afterAll(async () => { await rx.close(); await s.close(); });

function client(opts: { privateKey?: string; platformKey?: string } = {}) {
  return new Wechatpay({
    mchid: s.creds.wxpay.mchId,
    serial: s.creds.wxpay.merchant.serialNo,
    privateKey: opts.privateKey ?? s.creds.wxpay.merchant.privateKeyPem,
    certs: { [s.creds.wxpay.platform.publicKeyId]: opts.platformKey ?? s.creds.wxpay.platform.publicKeyPem },
    secret: s.creds.wxpay.apiV2Key,
    baseURL: `${s.base}/sandbox/wxpay/`,
  });
}

const otherKeys = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

function nativeBody(no: string, total = 101) {
  return { appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: '插件互通', out_trade_no: no, notify_url: rx.url, amount: { total, currency: 'CNY' } };
}

/** What a merchant using the plugin does with a v3 notification: verify the raw body, then decrypt. */
function openV3Notification(r: Received): any {
  const h = r.headers;
  const ok = Rsa.verify(Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], r.body), h['wechatpay-signature'], Rsa.from(s.creds.wxpay.platform.publicKeyPem, Rsa.KEY_TYPE_PUBLIC));
  if (!ok) return undefined;
  const { resource } = JSON.parse(r.body);
  return JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, s.creds.wxpay.apiV3Key, resource.nonce, resource.associated_data));
}

describe('wechatpay-axios-plugin against the sandbox (v3)', () => {
  it('its signed order request is accepted and its interceptor verifies the signed answer', async () => {
    const no = tradeNo();
    const res = await client().v3.pay.transactions.native.post(nativeBody(no));
    expect(res.status).toBe(200);
    expect(res.data.code_url).toContain(`/sandbox/cashier/wxpay/${no}`);
    const q = await client().v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: s.creds.wxpay.mchId }, out_trade_no: no });
    expect(q.data).toMatchObject({ out_trade_no: no, trade_state: 'NOTPAY', amount: { total: 101 } });
  });

  it('a request signed with a key the sandbox does not know is refused with 401 SIGN_ERROR', async () => {
    const err: any = await client({ privateKey: otherKeys().privateKey }).v3.pay.transactions.native.post(nativeBody(tradeNo())).catch((e: unknown) => e);
    expect(err.response?.status).toBe(401);
    expect(err.response?.data?.code).toBe('SIGN_ERROR');
  });

  it('its verifier refuses the sandbox answer under a wrong platform key (so the positive case means something)', async () => {
    const err: any = await client({ platformKey: otherKeys().publicKey }).v3.pay.transactions.native.post(nativeBody(tradeNo())).catch((e: unknown) => e);
    expect(err.code).toBe('EV3_RES_HEADER_SIGNATURE_DIGEST');
  });

  it('payment and refund notifications verify and decrypt with its Rsa/Formatter/Aes helpers; a tampered one does not', async () => {
    const no = tradeNo();
    await client().v3.pay.transactions.native.post(nativeBody(no, 300));
    await control(s, 'pay', { channel: 'wxpay', out_trade_no: no });
    expect(await waitFor(() => rx.received.some((r) => r.body.includes('TRANSACTION.SUCCESS') && openV3Notification(r)?.out_trade_no === no))).toBe(true);
    const paid = openV3Notification(rx.received.find((r) => openV3Notification(r)?.out_trade_no === no)!);
    expect(paid).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 300 }, mchid: s.creds.wxpay.mchId });

    const refund = await client().v3.refund.domestic.refunds.post({ out_trade_no: no, out_refund_no: `R${no}`.slice(0, 32), amount: { refund: 120, total: 300, currency: 'CNY' } });
    expect(refund.data).toMatchObject({ status: 'PROCESSING', amount: { refund: 120 } });
    expect(await waitFor(() => rx.received.some((r) => openV3Notification(r)?.refund_status === 'SUCCESS' && openV3Notification(r)?.out_trade_no === no))).toBe(true);

    await control(s, 'faults', { channel: 'wxpay', tamper: 'signature' });
    const bad = tradeNo();
    await client().v3.pay.transactions.native.post(nativeBody(bad));
    const before = rx.received.length;
    await control(s, 'pay', { channel: 'wxpay', out_trade_no: bad });
    expect(await waitFor(() => rx.received.length > before)).toBe(true);
    expect(openV3Notification(rx.received[rx.received.length - 1])).toBeUndefined();
    await control(s, 'faults', { channel: 'wxpay' });
  });
});

describe('wechatpay-axios-plugin against the sandbox (v2)', () => {
  it('its XML client is accepted and verifies the signed answer; refund req_info decrypts with its AesEcb', async () => {
    const no = tradeNo();
    const order = await client().v2.pay.unifiedorder.post({
      appid: s.creds.wxpay.appId, mch_id: s.creds.wxpay.mchId, body: 'v2互通', out_trade_no: no, total_fee: 200,
      spbill_create_ip: '127.0.0.1', notify_url: rx.url, trade_type: 'NATIVE', product_id: 'p1',
    });
    expect(order.data).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_type: 'NATIVE' });
    await control(s, 'pay', { channel: 'wxpay-v2', out_trade_no: no });
    const refund = await client().v2.secapi.pay.refund.post({
      appid: s.creds.wxpay.appId, mch_id: s.creds.wxpay.mchId, out_trade_no: no, out_refund_no: `R${no}`.slice(0, 32), total_fee: 200, refund_fee: 200,
    });
    expect(refund.data).toMatchObject({ result_code: 'SUCCESS', refund_fee: '200' });
    const key = createHash('md5').update(s.creds.wxpay.apiV2Key).digest('hex');
    const found = await waitFor(() => rx.received.some((r) => r.body.includes('<req_info>')));
    expect(found).toBe(true);
    const reqInfo = rx.received.find((r) => r.body.includes('<req_info>'))!.body.match(/<req_info><!\[CDATA\[([^\]]+)\]\]><\/req_info>/)![1];
    const plain = Aes.AesEcb.decrypt(reqInfo, key);
    expect(plain).toContain(`<out_trade_no><![CDATA[${no}]]></out_trade_no>`);
    expect(plain).toContain('<refund_fee>200</refund_fee>');
  });
});
