/**
 * Interop with the official alipay-sdk 4.14 (alipay/alipay-sdk-nodejs-all) pointed at the sandbox gateway:
 * its signed requests must pass the sandbox's verification, its `validateSign` must accept the sandbox's
 * answers (and refuse them under a wrong Alipay key), its checkNotifySign/V2 must accept the sandbox's
 * notifications and refuse tampered ones, and its page/app order strings must open the sandbox cashier.
 */
import { generateKeyPairSync } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, startReceiver, startSandbox, tradeNo, waitFor, type RunningSandbox } from '../sandbox/helpers';

let s: RunningSandbox;
let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  s = await startSandbox();
  rx = await startReceiver(() => ({ status: 200, body: 'success' }));
});
afterAll(async () => { await rx.close(); await s.close(); });

const otherKeys = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

function sdk(opts: { privateKey?: string; alipayPublicKey?: string } = {}): AlipaySdk {
  return new AlipaySdk({
    appId: s.creds.alipay.appId,
    privateKey: opts.privateKey ?? s.creds.alipay.app.privateKeyPem,
    keyType: 'PKCS8',
    alipayPublicKey: opts.alipayPublicKey ?? s.creds.alipay.alipay.publicKeyPem,
    gateway: `${s.base}/sandbox/alipay/gateway.do`,
  });
}

const notificationsFor = (no: string) => rx.received.map((r) => Object.fromEntries(new URLSearchParams(r.body))).filter((f) => f.out_trade_no === no);

describe('alipay-sdk against the sandbox gateway', () => {
  it('exec precreate and query: requests accepted, answers verified by validateSign', async () => {
    const no = tradeNo();
    const pre = await sdk().exec('alipay.trade.precreate', { notifyUrl: rx.url, bizContent: { outTradeNo: no, totalAmount: '0.01', subject: 'SDK 互通' } }, { validateSign: true });
    expect(pre).toMatchObject({ code: '10000', outTradeNo: no });
    expect(pre.qrCode).toContain(`/sandbox/cashier/alipay/${no}`);
    const q = await sdk().exec('alipay.trade.query', { bizContent: { outTradeNo: no } }, { validateSign: true });
    expect(q).toMatchObject({ code: '10000', tradeStatus: 'WAIT_BUYER_PAY', totalAmount: '0.01' });
  });

  it('a request signed with a key the gateway does not know: 40002 isv.invalid-signature (the answer still verifies)', async () => {
    const r = await sdk({ privateKey: otherKeys().privateKey }).exec('alipay.trade.query', { bizContent: { outTradeNo: 'X1' } }, { validateSign: true });
    expect(r).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' });
  });

  it('validateSign refuses the sandbox answer under a wrong Alipay public key (so the positive case means something)', async () => {
    await expect(sdk({ alipayPublicKey: otherKeys().publicKey }).exec('alipay.trade.query', { bizContent: { outTradeNo: 'X2' } }, { validateSign: true }))
      .rejects.toThrow(/验签失败/);
  });

  it('payment and refund notifications pass checkNotifySign and checkNotifySignV2; a tampered amount does not', async () => {
    const no = tradeNo();
    await sdk().exec('alipay.trade.precreate', { notifyUrl: rx.url, bizContent: { outTradeNo: no, totalAmount: '9.99', subject: '通知 & 验签' } });
    await control(s, 'pay', { channel: 'alipay', out_trade_no: no });
    expect(await waitFor(() => notificationsFor(no).length === 1)).toBe(true);
    const paid = notificationsFor(no)[0];
    expect(paid).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '9.99', app_id: s.creds.alipay.appId, seller_id: s.creds.alipay.sellerId });
    expect(sdk().checkNotifySignV2(paid)).toBe(true);
    expect(sdk().checkNotifySign(paid)).toBe(true);

    const refund = await sdk().exec('alipay.trade.refund', { bizContent: { outTradeNo: no, refundAmount: '9.99', outRequestNo: 'r1' } }, { validateSign: true });
    expect(refund).toMatchObject({ code: '10000', fundChange: 'Y', refundFee: '9.99' });
    expect(await waitFor(() => notificationsFor(no).length === 2)).toBe(true);
    const refunded = notificationsFor(no)[1];
    expect(refunded).toMatchObject({ out_biz_no: 'r1', refund_fee: '9.99', trade_status: 'TRADE_CLOSED' });
    expect(sdk().checkNotifySignV2(refunded)).toBe(true);
    const rq = await sdk().exec('alipay.trade.fastpay.refund.query', { bizContent: { outTradeNo: no, outRequestNo: 'r1' } }, { validateSign: true });
    expect(rq).toMatchObject({ refundStatus: 'REFUND_SUCCESS', refundAmount: '9.99' });

    await control(s, 'faults', { channel: 'alipay', tamper: 'amount' });
    const bad = tradeNo();
    await sdk().exec('alipay.trade.precreate', { notifyUrl: rx.url, bizContent: { outTradeNo: bad, totalAmount: '1.00', subject: 'x' } });
    await control(s, 'pay', { channel: 'alipay', out_trade_no: bad });
    expect(await waitFor(() => notificationsFor(bad).length === 1)).toBe(true);
    expect(notificationsFor(bad)[0].total_amount).toBe('1.01');
    expect(sdk().checkNotifySignV2(notificationsFor(bad)[0])).toBe(false);
    await control(s, 'faults', { channel: 'alipay' });
  });

  it('close of a paid order answers ACQ.TRADE_STATUS_ERROR, verified', async () => {
    const no = tradeNo();
    await sdk().exec('alipay.trade.precreate', { bizContent: { outTradeNo: no, totalAmount: '1.00', subject: 'x' } });
    await control(s, 'pay', { channel: 'alipay', out_trade_no: no });
    const r = await sdk().exec('alipay.trade.close', { bizContent: { outTradeNo: no } }, { validateSign: true });
    expect(r).toMatchObject({ code: '40004', subCode: 'ACQ.TRADE_STATUS_ERROR' });
  });

  it('pageExecute (wap GET) and sdkExecute (app order string) open the sandbox cashier', async () => {
    const wap = tradeNo();
    const url = sdk().pageExecute('alipay.trade.wap.pay', 'GET', { bizContent: { outTradeNo: wap, totalAmount: '2.00', subject: 'wap', productCode: 'QUICK_WAP_WAY' }, returnUrl: 'http://127.0.0.1:9/back' });
    const r = await fetch(url, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`${s.base}/sandbox/cashier/alipay/${wap}`);
    expect(s.sandbox.control.order('alipay', wap)).toMatchObject({ amount: 200, return_url: 'http://127.0.0.1:9/back' });

    const app = tradeNo();
    const orderString = sdk().sdkExecute('alipay.trade.app.pay', { bizContent: { outTradeNo: app, totalAmount: '3.00', subject: 'app', productCode: 'QUICK_MSECURITY_PAY' } });
    const a = await fetch(`${s.base}/sandbox/alipay/gateway.do?${orderString}`, { redirect: 'manual' });
    expect(a.status).toBe(303);
    expect(s.sandbox.control.order('alipay', app)?.amount).toBe(300);
  });
});
