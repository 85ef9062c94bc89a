/**
 * Payouts by the merchant the request names (services/transfer/service.ts, config/merchants.ts): the sandbox serves a
 * second WeChat merchant; a transfer naming it is sent, confirmed and notified with that merchant's keys and settled
 * on its record; the default merchant's payouts stay its own; an unconfigured merchant name is refused before
 * anything is recorded, and a service provider's section (partner mode) does not pay out here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { baseConfig, startHarness, type Harness } from '../support/harness';
import type { SandboxCredentials } from '../../../sandbox/credentials';
import type { Channel } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import { partnerSection } from '../support/partner';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

const TRANSFERS = { sceneId: '1000', sceneReportInfos: [{ info_type: '活动名称', info_content: '提现' }, { info_type: '奖励说明', info_content: '余额提现' }], maxAmount: 500_000 };
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

function shop2(creds: SandboxCredentials) {
  const m = creds.wxpayMerchants[0];
  return { appId: m.appId, mchId: m.mchId, apiV3Key: m.apiV3Key, merchant: m.merchant, platform: m.platform };
}

async function start(): Promise<Harness> {
  return startHarness({
    config: (base: string, creds: SandboxCredentials) => {
      const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
      return { transfers: TRANSFERS, providers: { ...providers, wxpay: { ...providers.wxpay, merchants: { shop2: shop2(creds), sub: partnerSection(creds) } } } };
    },
  });
}

const wx = (out_bill_no: string, over: Record<string, unknown> = {}) => h!.call('transfer', { provider: 'wxpay', out_bill_no, amount: 500, openid: OPENID, remark: '提现', user_id: 'u1', ...over }, { admin: true });
const record = async (no: string) => (await all(h!.t.db, 'payment_transfers')).find((t) => t.out_bill_no === no);

describe('payouts by the merchant the request names', () => {
  it('a payout of the second merchant is sent, notified and settled with its keys; the default merchant\'s stays its own', async () => {
    h = await start();
    const second = h.creds.wxpayMerchants[0];
    const v = await wx('SHOP2PAYOUT01', { merchant: 'shop2' });
    expect(v).toMatchObject({ status: 'waiting_user', confirm: { mchId: second.mchId, appId: second.appId } });
    const mine = await wx('DEFAULTPAYOUT1');
    expect(mine.confirm).toMatchObject({ mchId: h.creds.wxpay.mchId });
    const atGateway = h.sandbox.control.transfers('wxpay');
    expect(atGateway.find((t) => t.out_bill_no === 'SHOP2PAYOUT01')).toMatchObject({ merchant_id: second.mchId });
    expect(atGateway.find((t) => t.out_bill_no === 'DEFAULTPAYOUT1')).toMatchObject({ merchant_id: h.creds.wxpay.mchId });

    // MCHTRANSFER.BILL.FINISHED signed with the second merchant's platform key, encrypted with its APIv3 key
    expect(h.sandbox.control.confirmTransfer('SHOP2PAYOUT01').ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(h.received.filter((r) => r.channel === ('wxpay-transfer' as Channel)).map((r) => r.status)).toEqual([200]);
    expect(await record('SHOP2PAYOUT01')).toMatchObject({ status: 'succeeded', merchant: 'shop2' });
    // queried with its own merchant's keys too
    expect(await h.call('queryTransfer', { out_bill_no: 'SHOP2PAYOUT01' }, { admin: true })).toMatchObject({ status: 'succeeded' });
    expect((await record('DEFAULTPAYOUT1'))!.merchant).toBeUndefined();
    // the same number for another merchant is another payout: refused
    expect(await all(h.t.db, 'payment_errors')).toHaveLength(0);
    await expect(wx('SHOP2PAYOUT01')).rejects.toMatchObject({ code: 40001 });
  });

  it('an unconfigured merchant name is refused before anything is recorded; a service provider does not pay out here', async () => {
    h = await start();
    await expect(wx('NOSUCHSHOP01', { merchant: 'shop9' })).rejects.toMatchObject({ code: 40001 });
    await expect(wx('PARTNERPAY01', { merchant: 'sub' })).rejects.toMatchObject({ code: 40001, message: expect.stringContaining('does not pay out') });
    expect(await all(h.t.db, 'payment_transfers')).toHaveLength(0);
    expect(h.sandbox.control.transfers('wxpay')).toHaveLength(0);
  });
});
