/**
 * Alipay third-party app mode end to end through the sandbox (providers/alipay/transport.ts, sandbox/alipay/
 * app-auth.ts): the sandbox's app acts for a merchant that authorised it (app_auth_token). vip orders go to that
 * merchant: created, paid (notification with app_id = the third-party app, auth_app_id = the merchant's app), queried
 * and refunded, every call carrying the token. A wrong token is refused by the sandbox and nothing is booked; a
 * notification for another merchant that authorised the same app, which the config does not name, changes nothing.
 * Mini-program payers: the merchant's mini-program login code is exchanged with its token, and the mp order names
 * that mini program (op_app_id) and its payer; a code or payer of any other app is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { baseConfig, startHarness, type Harness } from '../support/harness';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { generateSandboxCredentials, type SandboxCredentials } from '../../../sandbox/credentials';
import { buildAlipayNotification } from '../../../sandbox/alipay/objects';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

/** The merchant that authorised the sandbox's app, as a merchant section: the app's keys, the merchant's token. */
function isvSection(creds: SandboxCredentials, i = 0, token?: string) {
  const a = creds.alipayAuthorizations[i];
  return { app_auth_token: token ?? a.appAuthToken, auth_app_id: a.authAppId, sellerId: a.sellerId };
}

async function isvHarness(token?: string): Promise<Harness> {
  return startHarness({
    config: (base: string, creds: SandboxCredentials) => {
      const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
      return { providers: { ...providers, alipay: { ...providers.alipay, merchants: { isv: isvSection(creds, 0, token) }, merchantFor: { vip: 'isv' } } } };
    },
  });
}

const order = async (no: string) => (await all(h!.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;

describe('Alipay third-party app mode', () => {
  it('an order for the authorising merchant is created, paid, notified, queried and refunded with its app_auth_token', async () => {
    h = await isvHarness();
    const auth = h.creds.alipayAuthorizations[0];
    const vip = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'vip', goods_id: 'month' }, { uid: 'i1' });
    expect(h.sandbox.control.order('alipay', vip.out_trade_no)).toMatchObject({ app_id: h.creds.alipay.appId, auth_app_id: auth.authAppId, merchant_id: auth.sellerId, amount: 1500 });
    // the app's own trades (no token) are untouched by it: a recharge stays with the default merchant
    const own = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 100 }, { uid: 'i1' });
    expect(h.sandbox.control.order('alipay', own.out_trade_no)!.auth_app_id).toBeUndefined();

    expect(h.sandbox.control.pay('alipay', vip.out_trade_no)).toMatchObject({ ok: true });
    expect(await h.sandbox.control.settled()).toBe(true);
    expect(h.received.at(-1)).toMatchObject({ channel: 'alipay', status: 200 });
    expect(h.received.at(-1)!.req.rawBody).toContain(`auth_app_id=${auth.authAppId}`);
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'paid', merchant: 'isv' });
    expect(await h.call('queryPayment', { out_trade_no: vip.out_trade_no }, { uid: 'i1' })).toMatchObject({ status: 'paid', amount: 1500 });

    const refund = await h.call('refund', { out_trade_no: vip.out_trade_no, amount: 500 }, { admin: true });
    expect(refund).toMatchObject({ amount: 500 });
    expect(h.sandbox.control.order('alipay', vip.out_trade_no)).toMatchObject({ refunded: 500 });
    expect(await h.sandbox.control.settled()).toBe(true);
    expect(await h.call('queryRefund', { out_refund_no: refund.out_refund_no }, { admin: true })).toMatchObject({ status: 'success' });
    expect((await all(h.t.db, 'refund_records'))[0]).toMatchObject({ merchant: 'isv', status: 'success' });
    // closing an unpaid trade of the merchant goes with the token too
    const other = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'vip', goods_id: 'month' }, { uid: 'i1' });
    await h.call('closeOrder', { out_trade_no: other.out_trade_no }, { uid: 'i1' });
    expect(h.sandbox.control.order('alipay', other.out_trade_no)).toMatchObject({ status: 'CLOSED', auth_app_id: auth.authAppId });
    expect(await all(h.t.db, 'payment_errors')).toHaveLength(0);
  });

  it('a wrong app_auth_token is refused by the sandbox (aop.invalid-app-auth-token) and nothing is booked there', async () => {
    h = await isvHarness('202512BBnot-a-token-this-app-holds00');
    const err = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'vip', goods_id: 'month' }, { uid: 'i2' }).then(() => undefined, (e) => e);
    expect(err).toBeDefined();
    expect(String(err.message)).toContain('invalid-app-auth-token');
    // the gateway booked nothing for any order vk-pay tried
    const tried = await all(h.t.db, 'payment_orders');
    for (const o of tried) expect(h.sandbox.control.order('alipay', o.out_trade_no)).toBeUndefined();
    expect((await all(h.t.db, 'payment_errors')).map((r) => r.message).join(' ')).toContain('invalid-app-auth-token');
  });

  it('a notification for another merchant that authorised the same app, not in the config, changes nothing', async () => {
    h = await isvHarness();
    const stranger = h.creds.alipayAuthorizations[1];
    const vip = await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'vip', goods_id: 'month' }, { uid: 'i3' });
    const booked = h.sandbox.control.order('alipay', vip.out_trade_no)!;
    const paidForStranger = { ...booked, auth_app_id: stranger.authAppId, merchant_id: stranger.sellerId, status: 'SUCCESS' as const, paid_at: Date.now() };
    const out = buildAlipayNotification(h.creds, 'stranger-0001', paidForStranger, undefined, [], undefined, Date.now());
    const reply = await h.notify('alipay', { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, rawBody: out.body, query: {} });
    expect(reply.body).not.toBe('success');
    const rows = await all(h.t.db, 'payment_errors');
    expect(rows).toHaveLength(1);
    expect(rows[0].message).toMatch(/appid .* is not this merchant's|seller_id .* is not this merchant's/);
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'pending' });
  });

  it('app_auth_token and auth_app_id are each named when the other is missing at load', async () => {
    const creds = await generateSandboxCredentials();
    const cfg = (merchant: Record<string, unknown>) => {
      const c = baseConfig('http://127.0.0.1:1', creds);
      const providers = c.providers as Record<string, Record<string, unknown>>;
      return { ...c, providers: { ...providers, alipay: { ...providers.alipay, merchants: { isv: merchant } } } };
    };
    const { auth_app_id: _a, ...noApp } = isvSection(creds);
    expect(() => parseConfig(cfg(noApp))).toThrow(/providers\.alipay\.merchants\.isv\.auth_app_id: required with app_auth_token/);
    const { app_auth_token: _t, ...noToken } = isvSection(creds);
    expect(() => parseConfig(cfg(noToken))).toThrow(/providers\.alipay\.merchants\.isv\.app_auth_token: required with auth_app_id/);
    expect(() => parseConfig(cfg(isvSection(creds)))).not.toThrow();
  });
});

