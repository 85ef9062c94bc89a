/**
 * A notification racing a query and a timer run; lost notifications repaired by query and timer; close at the
 * provider first. Whatever the interleaving, the order moves once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, timerNow, type Harness } from '../support/harness';
import { countingHooks, type CountingHooks } from '../support/hooks';
import { paidSandboxOrder, signedNotification } from '../support/notifications';
import { waitFor } from '../../support/wait';

let h: Harness;
let hooks: CountingHooks;
beforeAll(async () => {
  hooks = countingHooks();
  h = await startHarness({ deps: { hooks: { modules: hooks.modules } } });
});
afterAll(async () => { await h.close(); });

/** A timer run that treats every pending order as stale (the real one waits until they are 2 minutes old). */
const timerLater = () => timerNow(h);

async function orderOf(out_trade_no: string) {
  return (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no)!;
}

async function newOrder(uid: string, amount: number) {
  const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount }, { uid });
  return out_trade_no as string;
}

describe('races', () => {
  it('a notification racing a query and a timer run: one transition, one transaction, one hook run (20 rounds)', async () => {
    h.sandbox.control.setFaults('wxpay', { unreachable: true }); // the sandbox's own delivery never arrives
    let transitions = 0;
    const runsBefore = hooks.paidRuns;
    for (let i = 0; i < 20; i++) {
      const out_trade_no = await newOrder(`racer${i}`, 100 + i);
      expect(h.sandbox.control.pay('wxpay', out_trade_no).ok).toBe(true);
      const n = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));
      const ops = [
        () => h.notify('wxpay', n),
        () => h.call('queryPayment', { out_trade_no }, { uid: `racer${i}` }),
        () => timerLater(),
      ];
      if (i % 2) ops.reverse();
      await Promise.all(ops.map((op) => op()));
      const order = await orderOf(out_trade_no);
      expect(order.status).toBe('paid');
      const paid = order.history.filter((e: { to: string }) => e.to === 'paid').length;
      expect(paid).toBe(1);
      transitions += paid;
      // one transaction: the order's own transaction_id, written once by the pay move (no second-payment rows)
      expect(order.transaction_id).toBe(h.sandbox.control.order('wxpay', out_trade_no)!.transaction_id);
      expect((await all(h.t.db, 'payment_transactions')).filter((t) => t.out_trade_no === out_trade_no)).toHaveLength(0);
    }
    await timerLater(); // runs any hook an inline run left behind
    console.log(`[figures] notify vs query vs timer, 20 rounds: transitions=${transitions} hook runs=${hooks.paidRuns - runsBefore}`);
    expect(transitions).toBe(20);
    expect(hooks.paidRuns - runsBefore).toBe(20);
    h.sandbox.control.setFaults('wxpay', {});
  });

  it('a lost notification: queryPayment asks the provider and the order becomes paid, hook once', async () => {
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    const out_trade_no = await newOrder('lost1', 777);
    h.sandbox.control.pay('wxpay', out_trade_no);
    const before = hooks.paidRuns;
    const view = await h.call('queryPayment', { out_trade_no }, { uid: 'lost1' });
    expect(view.status).toBe('paid');
    const again = await h.call('queryPayment', { out_trade_no }, { uid: 'lost1' });
    expect(again.status).toBe('paid');
    expect(hooks.paidRuns - before).toBe(1);
    expect((await orderOf(out_trade_no)).history).toHaveLength(1);
    h.sandbox.control.setFaults('wxpay', {});
  });

  it('a lost notification: the timer repairs a stale pending order', async () => {
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    const out_trade_no = await newOrder('lost2', 555);
    h.sandbox.control.pay('wxpay', out_trade_no);
    const summary = await timerLater();
    expect(summary.repaired as number).toBeGreaterThanOrEqual(1);
    expect((await orderOf(out_trade_no)).status).toBe('paid');
    h.sandbox.control.setFaults('wxpay', {});
  });

  it('closeOrder closes at the provider first; the sandbox then refuses payment', async () => {
    const out_trade_no = await newOrder('closer', 200);
    const view = await h.call('closeOrder', { out_trade_no }, { uid: 'closer' });
    expect(view.status).toBe('closed');
    expect(h.sandbox.control.pay('wxpay', out_trade_no).ok).toBe(false);
    await expect(h.call('closeOrder', { out_trade_no }, { uid: 'someone-else' })).rejects.toMatchObject({ code: 40009 });
  });

  it('closeOrder on an order paid at the provider (notification lost) makes it paid, not closed', async () => {
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    const out_trade_no = await newOrder('closer2', 300);
    h.sandbox.control.pay('wxpay', out_trade_no);
    const view = await h.call('closeOrder', { out_trade_no }, { uid: 'closer2' });
    expect(view.status).toBe('paid');
    await expect(h.call('closeOrder', { out_trade_no }, { uid: 'closer2' })).rejects.toMatchObject({ code: 40006 });
    h.sandbox.control.setFaults('wxpay', {});
  });

  it('a payment confirmed for a locally closed order becomes paid with paid_after_close and an alert', async () => {
    const out_trade_no = await newOrder('late', 400);
    // Closed locally only (as if the close reached us but the person paid at the same moment at the provider).
    await h.t.db.collection('payment_orders').where({ out_trade_no }).update({ status: 'closed' });
    h.sandbox.control.pay('wxpay', out_trade_no);
    await waitFor(async () => (await all(h.t.db, 'vk_pay_alerts')).some((a) => a.out_trade_no === out_trade_no));
    const order = await orderOf(out_trade_no);
    expect(order).toMatchObject({ status: 'paid', paid_after_close: true });
    expect((await all(h.t.db, 'vk_pay_alerts')).some((a) => a.kind === 'paid_after_close' && a.out_trade_no === out_trade_no)).toBe(true);
  });

  it('await_notify waits for the notification', async () => {
    h.sandbox.control.setFaults('wxpay', { delayMs: 300 });
    const out_trade_no = await newOrder('waiter', 150);
    h.sandbox.control.pay('wxpay', out_trade_no);
    // the first provider query may already say paid; either way the answer is final
    const view = await h.call('queryPayment', { out_trade_no, await_notify: true }, { uid: 'waiter' });
    expect(view.status).toBe('paid');
    h.sandbox.control.setFaults('wxpay', {});
  });
});
