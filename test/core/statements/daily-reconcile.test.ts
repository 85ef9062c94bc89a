/**
 * reconcileDay against the real core, database and sandbox, with the statement handed in (the sandbox's own
 * statement publishing is tested end to end in test/e2e/reconcile-*.test.ts): each kind of discrepancy, a
 * repair through the one "ask the provider" path with its hook run once, reruns that replace the report and
 * repair nothing twice, pending and unreadable statements, bad dates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { DAY, utc8Date } from '../../support/utc8-clock';
import { reconcileDay, dayBounds, yesterdayUtc8 } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/daily-reconcile';
import type { CoreContext } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/context';
import { StatementFormatError, type StatementAnswer, type StatementRow } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/types';
import { waitFor } from '../../support/wait';

let h: Harness;
afterEach(async () => { await h?.close(); });


/** The core's context one day later (so today's UTC+8 day is over), whose wxpay provider answers `statement`. */
function dayLater(answer: () => Promise<StatementAnswer>): CoreContext {
  const ctx = h.core.ctx;
  return { ...ctx, now: () => Date.now() + DAY, provider: (ch) => ({ ...ctx.provider(ch), downloadStatement: answer }) };
}

const orderOf = async (no: string) => (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;

async function paidOrder(uid: string, amount: number, notify = true): Promise<{ no: string; tx: string }> {
  const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount }, { uid });
  h.sandbox.control.setFaults('wxpay', notify ? {} : { unreachable: true });
  const paid = h.sandbox.control.pay('wxpay', out_trade_no);
  if (!paid.ok) throw new Error(paid.code);
  if (notify) await waitFor(async () => (await orderOf(out_trade_no)).status === 'paid');
  return { no: out_trade_no, tx: paid.order.transaction_id };
}
const payment = (no: string, tx: string, amount: number, fee = 1): StatementRow => ({ kind: 'payment', out_trade_no: no, transaction_id: tx, amount, fee, time: 'x' });

