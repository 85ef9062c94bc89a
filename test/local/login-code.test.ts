/**
 * Login codes through the local host, as a device and the built cloud object meet them: the sandbox hands out the
 * code `uni.login` (or the official account's OAuth redirect) would give, the built vk-pay-co exchanges it at the
 * sandbox's api.weixin.qq.com, and createPayment pays the mini program's / official account's own appid with the
 * stored openid, until the sandbox reports the order paid. The local config gives each its appid (config.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useRunningHost } from './running-host';
import { postSecapi } from '../core/support/secapi';

const local = useRunningHost('vkpay-login-', 180_000);
const { postJson: post } = local;

describe('getOpenid on the local host', () => {
  it.each([['mp', 'requestPayment'], ['jsapi', 'requestPayment']])('%s: login code -> openid -> createPayment -> paid at the sandbox', async (payType) => {
    const creds = JSON.parse(fs.readFileSync(path.join(local.home, 'sandbox', 'credentials.json'), 'utf8'));
    const appId = creds.wxpay.apps[payType].appId as string;
    const token = (await post('/__dev/login', { uid: `dana-${payType}` })).token as string;
    const auth = { 'uni-id-token': token };
    const { code, appid } = await post('/sandbox/control/login-code', { provider: 'wxpay', pay_type: payType, user: 'dana' });
    expect(appid).toBe(appId);
    const got = await post('/http/vk-pay-co/getOpenid', { provider: 'wxpay', pay_type: payType, code }, auth);
    expect(got).toMatchObject({ code: 0, data: { openid: expect.stringMatching(/^o[A-Za-z0-9]{27}$/) } });
    expect(JSON.stringify(got)).not.toContain('session_key');
    // the code was spent: a second exchange is WeChat's 40163, answered as 40001
    expect(await post('/http/vk-pay-co/getOpenid', { provider: 'wxpay', pay_type: payType, code }, auth)).toMatchObject({ errCode: 40001 });

    const created = await post('/http/vk-pay-co/createPayment', { provider: 'wxpay', pay_type: payType, type: 'recharge', amount: 123 }, auth);
    expect(created).toMatchObject({ code: 0, data: { payment: { kind: 'requestPayment', params: { appId } } } });
    const no = created.data.out_trade_no as string;
    expect(await post('/sandbox/control/pay', { channel: 'wxpay', out_trade_no: no })).toMatchObject({ ok: true, order: { payer_id: got.data.openid, app_id: appId } });
    const paid = await post('/http/vk-pay-co/queryPayment', { out_trade_no: no, await_notify: true }, auth);
    expect(paid).toMatchObject({ code: 0, data: { status: 'paid' } });
  });
});

describe('WeChat Pay v2 /secapi/ on the local host', () => {
  const post = postSecapi;

  it('serves it over mutual TLS: the merchant p12 the local config uses completes the handshake, no certificate does not', async () => {
    const secapi = process.env.VKPAY_SECAPI_URL;
    expect(secapi).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const tls = JSON.parse(fs.readFileSync(path.join(local.home, 'sandbox', 'tls.json'), 'utf8'));
    const creds = JSON.parse(fs.readFileSync(path.join(local.home, 'sandbox', 'credentials.json'), 'utf8'));
    const url = `${secapi}/sandbox/wxpay/secapi/pay/refund`;
    expect((await post(url, { ca: tls.caPem })).error).toBeDefined();
    const ok = await post(url, { ca: tls.caPem, pfx: Buffer.from(tls.clientP12, 'base64'), passphrase: creds.wxpay.mchId });
    expect(ok).toMatchObject({ status: 200, body: expect.stringContaining('<return_code>') });
  });
});
