/**
 * Business hooks through the outbox: retried with backoff until they succeed (credited once), dead-lettered with
 * an alert after the last try, replayed by an admin; a lease stops two runners from running one hook at once,
 * and is renewed while a slow hook runs. The hook rides on the order (hook_* fields written by the pay move).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { countingHooks } from '../support/hooks';
import { paidSandboxOrder, signedNotification } from '../support/notifications';
import { runDueHooks, runHook } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/outbox/outbox';

let h: Harness;
afterEach(async () => { await h?.close(); });

async function paid(uid: string, amount: number) {
  const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount }, { uid });
  const reply = await h.notify('wxpay', signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no)));
  expect(reply.statusCode).toBeLessThan(300); // a failing hook never fails the notification
  return out_trade_no as string;
}

describe('outbox', () => {
  it('a hook that fails 3 times then succeeds: retried with backoff, points credited once', async () => {
    const hooks = countingHooks({ failFirst: 3 });
    let clock = Date.now();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules }, now: () => clock }, config: { hooks: { backoffMs: [15_000, 30_000, 60_000] } } });
    const out_trade_no = await paid('retry', 640); // inline run: failure 1
    const [entry1] = await all(h.t.db, 'payment_orders');
    expect(entry1).toMatchObject({ hook_status: 'pending', hook_attempts: 1 });
    expect(entry1.hook_next_at - clock).toBe(15_000);

    expect((await runDueHooks(h.core.ctx)).claimed).toBe(0); // not due yet: the backoff holds
    const delays = [15_000, 30_000, 60_000];
    for (const d of delays) {
      clock += d;
      await runDueHooks(h.core.ctx);
    }
    clock += 3_600_000;
    await runDueHooks(h.core.ctx); // nothing left to run
    const [entry] = await all(h.t.db, 'payment_orders');
    const points = await all(h.t.db, 'vk_pay_points');
    console.log(`[figures] fail x3 then succeed: hook runs=${hooks.paidRuns} failures=${hooks.failures} hook=${entry.hook_status}/${entry.hook_attempts} points=${points[0]?.points}`);
    expect(hooks.paidRuns).toBe(4);
    expect(entry).toMatchObject({ hook_status: 'done', hook_attempts: 4, out_trade_no });
    expect(points).toMatchObject([{ user_id: 'retry', points: 640, credited_orders: [out_trade_no] }]);
  });

  it('dead-lettered with an alert after the last try; an admin replay then credits once', async () => {
    const hooks = countingHooks({ failFirst: 100 });
    h = await startHarness({ deps: { hooks: { modules: hooks.modules } }, config: { hooks: { backoffMs: [0], maxAttempts: 3 } } });
    const out_trade_no = await paid('dead', 120);
    await runDueHooks(h.core.ctx);
    await runDueHooks(h.core.ctx);
    await runDueHooks(h.core.ctx);
    const [entry] = await all(h.t.db, 'payment_orders');
    expect(entry).toMatchObject({ hook_status: 'dead', hook_attempts: 3 });
    expect(hooks.paidRuns).toBe(3);
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'hook_dead_letter')).toHaveLength(1);

    await expect(h.call('replayHooks', { out_trade_no }, { uid: 'dead' })).rejects.toMatchObject({ code: 40009 });
    hooks.failNext = 0;
    const replay = await h.call('replayHooks', { out_trade_no }, { admin: true });
    expect(replay.replayed).toBe(1);
    await h.call('replayHooks', { out_trade_no, include_done: true }, { admin: true }); // runs again: idempotent
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ points: 120 }]);
    expect((await all(h.t.db, 'payment_orders'))[0]).toMatchObject({ hook_status: 'done' });
  });

  it('two runners racing for one hook: only one runs it', async () => {
    const hooks = countingHooks();
    h = await startHarness({ deps: { hooks: { modules: hooks.modules } }, config: { hooks: { inline: false } } });
    const out_trade_no = await paid('lease', 50);
    expect((await all(h.t.db, 'payment_orders'))[0]).toMatchObject({ hook_status: 'pending', hook_attempts: 0 });
    const results = await Promise.all(Array.from({ length: 20 }, () => runHook(h.core.ctx, { event: 'paid', out_trade_no })));
    expect(results.filter((r) => r === 'done')).toHaveLength(1);
    expect(results.filter((r) => r === 'not_claimed')).toHaveLength(19);
    expect(hooks.paidRuns).toBe(1);
  });

  it('a type without a hook file completes without running anything', async () => {
    h = await startHarness();
    const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'goods', goods_id: 'cup' }, { uid: 'g' });
    await h.notify('wxpay', signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no)));
    expect((await all(h.t.db, 'payment_orders'))[0]).toMatchObject({ hook_status: 'done', hook_attempts: 0, type: 'goods' });
  });

  it('a slow hook keeps its claim: the lease is renewed while it runs, so no second runner starts it', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const modules = { recharge: { async onPaid() { runs++; await gate; } } };
    h = await startHarness({ deps: { hooks: { modules } }, config: { hooks: { inline: false, leaseMs: 300 } } });
    const out_trade_no = await paid('slow', 70);
    const first = runHook(h.core.ctx, { event: 'paid', out_trade_no });
    await new Promise((r) => setTimeout(r, 900)); // three leases: only renewals keep the claim
    expect(await runHook(h.core.ctx, { event: 'paid', out_trade_no })).toBe('not_claimed');
    expect((await runDueHooks(h.core.ctx)).claimed).toBe(0);
    release();
    expect(await first).toBe('done');
    expect(runs).toBe(1);
    expect((await all(h.t.db, 'payment_orders'))[0]).toMatchObject({ hook_status: 'done', hook_attempts: 1 });
  });
});

describe('the demo recharge hook (the pattern the README tells merchants to copy)', () => {
  it('two first payments of a new user credited at the same moment: both credited, once each', async () => {
    h = await startHarness();
    const recharge = require('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-hooks/recharge.js') as { onPaid(ctx: unknown): Promise<{ credited: boolean }> };
    const ctxOf = (no: string, amount: number, db: unknown = h.t.db) => ({ order: { user_id: 'newcomer', out_trade_no: no, amount }, db });
    // Found by the crash test. The interleaving: B's credit finds no ledger, A creates the ledger, B then reads the
    // ledger (now there) - and took it for "already credited". B's read is held back until A is done.
    let aDone: () => void = () => {};
    const aFinished = new Promise<void>((r) => { aDone = r; });
    const db = h.t.db;
    const holdReads = new Proxy(db, { get: (t, p) => (p !== 'collection' ? Reflect.get(t, p) : (name: string) => {
      const c = db.collection(name);
      return new Proxy(c, { get: (ct, cp) => (cp !== 'where' ? Reflect.get(ct, cp) : (w: Record<string, unknown>) => {
        const q = c.where(w);
        if (Object.keys(w).length !== 1) return q; // the conditional credit passes; the plain read waits
        return { limit: (n: number) => ({ get: async () => { await aFinished; return q.limit(n).get(); } }) };
      }) });
    }) });
    const b = recharge.onPaid(ctxOf('NEW0000002', 200, holdReads));
    const a = await recharge.onPaid(ctxOf('NEW0000001', 100));
    aDone();
    const first = [a, await b];
    const again = await Promise.all([recharge.onPaid(ctxOf('NEW0000001', 100)), recharge.onPaid(ctxOf('NEW0000002', 200))]);
    expect(first.map((r) => r.credited)).toEqual([true, true]);
    expect(again.map((r) => r.credited)).toEqual([false, false]);
    expect(await all(h.t.db, 'vk_pay_points')).toMatchObject([{ user_id: 'newcomer', points: 300 }]);
  });
});
