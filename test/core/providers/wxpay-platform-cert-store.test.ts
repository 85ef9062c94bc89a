/**
 * vk-pay follows WeChat's change of platform certificate through the sandbox (providers/wxpay/platform-cert-store.ts):
 * payments notified continuously while the sandbox lists a new certificate, signs with it and retires the old one
 * are all verified (zero refusals), with one download at first use and one more when the new serial first
 * appears; a serial that is not in the refreshed list is still refused (40002), and such serials cost at most one
 * download per minute, not one per request.
 */
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlatformCerts } from '../../../sandbox/wxpay/platform-certs';
import type { IncomingNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { paidSandboxOrder, signedNotification } from '../support/notifications';

let h: Harness;
afterEach(async () => { await h?.close(); });

const RETRY = { statusCode: 500, body: '{"code":"FAIL","message":"失败"}' };

async function pay(h: Harness, uid: string): Promise<string> {
  const created = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 }, { uid });
  expect(h.sandbox.control.pay('wxpay', created.out_trade_no).ok).toBe(true);
  return created.out_trade_no;
}

/** A notification as WeChat would send it, but re-signed by a stranger's key under a serial nobody listed. */
function underStrangeSerial(n: IncomingNotification): IncomingNotification {
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const headers: Record<string, string> = { ...(n.headers as Record<string, string>), 'wechatpay-serial': randomBytes(20).toString('hex').toUpperCase() };
  const sig = createSign('RSA-SHA256').update(`${headers['wechatpay-timestamp']}\n${headers['wechatpay-nonce']}\n${n.rawBody}\n`).sign(stranger, 'base64');
  return { headers: { ...headers, 'wechatpay-signature': sig }, rawBody: n.rawBody };
}

describe('wxpay platform-certificate mode across a rotation', () => {
  it('notifications keep verifying while the certificate is added, used and the old one retired', async () => {
    h = await startHarness({ keyModes: { wxpay: 'platform-cert' } });
    const pc: PlatformCerts = await h.sandbox.certModes.wxpayPlatformCerts();
    const first = pc.signingCert().serial;
    const paid: string[] = [];
    const steps: Record<number, 'add' | 'switch' | 'retire'> = { 3: 'add', 6: 'switch', 9: 'retire' };
    for (let i = 0; i < 12; i++) {
      if (steps[i]) await h.sandbox.certModes.rotate(steps[i]);
      paid.push(await pay(h, `u${i}`));
      // the next payment starts while this one's notification may still be on its way
      if (i % 3 === 2) expect(await h.sandbox.control.settled(10_000)).toBe(true);
    }
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const second = pc.signingCert().serial;
    expect(second).not.toBe(first);
    expect(pc.certificates().map((c) => c.serial)).toEqual([second]);

    const serials = h.received.map((r) => r.req.headers['wechatpay-serial']);
    expect(serials).toContain(first);
    expect(serials).toContain(second);
    expect(h.received.filter((r) => r.status >= 300)).toEqual([]);
    expect(await all(h.t.db, 'vk_pay_notify_rejections')).toEqual([]);
    const orders = await all(h.t.db, 'payment_orders');
    expect(orders.filter((o) => paid.includes(o.out_trade_no)).map((o) => o.status)).toEqual(paid.map(() => 'paid'));
    // first use, then once when the new serial first signed something; never per request
    expect(pc.downloads).toBe(2);
  }, 60_000);

  it('a rotation done all at once (new certificate signing, old one gone) is followed by one refresh', async () => {
    h = await startHarness({ keyModes: { wxpay: 'platform-cert' } });
    const pc = await h.sandbox.certModes.wxpayPlatformCerts();
    await pay(h, 'before');
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    await h.sandbox.certModes.rotate('all');
    await pay(h, 'after');
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    expect(h.received.map((r) => r.status)).toEqual([200, 200]);
    expect(pc.downloads).toBe(2);
  }, 60_000);

  it('notifications arriving together under a new serial share one download; an old list is downloaded again after 12 h', async () => {
    let clock = Date.now();
    h = await startHarness({ keyModes: { wxpay: 'platform-cert' }, now: () => clock });
    const pc = await h.sandbox.certModes.wxpayPlatformCerts();
    const orders: string[] = [];
    for (let i = 0; i < 5; i++) orders.push((await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 + i }, { uid: `c${i}` })).out_trade_no);
    expect(pc.downloads).toBe(1);
    await h.sandbox.certModes.rotate('all');
    const replies = await Promise.all(orders.map((no) => h.notify('wxpay', signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', no), { nowMs: clock }))));
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(pc.downloads).toBe(2);
    clock += 12 * 3600_000;
    await h.call('queryPayment', { out_trade_no: orders[0] }, { uid: 'c0' });
    await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 200 }, { uid: 'c9' });
    expect(pc.downloads).toBe(3);
  }, 60_000);

  it('a serial not in the refreshed list is refused (40002); such serials cost one download a minute, not one per request', async () => {
    let clock = Date.now();
    h = await startHarness({ keyModes: { wxpay: 'platform-cert' }, now: () => clock });
    const pc = await h.sandbox.certModes.wxpayPlatformCerts();
    const created = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 300 }, { uid: 'u1' });
    expect(pc.downloads).toBe(1);
    const genuine = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', created.out_trade_no), { nowMs: clock });

    const forged = underStrangeSerial(genuine);
    expect(await h.notify('wxpay', forged)).toMatchObject(RETRY);
    expect(pc.downloads).toBe(2);
    // again within the minute: refused without asking WeChat again
    expect(await h.notify('wxpay', underStrangeSerial(genuine))).toMatchObject(RETRY);
    expect(pc.downloads).toBe(2);
    clock += 61_000;
    const later = underStrangeSerial(signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', created.out_trade_no), { nowMs: clock }));
    expect(await h.notify('wxpay', later)).toMatchObject(RETRY);
    expect(pc.downloads).toBe(3);
    const rejections = await all(h.t.db, 'vk_pay_notify_rejections');
    expect(rejections.reduce((n, r) => n + r.count, 0)).toBe(3);
    // 'signature' is the count of 40002 refusals; the one sampled error row says why
    expect(rejections[0].first_reason).toBe('signature');
    const sampled = JSON.stringify(await all(h.t.db, 'payment_errors'));
    expect(sampled).toContain('40002');
    expect(sampled).toContain('unknown Wechatpay-Serial');
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('pending');

    // the genuine one, signed by the listed certificate, is accepted
    const ok = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', created.out_trade_no), { nowMs: clock });
    expect((await h.notify('wxpay', ok)).statusCode).toBe(200);
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('paid');
    expect(pc.downloads).toBe(3);
  }, 60_000);
});
