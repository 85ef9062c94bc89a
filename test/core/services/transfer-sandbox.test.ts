/**
 * Payouts through the real providers and the sandbox gateway over HTTP: WeChat transfer bills waiting for the
 * payee's confirmation, the MCHTRANSFER.BILL.FINISHED notification verified and applied once (duplicates
 * deduplicated), cancel, the payee's name encrypted for the gateway; Alipay's synchronous transfer and query;
 * a transfer call that times out settled by querying; the timer settling payouts whose notification never came.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { definitionOf } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/registry';
import type { Channel } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import { all } from '../support/db';
import { startHarness, timerNow, type Harness } from '../support/harness';

let h: Harness;
afterEach(async () => { await h?.close(); });

const TRANSFERS = { sceneId: '1000', sceneReportInfos: [{ info_type: '活动名称', info_content: '提现' }, { info_type: '奖励说明', info_content: '余额提现' }], maxAmount: 500_000 };
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

/** The real providers, with short timeouts so a gateway that never answers costs the test a second, not eight. */
const quickProviders = (channel: Channel, section: unknown) => definitionOf(channel).create(section, { http: createFetchHttpClient(), timeoutMs: 300, budgetMs: 1200 });

async function start(opts: { quick?: boolean; keyModes?: { wxpay: 'platform-cert' } } = {}) {
  h = await startHarness({ config: { transfers: TRANSFERS }, deps: opts.quick ? { providers: quickProviders } : {}, keyModes: opts.keyModes });
}
const wx = (out_bill_no: string, amount = 500, over: Record<string, unknown> = {}) => h.call('transfer', { provider: 'wxpay', out_bill_no, amount, openid: OPENID, remark: '提现', user_id: 'u1', ...over }, { admin: true });
const ali = (out_bill_no: string, amount = 1000) => h.call('transfer', { provider: 'alipay', out_bill_no, amount, payee: { identity_type: 'ALIPAY_USER_ID', identity: '2088102175953034' }, remark: 'deposit back' }, { admin: true });
const record = async (no: string) => (await all(h.t.db, 'payment_transfers')).find((t) => t.out_bill_no === no)!;

