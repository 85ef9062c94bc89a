/**
 * Forged, replayed, altered, misaddressed and orphaned notifications. Each case names the reply it gets:
 *   forged signature, timestamp 301 s old   -> the retry reply (v3: 500 {"code":"FAIL"}; Alipay: 500 "fail"),
 *                                              counted per source and minute, at most one sampled error row
 *   amount off by 1 fen, wrong merchant/app  -> the retry reply, one payment_errors row (a check that may pass
 *                                              once the config or the order is put right)
 *   a genuine notification for an unknown order -> acknowledged (v3: 200 SUCCESS; Alipay: "success"), kept once
 *                                              as an orphan payment with one alert
 * In every case the order is unchanged and nothing is applied. Each starts from a notification that IS accepted
 * unaltered.
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
  const rejections = await all(h.t.db, 'vk_pay_notify_rejections');
  return {
    errors: (await all(h.t.db, 'payment_errors')).length,
    notifications: (await all(h.t.db, 'payment_notifications')).length,
    transactions: (await all(h.t.db, 'payment_transactions')).length,
    rejected: rejections.reduce((n, r) => n + r.count, 0),
  };
}

const RETRY = { wxpay: { statusCode: 500, body: '{"code":"FAIL","message":"失败"}' }, alipay: { statusCode: 500, body: 'fail' } } as const;
const ACK = { wxpay: { statusCode: 200, body: '{"code":"SUCCESS","message":"成功"}' }, alipay: { statusCode: 200, body: 'success' } } as const;

describe.each(['wxpay', 'alipay'] as const)('%s notifications', (channel) => {
  let out_trade_no: string;
  beforeEach(async () => {
    const created = await h.call('createPayment', { provider: channel, pay_type: channel === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount: 500 }, { uid: `u-${Math.random()}` });
    out_trade_no = created.out_trade_no;
  });

  async function expectOrderUnchanged(send: () => Promise<{ statusCode: number; body: string }>) {
    const before = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no);
    const reply = await send();
    const after = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no);
    expect(after).toEqual(before);
    expect(after!.status).toBe('pending');
    return reply;
  }

  const unverified: Array<[string, { nowMs?: number; tamper?: 'signature' }]> = [['a forged signature', { tamper: 'signature' }]];
  if (channel === 'wxpay') unverified.push(['a timestamp 301 s old', { nowMs: Date.now() - 301_000 }]);

  it.each(unverified)('%s: the retry reply, counted, at most one sampled error row per minute, nothing stored whole', async (_name, opts) => {
    const before = await counts();
    const n = signedNotification(h.creds, channel, paidSandboxOrder(h, channel, out_trade_no), { ...opts, nowMs: opts.nowMs ?? Date.now() });
    const reply = await expectOrderUnchanged(() => h.notify(channel, n));
    expect(reply).toMatchObject(RETRY[channel]);
    const after = await counts();
    expect(after).toMatchObject({ notifications: before.notifications, transactions: before.transactions, rejected: before.rejected + 1 });
    expect(after.errors - before.errors).toBeLessThanOrEqual(1);
    // one sample per counter document (source and minute), and no sample holds the body
    const samples = (await all(h.t.db, 'payment_errors')).filter((e) => e.input?.source === channel);
    const minutes = (await all(h.t.db, 'vk_pay_notify_rejections')).filter((r) => r.source === channel);
    expect(samples.length).toBeLessThanOrEqual(minutes.length);
    for (const s of samples) {
      expect(JSON.stringify(s)).not.toContain(n.rawBody.slice(0, 40));
      expect(Object.keys(s.input.headers).every((k) => ['content-type', 'content-length', 'user-agent', 'wechatpay-serial', 'wechatpay-timestamp', 'wechatpay-signature-type', 'request-id'].includes(k))).toBe(true);
    }
  });

  const refused: Array<[string, (o: SandboxOrder) => SandboxOrder]> = [
    ['an amount off by 1 fen', (o) => ({ ...o, amount: o.amount + 1 })],
    ['a wrong merchant id', (o) => ({ ...o, merchant_id: channel === 'wxpay' ? '1900000999' : '2088000000000999' })],
    ['a wrong app id', (o) => ({ ...o, app_id: channel === 'wxpay' ? 'wx00000000000bad0' : '2021000000000bad' })],
  ];

  it.each(refused)('%s (genuinely signed): the retry reply, order unchanged, one payment_errors row', async (_name, alter) => {
    const before = await counts();
    const n = signedNotification(h.creds, channel, alter(paidSandboxOrder(h, channel, out_trade_no)));
    const reply = await expectOrderUnchanged(() => h.notify(channel, n));
    expect(reply).toMatchObject(RETRY[channel]);
    expect(await counts()).toEqual({ ...before, errors: before.errors + 1 });
  });

  it('a genuine notification for an unknown order: acknowledged, kept once as an orphan payment, one alert', async () => {
    const before = await counts();
    const ghost = { ...paidSandboxOrder(h, channel, out_trade_no), out_trade_no: `20260101020000000000${channel === 'wxpay' ? '01' : '02'}`, transaction_id: `ORPHAN${channel.length}${Date.now()}` };
    const n = signedNotification(h.creds, channel, ghost);
    for (let i = 0; i < 3; i++) expect(await expectOrderUnchanged(() => h.notify(channel, n))).toMatchObject(ACK[channel]);
    const orphans = (await all(h.t.db, 'payment_transactions')).filter((t) => t.transaction_id === ghost.transaction_id);
    expect(orphans).toMatchObject([{ status: 'orphan', action: 'pay', out_trade_no: ghost.out_trade_no, amount: ghost.amount, channel }]);
    expect((await all(h.t.db, 'vk_pay_alerts')).filter((a) => a.kind === 'orphan_payment' && a.out_trade_no === ghost.out_trade_no)).toHaveLength(1);
    expect(await counts()).toMatchObject({ errors: before.errors, transactions: before.transactions + 1 });
  });

  it('accepts the same notification unaltered (the refusals above are the checks, not the builder)', async () => {
    const reply = await h.notify(channel, signedNotification(h.creds, channel, paidSandboxOrder(h, channel, out_trade_no)));
    expect(reply).toMatchObject(ACK[channel]);
    const order = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no);
    expect(order!.status).toBe('paid');
  });
});
