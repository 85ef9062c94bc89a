import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, type Harness } from '../support/harness';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { createCoreContext } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { createProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createSyncTimer } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { transitionOrder } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/transition';
import { age, createOrder, getOrder, newCounts, payWithLostNotification, rows, startSyncHarness } from './sync-harness';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

const pointsOf = async (uid: string) => (await rows<{ points: number }>(h!, COLLECTIONS.points, { user_id: uid }))[0]?.points ?? 0;

describe('sync timer: lost notifications', () => {
  it('repairs a pending order paid at the provider: paid through the transition, hook once, mismatch alert', async () => {
    h = await startSyncHarness();
    const no = await createOrder(h, { amount: 321, uid: 'alice' });
    await payWithLostNotification(h, no);
    await age(h, no, 3 * 60_000);
    expect((await getOrder(h, no)).status).toBe('pending');

    const summary = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(summary).toMatchObject({ repaired: 1, closed: 0, errors: 0 });
    const order = await getOrder(h, no);
    expect(order.status).toBe('paid');
    expect(order.history.filter((e) => e.event === 'pay')).toEqual([expect.objectContaining({ source: 'timer', to: 'paid' })]);
    expect(await pointsOf('alice')).toBe(321);
    const alerts = await rows<{ kind: string; out_trade_no: string }>(h, COLLECTIONS.alerts, { kind: 'status_mismatch' });
    expect(alerts.map((a) => a.out_trade_no)).toEqual([no]);

    // A second run changes nothing: no second credit, no second alert.
    const again = await createSyncTimer({ ctx: h.core.ctx }, { recheckMs: 0 }).runSync({ now: Date.now() + 1000 });
    expect(again.repaired).toBe(0);
    expect(await pointsOf('alice')).toBe(321);
    expect(await rows(h, COLLECTIONS.alerts, { kind: 'status_mismatch' })).toHaveLength(1);
  });

  it('leaves orders younger than 2 minutes to their notification', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts });
    const no = await createOrder(h);
    await payWithLostNotification(h, no);
    const summary = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(summary.queried).toBe(0);
    expect(counts.query.get(no)).toBeUndefined();
    expect((await getOrder(h, no)).status).toBe('pending');
  });
});

describe('sync timer: expiry', () => {
  it('closes an expired order only after the provider confirms it unpaid, at the provider first', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts });
    const no = await createOrder(h);
    await age(h, no, 3 * 60_000, { expired: true });
    const summary = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(summary.closed).toBe(1);
    expect(counts.close.get(no)).toBe(1);
    expect((await getOrder(h, no)).status).toBe('closed');
    expect(h.sandbox.control.order('wxpay', no)?.status).toBe('CLOSED');
  });

  it('makes an expired order the provider reports paid paid, never closed', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts });
    const no = await createOrder(h, { uid: 'bob', amount: 50 });
    await payWithLostNotification(h, no);
    await age(h, no, 3 * 60_000, { expired: true });
    const summary = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(summary).toMatchObject({ repaired: 1, closed: 0 });
    expect(counts.close.get(no)).toBeUndefined();
    const order = await getOrder(h, no);
    expect(order.status).toBe('paid');
    expect(order.history.map((e) => e.event)).not.toContain('close');
    expect(await pointsOf('bob')).toBe(50);
  });

  it('an order closed locally that the provider reports paid becomes paid with paid_after_close and an alert', async () => {
    h = await startSyncHarness();
    const no = await createOrder(h, { uid: 'carol', amount: 70 });
    await payWithLostNotification(h, no);
    // Closed here (say by the person's cancel) while the payment went through at the gateway.
    expect(await transitionOrder(h.core.ctx, { out_trade_no: no, event: 'close', source: 'test', set: { closed_at: Date.now() } })).toBe(true);
    const summary = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(summary.paid_after_close).toBe(1);
    const order = await getOrder(h, no);
    expect(order).toMatchObject({ status: 'paid', paid_after_close: true });
    expect(await rows(h, COLLECTIONS.alerts, { kind: 'paid_after_close', out_trade_no: no })).toHaveLength(1);
    expect(await pointsOf('carol')).toBe(70);
  });

  it('refunds money received after close automatically when the config asks for it', async () => {
    h = await startSyncHarness({ config: { sync: { autoRefundPaidAfterClose: true } } as never });
    const no = await createOrder(h, { uid: 'dave', amount: 90 });
    await payWithLostNotification(h, no);
    await transitionOrder(h.core.ctx, { out_trade_no: no, event: 'close', source: 'test', set: { closed_at: Date.now() } });
    await createSyncTimer({ ctx: h.core.ctx }).runSync();
    const refunds = await rows<{ out_refund_no: string; amount: number }>(h, COLLECTIONS.refunds, { out_trade_no: no });
    expect(refunds).toEqual([expect.objectContaining({ out_refund_no: `${no}-pac`, amount: 90 })]);
    expect(h.sandbox.control.order('wxpay', no)?.status).toMatch(/REFUND|SUCCESS/);
  });
});

