/**
 * The sandbox's WeChat Pay v3 partner paths check what WeChat checks (sandbox/wxpay/v3-partner.ts): the caller is a
 * service provider, sp_mchid is the merchant that signed, sub_mchid is bound to it, sp_appid and sub_appid are
 * bound, an openid belongs to the app its field names; orders are seen only by their provider and sub-merchant. And
 * the client's pay parameters of a partner order are signed for the app the payer pays in (sub_appid or sp_appid).
 * Requests are signed by the real transport (providers/wxpay/transport.ts) with each merchant's own keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from './helpers';
import { createFetchHttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { resolveWxpayConfig, type WxpayConfig } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/config';
import { createWxpayTransport } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/transport';
import { createWxpayProvider } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/provider';
import { buildPaySignMessage, buildAppPaySignMessage, verifySha256Rsa } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import type { SandboxWxMerchant } from '../../sandbox/credentials';

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

const ctx = () => ({ http: createFetchHttpClient(), retry: { maxAttempts: 1 } });
const sp = () => s.creds.wxpayMerchants[1];
const second = () => s.creds.wxpayMerchants[0];

/** A config signing as merchant `m` (its mchid, keys, appid) against the sandbox. */
function signingAs(m: SandboxWxMerchant, over: Partial<WxpayConfig> = {}): WxpayConfig {
  return { appId: m.appId, mchId: m.mchId, apiV3Key: m.apiV3Key, merchant: m.merchant, platform: m.platform, baseUrl: `${s.base}/sandbox/wxpay/`, retry: { maxAttempts: 1 }, ...over } as WxpayConfig;
}

function partner(i = 0, withSubApp = true): WxpayConfig {
  const sub = sp().subMerchants![i];
  return signingAs(sp(), { sp_mchid: sp().mchId, sp_appid: sp().appId, sub_mchid: sub.mchId, ...(withSubApp ? { sub_appid: sub.appId } : {}) });
}

