/**
 * Several merchants per channel (config/merchants.ts): a second WeChat Pay merchant is a second sandbox with keys
 * and a mchId of its own. The config's `merchantFor` rule sends vip orders to it; its orders are created, queried,
 * refunded and notified with its keys; a notification is bound to the merchant whose keys verify it; one from a
 * merchant the config does not name is refused; a merchant missing a key is named field by field at load.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { baseConfig, startHarness, timerNow, type Harness } from '../support/harness';
import { startSandbox, type RunningSandbox } from '../../sandbox/helpers';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { createWxpayProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/provider';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { credentialsPath, generateSandboxCredentials, type SandboxCredentials } from '../../../sandbox/credentials';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../support/wait';

let h: Harness | undefined;
const others: RunningSandbox[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const s of others.splice(0)) await s.close();
});

/** A merchant's section for the sandbox `s` (its own mchId, keys and appid), to sit under `merchants`. */
function merchantOf(s: RunningSandbox) {
  const w = s.creds.wxpay;
  return { appId: w.appId, mchId: w.mchId, apiV3Key: w.apiV3Key, merchant: w.merchant, platform: w.platform, baseUrl: `${s.base}/sandbox/wxpay/` };
}

async function twoMerchants(): Promise<{ shop2: RunningSandbox }> {
  const shop2 = await startSandbox();
  others.push(shop2);
  h = await startHarness({
    config: (base: string, creds: SandboxCredentials) => {
      const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
      return { providers: { ...providers, wxpay: { ...providers.wxpay, merchants: { shop2: merchantOf(shop2) }, merchantFor: { vip: 'shop2' } } } };
    },
  });
  return { shop2 };
}