describe('WeChat transfer bills through the sandbox', () => {
  it('waits for the payee; the confirmation notification is verified and applied; one payout', async () => {
    await start();
    const v = await wx('WXPAYOUT001');
    expect(v.status).toBe('waiting_user');
    expect(v.confirm).toMatchObject({ mchId: h.creds.wxpay.mchId, appId: h.creds.wxpay.appId });
    expect(v.confirm.package).toBe(h.sandbox.control.transfers('wxpay')[0].package_info);
    expect(h.sandbox.control.confirmTransfer('WXPAYOUT001').ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const t = await record('WXPAYOUT001');
    expect(t.status).toBe('succeeded');
    expect(t.history.map((e: { source: string }) => e.source)).toEqual(['transfer', 'notify']);
    expect(h.received.filter((r) => r.channel === ('wxpay-transfer' as Channel)).map((r) => r.status)).toEqual([200]);
    expect(h.sandbox.control.transfers('wxpay').filter((x) => x.paid)).toHaveLength(1);
  });

  it('a bill that fails at WeChat (the payee\'s quota): failed by its notification, limit given back, one alert', async () => {
    await start();
    await wx('WXPAYOUTFAIL', 600);
    expect(h.sandbox.control.confirmTransfer('WXPAYOUTFAIL', 'fail').ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(await record('WXPAYOUTFAIL')).toMatchObject({ status: 'failed', fail_reason: 'DAY_RECEIVED_QUOTA_EXCEED' });
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'transfer_failed')).toHaveLength(1);
    expect((await all(h.t.db, 'vk_pay_transfer_quota')).every((q) => q.amount === 0 && q.count === 0)).toBe(true);
    expect(h.sandbox.control.transfers('wxpay').filter((x) => x.paid)).toHaveLength(0);
  });

  it('a duplicated notification is applied once', async () => {
    await start();
    h.sandbox.control.setFaults('wxpay', { duplicate: 3 });
    await wx('WXPAYOUTDUP');
    h.sandbox.control.confirmTransfer('WXPAYOUTDUP');
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const deliveries = h.received.filter((r) => r.channel === ('wxpay-transfer' as Channel));
    expect(deliveries.length).toBe(4);
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    const t = await record('WXPAYOUTDUP');
    expect(t.history.filter((e: { to: string }) => e.to === 'succeeded')).toHaveLength(1);
    const logs = (await all(h.t.db, 'payment_logs')).filter((l) => l.type === 'notify' && l.detail?.out_bill_no === 'WXPAYOUTDUP');
    expect(logs.map((l) => l.status).sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate']);
    expect((await all(h.t.db, 'payment_notifications')).filter((n) => n.kind === 'transfer')).toHaveLength(1);
  });

  it('a notification with a bad signature changes nothing and asks for a redelivery', async () => {
    await start();
    h.sandbox.control.setFaults('wxpay', { tamper: 'signature' });
    await wx('WXPAYOUTSIG');
    h.sandbox.control.confirmTransfer('WXPAYOUTSIG');
    await expect.poll(() => h.received.filter((r) => r.channel === ('wxpay-transfer' as Channel)).length).toBeGreaterThan(0);
    expect(h.received.find((r) => r.channel === ('wxpay-transfer' as Channel))!.status).toBe(500);
    expect((await record('WXPAYOUTSIG')).status).toBe('waiting_user');
    // the timer asks the gateway and settles it
    await h.call('queryTransfer', { out_bill_no: 'WXPAYOUTSIG' }, { admin: true });
    expect((await record('WXPAYOUTSIG')).status).toBe('succeeded');
  });

  it('the timer settles a payout whose notification never arrives', async () => {
    await start();
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    await wx('WXPAYOUTLOST');
    h.sandbox.control.confirmTransfer('WXPAYOUTLOST');
    expect((await record('WXPAYOUTLOST')).status).toBe('waiting_user');
    const summary = await timerAt(Date.now() + 120_000);
    expect(summary.transfers_updated).toBe(1);
    expect((await record('WXPAYOUTLOST')).status).toBe('succeeded');
  });

  it('cancel before confirmation: cancelled at the gateway, no payout, the limit given back', async () => {
    await start();
    await wx('WXPAYOUTCXL', 800);
    // WeChat answers CANCELING (accepted); the CANCELLED notification may already have been applied
    expect(['accepted', 'cancelled']).toContain((await h.call('cancelTransfer', { out_bill_no: 'WXPAYOUTCXL' }, { admin: true })).status);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect((await record('WXPAYOUTCXL')).status).toBe('cancelled');
    expect(h.sandbox.control.confirmTransfer('WXPAYOUTCXL').ok).toBe(false);
    expect(h.sandbox.control.transfers('wxpay').filter((x) => x.paid)).toHaveLength(0);
    expect((await all(h.t.db, 'vk_pay_transfer_quota')).every((q) => q.amount === 0)).toBe(true);
  });

  it('the payee name travels encrypted with the WeChat Pay public key (required from 2,000 yuan)', async () => {
    await start();
    expect((await wx('WXPAYOUTBIG', 200_000, { user_name: '张三' })).status).toBe('waiting_user');
    expect(h.sandbox.control.transfers('wxpay')[0].payee_name).toBe('张三');
    const stored = await record('WXPAYOUTBIG');
    expect(JSON.stringify(stored)).toContain('张三'); // kept for a resend with the same number (encrypted when userInfoKey is set)
    await expect(wx('WXPAYOUTBIG2', 200_000)).rejects.toMatchObject({ code: 40001 });
  });

  it('platform-certificate mode: the name is encrypted with the newest platform certificate, named in Wechatpay-Serial; the finished bill verifies', async () => {
    await start({ keyModes: { wxpay: 'platform-cert' } });
    const pc = await h.sandbox.certModes.wxpayPlatformCerts();
    await pc.rotate('add');
    const named: string[] = [];
    const handle = h.sandbox.handle;
    h.sandbox.handle = (req, res) => {
      if (req.method === 'POST' && req.url?.endsWith('/transfer-bills')) named.push(String(req.headers['wechatpay-serial']));
      return handle(req, res);
    };
    expect((await wx('WXPAYOUTPC', 200_000, { user_name: '李四' })).status).toBe('waiting_user');
    // encrypted for the certificate valid longest (the one just added), which the request names; the sandbox
    // decrypted it with that certificate's key
    expect(named).toEqual([pc.certificates()[1].serial]);
    expect(h.sandbox.control.transfers('wxpay')[0].payee_name).toBe('李四');
    expect(h.sandbox.control.confirmTransfer('WXPAYOUTPC').ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect((await record('WXPAYOUTPC')).status).toBe('succeeded');
    expect(h.received.map((r) => r.req.headers['wechatpay-serial'])).toEqual([pc.certificates()[0].serial]);
  });

  it('20 concurrent transfers with one out_bill_no: one bill at the gateway', async () => {
    await start();
    const r = await Promise.allSettled(Array.from({ length: 20 }, () => wx('WXPAYOUTRACE', 900)));
    expect(r.every((x) => x.status === 'fulfilled')).toBe(true);
    h.sandbox.control.confirmTransfer('WXPAYOUTRACE');
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(h.sandbox.control.transfers('wxpay')).toHaveLength(1);
    expect(h.sandbox.control.transfers('wxpay').filter((x) => x.paid)).toHaveLength(1);
    expect((await record('WXPAYOUTRACE')).status).toBe('succeeded');
  });

  it('a transfer call that times out is settled by querying the same number', async () => {
    await start({ quick: true });
    h.sandbox.control.setFaults('wxpay', { transferTimeouts: 10 });
    const v = await wx('WXPAYOUTSLOW', 300);
    expect(v.status).toBe('waiting_user');
    expect(h.sandbox.control.transfers('wxpay')).toHaveLength(1);
  });
});

describe('Alipay transfers through the sandbox', () => {
  it('answers synchronously; the query agrees; the HTTP control lists the payout', async () => {
    await start();
    expect((await ali('ALIPAYOUT001')).status).toBe('succeeded');
    expect((await h.call('queryTransfer', { out_bill_no: 'ALIPAYOUT001' }, { admin: true })).status).toBe('succeeded');
    const res = await fetch(`${h.base}/sandbox/control/transfers`, { method: 'POST', body: JSON.stringify({ channel: 'alipay' }) });
    const body = (await res.json()) as { transfers: Array<Record<string, unknown>> };
    expect(body.transfers).toHaveLength(1);
    expect(body.transfers[0]).toMatchObject({ out_bill_no: 'ALIPAYOUT001', amount: 1000, paid: true, state: 'SUCCESS' });
  });

  it('a refusal by the gateway (unknown account) fails the payout with an alert', async () => {
    await start();
    await expect(h.call('transfer', { provider: 'alipay', out_bill_no: 'ALIPAYOUTBAD', amount: 100, payee: { identity_type: 'ALIPAY_LOGON_ID', identity: 'someone@example.com' }, remark: 'r' }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    expect((await record('ALIPAYOUTBAD')).status).toBe('failed');
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'transfer_failed')).toHaveLength(1);
  });

  it('a timeout is settled by alipay.fund.trans.common.query: one payout', async () => {
    await start({ quick: true });
    h.sandbox.control.setFaults('alipay', { transferTimeouts: 10 });
    expect((await ali('ALIPAYOUTSLOW')).status).toBe('succeeded');
    expect(h.sandbox.control.transfers('alipay').filter((x) => x.paid)).toHaveLength(1);
  });
});

async function timerAt(time: number) {
  const { createSyncTimerForCore } = await import('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/for-core');
  const timer = createSyncTimerForCore(h.core.ctx, { settings: { staleMs: 0, refundStaleMs: 0, recheckMs: 0, closedRecheckMs: 0 } });
  return { ...(await timer.runSync({ now: time })) } as Record<string, any>;
}
void timerNow;