describe('reconcileDay', () => {
  it('lists every kind of discrepancy, repairs a lost payment once, and a rerun replaces the report without repairing again', async () => {
    h = await startHarness();
    const a = await paidOrder('ua', 100);
    const b = await paidOrder('ub', 200, false); // paid at WeChat, its notification lost: pending here
    const c = await paidOrder('uc', 300);
    const d = await paidOrder('ud', 400);
    expect((await orderOf(b.no)).status).toBe('pending');
    const rows: StatementRow[] = [
      payment(a.no, a.tx, 100), payment(b.no, b.tx, 200), payment(d.no, d.tx, 450), // c is missing, d's amount changed
      payment('VKNOTOURS0001', '4200009999', 50), payment(a.no, '4200000002', 100), // unknown order; a paid twice
      { kind: 'refund', out_trade_no: a.no, transaction_id: a.tx, out_refund_no: 'PLATFORM-RF1', refund_id: '503', amount: 30, fee: 0, time: 'x' },
    ];
    const ctx = dayLater(async () => ({ state: 'ready', statement: { rows, summary: { count: 5, amount: 900, refunds: 30, fees: 99 } } }));
    const first = await reconcileDay(ctx, { channel: 'wxpay', date: utc8Date(), source: 'admin' });
    expect(first).toMatchObject({ status: 'done', provider_count: 5, local_count: 3, matched: 1, attempts: 1 });
    expect(first.repaired).toEqual([{ out_trade_no: b.no, transaction_id: b.tx, amount: 200 }]);
    const kinds = first.discrepancies!.map((x) => `${x.kind}:${x.out_trade_no ?? ''}`).sort();
    expect(kinds).toEqual([
      `amount_mismatch:${d.no}`, `missing_at_provider:${c.no}`, 'missing_here:VKNOTOURS0001', `paid_twice:${a.no}`,
      `refund_missing_here:${a.no}`, `repaired:${b.no}`, 'totals_mismatch:',
    ].sort());
    expect(first.provider_totals).toEqual({ count: 5, amount: 900, refunds: 30, fees: 5 });
    expect(first.local_totals).toMatchObject({ count: 3, amount: 800, refunds: 0 });
    // the repair went through the one transition: paid with WeChat's transaction, the hook ran once
    expect(await orderOf(b.no)).toMatchObject({ status: 'paid', transaction_id: b.tx });
    const points = async () => (await all(h.t.db, 'vk_pay_points')).find((p) => p.user_id === 'ub')?.points;
    expect(await points()).toBe(200);
    const alerts = (await all(h.t.db, 'vk_pay_alerts')).map((x) => x.kind);
    expect(alerts).toEqual(expect.arrayContaining(['status_mismatch', 'statement_mismatch']));

    const second = await reconcileDay(ctx, { channel: 'wxpay', date: utc8Date(), source: 'admin' });
    expect(second).toMatchObject({ status: 'done', local_count: 4, matched: 2, attempts: 2, repaired: first.repaired });
    expect(second.discrepancies!.map((x) => x.kind)).not.toContain('repaired');
    expect((await orderOf(b.no)).history.filter((e: { event: string }) => e.event === 'pay')).toHaveLength(1);
    expect(await points()).toBe(200);
    expect(await all(h.t.db, 'payment_reconciliations')).toHaveLength(1);
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((x) => x.kind === 'statement_mismatch')).toHaveLength(1);
  });

  it('a statement not published yet is a pending report; an unreadable one a failed report and an alert, nothing repaired; each run replaces the report', async () => {
    h = await startHarness();
    const b = await paidOrder('ub', 200, false);
    const pending = await reconcileDay(dayLater(async () => ({ state: 'pending', reason: 'NO_STATEMENT_EXIST' })), { channel: 'wxpay', date: utc8Date(), source: 'timer' });
    expect(pending).toMatchObject({ status: 'pending', reason: 'NO_STATEMENT_EXIST', attempts: 1 });
    expect(pending.next_attempt_at).toBeGreaterThan(Date.now());
    const failed = await reconcileDay(dayLater(async () => { throw new StatementFormatError('hash mismatch'); }), { channel: 'wxpay', date: utc8Date(), source: 'timer' });
    expect(failed).toMatchObject({ status: 'failed', reason: 'hash mismatch', attempts: 2 });
    expect((await orderOf(b.no)).status).toBe('pending'); // an unreadable statement repairs nothing
    const done = await reconcileDay(dayLater(async () => ({ state: 'ready', statement: { rows: [payment(b.no, b.tx, 200)], summary: null } })), { channel: 'wxpay', date: utc8Date(), source: 'admin' });
    expect(done).toMatchObject({ status: 'done', attempts: 3, repaired: [{ out_trade_no: b.no }] });
    // the stored report was replaced: nothing of the failed one is left on it
    const [stored] = await all(h.t.db, 'payment_reconciliations');
    expect(stored.reason).toBeUndefined();
    expect(stored.next_attempt_at).toBeUndefined();
    expect(stored).toMatchObject({ status: 'done', matched: 0, repaired: [{ out_trade_no: b.no }] });
    await reconcileDay(dayLater(async () => ({ state: 'pending', reason: 'STATEMENT_CREATING' })), { channel: 'wxpay', date: utc8Date(), source: 'admin' });
    const [again] = await all(h.t.db, 'payment_reconciliations');
    expect(again).toMatchObject({ status: 'pending', repaired: [{ out_trade_no: b.no }] });
    expect(again.matched).toBeUndefined();
    expect((await all(h.t.db, 'vk_pay_alerts')).map((x) => x.kind)).toContain('statement_unreadable');
    expect(await all(h.t.db, 'payment_reconciliations')).toHaveLength(1);
  });

  it('refuses malformed days, days not over in UTC+8, and channels that are not channels (40001)', async () => {
    const now = Date.UTC(2026, 11, 2, 3, 0); // 11:00 on 2026-12-02 in UTC+8
    expect(dayBounds('2026-12-01', now)).toEqual({ start: Date.UTC(2026, 10, 30, 16), end: Date.UTC(2026, 11, 1, 16) });
    for (const bad of ['2026-12-02', '2026-12-03', '2026-02-30', '2026-1-01', 20261201, undefined]) expect(() => dayBounds(bad, now)).toThrow(expect.objectContaining({ code: 40001 }));
    expect(yesterdayUtc8(now)).toBe('2026-12-01');
    expect(yesterdayUtc8(Date.UTC(2026, 11, 1, 17))).toBe('2026-12-01'); // 01:00 on the 2nd in UTC+8
    h = await startHarness();
    await expect(reconcileDay(h.core.ctx, { channel: 'paypal', date: '2026-12-01', source: 'admin' })).rejects.toMatchObject({ code: 40001 });
    // the admin method: bad dates are 40001, logged to payment_errors, and store nothing
    for (const date of ['yesterday', utc8Date(), '2026-13-01']) await expect(h.call('reconcile', { channel: 'wxpay', date }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('reconcile', { channel: 'wxpay', date: '2026-12-01', extra: 1 }, { admin: true })).rejects.toMatchObject({ code: 40001 });
    expect((await all(h.t.db, 'payment_errors')).filter((e) => e.action === 'reconcile')).toHaveLength(4);
    expect(await all(h.t.db, 'payment_reconciliations')).toHaveLength(0);
    await expect(h.call('listReconciliations', {}, { admin: true })).resolves.toMatchObject({ rows: [], total: 0 });
  });
});