const order = async (no: string) => (await all(h!.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;

describe('several merchants per channel', () => {
  it('vip orders go to the merchant the rule names: created, paid, notified and refunded with its keys; others stay with the default', async () => {
    const { shop2 } = await twoMerchants();
    const vip = await h!.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'vip', goods_id: 'month' }, { uid: 'm1' });
    const recharge = await h!.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 }, { uid: 'm1' });
    expect(shop2.sandbox.control.order('wxpay', vip.out_trade_no)).toMatchObject({ merchant_id: shop2.creds.wxpay.mchId, amount: 1500 });
    expect(h!.sandbox.control.order('wxpay', vip.out_trade_no)).toBeUndefined();
    expect(h!.sandbox.control.order('wxpay', recharge.out_trade_no)).toMatchObject({ merchant_id: h!.creds.wxpay.mchId });
    expect(await order(vip.out_trade_no)).toMatchObject({ merchant: 'shop2' });
    expect((await order(recharge.out_trade_no)).merchant).toBeUndefined();

    // the second merchant's notification (its platform key, its APIv3 key) is verified and applied
    expect(shop2.sandbox.control.pay('wxpay', vip.out_trade_no)).toMatchObject({ ok: true });
    expect(await shop2.sandbox.control.settled()).toBe(true);
    expect(await order(vip.out_trade_no)).toMatchObject({ status: 'paid' });
    expect(h!.received.at(-1)).toMatchObject({ channel: 'wxpay', status: 200 });

    // queries and refunds ask the order's own merchant
    const refund = await h!.call('refund', { out_trade_no: vip.out_trade_no, amount: 500 }, { admin: true });
    expect(refund).toMatchObject({ amount: 500 });
    expect(shop2.sandbox.control.order('wxpay', vip.out_trade_no)).toMatchObject({ refunded: expect.any(Number) });
    expect(await shop2.sandbox.control.settled()).toBe(true);
    await timerNow(h!);
    expect((await all(h!.t.db, 'refund_records'))[0]).toMatchObject({ merchant: 'shop2', status: 'success' });
  });

  it('a notification verified with one merchant\'s keys is not applied to another merchant\'s order; an unconfigured merchant\'s is refused', async () => {
    const { shop2 } = await twoMerchants();
    // a merchant with keys of its own that the config does not name
    const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-stranger-'));
    await mkdir(path.dirname(credentialsPath(home)), { recursive: true });
    await writeFile(credentialsPath(home), JSON.stringify(await generateSandboxCredentials()), { mode: 0o600 });
    const stranger = await startSandbox({ home });
    others.push(stranger);
    expect(stranger.creds.wxpay.mchId).not.toBe(shop2.creds.wxpay.mchId);
    const mine = await h!.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 }, { uid: 'm2' });
    const notifyUrl = `${h!.base}/http/vk-pay-notify/wxpay`;
    // shop2 (configured) and a stranger (not configured) each hold a trade with the default merchant's order number
    for (const s of [shop2, stranger]) {
      const p = createWxpayProvider({ ...merchantOf(s) }, { http: createFetchHttpClient() });
      await p.createOrder({ out_trade_no: mine.out_trade_no, amount: 100, subject: 'x', pay_type: 'native', notify_url: notifyUrl, expires_at: Date.now() + 600_000 });
      s.sandbox.control.setFaults('wxpay', { drop: 0 });
    }
    const errorsBefore = (await all(h!.t.db, 'payment_errors')).length;
    expect(shop2.sandbox.control.pay('wxpay', mine.out_trade_no)).toMatchObject({ ok: true });
    await waitFor(() => h!.received.length >= 1);
    expect(h!.received.at(-1)!.status).not.toBe(200);
    const rows = (await all(h!.t.db, 'payment_errors')).slice(errorsBefore);
    expect(rows.map((r) => r.message).join(' ')).toMatch(/belongs to merchant default, not shop2/);
    expect(stranger.sandbox.control.pay('wxpay', mine.out_trade_no)).toMatchObject({ ok: true });
    // verified by no configured merchant's keys: counted as an unverified request, with its sample error row
    const deadline = Date.now() + 5000;
    let sample: Record<string, unknown> | undefined;
    while (!sample && Date.now() < deadline) {
      sample = (await all(h!.t.db, 'payment_errors')).find((r) => r.code === 40002 && JSON.stringify(r.input).includes(stranger.creds.wxpay.platform.publicKeyId));
      if (!sample) await new Promise((r) => setTimeout(r, 20));
    }
    expect(sample).toBeDefined();
    expect((await all(h!.t.db, 'vk_pay_notify_rejections')).length).toBe(1);
    expect(await order(mine.out_trade_no)).toMatchObject({ status: 'pending' });
    shop2.sandbox.control.setFaults('wxpay', {});
  });

  it('a merchant missing a key, or a rule naming no merchant, is named field by field when the config loads', async () => {
    const shop2 = await startSandbox();
    others.push(shop2);
    const base = 'http://127.0.0.1:1';
    const cfg = (wxpayOver: Record<string, unknown>) => {
      const c = baseConfig(base, shop2.creds);
      const providers = c.providers as Record<string, Record<string, unknown>>;
      return { ...c, providers: { ...providers, wxpay: { ...providers.wxpay, ...wxpayOver } } };
    };
    const { apiV3Key: _k, ...noKey } = merchantOf(shop2);
    expect(() => parseConfig(cfg({ merchants: { shop2: { ...noKey, apiV3Key: 'short' } } }))).toThrow(/providers\.wxpay\.merchants\.shop2\.apiV3Key: apiV3Key must be 32 characters/);
    try { parseConfig(cfg({ merchants: { shop2: { ...noKey, apiV3Key: 'short' } } })); } catch (e) { expect((e as { code: number }).code).toBe(40003); }
    expect(() => parseConfig(cfg({ merchants: { shop2: { ...noKey, merchant: { serialNo: 'x' } } } }))).toThrow(/providers\.wxpay\.merchants\.shop2\.merchant\.privateKeyPem/);
    expect(() => parseConfig(cfg({ merchants: { shop2: merchantOf(shop2) }, merchantFor: { vip: 'shop3' } }))).toThrow(/providers\.wxpay\.merchantFor\.vip: names no merchant of this section: shop3/);
    expect(() => parseConfig(cfg({ merchants: { default: merchantOf(shop2) } }))).toThrow(/providers\.wxpay\.merchants\.default/);
    expect(() => parseConfig(cfg({ merchants: { shop2: merchantOf(shop2) }, merchantFor: { vip: 'shop2' } }))).not.toThrow();
  });
});