describe('sync timer: concurrency, budget, resume', () => {
  it('two overlapping runs query each order once and apply one transition each', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts, delayMs: 5 });
    const nos: string[] = [];
    for (let i = 0; i < 16; i++) nos.push(await createOrder(h, { uid: `u${i}`, amount: 10 + i }));
    for (const no of nos.slice(0, 8)) await payWithLostNotification(h, no);
    for (const no of nos) await age(h, no, 5 * 60_000);

    const ctx = h.core.ctx;
    const [a, b] = await Promise.all([createSyncTimer({ ctx }).runSync(), createSyncTimer({ ctx }).runSync()]);
    expect(a.repaired + b.repaired).toBe(8);
    expect(a.queried + b.queried).toBe(16);
    for (const no of nos) expect(counts.query.get(no)).toBe(1);
    for (const no of nos.slice(0, 8)) {
      const order = await getOrder(h, no);
      expect(order.status).toBe('paid');
      expect(order.history.filter((e) => e.event === 'pay')).toHaveLength(1);
    }
    for (let i = 0; i < 8; i++) expect(await pointsOf(`u${i}`)).toBe(10 + i);
  });

  it('stops inside its budget and the next run resumes where it stopped, never re-asking a finished order', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts, delayMs: 40 });
    const nos: string[] = [];
    for (let i = 0; i < 12; i++) nos.push(await createOrder(h));
    for (const no of nos) await age(h, no, 5 * 60_000);
    const timer = createSyncTimer({ ctx: h.core.ctx }, { concurrency: 1 });

    const runs = [];
    for (let i = 0; i < 20; i++) {
      const s = await timer.runSync({ budgetMs: 200 });
      runs.push(s);
      // Each query takes at least 40 ms, one at a time: a run that keeps to its 200 ms budget asks at most 200/40
      // orders plus the one in flight at the deadline, however loaded the machine (load only makes it fewer).
      expect(s.queried).toBeLessThanOrEqual(Math.floor(200 / 40) + 1);
      expect(s.elapsed_ms).toBeLessThan(200 + 1_000); // the call in flight at the deadline may finish
      if (!s.budget_exhausted) break;
    }
    expect(runs.length).toBeGreaterThan(1);
    expect(runs[0].budget_exhausted).toBe(true);
    expect(runs.reduce((n, s) => n + s.queried, 0)).toBe(12);
    for (const no of nos) expect(counts.query.get(no)).toBe(1);
  });
});

