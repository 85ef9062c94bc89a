/**
 * getOpenid (section 12): login codes from the sandbox's login-code control, exchanged by the core at the sandbox's
 * copies of jscode2session, sns/oauth2/access_token and alipay.system.oauth.token; the openid kept per user and
 * app; createPayment for mp/jsapi paying with the stored openid and refusing another user's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { baseConfig, startHarness, type Harness } from '../support/harness';
import type { SandboxCredentials } from '../../../sandbox/credentials';
import { sessionKeyOf } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/payer-id';

let h: Harness;
afterEach(async () => { await h?.close(); });

const USER_INFO_KEY = 'ab'.repeat(32);

/** The sandbox's mini program and official account with appids of their own under the one mchId (both API versions). */
function withApps(base: string, creds: SandboxCredentials, wxpayOver: Record<string, unknown> = {}) {
  const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
  const apps = {
    appIds: { mp: creds.wxpay.apps.mp.appId, jsapi: creds.wxpay.apps.jsapi.appId },
    appSecrets: { mp: creds.wxpay.apps.mp.appSecret, jsapi: creds.wxpay.apps.jsapi.appSecret },
  };
  return {
    userInfoKey: USER_INFO_KEY,
    providers: { ...providers, wxpay: { ...providers.wxpay, ...apps, ...wxpayOver }, 'wxpay-v2': { ...providers['wxpay-v2'], ...apps, ...wxpayOver } },
  };
}