/** The provider's code of a refused call. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (e) { return String((e as { providerCode?: string }).providerCode ?? (e as Error).message); }
  return 'accepted';
}

let seq = 0;
const no = () => `P${Date.now()}${seq++}`;
const order = (over: Record<string, unknown> = {}) => ({
  description: 'partner', out_trade_no: no(), notify_url: 'https://example.com/notify', amount: { total: 100, currency: 'CNY' }, ...over,
});

describe('sandbox WeChat Pay v3 partner paths', () => {
  it('refuses what WeChat refuses: sp_mchid not the signer, a sub-merchant or appid not bound, a direct merchant on the partner path, a provider on the direct path', async () => {
    const call = createWxpayTransport(resolveWxpayConfig(partner()), ctx());
    const sub = sp().subMerchants![0];
    const ids = { sp_appid: sp().appId, sp_mchid: sp().mchId, sub_mchid: sub.mchId };
    await expect(call('POST', '/v3/pay/partner/transactions/native', order(ids))).resolves.toMatchObject({ status: 200 });
    // sp_mchid must be the merchant whose key signed the request
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/native', order({ ...ids, sp_mchid: second().mchId })))).toBe('PARAM_ERROR');
    // a sub-merchant of no relation to this provider (another merchant's mchid, or made up)
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/native', order({ ...ids, sub_mchid: second().mchId })))).toBe('INVALID_REQUEST');
    // sp_appid bound to the provider; sub_appid bound to the sub-merchant (the other sub-merchant's app is not)
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/native', order({ ...ids, sp_appid: second().appId })))).toBe('APPID_MCHID_NOT_MATCH');
    // nor the main merchant's own mini program
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/native', order({ ...ids, sp_appid: s.creds.wxpay.apps.mp.appId })))).toBe('APPID_MCHID_NOT_MATCH');
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/native', order({ ...ids, sub_appid: sp().subMerchants![1].appId })))).toBe('APPID_MCHID_NOT_MATCH');
    // a payer named by sub_openid needs sub_appid; the ids are each required
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/jsapi', order({ ...ids, payer: { sub_openid: 'oSomeoneUnderTheSubApp000000' } })))).toBe('PARAM_ERROR');
    expect(await refusal(call('POST', '/v3/pay/partner/transactions/native', order({ sp_appid: sp().appId, sp_mchid: sp().mchId })))).toBe('PARAM_ERROR');
    // a service provider has no payments of its own: the direct path wants a sub-merchant it cannot name there
    expect(await refusal(call('POST', '/v3/pay/transactions/native', order({ appid: sp().appId, mchid: sp().mchId })))).toBe('PARAM_ERROR');
    // a direct merchant names no sub-merchants
    const direct = createWxpayTransport(resolveWxpayConfig(signingAs(second())), ctx());
    expect(await refusal(direct('POST', '/v3/pay/partner/transactions/native', order({ sp_appid: second().appId, sp_mchid: second().mchId, sub_mchid: sub.mchId })))).toBe('PARAM_ERROR');
    await expect(direct('POST', '/v3/pay/transactions/native', order({ appid: second().appId, mchid: second().mchId }))).resolves.toMatchObject({ status: 200 });
  });

  it('an order is seen only by its provider and sub-merchant: query, close and refund for another sub-merchant find nothing', async () => {
    const mine = createWxpayProvider(partner(0), ctx());
    const theirs = createWxpayProvider(partner(1, false), ctx());
    const out_trade_no = no();
    await mine.createOrder({ out_trade_no, amount: 300, subject: 'x', pay_type: 'native', notify_url: 'https://example.com/n', expires_at: Date.now() + 600_000 });
    expect(s.sandbox.control.order('wxpay', out_trade_no)).toMatchObject({ merchant_id: sp().mchId, sub_merchant_id: sp().subMerchants![0].mchId });
    expect(await mine.queryOrder(out_trade_no)).toMatchObject({ state: 'pending', merchant: { app_id: sp().subMerchants![0].appId, merchant_id: sp().subMerchants![0].mchId } });
    expect(await theirs.queryOrder(out_trade_no)).toMatchObject({ state: 'not_found' });
    // the main merchant (direct) and the second one do not see it either
    expect(await createWxpayProvider(signingAs(second()), ctx()).queryOrder(out_trade_no)).toMatchObject({ state: 'not_found' });
    expect(s.sandbox.control.pay('wxpay', out_trade_no)).toMatchObject({ ok: true });
    expect(await refusal(theirs.refund({ out_trade_no, out_refund_no: `R${out_trade_no}`, refund_amount: 100, total_amount: 300, notify_url: 'https://example.com/n' }))).toBe('RESOURCE_NOT_EXISTS');
    await expect(mine.refund({ out_trade_no, out_refund_no: `R${out_trade_no}`, refund_amount: 100, total_amount: 300, notify_url: 'https://example.com/n' })).resolves.toMatchObject({ amount: 100 });
    expect(await refusal(theirs.queryRefund(`R${out_trade_no}`, out_trade_no))).toBe('RESOURCE_NOT_EXISTS');
    await expect(mine.queryRefund(`R${out_trade_no}`, out_trade_no)).resolves.toMatchObject({ out_refund_no: `R${out_trade_no}` });
  });

  it('the client pays in the app its openid belongs to: sub_openid + sub_appid, or sp_openid + sp_appid; signed with the provider\'s key', async () => {
    const sub = sp().subMerchants![0];
    for (const [withSubApp, appId, field] of [[true, sub.appId, 'sub_openid'], [false, sp().appId, 'sp_openid']] as const) {
      const p = createWxpayProvider(partner(0, withSubApp), ctx());
      const out_trade_no = no();
      const made = await p.createOrder({ out_trade_no, amount: 100, subject: 'x', pay_type: 'mp', openid: 'oPayerOfTheApp0000000000000', notify_url: 'https://example.com/n', expires_at: Date.now() + 600_000 });
      expect(s.sandbox.control.order('wxpay', out_trade_no)).toMatchObject({ payer_id: 'oPayerOfTheApp0000000000000', payer_field: field });
      const params = (made.payment as { params: Record<string, string> }).params;
      expect(params.appId).toBe(appId);
      const message = buildPaySignMessage(params.appId, params.timeStamp, params.nonceStr, params.package.slice('prepay_id='.length));
      expect(verifySha256Rsa(message, params.paySign, sp().merchant.publicKeyPem)).toBe(true);
      // App: the app's appid and the sub-merchant as partnerid
      const app = await p.createOrder({ out_trade_no: no(), amount: 100, subject: 'x', pay_type: 'app', notify_url: 'https://example.com/n', expires_at: Date.now() + 600_000 });
      const a = (app.payment as { params: Record<string, string> }).params;
      expect(a).toMatchObject({ appid: appId, partnerid: sub.mchId });
      expect(verifySha256Rsa(buildAppPaySignMessage(a.appid, a.timestamp, a.noncestr, a.prepayid), a.sign, sp().merchant.publicKeyPem)).toBe(true);
    }
  });
});