describe('sync timer: order paging', () => {
  it('pages due orders oldest first by (create_date, _id) across pages, each asked once', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts });
    const nos: string[] = [];
    for (let i = 0; i < 7; i++) nos.push(await createOrder(h));
    // Ages out of creation order, two pairs sharing one create_date (the _id decides those), so neither the
    // insertion order nor a create_date-only cursor gives the expected sequence.
    const base = Date.now() - 60 * 60_000;
    const when = [base + 5000, base + 1000, base + 3000, base + 1000, base + 9000, base + 3000, base];
    for (let i = 0; i < nos.length; i++) {
      await h.t.dao.update({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: nos[i] }, dataJson: { create_date: when[i] } });
    }
    const docs = await rows<{ _id: string; out_trade_no: string; create_date: number }>(h, COLLECTIONS.orders, { out_trade_no: h.t.db.command.in(nos) });
    const expected = docs
      .sort((a, b) => a.create_date - b.create_date || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
      .map((d) => d.out_trade_no);

    // Three orders a page, one at a time: the order of the provider calls is the order of the scan.
    const s = await createSyncTimer({ ctx: h.core.ctx }, { pageSize: 3, concurrency: 1 }).runSync();
    expect(s.queried).toBe(7);
    expect(s.scanned).toBe(7);
    expect([...counts.query.keys()]).toEqual(expected);
    for (const no of nos) expect(counts.query.get(no)).toBe(1);
  });
});

describe('sync timer: bad input', () => {
  it('a provider outage is recorded, alerted once, and leaves every order exactly as it was', async () => {
    h = await startSyncHarness();
    const nos: string[] = [];
    for (let i = 0; i < 5; i++) nos.push(await createOrder(h));
    for (const no of nos) await age(h, no, 5 * 60_000, { expired: true });
    const before = await Promise.all(nos.map((no) => getOrder(h!, no)));

    // The gateway goes away: the same config pointed at a port where nothing listens.
    const dead = parseConfig(baseConfig('http://127.0.0.1:1', h.creds));
    const ctx = createCoreContext({
      dao: h.t.dao, db: h.t.db, config: dead, hooks: { modules: {} },
      providers: (channel, section) => createProvider(channel, section as never, { http: createFetchHttpClient(), budgetMs: 300, timeoutMs: 200 }),
    });
    const s1 = await createSyncTimer({ ctx }).runSync();
    const s2 = await createSyncTimer({ ctx }).runSync();
    expect(s1.outage).toEqual(['wxpay']);
    expect(s1.errors).toBeGreaterThanOrEqual(3); // the breaker opens after 3 failures in a row
    expect(s1.errors).toBeLessThanOrEqual(3 + 3); // ... and only calls already in flight (concurrency 4) add to it
    expect(s1.closed + s1.repaired + s2.closed + s2.repaired).toBe(0);
    const after = await Promise.all(nos.map((no) => getOrder(h!, no)));
    expect(after).toEqual(before);
    expect(await rows(h, COLLECTIONS.alerts, { kind: 'provider_outage' })).toHaveLength(1);
    expect((await rows<{ code: number }>(h, COLLECTIONS.errors, { action: 'sync' })).every((e) => e.code === 40004)).toBe(true);

    // The gateway is back: the next run closes them (they are expired and unpaid).
    const s3 = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s3.closed).toBe(5);
  });

  it('a malformed stored order is skipped with an error row, not a crash, and not retried at once', async () => {
    h = await startSyncHarness();
    const good = await createOrder(h, { uid: 'erin', amount: 30 });
    await payWithLostNotification(h, good);
    await age(h, good, 5 * 60_000);
    await h.t.dao.add({ dbName: COLLECTIONS.orders, dataJson: { out_trade_no: 'BROKEN000001', status: 'pending', channel: 'bitcoin', amount: '12', create_date: Date.now() - 10 * 60_000, expires_at: 0 } });

    const s1 = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s1).toMatchObject({ malformed: 1, repaired: 1 });
    expect((await getOrder(h, good)).status).toBe('paid');
    const errs = await rows<{ code: number; out_trade_no: string }>(h, COLLECTIONS.errors, { out_trade_no: 'BROKEN000001' });
    expect(errs).toEqual([expect.objectContaining({ code: 40001 })]);
    const s2 = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s2.malformed).toBe(0);
    expect((await getOrder(h, 'BROKEN000001')).status).toBe('pending');
  });
});

