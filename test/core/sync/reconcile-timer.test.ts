/**
 * The timer's daily reconciliation step (sync/daily-reconcile.ts) against the real sandbox: nothing before
 * 10:00 UTC+8; after it, yesterday's statement of every channel that publishes one is reconciled once; a
 * statement not yet published is asked again only when its retry time comes; a disagreement raises an alert.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { nextDayAt, testClock, utc8Date } from '../../support/utc8-clock';
import { createSyncTimer } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/timer';
import { waitFor } from '../../support/wait';

let h: Harness;
afterEach(async () => { await h?.close(); });

const clock = testClock();

describe('timer: daily reconciliation', () => {
  it('reconciles yesterday once per channel after 10:00 UTC+8, retries a pending statement when due, alerts on a mismatch', async () => {
    clock.reset();
    h = await startHarness({ now: clock.now });
    const timer = createSyncTimer({ ctx: h.core.ctx });
    const paid = async (provider: string, channel: 'wxpay' | 'alipay', pay_type: string, amount: number) => {
      const { out_trade_no } = await h.call('createPayment', { provider, pay_type, type: 'recharge', amount }, { uid: `u-${channel}` });
      expect(h.sandbox.control.pay(channel, out_trade_no).ok).toBe(true);
      await waitFor(async () => (await all(h.t.db, 'payment_orders')).some((o) => o.out_trade_no === out_trade_no && o.status === 'paid'));
      return out_trade_no;
    };
    await paid('wxpay', 'wxpay', 'native', 100);
    await paid('alipay', 'alipay', 'qr', 150);
    const dropped = await paid('alipay', 'alipay', 'qr', 200);
    await waitFor(async () => (await all(h.t.db, 'vk_pay_points')).reduce((n, p) => n + p.points, 0) === 450);
    const date = utc8Date(clock.now());
    h.sandbox.control.setFaults('alipay', { statement: { pending: true } });

    clock.setTo(nextDayAt(date, 9.5));
    await timer.runSync();
    expect(await all(h.t.db, 'payment_reconciliations')).toHaveLength(0);

    clock.setTo(nextDayAt(date, 10.1));
    const first = await timer.runSync();
    expect(first.statements_reconciled).toBe(1);
    const reports = async () => Object.fromEntries((await all(h.t.db, 'payment_reconciliations')).map((r) => [r.channel, r]));
    expect(await reports()).toMatchObject({ wxpay: { date, status: 'done', matched: 1, attempts: 1 }, alipay: { date, status: 'pending', attempts: 1 } });
    // v2 had no trade that day: "No Bill Exist" before 14:00 is a statement not published yet
    expect((await reports())['wxpay-v2']).toMatchObject({ status: 'pending', reason: 'No Bill Exist' });

    await timer.runSync(); // a minute later: nothing is due again
    expect(await reports()).toMatchObject({ wxpay: { attempts: 1 }, alipay: { attempts: 1 } });

    h.sandbox.control.setFaults('alipay', { statement: { drop: [dropped] } });
    clock.setTo(nextDayAt(date, 10.7)); // past the pending report's retry time
    const third = await timer.runSync();
    expect(third.statements_reconciled).toBe(1);
    expect(await reports()).toMatchObject({ wxpay: { attempts: 1 }, alipay: { status: 'done', attempts: 2, matched: 1, discrepancy_count: 1, discrepancies: [{ kind: 'missing_at_provider', out_trade_no: dropped }] } });
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'statement_mismatch')).toHaveLength(1);
    expect(await all(h.t.db, 'payment_errors')).toHaveLength(0);
  });
});
