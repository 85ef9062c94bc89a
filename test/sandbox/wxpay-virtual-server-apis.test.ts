/**
 * The sandbox's refund and coin APIs of WeChat virtual payment, called on the wire and signed here by WeChat's
 * published rule (pay_sig = HMAC(AppKey, uri & body), signature = HMAC(session_key, body)), not by the provider:
 * refund_order refuses what WeChat's page says it refuses (another payer, an unpaid order, a bad refund_order_id,
 * refund_reason or req_from, a stale left_fee 268490016, a refund beyond left_fee), starts a refund task that
 * settles and pushes xpay_refund_notify (RetCode 0, or 1 with the `refund: closed` fault), and query_order reads
 * the refund order back. The coin APIs need the user-state signature of a live session (90010, 268490009), keep
 * balances credited by coin purchases, refuse to overspend (268490006) and answer a repeated order_id 268490004.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { clearAccessTokenCache } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/token';
import type { RunningSandbox } from './helpers';
import { asNotification, coinItem, login, paidVirtualOrder, providerOf, startVirtualSandbox } from './virtual-helpers';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { clearAccessTokenCache(); while (cleanups.length) await cleanups.pop()!(); });

const hmac = (key: string, msg: string) => createHmac('sha256', Buffer.from(key, 'utf8')).update(msg, 'utf8').digest('hex');

/** One server API call as WeChat's page describes it; `sessionKey` adds the user-state signature. */
async function xpay(s: RunningSandbox, api: string, body: Record<string, unknown>, o: { sessionKey?: string; appKey?: string; signature?: string } = {}) {
  const app = s.creds.wxpay.apps.mp;
  const tok = await (await fetch(`${s.base}/sandbox/wxapi/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credential', appid: app.appId, secret: app.appSecret }) })).json() as { access_token: string };
  const raw = JSON.stringify({ env: 1, ...body });
  const url = new URL(`${s.base}/sandbox/wxapi/xpay/${api}`);
  url.searchParams.set('access_token', tok.access_token);
  url.searchParams.set('pay_sig', hmac(o.appKey ?? s.creds.wxpayVirtual.sandboxAppKey, `/xpay/${api}&${raw}`));
  const signature = o.signature ?? (o.sessionKey ? hmac(o.sessionKey, raw) : undefined);
  if (signature) url.searchParams.set('signature', signature);
  return (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw })).json() as Promise<Record<string, any>>;
}

describe('sandbox wxpay-virtual refund_order', () => {
  it('refuses what WeChat refuses, starts a task, pushes xpay_refund_notify, and query_order reads the refund order back', async () => {
    const { s, rx } = await startVirtualSandbox(cleanups);
    const payer = await login(s);
    const bob = await login(s, 'bob');
    const no = await paidVirtualOrder(s, payer);
    const good = { openid: payer.openid, order_id: no, refund_order_id: 'RF2026120200001', left_fee: 990, refund_fee: 300, biz_meta: 'why', refund_reason: '0', req_from: '1' };
    const refusals: Array<[Record<string, unknown>, number]> = [
      [{ openid: '' }, 268490001],
      [{ openid: bob.openid }, 268490002],
      [{ refund_order_id: 'RF12345' }, 268490002],
      [{ refund_order_id: `RF${'1'.repeat(31)}` }, 268490002],
      [{ refund_order_id: 'RF2026|1200001' }, 268490002],
      [{ refund_reason: '6' }, 268490002],
      [{ req_from: 1 }, 268490002],
      [{ left_fee: 991 }, 268490016],
      [{ refund_fee: 0 }, 268490002],
      [{ refund_fee: 991, left_fee: 990 }, 268490002],
    ];
    for (const [over, code] of refusals) expect((await xpay(s, 'refund_order', { ...good, ...over })).errcode, JSON.stringify(over)).toBe(code);
    // pay_sig with the production AppKey for an env 1 body
    expect((await xpay(s, 'refund_order', good, { appKey: s.creds.wxpayVirtual.appKey })).errcode).toBe(90011);
    expect(s.sandbox.control.order('wxpay-virtual', no)?.refunded).toBe(0);

    const started = await xpay(s, 'refund_order', good);
    expect(started).toMatchObject({ errcode: 0, refund_order_id: 'RF2026120200001', pay_order_id: no, refund_wx_order_id: expect.stringMatching(/^wxr/) });
    // the same refund_order_id again answers the same task; with another amount it is refused
    expect(await xpay(s, 'refund_order', good)).toMatchObject({ errcode: 0, refund_wx_order_id: started.refund_wx_order_id });
    expect((await xpay(s, 'refund_order', { ...good, refund_fee: 301, left_fee: 690 })).errcode).toBe(268490002);
    await s.sandbox.control.settled();
    const push = rx.received.at(-1)!;
    const outcome = await providerOf(s).verifyNotification(asNotification(push));
    expect(outcome).toMatchObject({ kind: 'refund_succeeded', out_refund_no: 'RF2026120200001', out_trade_no: no, amount: 300 });
    const refundOrder = await xpay(s, 'query_order', { openid: payer.openid, order_id: 'RF2026120200001' });
    expect(refundOrder.order).toMatchObject({ order_type: 1, status: 8, refund_fee: 300, env_type: 2 });
    expect((await xpay(s, 'query_order', { openid: payer.openid, order_id: no })).order).toMatchObject({ order_type: 0, left_fee: 690 });
    // another payer cannot read it
    expect((await xpay(s, 'query_order', { openid: bob.openid, order_id: 'RF2026120200001' })).errcode).toBe(268490002);
  });

  it('a failed refund pushes RetCode 1, reads status 7, and gives left_fee back; a tampered push does not verify', async () => {
    const { s, rx } = await startVirtualSandbox(cleanups);
    const payer = await login(s);
    const no = await paidVirtualOrder(s, payer);
    s.sandbox.control.setFaults('wxpay-virtual', { refund: 'closed' });
    const body = { openid: payer.openid, order_id: no, refund_order_id: 'RF2026120200002', left_fee: 990, refund_fee: 990, refund_reason: '0', req_from: '1' };
    expect((await xpay(s, 'refund_order', body)).errcode).toBe(0);
    await s.sandbox.control.settled();
    expect(JSON.parse(JSON.stringify(await providerOf(s).verifyNotification(asNotification(rx.received.at(-1)!))))).toMatchObject({ kind: 'refund_failed', raw: { RetCode: 1 } });
    expect((await xpay(s, 'query_order', { openid: payer.openid, order_id: 'RF2026120200002' })).order).toMatchObject({ status: 7 });
    expect((await xpay(s, 'query_order', { openid: payer.openid, order_id: no })).order).toMatchObject({ left_fee: 990 });

    s.sandbox.control.setFaults('wxpay-virtual', { tamper: 'signature' });
    expect((await xpay(s, 'refund_order', { ...body, refund_order_id: 'RF2026120200003', refund_fee: 10 })).errcode).toBe(0);
    const before = rx.received.length;
    // the receiver answers ErrCode 0 to anything, so the settle timer and the one delivery end the wait
    await s.sandbox.control.settled();
    expect(rx.received.length).toBe(before + 1);
    await expect(providerOf(s).verifyNotification(asNotification(rx.received.at(-1)!))).rejects.toMatchObject({ code: 40002 });
  });
});

describe('sandbox wxpay-virtual coins', () => {
  it('balance, currency_pay and cancel_currency_pay with the user-state signature; WeChat\'s errors', async () => {
    const { s } = await startVirtualSandbox(cleanups);
    const payer = await login(s);
    const key = payer.session_key!;
    const me = { openid: payer.openid, user_ip: '10.1.2.3' };
    expect((await xpay(s, 'query_user_balance', me)).errcode).toBe(90010);
    expect((await xpay(s, 'query_user_balance', me, { sessionKey: 'not-the-session-key' })).errcode).toBe(90010);
    expect(await xpay(s, 'query_user_balance', me, { sessionKey: key })).toMatchObject({ errcode: 0, balance: 0, first_save_flag: true });
    await paidVirtualOrder(s, payer, coinItem);
    expect(await xpay(s, 'query_user_balance', me, { sessionKey: key })).toMatchObject({ errcode: 0, balance: 60, sum_save: 60 });

    const spend = { ...me, amount: 25, order_id: 'SPEND0000001', payitem: '[{"productid":"ep02","unit_price":25,"quantity":1}]', remark: '' };
    expect((await xpay(s, 'currency_pay', { ...spend, amount: 61 }, { sessionKey: key })).errcode).toBe(268490006);
    expect(await xpay(s, 'currency_pay', spend, { sessionKey: key })).toMatchObject({ errcode: 0, order_id: 'SPEND0000001', balance: 35 });
    expect((await xpay(s, 'currency_pay', spend, { sessionKey: key })).errcode).toBe(268490004);
    expect((await xpay(s, 'currency_pay', { ...spend, amount: 1 }, { sessionKey: key })).errcode).toBe(268490002);
    const back = { ...me, pay_order_id: 'SPEND0000001', order_id: 'BACK00000001', amount: 25 };
    expect((await xpay(s, 'cancel_currency_pay', { ...back, amount: 26 }, { sessionKey: key })).errcode).toBe(268490006);
    expect(await xpay(s, 'cancel_currency_pay', back, { sessionKey: key })).toMatchObject({ errcode: 0, order_id: 'BACK00000001' });
    expect((await xpay(s, 'cancel_currency_pay', { ...back, order_id: 'BACK00000002' }, { sessionKey: key })).errcode).toBe(268490005);
    expect(await xpay(s, 'query_user_balance', me, { sessionKey: key })).toMatchObject({ balance: 60, sum_cost: 0 });

    // the session lapses at WeChat: the key the server kept is refused as expired
    expect(s.sandbox.control.expireVirtualSession(payer.openid)).toBe(true);
    expect((await xpay(s, 'query_user_balance', me, { sessionKey: key })).errcode).toBe(268490009);
  });
});
