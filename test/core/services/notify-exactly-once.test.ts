/**
 * Exactly once under duplicates and crashes (docs/EXACTLY-ONCE.md). The round-trip counts of every kind of
 * notification are in notify-round-trips.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { countingHooks } from '../support/hooks';
import { paidSandboxOrder, signedNotification } from '../support/notifications';
import { handleNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/notify';
import { runDueHooks } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/outbox/outbox';

let h: Harness;
afterEach(async () => { await h?.close(); });

async function orderOf(out_trade_no: string) {
  return (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no)!;
}

describe('a notification delivered many times', () => {
  it('50 concurrent copies: one transition, one transaction, one hook run, points credited once', async () => {
    const hooks = countingHooks();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules } } });
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 880 }, { uid: 'u50' });
    const sandboxOrder = paidSandboxOrder(h, 'wxpay', out_trade_no);
    const n = signedNotification(h.creds, 'wxpay', sandboxOrder);
    const replies = await Promise.all(Array.from({ length: 50 }, () => h.notify('wxpay', n)));
    expect(replies.every((r) => r.statusCode < 300)).toBe(true);

    const order = await orderOf(out_trade_no);
    const transitions = order.history.filter((e: { to: string }) => e.to === 'paid').length;
    // The transaction is the order's own transaction_id (unique across orders), written by the pay move itself;
    // payment_transactions keeps only money that is not an order's own payment, so it stays empty here.
    const unapplied = (await all(h.t.db, 'payment_transactions')).length;
    const notifications = (await all(h.t.db, 'payment_notifications')).length;
    const points = await all(h.t.db, 'vk_pay_points');
    console.log(`[figures] 50 concurrent copies -> transitions=${transitions} transaction=${order.transaction_id} notifications=${notifications} hook=${order.hook_status}/${order.hook_attempts} hook runs=${hooks.paidRuns} points=${points[0]?.points}`);
    expect({ transitions, transaction: order.transaction_id, unapplied, notifications, hook: [order.hook_status, order.hook_attempts], hookRuns: hooks.paidRuns })
      .toEqual({ transitions: 1, transaction: sandboxOrder.transaction_id, unapplied: 0, notifications: 1, hook: ['done', 1], hookRuns: 1 });
    expect(points).toMatchObject([{ user_id: 'u50', points: 880 }]);
  });
});

describe('a crash around the pay transition', () => {
  it('the process dies after the order became paid, before its hook ran: the redelivery is a duplicate, and the timer runs the hook once one short lease later', async () => {
    const hooks = countingHooks();
    let clock = Date.now();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules }, now: () => clock } });
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 300 }, { uid: 'ucrash' });
    const n = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no), { nowMs: clock });

    // handleNotification moves the order and claims its hook in one update; the caller that would run the hook
    // (core.notify) never does: the process is gone. Nothing half-done is left - the hook is owed on the order.
    const moved = await handleNotification(h.core.ctx, 'wxpay', n);
    expect(moved).toMatchObject({ ok: true, result: 'pay' });
    expect(await orderOf(out_trade_no)).toMatchObject({ status: 'paid', hook_status: 'running', hook_attempts: 1 });

    expect((await h.notify('wxpay', n)).statusCode).toBe(200);
    expect((await runDueHooks(h.core.ctx)).claimed).toBe(0); // the dead runner's lease has not lapsed yet
    expect(hooks.paidRuns).toBe(0);

    clock += h.core.ctx.config.hooks.leaseMs + 1;
    expect(await runDueHooks(h.core.ctx)).toMatchObject({ claimed: 1, done: 1 });
    await h.core.runTimer({ time: clock });
    const order = await orderOf(out_trade_no);
    console.log(`[figures] crash after the pay transition: transitions=${order.history.length} hook=${order.hook_status}/${order.hook_attempts} hook runs=${hooks.paidRuns}`);
    expect(order.history.filter((e: { to: string }) => e.to === 'paid')).toHaveLength(1);
    expect(order).toMatchObject({ hook_status: 'done', hook_attempts: 2 });
    expect(hooks.paidRuns).toBe(1);
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 300 }]);
  });

  it('the database fails on the pay transition: the retry reply, nothing written; the redelivery pays it once', async () => {
    const hooks = countingHooks();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules } } });
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 310 }, { uid: 'udbfail' });
    const n = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));
    const ctx = h.core.ctx;
    const failing = { ...ctx, dao: new Proxy(ctx.dao, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'update' || typeof v !== 'function') return v;
        return async (p: { dbName: string }) => {
          if (p.dbName === 'payment_orders') throw new Error('database unreachable');
          return v.call(target, p);
        };
      },
    }) };
    const failed = await handleNotification(failing, 'wxpay', n);
    expect(failed.ok).toBe(false); // v3 wants 4xx/5xx + {code: FAIL} to deliver again
    expect(failed.reply.statusCode).toBe(500);
    expect(JSON.parse(failed.reply.body)).toMatchObject({ code: 'FAIL' });
    expect(await orderOf(out_trade_no)).toMatchObject({ status: 'pending' });
    expect(await all(h.t.db, 'payment_notifications')).toHaveLength(0);

    expect((await h.notify('wxpay', n)).statusCode).toBe(200);
    expect((await h.notify('wxpay', n)).statusCode).toBe(200);
    const order = await orderOf(out_trade_no);
    expect(order.history.filter((e: { to: string }) => e.to === 'paid')).toHaveLength(1);
    expect(hooks.paidRuns).toBe(1);
  });
});
