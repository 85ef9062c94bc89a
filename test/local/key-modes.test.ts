/**
 * Both certificate modes on the local host, as `VKPAY_KEY_MODES=wxpay=platform-cert,alipay=cert npm start` runs
 * them: the sandbox signs WeChat answers and notifications with a platform certificate and checks Alipay's
 * certificate SNs; the local config.js follows (no WeChat Pay public key, platformCertificates; Alipay's three
 * certificates). create -> pay at the sandbox -> notification -> paid -> refund, over HTTP, for both channels.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useRunningHost } from './running-host';

const before = process.env.VKPAY_KEY_MODES;
process.env.VKPAY_KEY_MODES = 'wxpay=platform-cert,alipay=cert';
const local = useRunningHost('vkpay-key-modes-', 180_000);
afterAll(() => {
  if (before === undefined) delete process.env.VKPAY_KEY_MODES;
  else process.env.VKPAY_KEY_MODES = before;
});
const { postJson: post } = local;

describe('certificate key modes on the local host', () => {
  it.each([['wxpay', 'native'], ['alipay', 'qr']] as const)('%s: create, pay, notified, paid, refunded', async (provider, pay_type) => {
    const auth = { 'uni-id-token': (await post('/__dev/login', { uid: `km-${provider}` })).token as string };
    const created = await post('/http/vk-pay-co/createPayment', { provider, pay_type, type: 'recharge', amount: 880 }, auth);
    expect(created).toMatchObject({ code: 0, data: { amount: 880 } });
    const no = created.data.out_trade_no as string;
    expect(await post('/sandbox/control/pay', { channel: provider, out_trade_no: no })).toMatchObject({ ok: true });
    expect(await post('/http/vk-pay-co/queryPayment', { out_trade_no: no, await_notify: true }, auth)).toMatchObject({ code: 0, data: { status: 'paid' } });

    const admin = { authorization: `Bearer ${local.host.adminToken}` };
    const refund = await post('/http/vk-pay-co/refund', { out_trade_no: no, amount: 80, reason: 'key modes' }, admin);
    expect(refund).toMatchObject({ code: 0 });
    let view: any;
    for (let i = 0; i < 100; i++) {
      view = await post('/http/vk-pay-co/queryPayment', { out_trade_no: no }, auth);
      if (view.data?.refunded_amount === 80) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(view).toMatchObject({ code: 0, data: { status: 'partially_refunded', refunded_amount: 80 } });

    // every notification (payment, and the refund's once it settles) is accepted, none refused
    let notifications: Array<{ state: string; attempts: Array<{ status: number }> }> = [];
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${local.host.url}/sandbox/control/notifications?channel=${provider}&out_trade_no=${no}`);
      notifications = ((await res.json()) as { notifications: typeof notifications }).notifications;
      if (notifications.length === 2 && notifications.every((n) => n.state === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notifications.map((n) => n.state)).toEqual(['delivered', 'delivered']);
    expect(notifications.flatMap((n) => n.attempts.map((a) => a.status)).filter((st) => typeof st === 'number' && st >= 300)).toEqual([]);
    // the sandbox really is in those modes: an Alipay request without certificate SNs is refused, WeChat lists certificates
    const modes = await post('/sandbox/control/key-mode', { channel: provider, mode: provider === 'wxpay' ? 'platform-cert' : 'cert' });
    expect(modes).toMatchObject({ wxpay: 'platform-cert', alipay: 'cert' });
  }, 60_000);
});

describe('login code to paid in certificate key modes', () => {
  // The mini-program and official-account flows: the code a device's uni.login (or the OAuth redirect) gives,
  // exchanged by the built vk-pay-co, the order placed for the stored openid and paid at the sandbox, with the
  // sandbox signing WeChat answers with a platform certificate and checking Alipay's certificate SNs.
  it.each([['wxpay', 'mp'], ['wxpay', 'jsapi'], ['alipay', 'mp']] as const)('%s %s: login code -> openid -> createPayment -> paid', async (provider, pay_type) => {
    const auth = { 'uni-id-token': (await post('/__dev/login', { uid: `km-login-${provider}-${pay_type}` })).token as string };
    const { code } = await post('/sandbox/control/login-code', { provider, pay_type, user: `km-${pay_type}` });
    const got = await post('/http/vk-pay-co/getOpenid', { provider, pay_type, code }, auth);
    expect(got).toMatchObject({ code: 0, data: { openid: expect.any(String) } });
    const created = await post('/http/vk-pay-co/createPayment', { provider, pay_type, type: 'recharge', amount: 321 }, auth);
    expect(created).toMatchObject({ code: 0, data: { amount: 321 } });
    const no = created.data.out_trade_no as string;
    expect(await post('/sandbox/control/pay', { channel: provider, out_trade_no: no })).toMatchObject({ ok: true, order: { payer_id: got.data.openid } });
    expect(await post('/http/vk-pay-co/queryPayment', { out_trade_no: no, await_notify: true }, auth)).toMatchObject({ code: 0, data: { status: 'paid' } });
  }, 60_000);
});
