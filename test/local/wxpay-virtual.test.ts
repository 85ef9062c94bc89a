/**
 * WeChat virtual payment through the local host, as a mini program and the built cloud functions meet it: the
 * sandbox's login code -> getOpenid (the session key stays on the server) -> createPayment signs the episode ->
 * the device's requestVirtualPayment step -> the payer pays -> the sandbox pushes the encrypted delivery to
 * /http/vk-pay-notify/wxpay-virtual -> the order is paid. The local config (config.js) sells in WeChat's sandbox env.
 */
import { describe, expect, it } from 'vitest';
import { useRunningHost } from './running-host';

const local = useRunningHost('vkpay-virtual-', 180_000);
const { postJson: post } = local;

describe('wxpay-virtual on the local host', () => {
  it('login code -> getOpenid -> createPayment -> device -> pay -> push -> paid', async () => {
    const auth = { 'uni-id-token': (await post('/__dev/login', { uid: 'vera' })).token as string };
    const { code } = await post('/sandbox/control/login-code', { provider: 'wxpay', pay_type: 'mp', user: 'vera' });
    const got = await post('/http/vk-pay-co/getOpenid', { provider: 'wxpay-virtual', pay_type: 'mp', code }, auth);
    expect(got).toMatchObject({ code: 0, data: { openid: expect.stringMatching(/^o[A-Za-z0-9]{27}$/) } });

    const created = await post('/http/vk-pay-co/createPayment', { provider: 'wxpay-virtual', pay_type: 'mp', type: 'episode', goods_id: 'ep-01' }, auth);
    expect(created).toMatchObject({ code: 0, data: { amount: 990, payment: { kind: 'virtualPayment', mode: 'short_series_goods' } } });
    expect(JSON.stringify(created)).not.toContain('session_key');
    const no = created.data.out_trade_no as string;

    expect(await post('/sandbox/control/virtual-payment', { openid: got.data.openid, ...created.data.payment })).toMatchObject({ errMsg: 'requestVirtualPayment:ok' });
    expect(await post('/sandbox/control/pay', { channel: 'wxpay-virtual', out_trade_no: no })).toMatchObject({ ok: true });
    const paid = await post('/http/vk-pay-co/queryPayment', { out_trade_no: no, await_notify: true }, auth);
    expect(paid).toMatchObject({ code: 0, data: { status: 'paid', amount: 990 } });
    // the order turns paid while the host is still answering the push, so the sandbox may mark the push
    // delivered a moment after queryPayment saw it paid: wait for the sandbox's record (not for wall time)
    let notifications: Array<{ state: string; attempts: Array<{ status: number }> }> = [];
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${local.host.url}/sandbox/control/notifications?channel=wxpay-virtual`);
      notifications = ((await res.json()) as { notifications: typeof notifications }).notifications;
      if (notifications.length > 0 && notifications.every((n) => n.state !== 'pending' && n.state !== 'sending')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(notifications).toMatchObject([{ state: 'delivered', attempts: [{ status: 200 }] }]);
  });
});
