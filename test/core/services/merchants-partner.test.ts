/**
 * WeChat Pay v3 service-provider (partner) mode end to end through the sandbox (providers/wxpay/partner.ts,
 * sandbox/wxpay/v3-partner.ts): the sandbox's service provider takes vip orders for its first sub-merchant. A
 * partner order is created on the partner path, paid (notification with sp_/sub_ fields, bound to the sub-merchant),
 * queried (sp_mchid + sub_mchid), refunded (sub_mchid); another is closed. A notification of the same provider for a
 * sub-merchant the config does not name is refused with no state change. A partner section missing ids is named
 * field by field when the config loads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { baseConfig, startHarness, timerNow, type Harness } from '../support/harness';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { generateSandboxCredentials, type SandboxCredentials } from '../../../sandbox/credentials';
import { buildV3Notification } from '../../../sandbox/wxpay/v3-objects';
import { credsFor } from '../../../sandbox/wxpay/merchants';
import { partnerSection } from '../support/partner';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

async function partnerHarness(): Promise<Harness> {
  return startHarness({
    config: (base: string, creds: SandboxCredentials) => {
      const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
      return { providers: { ...providers, wxpay: { ...providers.wxpay, merchants: { sub: partnerSection(creds) }, merchantFor: { vip: 'sub' } } } };
    },
  });
}

const order = async (no: string) => (await all(h!.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;

describe('WeChat Pay v3 partner mode', () => {
  it('a partner order is created on the partner path, paid and notified for the sub-merchant, queried, refunded with sub_mchid; another is closed', async () => {
    h = await partnerHarness();
    const sp = h.creds.wxpayMerchants[1];
    const sub = sp.subMerchants![0];
    const vip = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'vip', goods_id: 'month' }, { uid: 'p1' });
    // booked at the sandbox by the service provider for its sub-merchant
    expect(h.sandbox.control.order('wxpay', vip.out_trade_no)).toMatchObject({ merchant_id: sp.mchId, app_id: sp.appId, sub_merchant_id: sub.mchId, sub_app_id: sub.appId, amount: 1500 });
    expect(await order(vip.out_trade_no)).toMatchObject({ merchant: 'sub', status: 'pending' });

    // the notification (sp_mchid, sub_mchid, sp_appid, sub_appid in its resource) is verified with the provider's keys
    expect(h.sandbox.control.pay('wxpay', vip.out_trade_no)).toMatchObject({ ok: true });
    expect(await h.sandbox.control.settled()).toBe(true);
    expect(h.received.at(-1)).toMatchObject({ channel: 'wxpay', status: 200 });
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'paid', merchant: 'sub' });
    const inbox = await all(h.t.db, 'payment_notifications');
    expect(JSON.stringify(inbox.at(-1))).toContain(sub.mchId);

    // queried on the partner path (sp_mchid + sub_mchid in the query)
    expect(await h.call('queryPayment', { out_trade_no: vip.out_trade_no }, { uid: 'p1' })).toMatchObject({ status: 'paid', amount: 1500 });

    // refunded with sub_mchid; REFUND.SUCCESS comes with sp_mchid/sub_mchid and is bound to the sub-merchant
    const refund = await h.call('refund', { out_trade_no: vip.out_trade_no, amount: 500 }, { admin: true });
    expect(refund).toMatchObject({ amount: 500 });
    expect(await h.sandbox.control.settled()).toBe(true);
    await timerNow(h);
    expect((await all(h.t.db, 'refund_records'))[0]).toMatchObject({ merchant: 'sub', status: 'success' });
    expect(await h.call('queryPayment', { out_trade_no: vip.out_trade_no }, { uid: 'p1' })).toMatchObject({ status: 'partially_refunded', refunded_amount: 500 });

    // a second partner order closed on the partner close path
    const other = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'vip', goods_id: 'month' }, { uid: 'p1' });
    await h.call('closeOrder', { out_trade_no: other.out_trade_no }, { uid: 'p1' });
    expect(h.sandbox.control.order('wxpay', other.out_trade_no)).toMatchObject({ status: 'CLOSED', sub_merchant_id: sub.mchId });
    expect(await order(other.out_trade_no)).toMatchObject({ status: 'closed' });
    expect(await all(h.t.db, 'payment_errors')).toHaveLength(0);
  });

  it('a paid partner order is found by the query when its notification never came', async () => {
    h = await partnerHarness();
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    const vip = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'vip', goods_id: 'month' }, { uid: 'p2' });
    expect(h.sandbox.control.pay('wxpay', vip.out_trade_no)).toMatchObject({ ok: true });
    expect(await h.call('queryPayment', { out_trade_no: vip.out_trade_no }, { uid: 'p2' })).toMatchObject({ status: 'paid' });
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'paid', merchant: 'sub' });
  });

  it('a notification of the same service provider for a sub-merchant the config does not name is refused, nothing changes', async () => {
    h = await partnerHarness();
    const sp = h.creds.wxpayMerchants[1];
    const foreign = sp.subMerchants![1];
    const vip = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'vip', goods_id: 'month' }, { uid: 'p3' });
    const booked = h.sandbox.control.order('wxpay', vip.out_trade_no)!;
    // WeChat's own signature and encryption (the provider's platform key and APIv3 key), naming the other
    // sub-merchant: under the provider's app (only sub_mchid differs), then under that sub-merchant's own app
    const variants = [
      { sub_merchant_id: foreign.mchId, sub_app_id: undefined, why: `mchid ${foreign.mchId} is not this merchant's` },
      { sub_merchant_id: foreign.mchId, sub_app_id: foreign.appId, why: `appid ${foreign.appId} is not this merchant's` },
    ];
    for (const [i, v] of variants.entries()) {
      const paidElsewhere = { ...booked, sub_merchant_id: v.sub_merchant_id, sub_app_id: v.sub_app_id, status: 'SUCCESS' as const, paid_at: Date.now() };
      const out = buildV3Notification(credsFor(h.creds, sp), `EV-foreign-sub-000${i}`, Date.now(), paidElsewhere, undefined, undefined, Date.now());
      const headers = Object.fromEntries(Object.entries(out.headers).map(([k, val]) => [k.toLowerCase(), val]));
      const reply = await h.notify('wxpay', { headers, rawBody: out.body, query: {} });
      // refused (a bind failure is a 40002: not acknowledged) with its error row, and nothing changes
      expect(reply.statusCode).toBe(500);
      const rows = await all(h.t.db, 'payment_errors');
      expect(rows).toHaveLength(i + 1);
      expect(rows.at(-1)).toMatchObject({ code: 40002, action: 'notify' });
      expect(rows.at(-1)!.message).toContain(v.why);
    }
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'pending' });
    expect((await order(vip.out_trade_no)).transaction_id).toBeUndefined();
    expect(await all(h.t.db, 'payment_notifications')).toHaveLength(0);
    expect(await all(h.t.db, 'vk_pay_points')).toHaveLength(0);
  });

  it('getOpenid for the order type exchanges the code with the sub-merchant\'s app; the mp order pays as payer.sub_openid in that app', async () => {
    h = await partnerHarness();
    const sub = h.creds.wxpayMerchants[1].subMerchants![0];
    const code = () => h!.sandbox.control.loginCode('wxpay', { appid: sub.appId, user: 'carol' }).code;
    // without the order type the default merchant's mini program is asked, which never issued this code: nothing stored
    await expect(h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: code() }, { uid: 'c1' })).rejects.toMatchObject({ code: 40001, providerCode: '40029' });
    expect(await all(h.t.db, 'vk_pay_openids')).toHaveLength(0);
    const { openid } = await h.call('getOpenid', { provider: 'wxpay', pay_type: 'mp', code: code(), type: 'vip' }, { uid: 'c1' });
    expect(await all(h.t.db, 'vk_pay_openids')).toMatchObject([{ user_id: 'c1', app_id: sub.appId, openid }]);
    const vip = await h.call('createPayment', { provider: 'wxpay', pay_type: 'mp', type: 'vip', goods_id: 'month' }, { uid: 'c1' });
    expect(vip.payment.params.appId).toBe(sub.appId);
    expect(h.sandbox.control.order('wxpay', vip.out_trade_no)).toMatchObject({ payer_id: openid, payer_field: 'sub_openid', sub_app_id: sub.appId });
    // a recharge (default merchant) still asks for the default app's openid, which this user has not got
    await expect(h.call('createPayment', { provider: 'wxpay', pay_type: 'mp', type: 'recharge', amount: 100 }, { uid: 'c1' })).rejects.toMatchObject({ code: 40001 });
  });

  it('a partner section missing its ids is named field by field when the config loads', async () => {
    const base = 'http://127.0.0.1:1';
    {
      const creds = await generateSandboxCredentials();
      const cfg = (merchant: Record<string, unknown>) => {
        const c = baseConfig(base, creds);
        const providers = c.providers as Record<string, Record<string, unknown>>;
        return { ...c, providers: { ...providers, wxpay: { ...providers.wxpay, merchants: { sub: merchant } } } };
      };
      const { sub_mchid: _s, sp_appid: _a, ...missing } = partnerSection(creds);
      let message = '';
      try { parseConfig(cfg(missing)); } catch (e) { message = (e as Error).message; }
      expect(message).toMatch(/providers\.wxpay\.merchants\.sub\.sub_mchid: required in partner mode/);
      expect(message).toMatch(/providers\.wxpay\.merchants\.sub\.sp_appid: required in partner mode/);
      const { sp_mchid: _m, ...noProvider } = partnerSection(creds);
      expect(() => parseConfig(cfg(noProvider))).toThrow(/providers\.wxpay\.merchants\.sub\.sp_mchid: required in partner mode/);
      expect(() => parseConfig(cfg({ ...partnerSection(creds), sub_mchid: creds.wxpayMerchants[1].mchId }))).toThrow(/sub_mchid: is the service provider itself/);
      expect(() => parseConfig(cfg(partnerSection(creds)))).not.toThrow();
    }
  });
});
