/**
 * Payouts exactly once (services/transfer/): recorded before the provider is called, one payout per
 * out_bill_no however often and however concurrently it is asked, an unknown answer settled by querying the
 * same number, limits that hold, refusals that send nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCoreServices } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { transferGateway, type TransferGateway } from '../support/transfer-gateway';

let h: Harness;
afterEach(async () => { await h?.close(); });

async function withGateway(opts: Parameters<typeof transferGateway>[1] = {}, config: Record<string, unknown> = {}) {
  const wx = transferGateway('wxpay', opts);
  const ali = transferGateway('alipay', opts);
  h = await startHarness({ deps: { providers: { wxpay: wx.provider, alipay: ali.provider } }, config });
  return { wx, ali };
}

const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
const wxTransfer = (out_bill_no: string, amount = 500, over: Record<string, unknown> = {}) =>
  ({ provider: 'wxpay', out_bill_no, amount, openid: OPENID, remark: 'withdrawal', user_id: 'u1', ...over });

const transfers = () => all(h.t.db, 'payment_transfers');

describe('transfer', () => {
  it('WeChat: waits for the payee, hands the client what uni.requestMerchantTransfer needs, succeeds once confirmed', async () => {
    const { wx } = await withGateway({ waitUser: true });
    const v = await h.call('transfer', wxTransfer('PAYOUT0001'), { admin: true });
    expect(v).toMatchObject({ out_bill_no: 'PAYOUT0001', status: 'waiting_user', amount: 500, confirm: { package: 'pkg_PAYOUT0001' } });
    expect(wx.payouts).toEqual([]);
    wx.confirm('PAYOUT0001');
    expect(await h.call('queryTransfer', { out_bill_no: 'PAYOUT0001' }, { admin: true })).toMatchObject({ status: 'succeeded' });
    const [t] = await transfers();
    expect(t.history.map((e: { to: string }) => e.to)).toEqual(['waiting_user', 'succeeded']);
    expect(t.confirm).toBeTruthy();
    expect((await h.call('queryTransfer', { out_bill_no: 'PAYOUT0001' }, { admin: true })).confirm).toBeUndefined();
  });

  it.each([true, false])('20 concurrent transfers with one out_bill_no make one payout (gateway idempotent: %s)', async (idempotent) => {
    const { wx } = await withGateway({ idempotent });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => h.call('transfer', wxTransfer('PAYOUTRACE1', 800), { admin: true })));
    for (const r of results) expect(r.status).toBe('fulfilled');
    expect(wx.transferCalls).toBe(1);
    expect(wx.payouts).toEqual(['PAYOUTRACE1']);
    expect(await transfers()).toHaveLength(1);
    const final = await h.call('queryTransfer', { out_bill_no: 'PAYOUTRACE1' }, { admin: true });
    expect(final.status).toBe('succeeded');
    // the quota counted it once
    const quota = await all(h.t.db, 'vk_pay_transfer_quota');
    expect(quota.every((q) => q.amount === 800 && q.count === 1)).toBe(true);
  });

  it('a crash between recording and the answer is settled by querying the same number: one payout', async () => {
    const { wx } = await withGateway({ idempotent: false });
    wx.faults.hang = true; // the gateway paid; the instance that asked never heard back (it died)
    void h.call('transfer', wxTransfer('PAYOUTCRASH', 300), { admin: true });
    await expect.poll(() => wx.payouts.length).toBe(1);
    wx.faults.hang = false;
    const [recorded] = await transfers();
    expect(recorded).toMatchObject({ status: 'created', answered: false, send_attempts: 1 });

    // A retry inside the first sender's lease does not touch the provider.
    expect(await h.call('transfer', wxTransfer('PAYOUTCRASH', 300), { admin: true })).toMatchObject({ status: 'created' });
    expect(wx.transferCalls).toBe(1);

    // Another instance after the lease lapsed: it queries first, learns the payout happened, sends nothing.
    const later = createCoreServices({ dao: h.t.dao, db: h.t.db, config: h.core.ctx.config, providers: { wxpay: wx.provider }, now: () => Date.now() + 120_000 });
    expect(await later.transfers.transfer(wxTransfer('PAYOUTCRASH', 300))).toMatchObject({ status: 'succeeded' });
    expect(wx.transferCalls).toBe(1);
    expect(wx.payouts).toEqual(['PAYOUTCRASH']);
  });

  it('a crash before the request reached the gateway: the query says never received, the same number is sent once', async () => {
    const { wx } = await withGateway();
    const later = createCoreServices({ dao: h.t.dao, db: h.t.db, config: h.core.ctx.config, providers: { wxpay: wx.provider }, now: () => Date.now() + 120_000 });
    // what the dead instance left: the record, nothing at the gateway
    const seeded = await recordOnly('PAYOUTLOST1', 250);
    expect(seeded.status).toBe('created');
    expect(await later.transfers.queryTransfer({ out_bill_no: 'PAYOUTLOST1' })).toMatchObject({ status: 'succeeded' });
    expect(wx.payouts).toEqual(['PAYOUTLOST1']);
    expect(wx.bills.get('PAYOUTLOST1')?.input.out_bill_no).toBe('PAYOUTLOST1');

    async function recordOnly(no: string, amount: number) {
      const hangingGateway = { ...wx.provider, transfer: () => new Promise<never>(() => {}) };
      const first = createCoreServices({ dao: h.t.dao, db: h.t.db, config: h.core.ctx.config, providers: { wxpay: hangingGateway } });
      void first.transfers.transfer(wxTransfer(no, amount));
      await expect.poll(async () => (await transfers()).length).toBe(1);
      expect(wx.transferCalls).toBe(0);
      return (await transfers())[0];
    }
  });

  it('a timeout on the transfer call is settled at once by querying: one payout, no second send', async () => {
    const { wx } = await withGateway({ idempotent: false });
    wx.faults.loseAnswer = true;
    const v = await h.call('transfer', wxTransfer('PAYOUTTIMEOUT', 420), { admin: true });
    expect(v.status).toBe('succeeded');
    expect(wx.transferCalls).toBe(1);
    expect(wx.payouts).toHaveLength(1);
    const logs = (await all(h.t.db, 'payment_logs')).filter((l) => l.type === 'transfer');
    expect(logs.map((l) => l.status)).toContain('fail');
  });

  it('a definite refusal fails the payout, gives the quota back and raises an alert', async () => {
    const { wx } = await withGateway();
    wx.faults.refuse = 'OPENID_INVALID';
    await expect(h.call('transfer', wxTransfer('PAYOUTREFUSED', 600), { admin: true })).rejects.toMatchObject({ code: 40001 });
    const [t] = await transfers();
    expect(t).toMatchObject({ status: 'failed' });
    expect(t.fail_reason).toContain('OPENID_INVALID');
    const quota = await all(h.t.db, 'vk_pay_transfer_quota');
    expect(quota.every((q) => q.amount === 0 && q.count === 0)).toBe(true);
    const alerts = (await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'transfer_failed');
    expect(alerts).toHaveLength(1);
    // asking again with the same number answers the failure; nothing is sent again
    wx.faults.refuse = undefined;
    expect(await h.call('transfer', wxTransfer('PAYOUTREFUSED', 600), { admin: true })).toMatchObject({ status: 'failed' });
    expect(wx.transferCalls).toBe(1);
  });

  it('cancel before the payee confirms: cancelled, quota back, no payout', async () => {
    const { wx } = await withGateway({ waitUser: true });
    await h.call('transfer', wxTransfer('PAYOUTCANCEL', 700), { admin: true });
    expect(await h.call('cancelTransfer', { out_bill_no: 'PAYOUTCANCEL' }, { admin: true })).toMatchObject({ status: 'cancelled' });
    wx.confirm('PAYOUTCANCEL');
    expect(wx.payouts).toEqual([]);
    expect((await all(h.t.db, 'vk_pay_transfer_quota')).every((q) => q.amount === 0)).toBe(true);
  });

  it('Alipay: a synchronous answer to an account', async () => {
    const { ali } = await withGateway();
    const v = await h.call('transfer', { provider: 'alipay', out_bill_no: 'ALIPAYOUT01', amount: 1000, payee: { identity_type: 'ALIPAY_USER_ID', identity: '2088102175953034' }, remark: 'refund deposit' }, { admin: true });
    expect(v.status).toBe('succeeded');
    expect(ali.payouts).toEqual(['ALIPAYOUT01']);
  });

  it('listTransfers: the admin\'s page of payouts, filtered, without the payee\'s name or internals', async () => {
    await withGateway();
    await h.call('transfer', wxTransfer('LISTPAY001', 100, { user_name: '李四' }), { admin: true });
    await h.call('transfer', wxTransfer('LISTPAY002', 200, { user_id: 'u2' }), { admin: true });
    const page = await h.call('listTransfers', { user_id: 'u2' }, { admin: true });
    expect(page).toMatchObject({ total: 1, rows: [{ out_bill_no: 'LISTPAY002', amount: 200, status: 'succeeded', payee: { identity_type: 'openid', identity: OPENID } }] });
    const all2 = await h.call('listTransfers', { status: 'succeeded' }, { admin: true });
    expect(all2.total).toBe(2);
    expect(JSON.stringify(all2.rows)).not.toContain('李四');
    expect(all2.rows[0]).not.toHaveProperty('send_lease_until');
    await expect(h.call('listTransfers', { status: 'paid' }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('listTransfers', {}, { uid: 'someone' })).rejects.toMatchObject({ code: 40009 });
  });

  it('the server API pays out without a caller identity, under the same rules', async () => {
    const { wx } = await withGateway();
    expect(await h.core.transfers.transfer(wxTransfer('SERVERPAY01', 100))).toMatchObject({ status: 'succeeded' });
    expect((await transfers())[0].requested_by).toBe('server');
    await expect(h.core.transfers.transfer(wxTransfer('SERVERPAY01', 101))).rejects.toMatchObject({ code: 40001 });
    expect(wx.transferCalls).toBe(1);
  });
});

describe('transfer refusals send nothing and record nothing', () => {
  const cases: Array<[string, Record<string, unknown>, number, { admin?: boolean; uid?: string }?]> = [
    ['amount 0', wxTransfer('BADPAY0001', 0), 40001],
    ['amount not integer fen', wxTransfer('BADPAY0002', 1.5), 40001],
    ['over the single payout limit', wxTransfer('BADPAY0003', 200_000), 40001],
    ['malformed openid', wxTransfer('BADPAY0004', 100, { openid: 'x' }), 40001],
    ['malformed Alipay account', { provider: 'alipay', out_bill_no: 'BADPAY0005', amount: 100, payee: { identity_type: 'ALIPAY_USER_ID', identity: '12345' }, remark: 'r' }, 40001],
    ['unknown identity type', { provider: 'alipay', out_bill_no: 'BADPAY0006', amount: 100, payee: { identity_type: 'BANKCARD', identity: '6222' }, remark: 'r' }, 40001],
    ['Alipay under 0.10 yuan', { provider: 'alipay', out_bill_no: 'BADPAY0007', amount: 9, payee: { identity_type: 'ALIPAY_USER_ID', identity: '2088102175953034' }, remark: 'r' }, 40001],
    ['out_bill_no with a dash', wxTransfer('BAD-PAY-0008'), 40001],
    ['both openid and payee', wxTransfer('BADPAY0009', 100, { payee: { identity_type: 'openid', identity: OPENID } }), 40001],
    ['no admin identity', wxTransfer('BADPAY0010'), 40009, {}],
    ['a plain user', wxTransfer('BADPAY0011'), 40009, { uid: 'someone' }],
  ];
  it.each(cases)('%s', async (_name, params, code, as = { admin: true }) => {
    const { wx, ali } = await withGateway();
    await expect(h.call('transfer', params, as)).rejects.toMatchObject({ code });
    expect(wx.transferCalls + ali.transferCalls).toBe(0);
    expect(await transfers()).toHaveLength(0);
    expect((await all(h.t.db, 'payment_errors')).length).toBe(1);
  });

  it('the same out_bill_no with a different amount is refused, nothing sent again', async () => {
    const { wx } = await withGateway();
    await h.call('transfer', wxTransfer('SAMENO0001', 500), { admin: true });
    await expect(h.call('transfer', wxTransfer('SAMENO0001', 501), { admin: true })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('transfer', wxTransfer('SAMENO0001', 500, { openid: 'oOtherPayee0000000000000001' }), { admin: true })).rejects.toMatchObject({ code: 40001 });
    expect(wx.transferCalls).toBe(1);
    expect((await transfers())[0]).toMatchObject({ amount: 500, status: 'succeeded' });
  });

  it('concurrent requests for one out_bill_no with two amounts: one payout, the limits count it once', async () => {
    const { wx } = await withGateway({ idempotent: false });
    const r = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => h.call('transfer', wxTransfer('MIXEDAMT01', i % 2 ? 700 : 500), { admin: true })));
    expect(wx.transferCalls).toBe(1);
    const [t] = await transfers();
    expect(r.filter((x) => x.status === 'rejected').every((x) => (x as PromiseRejectedResult).reason.code === 40001)).toBe(true);
    const quota = await all(h.t.db, 'vk_pay_transfer_quota');
    expect(quota.every((q) => q.amount === t.amount && q.count === 1)).toBe(true);
  });

  it('daily limits hold under concurrency: per payee count and amount, and the day total', async () => {
    const { wx } = await withGateway({}, { transfers: { dailyAmount: 5_000, perUserDaily: { amount: 3_000, count: 3 } } });
    const same = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => h.call('transfer', wxTransfer(`LIMITA${i}xx`, 900), { admin: true })));
    expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(3); // count 3 (and 2,700 <= 3,000)
    for (const r of same) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 40008 });
    const others = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => h.call('transfer', wxTransfer(`LIMITB${i}xx`, 1000, { user_id: `other${i}` }), { admin: true })));
    expect(others.filter((r) => r.status === 'fulfilled')).toHaveLength(2); // 2,700 + 2,000 <= 5,000
    expect(wx.payouts).toHaveLength(5);
    expect(await transfers()).toHaveLength(5);
  });
});

describe('transfer status table', () => {
  it('is checked at load: final statuses never move, nothing regresses', async () => {
    const { TRANSFER_TRANSITIONS, FINAL_TRANSFER_STATUSES, assertTransferTable } = await import('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/transfer-status');
    for (const t of Object.values(TRANSFER_TRANSITIONS)) for (const f of t.from) expect(FINAL_TRANSFER_STATUSES).not.toContain(f);
    expect(() => assertTransferTable({ ...TRANSFER_TRANSITIONS, reopen: { from: ['failed'], to: 'created' } })).toThrow(/regresses/);
    expect(() => assertTransferTable({ ...TRANSFER_TRANSITIONS, odd: { from: ['created'], to: 'paid' } })).toThrow(/unknown target/);
  });
});
