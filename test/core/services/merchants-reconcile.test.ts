/**
 * Daily reconciliation over every merchant of a channel (services/daily-reconcile.ts): the sandbox serves the
 * default WeChat merchant, a second one and a service provider's sub-merchant; each merchant's statement lists its
 * own trades only (the provider's with sub_mchid), and the day's report compares all three with the books: every
 * paid order matched, none reported missing. A statement one merchant has not published yet keeps the day pending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, startHarness, type Harness } from '../support/harness';
import { partnerSection } from '../support/partner';
import { DAY, nextDayAt, testClock, utc8Date } from '../../support/utc8-clock';
import type { SandboxCredentials } from '../../../sandbox/credentials';
import { reconcileDay } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/daily-reconcile';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

const clock = testClock();

async function start(): Promise<Harness> {
  clock.reset();
  return startHarness({
    now: clock.now,
    config: (base: string, creds: SandboxCredentials) => {
      const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
      const m = creds.wxpayMerchants[0];
      const shop2 = { appId: m.appId, mchId: m.mchId, apiV3Key: m.apiV3Key, merchant: m.merchant, platform: m.platform };
      return { providers: { ...providers, wxpay: { ...providers.wxpay, merchants: { shop2, sub: partnerSection(creds) }, merchantFor: { vip: 'shop2', goods: 'sub' } } } };
    },
  });
}

async function paid(params: Record<string, unknown>): Promise<string> {
  const { out_trade_no } = await h!.call('createPayment', { provider: 'wxpay', pay_type: 'native', ...params }, { uid: 'r1' });
  expect(h!.sandbox.control.pay('wxpay', out_trade_no)).toMatchObject({ ok: true });
  return out_trade_no;
}

describe('daily reconciliation over every merchant of the channel', () => {
  it('each merchant\'s statement covers its own trades; together they match the books', async () => {
    h = await start();
    const date = utc8Date();
    const nos = [await paid({ type: 'recharge', amount: 100 }), await paid({ type: 'vip', goods_id: 'month' }), await paid({ type: 'goods', goods_id: 'cup' })];
    expect(await h.sandbox.control.settled()).toBe(true);
    expect(h.sandbox.control.order('wxpay', nos[2])).toMatchObject({ sub_merchant_id: h.creds.wxpayMerchants[1].subMerchants![0].mchId });
    clock.ahead(DAY); // the day is over for the sandbox and the core alike
    const report = await reconcileDay(h.core.ctx, { channel: 'wxpay', date, source: 'admin' });
    expect(report).toMatchObject({ status: 'done', provider_count: 3, local_count: 3, matched: 3, discrepancy_count: 0 });
  });

  it('the day stays pending while one merchant has not published its statement', async () => {
    h = await start();
    const date = utc8Date();
    await paid({ type: 'recharge', amount: 100 });
    await paid({ type: 'vip', goods_id: 'month' });
    expect(await h.sandbox.control.settled()).toBe(true);
    // the day is over, but only a little (2 h past its midnight, UTC+8, whatever the hour the test runs at):
    // shop2's and sub's "no statement" could still mean "not yet"
    clock.setTo(nextDayAt(date, 2));
    const report = await reconcileDay(h.core.ctx, { channel: 'wxpay', date, source: 'admin' });
    expect(report.status).toBe('pending');
    expect(report.reason).toMatch(/sub: /);
  });
});
