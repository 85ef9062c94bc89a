/**
 * Exactly once under duplicates and crashes, and the cost of the hot path in database round trips.
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
    const n = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));
    const replies = await Promise.all(Array.from({ length: 50 }, () => h.notify('wxpay', n)));
    expect(replies.every((r) => r.statusCode < 300)).toBe(true);

    const order = await orderOf(out_trade_no);
    const transitions = order.history.filter((e: { to: string }) => e.to === 'paid').length;
    const transactions = (await all(h.t.db, 'payment_transactions')).length;
    const notifications = (await all(h.t.db, 'payment_notifications')).length;
    const outbox = await all(h.t.db, 'vk_pay_outbox');
    const points = await all(h.t.db, 'vk_pay_points');
    console.log(`[figures] 50 concurrent copies -> transitions=${transitions} transactions=${transactions} notifications=${notifications} outbox=${outbox.length} hook runs=${hooks.paidRuns} points=${points[0]?.points}`);
    expect({ transitions, transactions, notifications, outbox: outbox.length, hookRuns: hooks.paidRuns }).toEqual({ transitions: 1, transactions: 1, notifications: 1, outbox: 1, hookRuns: 1 });
    expect(points).toMatchObject([{ user_id: 'u50', points: 880 }]);
  });

  it('hot path round trips: a first delivery is a handful, a duplicate two', async () => {
    h = await startHarness({ config: { hooks: { inline: false } } });
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 }, { uid: 'urt' });
    const n = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));
    const c = h.t.counting;
    const isLog = (_m: string, coll: string) => coll === 'payment_logs';
    c.reset();
    expect((await h.notify('wxpay', n)).statusCode).toBeLessThan(300);
    const first = c.total((m, coll) => !isLog(m, coll));
    const firstLogs = c.total(isLog);
    const firstDetail = Object.fromEntries(c.calls);
    c.reset();
    expect((await h.notify('wxpay', n)).statusCode).toBeLessThan(300);
    const dup = c.total((m, coll) => !isLog(m, coll));
    console.log(`[figures] round trips: first delivery ${first} (+${firstLogs} log) ${JSON.stringify(firstDetail)}; duplicate ${dup} (+${c.total(isLog)} log) ${JSON.stringify(Object.fromEntries(c.calls))}`);
    expect(first).toBeLessThanOrEqual(5);
    expect(dup).toBeLessThanOrEqual(2);
    expect((await orderOf(out_trade_no)).status).toBe('paid');
  });
});

describe('a crash between the transition and the hook', () => {
  it.each(['payment_transactions', 'vk_pay_outbox'])('killed at the %s write: the redelivered notification finishes the work and the hook still runs once', async (crashAt) => {
    const hooks = countingHooks();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules } } });
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 300 }, { uid: 'ucrash' });
    const n = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));

    // The process dies after the order became paid, at the named write (the transaction or the outbox insert).
    const ctx = h.core.ctx;
    const crashing = { ...ctx, dao: new Proxy(ctx.dao, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'add' || typeof v !== 'function') return v;
        return async (p: { dbName: string }) => {
          if (p.dbName === crashAt) throw new Error('process killed');
          return v.call(target, p);
        };
      },
    }) };
    const crashed = await handleNotification(crashing, 'wxpay', n);
    expect(crashed.ok).toBe(false); // the provider gets a retry-triggering reply: v3 wants 4xx/5xx + {code: FAIL}
    expect(crashed.reply.statusCode).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(crashed.reply.body)).toMatchObject({ code: 'FAIL' });
    expect((await orderOf(out_trade_no)).status).toBe('paid');
    expect((await all(h.t.db, 'vk_pay_outbox')).length).toBe(0);
    expect(hooks.paidRuns).toBe(0);

    // The provider redelivers; then the timer runs as well.
    expect((await h.notify('wxpay', n)).statusCode).toBeLessThan(300);
    await runDueHooks(ctx);
    await h.core.runTimer({ time: Date.now() });
    const order = await orderOf(out_trade_no);
    console.log(`[figures] crash at ${crashAt}: transitions=${order.history.length} transactions=${(await all(h.t.db, 'payment_transactions')).length} hook runs=${hooks.paidRuns}`);
    expect(order.history.filter((e: { to: string }) => e.to === 'paid')).toHaveLength(1);
    expect((await all(h.t.db, 'payment_transactions')).length).toBe(1);
    expect(hooks.paidRuns).toBe(1);
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 300 }]);
  });
});
