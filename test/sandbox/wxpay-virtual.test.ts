/**
 * The sandbox's WeChat virtual payment against the real provider: login code -> session key, createOrder's signed
 * payment checked by the device step (paySig with the env's AppKey, signature with the session key), the payer
 * paying, the encrypted and signed delivery push, query_order with pay_sig and a stable access_token, and the
 * faults (tampered signature, stale timestamp, other amount, duplicated and dropped deliveries).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clearAccessTokenCache } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/token';
import { control, waitFor, type Received } from './helpers';
import { SUCCESS, asNotification, login as loginAs, providerOf, signedPayment, startVirtualSandbox } from './virtual-helpers';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { clearAccessTokenCache(); while (cleanups.length) await cleanups.pop()!(); });
const setup = (reply?: Parameters<typeof startVirtualSandbox>[1]) => startVirtualSandbox(cleanups, reply);
const login = loginAs;

describe('sandbox wxpay-virtual', () => {
  it('goods: device checks the signatures, the payer pays, the push verifies, query_order says paid and delivered', async () => {
    const { s, rx } = await setup();
    const payer = await login(s);
    const { no, payment } = await signedPayment(s, payer.session_key!);
    const dev = await control(s, 'virtual-payment', { openid: payer.openid, ...payment });
    expect(dev.status).toBe(200);
    expect((await providerOf(s).queryOrder(no, { openid: payer.openid })).state).toBe('pending');

    expect((await control(s, 'pay', { channel: 'wxpay-virtual', out_trade_no: no })).status).toBe(200);
    expect(await s.sandbox.control.settled()).toBe(true);
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse(rx.received[0].body)).toEqual({ ToUserName: expect.stringMatching(/^gh_/), Encrypt: expect.any(String) });
    const outcome = await providerOf(s).verifyNotification(asNotification(rx.received[0]));
    expect(outcome).toMatchObject({ kind: 'paid', out_trade_no: no, amount: 990 });
    expect(s.sandbox.control.notifications({ out_trade_no: no })[0].state).toBe('delivered');
    const q = await providerOf(s).queryOrder(no, { openid: payer.openid });
    expect(q).toMatchObject({ state: 'paid', amount: 990, transaction_id: outcome.kind === 'paid' ? outcome.transaction_id : '' });
  });

  it('coins: the coin push carries the order amount', async () => {
    const { s, rx } = await setup();
    const payer = await login(s);
    const { no, payment } = await signedPayment(s, payer.session_key!, {}, { amount: 600, subject: '60 coins', wxVirtualCoins: 60 });
    expect((await control(s, 'virtual-payment', { openid: payer.openid, ...payment })).status).toBe(200);
    await control(s, 'pay', { channel: 'wxpay-virtual', out_trade_no: no });
    await s.sandbox.control.settled();
    const o = await providerOf(s).verifyNotification(asNotification(rx.received[0]));
    expect(o).toMatchObject({ kind: 'paid', amount: 600 });
    expect(JSON.parse(JSON.stringify(o)).raw.Event).toBe('xpay_coin_pay_notify');
  });

  it('the device refuses a paySig of the other environment, a stale session and a forged signature', async () => {
    const { s } = await setup();
    const payer = await login(s);
    // signed with the production AppKey while signData says env 1 (sandbox): WeChat keeps the keys apart
    const crossed = await signedPayment(s, payer.session_key!, { sandboxAppKey: s.creds.wxpayVirtual.appKey });
    expect((await control(s, 'virtual-payment', { openid: payer.openid, ...crossed.payment })).json()).toMatchObject({ errCode: -15005 });
    // the payer logged in again: the session key the server kept is no longer WeChat's
    const stale = await signedPayment(s, payer.session_key!);
    await login(s);
    expect((await control(s, 'virtual-payment', { openid: payer.openid, ...stale.payment })).json()).toMatchObject({ errCode: -15005, errMsg: expect.stringContaining('signature') });
    // another person's openid with this payer's signature
    const bob = await login(s, 'bob');
    const mine = await signedPayment(s, (await login(s)).session_key!);
    expect((await control(s, 'virtual-payment', { openid: bob.openid, ...mine.payment })).json()).toMatchObject({ errCode: -15005 });
    expect(s.sandbox.control.order('wxpay-virtual', mine.no)).toBeUndefined();
  });

  it('server APIs check pay_sig with the env AppKey and the access_token; an expired token is fetched again', async () => {
    const { s } = await setup();
    const payer = await login(s);
    await expect(providerOf(s, { sandboxAppKey: 'wrongKey' }).queryOrder('VV0000000001', { openid: payer.openid })).rejects.toMatchObject({ code: 40002, providerCode: '90011' });
    clearAccessTokenCache();
    await expect(providerOf(s, { appSecret: 'wrong' }).queryOrder('VV0000000001', { openid: payer.openid })).rejects.toMatchObject({ code: 40003 });
    const p = providerOf(s);
    expect((await p.queryOrder('VV0000000001', { openid: payer.openid })).state).toBe('not_found');
    s.sandbox.control.expireAccessTokens();
    expect((await p.queryOrder('VV0000000001', { openid: payer.openid })).state).toBe('not_found');
  });

  it('faults: tampered signature, stale timestamp and other amount reach the merchant as such; duplicates and drops too', async () => {
    const { s, rx } = await setup();
    const payer = await login(s);
    const pay = async (faults: Record<string, unknown>) => {
      s.sandbox.control.setFaults('wxpay-virtual', faults as never);
      const { no, payment } = await signedPayment(s, payer.session_key!);
      expect((await control(s, 'virtual-payment', { openid: payer.openid, ...payment })).status).toBe(200);
      const before = rx.received.length;
      await control(s, 'pay', { channel: 'wxpay-virtual', out_trade_no: no });
      await s.sandbox.control.settled();
      return { no, got: rx.received.slice(before) };
    };
    const verify = (r: Received) => providerOf(s).verifyNotification(asNotification(r));
    await expect(verify((await pay({ tamper: 'signature' })).got[0])).rejects.toMatchObject({ code: 40002 });
    await expect(verify((await pay({ tamper: 'timestamp' })).got[0])).rejects.toThrow(/window/);
    await expect(verify((await pay({ tamper: 'amount' })).got[0])).resolves.toMatchObject({ kind: 'paid', amount: 991 });
    const dup = await pay({ duplicate: 1 });
    expect(dup.got).toHaveLength(2);
    expect(dup.got[0].body).toBe(dup.got[1].body);
    const dropped = await pay({ drop: 2 });
    expect(dropped.got).toHaveLength(1);
    expect(s.sandbox.control.notifications({ out_trade_no: dropped.no })[0].attempts).toHaveLength(3);
  });

  it('a push the merchant does not answer with ErrCode 0 is retried', async () => {
    const { s, rx } = await setup((_, i) => (i === 0 ? { status: 200, body: '{"ErrCode":1}' } : SUCCESS));
    const payer = await login(s);
    const { no, payment } = await signedPayment(s, payer.session_key!);
    await control(s, 'virtual-payment', { openid: payer.openid, ...payment });
    await control(s, 'pay', { channel: 'wxpay-virtual', out_trade_no: no });
    expect(await waitFor(() => rx.received.length >= 2)).toBe(true);
    await s.sandbox.control.settled();
    expect(s.sandbox.control.notifications({ out_trade_no: no })[0]).toMatchObject({ state: 'delivered' });
  });
});
