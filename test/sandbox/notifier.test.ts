import { afterEach, describe, expect, it } from 'vitest';
import { RETRY_SCHEDULES, type SandboxChannel as AnySandboxChannel } from '../../sandbox/index';

/** The payment gateways' deliveries (virtual payment pushes: test/sandbox/wxpay-virtual.test.ts). */
type SandboxChannel = Exclude<AnySandboxChannel, 'wxpay-virtual'>;
import type { SandboxNotification } from '../../sandbox/state';
import { control, startReceiver, startSandbox, tradeNo, V2_SUCCESS, type RunningSandbox } from './helpers';
import { providerFor } from './providers';

const ACCEPT: Record<SandboxChannel, { status: number; body?: string }> = {
  wxpay: { status: 204 }, 'wxpay-v2': { status: 200, body: V2_SUCCESS }, alipay: { status: 200, body: 'success' },
};
const REFUSE = { status: 500, body: 'FAIL' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function setup(timeFactor: number, reply: Parameters<typeof startReceiver>[0]) {
  const s = await startSandbox({ timeFactor });
  const rx = await startReceiver(reply);
  cleanups.push(() => s.close(), () => rx.close());
  return { s, rx };
}

/** Creates an order through the provider (so its notify_url is the receiver) and pays it at the sandbox. */
async function paidOrder(s: RunningSandbox, channel: SandboxChannel, notifyUrl: string): Promise<string> {
  const no = tradeNo();
  await providerFor(s, channel).createOrder({
    out_trade_no: no, amount: 123, subject: '通知测试', pay_type: channel === 'alipay' ? 'qr' : 'native', notify_url: notifyUrl,
    expires_at: Date.now() + 3600_000,
  });
  expect((await control(s, 'pay', { channel, out_trade_no: no })).status).toBe(200);
  return no;
}

function only(s: RunningSandbox, no: string): SandboxNotification {
  const list = s.sandbox.control.notifications({ out_trade_no: no });
  expect(list).toHaveLength(1);
  return list[0];
}

const gaps = (n: SandboxNotification) => n.attempts.slice(1).map((a, i) => a.at - n.attempts[i].at);

describe('notifier: schedules and acceptance', () => {
  it('WeChat retries at 15s/15s/30s/3m x timeFactor until the merchant answers 2xx', async () => {
    const { s, rx } = await setup(0.001, (_, i) => (i < 4 ? REFUSE : ACCEPT.wxpay));
    const no = await paidOrder(s, 'wxpay', rx.url);
    expect(await s.sandbox.control.settled()).toBe(true);
    const n = only(s, no);
    expect(n.state).toBe('delivered');
    expect(n.attempts.map((a) => a.status)).toEqual([500, 500, 500, 500, 204]);
    gaps(n).forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(RETRY_SCHEDULES.wxpay[i] * 0.001 - 2);
      expect(g).toBeLessThan(RETRY_SCHEDULES.wxpay[i] * 0.001 + 1000); // scaled, not the real 15 s
    });
  });

  it('Alipay retries at 4m/10m/10m x timeFactor and accepts only the exact body "success"', async () => {
    const { s, rx } = await setup(0.0001, (_, i) => (i === 0 ? { status: 200, body: 'success\n' } : i === 1 ? { status: 200, body: 'fail' } : i === 2 ? { status: 302, body: 'success' } : ACCEPT.alipay));
    const no = await paidOrder(s, 'alipay', rx.url);
    expect(await s.sandbox.control.settled()).toBe(true);
    const n = only(s, no);
    expect(n.attempts.map((a) => a.accepted)).toEqual([false, false, false, true]);
    gaps(n).forEach((g, i) => expect(g).toBeGreaterThanOrEqual(RETRY_SCHEDULES.alipay[i] * 0.0001 - 2));
    expect(new Set(rx.received.map((r) => new URLSearchParams(r.body).get('notify_id'))).size).toBe(1); // stable across resends
  });

  it('v2 counts only return_code SUCCESS XML as accepted', async () => {
    const fail = '<xml><return_code><![CDATA[FAIL]]></return_code></xml>';
    const { s, rx } = await setup(0.001, (_, i) => (i === 0 ? { status: 200, body: fail } : ACCEPT['wxpay-v2']));
    const no = await paidOrder(s, 'wxpay-v2', rx.url);
    expect(await s.sandbox.control.settled()).toBe(true);
    expect(only(s, no).attempts.map((a) => a.accepted)).toEqual([false, true]);
  });

  it('gives up after the whole schedule when the merchant never accepts (16 WeChat attempts, 8 Alipay)', async () => {
    const { s, rx } = await setup(0.00001, () => REFUSE);
    const wx = await paidOrder(s, 'wxpay', rx.url);
    const ali = await paidOrder(s, 'alipay', rx.url);
    expect(await s.sandbox.control.settled(20_000)).toBe(true);
    expect(only(s, wx)).toMatchObject({ state: 'failed' });
    expect(only(s, wx).attempts).toHaveLength(RETRY_SCHEDULES.wxpay.length + 1);
    expect(only(s, ali).attempts).toHaveLength(RETRY_SCHEDULES.alipay.length + 1);
  });
});