describe('Alipay third-party mini-program payments', () => {
  const loginCode = (appid: string, user: string) => h!.sandbox.control.loginCode('alipay', { appid, user }).code;
  const getOpenid = (code: string, uid: string, type?: string) =>
    h!.call('getOpenid', { provider: 'alipay', pay_type: 'mp', code, ...(type ? { type, goods_id: 'month' } : {}) }, { uid });
  const errorsOf = async (action: string) => (await all(h!.t.db, 'payment_errors')).filter((e) => e.action === action).map((e) => String(e.message));

  it('login code of the merchant\'s mini program -> openid (exchanged with its token) -> mp order in that mini program -> paid', async () => {
    h = await isvHarness();
    const auth = h.creds.alipayAuthorizations[0];
    const { openid } = await getOpenid(loginCode(auth.authAppId, 'fay'), 'i4', 'vip');
    expect(await all(h.t.db, 'vk_pay_openids')).toMatchObject([{ user_id: 'i4', provider: 'alipay', app_id: auth.authAppId, openid }]);
    const vip = await h.call('createPayment', { provider: 'alipay', pay_type: 'mp', type: 'vip', goods_id: 'month' }, { uid: 'i4' });
    expect(vip.payment.kind).toBe('trade_no');
    expect(h.sandbox.control.order('alipay', vip.out_trade_no)).toMatchObject({ auth_app_id: auth.authAppId, merchant_id: auth.sellerId, payer_id: openid, amount: 1500 });
    expect(h.sandbox.control.pay('alipay', vip.out_trade_no)).toMatchObject({ ok: true });
    expect(await h.sandbox.control.settled()).toBe(true);
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'paid', merchant: 'isv' });
    expect(await h.call('queryPayment', { out_trade_no: vip.out_trade_no }, { uid: 'i4' })).toMatchObject({ status: 'paid', amount: 1500 });
    expect(await all(h.t.db, 'payment_errors')).toHaveLength(0);
  });

  it('a code of another app, or a payer of the app\'s own mini program, is refused for the merchant; nothing is booked', async () => {
    h = await isvHarness();
    const auth = h.creds.alipayAuthorizations[0];
    // the app's own mini-program code, exchanged for the merchant (with its token); the merchant's code, exchanged
    // for the app itself (without a token): each is a code of another app to Alipay
    await expect(getOpenid(loginCode(h.creds.alipay.appId, 'gus'), 'i5', 'vip')).rejects.toMatchObject({ code: 40001 });
    await expect(getOpenid(loginCode(auth.authAppId, 'gus'), 'i5')).rejects.toMatchObject({ code: 40001 });
    expect(await errorsOf('getOpenid')).toEqual([expect.stringContaining('isv.code-invalid'), expect.stringContaining('isv.code-invalid')]);
    expect(await all(h.t.db, 'vk_pay_openids')).toHaveLength(0);
    // the person's id under the app's own mini program, named for the merchant's order: the gateway refuses it
    const own = await getOpenid(loginCode(h.creds.alipay.appId, 'gus'), 'i5');
    await expect(h.call('createPayment', { provider: 'alipay', pay_type: 'mp', type: 'vip', goods_id: 'month', openid: own.openid }, { uid: 'i5' }))
      .rejects.toMatchObject({ code: 40001, message: expect.stringContaining('op_buyer_open_id与op_app_id不匹配') });
    for (const o of await all(h.t.db, 'payment_orders')) expect(h.sandbox.control.order('alipay', o.out_trade_no)).toBeUndefined();
  });
});