describe('sync timer: refunds and hooks', () => {
  it('queries a refund still processing and applies success to the order', async () => {
    h = await startSyncHarness();
    const no = await createOrder(h, { uid: 'fay', amount: 200 });
    h.sandbox.control.pay('wxpay', no, 'success');
    await h.sandbox.control.settled(5000);
    expect((await getOrder(h, no)).status).toBe('paid');
    // The refund's notification is lost: the record stays processing here.
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    await h.call('refund', { out_trade_no: no, amount: 80, out_refund_no: `${no}-r1` }, { admin: true });
    await new Promise((r) => setTimeout(r, 50)); // the sandbox settles refunds after 3 s x timeFactor
    const [rec] = await rows<{ status: string }>(h, COLLECTIONS.refunds, { out_refund_no: `${no}-r1` });
    expect(rec.status).toBe('processing');
    await h.t.dao.update({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no: `${no}-r1` }, dataJson: { create_date: Date.now() - 5 * 60_000 } });

    const s = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s.refunds_updated).toBe(1);
    const [after] = await rows<{ status: string }>(h, COLLECTIONS.refunds, { out_refund_no: `${no}-r1` });
    expect(after.status).toBe('success');
    expect(await getOrder(h, no)).toMatchObject({ status: 'partially_refunded', refunded_amount: 80 });
    expect(await pointsOf('fay')).toBe(120);
  });
});

describe('sync timer: bounds', () => {
  it('keeps provider calls within the concurrency bound (default 4) and the rate bound', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts, delayMs: 20 });
    const nos: string[] = [];
    for (let i = 0; i < 12; i++) nos.push(await createOrder(h));
    for (const no of nos) await age(h, no, 5 * 60_000);
    const s = await createSyncTimer({ ctx: h.core.ctx }, { ratePerSecond: 0 }).runSync();
    expect(s.queried).toBe(12);
    expect(counts.maxInFlight).toBe(4);

    const slow = newCounts();
    await h.close();
    h = await startSyncHarness({ counts: slow });
    for (let i = 0; i < 6; i++) await age(h, await createOrder(h), 5 * 60_000);
    await createSyncTimer({ ctx: h.core.ctx }, { ratePerSecond: 10 }).runSync();
    expect(slow.starts).toHaveLength(6);
    const gaps = slow.starts.slice(1).map((t, i) => t - slow.starts[i]);
    // 10 per second: six starts span at least five intervals of 100 ms (single gaps jitter on a loaded machine)
    expect(slow.starts[5] - slow.starts[0]).toBeGreaterThanOrEqual(480);
    expect(gaps.filter((g) => g < 50).length).toBeLessThanOrEqual(1);
  });
});

describe('sync timer: hooks', () => {
  it('retries a failing hook with backoff on later runs and dead-letters it with an alert', async () => {
    let calls = 0;
    h = await startSyncHarness({
      config: { hooks: { maxAttempts: 2, backoffMs: [0] } },
      deps: { hooks: { modules: { recharge: { onPaid() { calls++; throw new Error('crm down'); } } } } },
    });
    const no = await createOrder(h);
    await payWithLostNotification(h, no);
    await age(h, no, 5 * 60_000);
    const s1 = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s1.repaired).toBe(1);
    expect(calls).toBe(1); // run inline right after the repair
    const s2 = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s2).toMatchObject({ hooks_run: 1, hooks_dead: 1 });
    expect(calls).toBe(2);
    expect(await rows(h, COLLECTIONS.alerts, { kind: 'hook_dead_letter', out_trade_no: no })).toHaveLength(1);
    expect((await getOrder(h, no)).status).toBe('paid'); // a failed hook never undoes the payment
    const s3 = await createSyncTimer({ ctx: h.core.ctx }).runSync();
    expect(s3.hooks_run).toBe(0);
  });
});