describe('notifier: faults', () => {
  it('drop N: the first N attempts are lost, the next one is delivered after the scaled retry', async () => {
    const { s, rx } = await setup(0.001, () => ACCEPT.wxpay);
    expect((await control(s, 'faults', { channel: 'wxpay', drop: 2 })).status).toBe(200);
    const no = await paidOrder(s, 'wxpay', rx.url);
    expect(await s.sandbox.control.settled()).toBe(true);
    const n = only(s, no);
    expect(n.attempts.map((a) => [a.status, a.accepted])).toEqual([[0, false], [0, false], [204, true]]);
    expect(rx.received).toHaveLength(1);
    expect(gaps(n)[0]).toBeGreaterThanOrEqual(13);
  });

  it('duplicate N: each delivery arrives N + 1 times, byte-identical', async () => {
    const { s, rx } = await setup(0.001, () => ACCEPT.alipay);
    await control(s, 'faults', { channel: 'alipay', duplicate: 2 });
    const no = await paidOrder(s, 'alipay', rx.url);
    expect(await s.sandbox.control.settled()).toBe(true);
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    expect(only(s, no).state).toBe('delivered');
  });

  it('delayMs holds each attempt back', async () => {
    const { s, rx } = await setup(0.001, () => ACCEPT['wxpay-v2']);
    await control(s, 'faults', { channel: 'wxpay-v2', delayMs: 200 });
    const no = await paidOrder(s, 'wxpay-v2', rx.url);
    expect(await s.sandbox.control.settled()).toBe(true);
    const paidAt = s.sandbox.control.order('wxpay-v2', no)!.paid_at!;
    expect(rx.received[0].at - paidAt).toBeGreaterThanOrEqual(195);
  });

  it('unreachable: every attempt fails, nothing arrives, the schedule runs out', async () => {
    const { s, rx } = await setup(0.00001, () => ACCEPT.wxpay);
    await control(s, 'faults', { channel: 'wxpay', unreachable: true });
    const no = await paidOrder(s, 'wxpay', rx.url);
    expect(await s.sandbox.control.settled(20_000)).toBe(true);
    expect(only(s, no)).toMatchObject({ state: 'failed' });
    expect(rx.received).toHaveLength(0);
  });

  it('malformed fault settings are refused with 400', async () => {
    const { s } = await setup(0.001, () => ACCEPT.wxpay);
    expect((await control(s, 'faults', { channel: 'wxpay', tamper: 'everything' })).status).toBe(400);
    expect((await control(s, 'faults', { channel: 'paypal' })).status).toBe(400);
    expect((await control(s, 'faults', { channel: 'wxpay', drop: -1 })).status).toBe(400);
    expect((await control(s, 'faults', { channel: 'alipay', refund: 'closed' })).status).toBe(400);
    expect((await control(s, 'faults', { channel: 'wxpay', refund: 'closed' })).status).toBe(200);
  });

  for (const channel of ['wxpay', 'wxpay-v2', 'alipay'] as const) {
    it(`${channel}: a clean notification verifies at the provider; each tamper makes it fail with 40002`, async () => {
      const { s, rx } = await setup(0.001, () => ACCEPT[channel]);
      const provider = providerFor(s, channel);
      const verify = (i: number) => provider.verifyNotification({ headers: rx.received[i].headers, rawBody: rx.received[i].body });
      const clean = await paidOrder(s, channel, rx.url);
      await s.sandbox.control.settled();
      await expect(verify(0)).resolves.toMatchObject({ kind: 'paid', out_trade_no: clean, amount: 123 });
      for (const tamper of ['signature', 'amount', 'timestamp'] as const) {
        await control(s, 'faults', { channel, tamper });
        await paidOrder(s, channel, rx.url);
        await s.sandbox.control.settled();
        await expect(verify(rx.received.length - 1), tamper).rejects.toMatchObject({ code: 40002 });
      }
    });
  }
});

describe('notifier: Alipay closes', () => {
  it('closing an unpaid wap trade notifies TRADE_CLOSED (verified as closed); closing a qr trade does not notify', async () => {
    const { s, rx } = await setup(0.001, () => ACCEPT.alipay);
    const provider = providerFor(s, 'alipay');
    const wap = tradeNo();
    const { payment } = await provider.createOrder({ out_trade_no: wap, amount: 50, subject: 'x', pay_type: 'wap', notify_url: rx.url, expires_at: Date.now() + 600_000 });
    expect(payment.kind).toBe('page_url');
    if (payment.kind === 'page_url') await fetch(payment.page_url, { redirect: 'manual' });
    await provider.closeOrder(wap);
    const qr = tradeNo();
    await provider.createOrder({ out_trade_no: qr, amount: 50, subject: 'x', pay_type: 'qr', notify_url: rx.url, expires_at: Date.now() + 600_000 });
    await provider.closeOrder(qr);
    expect(await s.sandbox.control.settled()).toBe(true);
    expect(rx.received).toHaveLength(1);
    await expect(provider.verifyNotification({ headers: rx.received[0].headers, rawBody: rx.received[0].body }))
      .resolves.toMatchObject({ kind: 'closed', out_trade_no: wap });
  });
});

describe('notifier: persistence', () => {
  it('a notification still pending when the sandbox stops is delivered after a restart', async () => {
    let refuse = true;
    const rx = await startReceiver(() => (refuse ? REFUSE : ACCEPT.wxpay));
    cleanups.push(() => rx.close());
    const first = await startSandbox({ timeFactor: 0.01 });
    const no = await paidOrder(first, 'wxpay', rx.url);
    for (let i = 0; i < 100 && rx.received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await first.close({ keepHome: true });
    refuse = false;
    const second = await startSandbox({ timeFactor: 0.01, home: first.home });
    cleanups.push(() => second.close());
    expect(await second.sandbox.control.settled()).toBe(true);
    const n = only(second, no);
    expect(n.state).toBe('delivered');
    expect(n.attempts.map((a) => a.status)).toEqual([500, 204]);
  });
});