async function loginCode(provider: 'wxpay' | 'alipay', opts: { pay_type?: string; appid?: string; user?: string } = {}): Promise<string> {
  const res = await fetch(`${h.base}/sandbox/control/login-code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider, ...opts }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { code: string }).code;
}

const errorsOf = async (action: string) => (await all(h.t.db, 'payment_errors')).filter((e) => e.action === action);
const stored = () => all(h.t.db, 'vk_pay_openids');

async function payAtSandbox(channel: 'wxpay' | 'wxpay-v2' | 'alipay', outTradeNo: string) {
  expect(h.sandbox.control.pay(channel, outTradeNo)).toMatchObject({ ok: true });
  expect(await h.sandbox.control.settled()).toBe(true);
  return h.call('queryPayment', { out_trade_no: outTradeNo }, { uid: 'u1' });
}

describe.each(['wxpay', 'wxpay-v2'] as const)('WeChat login codes through %s', (channel) => {
  it('mp: wx.login code -> jscode2session -> openid stored for the mini program with its session key; createPayment pays with it', async () => {
    h = await startHarness({ wxpayChannel: channel, config: (base: string, creds: SandboxCredentials) => withApps(base, creds) });
    const { apps } = h.creds.wxpay;
    const r = await h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: await loginCode('wxpay', { pay_type: 'mp', user: 'alice' }) }, { uid: 'u1' });
    expect(Object.keys(r)).toEqual(['openid']);
    expect(r.openid).toMatch(/^o[A-Za-z0-9]{27}$/);
    const [doc] = await stored();
    expect(doc).toMatchObject({ user_id: 'u1', provider: 'wxpay', pay_type: 'mp', app_id: apps.mp.appId, openid: r.openid });
    // the session key is kept encrypted under userInfoKey and is readable on the server only
    expect(doc.session_key).toMatchObject({ alg: 'aes-256-gcm' });
    expect(await sessionKeyOf(h.core.ctx, 'u1', apps.mp.appId)).toMatch(/^[A-Za-z0-9+/]{22}==$/);

    const order = await h.call('createPayment', { provider: 'wxpay', pay_type: 'mp', type: 'recharge', amount: 100 }, { uid: 'u1' });
    expect(order.payment.kind).toBe('requestPayment');
    expect(order.payment.params.appId).toBe(apps.mp.appId);
    expect(h.sandbox.control.order(channel, order.out_trade_no)).toMatchObject({ payer_id: r.openid, app_id: apps.mp.appId });
    expect(await payAtSandbox(channel, order.out_trade_no)).toMatchObject({ status: 'paid' });
  });

  it('jsapi: the official account OAuth code -> sns/oauth2/access_token -> its own openid for the same person', async () => {
    h = await startHarness({ wxpayChannel: channel, config: (base: string, creds: SandboxCredentials) => withApps(base, creds) });
    const mp = await h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: await loginCode('wxpay', { pay_type: 'mp', user: 'alice' }) }, { uid: 'u1' });
    const oa = await h.call('getOpenid', { provider: 'wxpay', pay_type: 'jsapi', code: await loginCode('wxpay', { pay_type: 'jsapi', user: 'alice' }) }, { uid: 'u1' });
    expect(oa.openid).not.toBe(mp.openid);
    const docs = await stored();
    expect(docs.map((d) => d.app_id).sort()).toEqual([h.creds.wxpay.apps.jsapi.appId, h.creds.wxpay.apps.mp.appId].sort());
    expect(docs.find((d) => d.pay_type === 'jsapi')?.session_key).toBeUndefined();
    const order = await h.call('createPayment', { provider: 'wxpay', pay_type: 'jsapi', type: 'recharge', amount: 200 }, { uid: 'u1' });
    expect(h.sandbox.control.order(channel, order.out_trade_no)).toMatchObject({ payer_id: oa.openid, app_id: h.creds.wxpay.apps.jsapi.appId });
    // a later login of the same user for the same app updates the one document
    await h.call('getOpenid', { provider: 'wxpay', pay_type: 'jsapi', code: await loginCode('wxpay', { pay_type: 'jsapi', user: 'alice' }) }, { uid: 'u1' });
    expect(await stored()).toHaveLength(2);
  });

  it('a reused code (40163), a code of another app (40029) and an unknown code -> 40001 with WeChat\'s reason in the error row; nothing stored', async () => {
    h = await startHarness({ wxpayChannel: channel, config: (base: string, creds: SandboxCredentials) => withApps(base, creds) });
    const code = await loginCode('wxpay', { pay_type: 'mp' });
    await h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code }, { uid: 'u1' });
    await h.t.db.collection('vk_pay_openids').where({ user_id: 'u1' }).remove();
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code }, { uid: 'u1' })).rejects.toMatchObject({ code: 40001 });
    const foreign = await loginCode('wxpay', { pay_type: 'jsapi' });
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: foreign }, { uid: 'u1' })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: 'not-a-code-the-sandbox-issued' }, { uid: 'u1' })).rejects.toMatchObject({ code: 40001 });
    const rows = await errorsOf('getOpenid');
    expect(rows.map((r) => r.message)).toEqual([
      expect.stringMatching(new RegExp(`: ${channel} 40163: code been used, rid: `)),
      expect.stringMatching(new RegExp(`: ${channel} 40029: invalid code`)),
      expect.stringMatching(new RegExp(`: ${channel} 40029: invalid code`)),
    ]);
    expect(await stored()).toHaveLength(0);
  });

  it('a wrong AppSecret in the config -> 40003 (the secret never appears in the error row)', async () => {
    const wrong = 'f'.repeat(32);
    h = await startHarness({ wxpayChannel: channel, config: (base, creds) => withApps(base, creds, { appSecrets: { mp: wrong, jsapi: wrong } }) });
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: await loginCode('wxpay', { pay_type: 'mp' }) }, { uid: 'u1' })).rejects.toMatchObject({ code: 40003 });
    const [row] = await errorsOf('getOpenid');
    expect(row.message).toMatch(/40125: invalid appsecret/);
    expect(JSON.stringify(row)).not.toContain(wrong);
    expect(await stored()).toHaveLength(0);
  });
});

describe('Alipay auth codes', () => {
  it('mp: my.getAuthCode code -> alipay.system.oauth.token -> open_id stored; createPayment pays with it; a reused code -> isv.code-invalid, 40001', async () => {
    h = await startHarness();
    const code = await loginCode('alipay', { user: 'bob' });
    const r = await h.call('getOpenid', { provider: 'alipay', pay_type: 'mp', code }, { uid: 'u1' });
    expect(r.openid).toMatch(/^0[A-Za-z0-9]{46}$/);
    expect(await stored()).toMatchObject([{ user_id: 'u1', provider: 'alipay', app_id: h.creds.alipay.appId, openid: r.openid }]);
    const order = await h.call('createPayment', { provider: 'alipay', pay_type: 'mp', type: 'recharge', amount: 300 }, { uid: 'u1' });
    expect(order.payment.kind).toBe('trade_no');
    expect(h.sandbox.control.order('alipay', order.out_trade_no)).toMatchObject({ payer_id: r.openid });
    expect(await payAtSandbox('alipay', order.out_trade_no)).toMatchObject({ status: 'paid' });

    await expect(h.call('getOpenid', { provider: 'alipay', pay_type: 'mp', code }, { uid: 'u2' })).rejects.toMatchObject({ code: 40001 });
    const [row] = await errorsOf('getOpenid');
    expect(row.message).toMatch(/alipay isv\.code-invalid: Invalid Arguments \/ 授权码code无效/);
    expect(await stored()).toHaveLength(1);
  });
});

describe('createPayment and the stored openid', () => {
  it('no stored openid and none given -> 40001 asking for a login code; another user\'s openid -> 40009; the own one passes', async () => {
    h = await startHarness({ config: (base: string, creds: SandboxCredentials) => withApps(base, creds) });
    const mp = { provider: 'wxpay', pay_type: 'mp', type: 'recharge', amount: 100 };
    await expect(h.call('createPayment', mp, { uid: 'u2' })).rejects.toMatchObject({ code: 40001, message: expect.stringContaining('getOpenid') });
    const { openid } = await h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: await loginCode('wxpay', { pay_type: 'mp' }) }, { uid: 'u1' });
    const before = (await all(h.t.db, 'payment_orders')).length;
    await expect(h.call('createPayment', { ...mp, openid }, { uid: 'u2' })).rejects.toMatchObject({ code: 40009 });
    // u1's own stored openid differs from what a client claims: refused too
    await expect(h.call('createPayment', { ...mp, openid: 'oSomeoneElse0000000000000000' }, { uid: 'u1' })).rejects.toMatchObject({ code: 40009 });
    expect((await all(h.t.db, 'payment_orders')).length).toBe(before);
    const ok = await h.call('createPayment', { ...mp, openid }, { uid: 'u1' });
    expect(h.sandbox.control.order('wxpay', ok.out_trade_no)).toMatchObject({ payer_id: openid });
  });

  it('getOpenid refuses pay types that need no payer id and bad input, before any exchange', async () => {
    h = await startHarness({ config: (base: string, creds: SandboxCredentials) => withApps(base, creds) });
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'native', code: 'x' }, { uid: 'u1' })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp' }, { uid: 'u1' })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('getOpenid', { provider: 'paypal', pay_type: 'mp', code: 'x' }, { uid: 'u1' })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: 'x' }, {})).rejects.toMatchObject({ code: 40009 });
    expect(await stored()).toHaveLength(0);
  });
});
