/**
 * Forged, replayed, altered and misaddressed notifications change nothing: the order stays as it was, no
 * notification or transaction is recorded, exactly one payment_errors row says why, and the reply asks the
 * provider to retry (never a false success). Each case starts from a notification that IS accepted unaltered.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { paidSandboxOrder, signedNotification } from '../support/notifications';
import type { SandboxOrder } from '../../../sandbox/state';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

async function counts() {
  return {
    errors: (await all(h.t.db, 'payment_errors')).length,
    notifications: (await all(h.t.db, 'payment_notifications')).length,
    transactions: (await all(h.t.db, 'payment_transactions')).length,
    outbox: (await all(h.t.db, 'vk_pay_outbox')).length,
  };
}

describe.each(['wxpay', 'alipay'] as const)('%s notifications', (channel) => {
  let out_trade_no: string;
  beforeEach(async () => {
    const created = await h.call('createPayment', { provider: channel, pay_type: channel === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount: 500 }, { uid: `u-${Math.random()}` });
    out_trade_no = created.out_trade_no;
  });

  const cases: Array<[string, (o: SandboxOrder) => SandboxOrder, { nowMs?: number; tamper?: 'signature' }]> = [
    ['a forged signature', (o) => o, { tamper: 'signature' }],
    ['an amount off by 1 fen', (o) => ({ ...o, amount: o.amount + 1 }), {}],
    ['a wrong merchant id', (o) => ({ ...o, merchant_id: channel === 'wxpay' ? '1900000999' : '2088000000000999' }), {}],
    ['a wrong app id', (o) => ({ ...o, app_id: channel === 'wxpay' ? 'wx00000000000bad0' : '2021000000000bad' }), {}],
    ['an unknown order', (o) => ({ ...o, out_trade_no: '2026010102000000000000' }), {}],
  ];
  if (channel === 'wxpay') cases.push(['a timestamp 301 s old', (o) => o, { nowMs: Date.now() - 301_000 }]);

  it.each(cases)('refuses %s: order unchanged, one payment_errors row', async (_name, alter, opts) => {
    const before = await counts();
    const orderBefore = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no);
    const n = signedNotification(h.creds, channel, alter(paidSandboxOrder(h, channel, out_trade_no)), { ...opts, nowMs: opts.nowMs ?? Date.now() });
    const reply = await h.notify(channel, n);
    if (channel === 'wxpay') expect(reply.statusCode).toBeGreaterThanOrEqual(400);
    else expect(reply.body).toBe('fail');
    const after = await counts();
    expect(after).toEqual({ ...before, errors: before.errors + 1 });
    const orderAfter = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no);
    expect(orderAfter).toEqual(orderBefore);
    expect(orderAfter!.status).toBe('pending');
  });

  it('accepts the same notification unaltered (the refusals above are the checks, not the builder)', async () => {
    const reply = await h.notify(channel, signedNotification(h.creds, channel, paidSandboxOrder(h, channel, out_trade_no)));
    expect(reply.statusCode).toBeLessThan(300);
    if (channel === 'alipay') expect(reply.body).toBe('success');
    const order = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no);
    expect(order!.status).toBe('paid');
  });
});
