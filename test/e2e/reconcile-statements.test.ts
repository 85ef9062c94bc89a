/**
 * Daily reconciliation end to end: the core (admin method `reconcile`) downloads the day's statement from the
 * sandbox in the provider's real format (WeChat v3: signed tradebill + signed download, gzip, SHA1; Alipay:
 * signed downloadurl.query + a zip of GBK files; v2: signed downloadbill answering the bill text) and compares it with its books. The sandbox's statement
 * faults make the statement disagree: a row missing, an amount changed, a refund made in the merchant
 * platform, a statement not yet published, a damaged download. One clock moves both sides past midnight.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../core/support/db';
import { startHarness, type Harness } from '../core/support/harness';
import { DAY, nextDayAt, testClock, utc8Date } from '../support/utc8-clock';
import { waitFor } from '../support/wait';

let h: Harness;
afterEach(async () => { await h?.close(); });

const clock = testClock();

const CASES = [['wxpay', 'wxpay', 'native'], ['wxpay', 'wxpay-v2', 'native'], ['alipay', 'alipay', 'qr']] as const;

describe.each(CASES)('%s statements via %s', (provider, channel, pay_type) => {
  const start = () => startHarness({ now: clock.now, wxpayChannel: channel === 'wxpay-v2' ? 'wxpay-v2' : 'wxpay' });
  const orderOf = async (no: string) => (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;
  async function paid(uid: string, amount: number, notify = true): Promise<string> {
    const { out_trade_no } = await h.call('createPayment', { provider, pay_type, type: 'recharge', amount }, { uid });
    h.sandbox.control.setFaults(channel, notify ? {} : { unreachable: true });
    expect(h.sandbox.control.pay(channel, out_trade_no).ok).toBe(true);
    if (notify) await waitFor(async () => (await orderOf(out_trade_no)).status === 'paid');
    return out_trade_no;
  }
  const reconcile = (date: string) => h.call('reconcile', { channel, date }, { admin: true });

  it('finds each kind of discrepancy; repairs the lost payment once; a rerun replaces the report', async () => {
    clock.reset();
    h = await start();
    const a = await paid('ua', 1000);
    const b = await paid('ub', 2000, false);
    const c = await paid('uc', 3000);
    const d = await paid('ud', 4000);
    const e = await paid('ue', 5000);
    const platform = h.sandbox.control.platformRefund(channel, e, 500);
    expect(platform.ok).toBe(true);
    const date = utc8Date(clock.now());
    h.sandbox.control.setFaults(channel, { statement: { drop: [c], amount: { [d]: 4100 } } });
    clock.ahead(DAY);

    const report = await reconcile(date);
    expect(report).toMatchObject({ channel, date, status: 'done', provider_count: 4, local_count: 4, matched: 2 });
    expect(report.repaired).toMatchObject([{ out_trade_no: b, amount: 2000 }]);
    const kinds = report.discrepancies.map((x: { kind: string; out_trade_no?: string }) => `${x.kind}:${x.out_trade_no}`).sort();
    expect(kinds).toEqual([`amount_mismatch:${d}`, `missing_at_provider:${c}`, `refund_missing_here:${e}`, `repaired:${b}`].sort());
    expect(report.discrepancies.find((x: { kind: string }) => x.kind === 'refund_missing_here')).toMatchObject({ out_refund_no: platform.ok && platform.out_refund_no, provider: { amount: 500 } });
    expect(report.provider_totals).toMatchObject({ count: 4, amount: 1000 + 2000 + 4100 + 5000, refunds: 500 });
    expect(report.local_totals).toMatchObject({ count: 4, amount: 1000 + 3000 + 4000 + 5000, refunds: 0 });
    expect(await orderOf(b)).toMatchObject({ status: 'paid' });
    const points = async () => (await all(h.t.db, 'vk_pay_points')).find((p) => p.user_id === 'ub')?.points;
    expect(await points()).toBe(2000);
    expect((await all(h.t.db, 'vk_pay_alerts')).map((x) => x.kind)).toEqual(expect.arrayContaining(['status_mismatch', 'statement_mismatch']));

    const again = await reconcile(date);
    expect(again).toMatchObject({ status: 'done', local_count: 5, matched: 3, attempts: 2 });
    expect(again.repaired).toEqual(report.repaired);
    expect((await orderOf(b)).history.filter((x: { event: string }) => x.event === 'pay')).toHaveLength(1);
    expect(await points()).toBe(2000);
    const list = await h.call('listReconciliations', {}, { admin: true });
    expect(list).toMatchObject({ total: 1, rows: [{ channel, date, status: 'done', discrepancy_count: 3 }] });
    expect(list.rows[0].discrepancies).toBeUndefined();
  });

  it('a statement not yet published is pending and retried; a damaged one fails with an alert and repairs nothing', async () => {
    clock.reset();
    h = await start();
    const b = await paid('ub', 2000, false);
    const date = utc8Date(clock.now());
    await expect(reconcile(date)).rejects.toMatchObject({ code: 40001 }); // the day is not over yet
    clock.setTo(nextDayAt(date, 10.5)); // 10:30 the next morning, UTC+8
    h.sandbox.control.setFaults(channel, { statement: { pending: true } });
    expect(await reconcile(date)).toMatchObject({ status: 'pending', attempts: 1 });
    h.sandbox.control.setFaults(channel, { statement: { corrupt: true } });
    expect(await reconcile(date)).toMatchObject({ status: 'failed', attempts: 2 });
    expect((await orderOf(b)).status).toBe('pending');
    expect((await all(h.t.db, 'vk_pay_alerts')).map((x) => x.kind)).toContain('statement_unreadable');
    h.sandbox.control.setFaults(channel, {});
    expect(await reconcile(date)).toMatchObject({ status: 'done', attempts: 3, repaired: [{ out_trade_no: b }] });
    expect(await all(h.t.db, 'payment_reconciliations')).toHaveLength(1);
  });

  it('"no statement" long after publication time is a day without trades: our payments are missing at the provider', async () => {
    clock.reset();
    h = await start();
    const a = await paid('ua', 1000);
    await waitFor(async () => (await all(h.t.db, 'vk_pay_points')).length === 1); // its hook is done before time moves
    const date = utc8Date(clock.now());
    h.sandbox.control.setFaults(channel, { statement: { pending: true } });
    clock.setTo(nextDayAt(date, 15)); // 15:00 the next day
    const report = await reconcile(date);
    expect(report).toMatchObject({ status: 'done', provider_count: 0, local_count: 1, discrepancies: [{ kind: 'missing_at_provider', out_trade_no: a }] });
  });
});
