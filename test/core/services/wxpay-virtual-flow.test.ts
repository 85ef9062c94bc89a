/**
 * WeChat virtual payment end to end through the core and the sandbox: a login code becomes the payer's openid and
 * session key (getOpenid), createPayment signs the order from the catalog, the device opens it, the payer pays, the
 * sandbox pushes the encrypted delivery to the notify route, and the order is paid once with its hook run once.
 * Forged, replayed and foreign pushes change nothing; a lost push is repaired by the timer through query_order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { timerNow, type Harness } from '../support/harness';
import { loggedIn as login, opened as open, orderOf as order, startVirtual, type VirtualOrderType, type VirtualRuns } from '../support/virtual-payment';
import { aesKeyOf, encryptPush, pushSignature } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/message-crypto';
import { clearAccessTokenCache } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/token';

let h: Harness;
let runs: VirtualRuns['paid'];
afterEach(async () => { clearAccessTokenCache(); await h?.close(); });

async function start() {
  const started = await startVirtual();
  h = started.h;
  runs = started.runs.paid;
}
const loggedIn = (uid: string) => login(h, uid);
const opened = (uid: string, openid: string, type: VirtualOrderType, goods_id: string) => open(h, uid, openid, type, goods_id);
const orderOf = (no: string) => order(h, no);

describe('wxpay-virtual through the core', () => {
  it('goods: login code -> getOpenid -> createPayment -> device -> pay -> push -> paid, hook once, answered {ErrCode: 0}', async () => {
    await start();
    const { openid } = await loggedIn('u1');
    const created = await opened('u1', openid, 'episode', 'ep01');
    expect(created.amount).toBe(990);
    expect(JSON.stringify(created)).not.toMatch(/session_key/);
    expect(JSON.parse(created.payment.signData)).toMatchObject({ productId: 'ep01', goodsPrice: 990, buyQuantity: 1, env: 1 });

    expect(h.sandbox.control.pay('wxpay-virtual', created.out_trade_no).ok).toBe(true);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const order = await orderOf(created.out_trade_no);
    expect(order).toMatchObject({ status: 'paid', amount: 990, channel: 'wxpay-virtual', hook_status: 'done', hook_attempts: 1 });
    expect(runs.episode).toBe(1);
    expect(h.received.filter((r) => r.channel === 'wxpay-virtual').map((r) => r.status)).toEqual([200]);
    expect(h.sandbox.control.notifications({ out_trade_no: created.out_trade_no })[0].state).toBe('delivered');
    expect(await h.call('queryPayment', { out_trade_no: created.out_trade_no }, { uid: 'u1' })).toMatchObject({ status: 'paid' });
  });

  it('coins: paid once even when WeChat pushes the delivery twice', async () => {
    await start();
    h.sandbox.control.setFaults('wxpay-virtual', { duplicate: 2 });
    const { openid } = await loggedIn('u2');
    const created = await opened('u2', openid, 'coins', 'c60');
    expect(JSON.parse(created.payment.signData)).toMatchObject({ buyQuantity: 60 });
    h.sandbox.control.pay('wxpay-virtual', created.out_trade_no);
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const order = await orderOf(created.out_trade_no);
    expect(order.history.filter((e: { to: string }) => e.to === 'paid')).toHaveLength(1);
    expect(runs.coins).toBe(1);
    expect(h.received.filter((r) => r.channel === 'wxpay-virtual')).toHaveLength(3);
    expect((await all(h.t.db, 'payment_notifications'))).toHaveLength(1);
  });

  it('createPayment refuses a user with no mini-program session, and a catalog item that sells nothing virtual', async () => {
    await start();
    await expect(h.call('createPayment', { provider: 'wxpay-virtual', pay_type: 'mp', type: 'episode', goods_id: 'ep01' }, { uid: 'nobody' })).rejects.toMatchObject({ code: 40001 });
    await loggedIn('u3');
    await expect(h.call('createPayment', { provider: 'wxpay-virtual', pay_type: 'mp', type: 'recharge', amount: 100 }, { uid: 'u3' })).rejects.toMatchObject({ code: 40001 });
    expect(await all(h.t.db, 'payment_orders')).toHaveLength(0);
  });

  it('forged, replayed, foreign and other-amount pushes are refused with a clear code and an error row, changing nothing', async () => {
    await start();
    const { openid } = await loggedIn('u4');
    const created = await opened('u4', openid, 'episode', 'ep01');
    const v = h.creds.wxpayVirtual;
    const appId = h.creds.wxpay.apps.mp.appId;
    const message = (over: Record<string, unknown> = {}) => JSON.stringify({
      ToUserName: 'gh_x', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: 'xpay_goods_deliver_notify', OpenId: openid,
      OutTradeNo: created.out_trade_no, Env: 1, WeChatPayInfo: { MchOrderNo: 'M1', TransactionId: '4200000000000000000000000001', PaidTime: Math.floor(Date.now() / 1000) },
      GoodsInfo: { ProductId: 'ep01', Quantity: 1, OrigPrice: 990, ActualPrice: 990, Attach: '' }, ...over,
    });
    const push = (msg: string, o: { token?: string; appId?: string; ageMs?: number } = {}) => {
      const Encrypt = encryptPush(aesKeyOf(v.encodingAESKey), msg, o.appId ?? appId);
      const timestamp = String(Math.floor((Date.now() - (o.ageMs ?? 0)) / 1000));
      const t = o.token ?? v.token;
      return { headers: { 'content-type': 'application/json' }, rawBody: JSON.stringify({ ToUserName: 'gh_x', Encrypt }), query: { timestamp, nonce: '1', encrypt_type: 'aes', msg_signature: pushSignature([t, timestamp, '1', Encrypt]) } };
    };
    const refused = [
      await h.notify('wxpay-virtual', push(message(), { token: 'forgedToken' })),
      await h.notify('wxpay-virtual', push(message(), { ageMs: 600_000 })),
      await h.notify('wxpay-virtual', push(message(), { appId: 'wx0000000000000000' })),
    ];
    for (const r of refused) expect(JSON.parse(r.body).ErrCode).not.toBe(0);
    // genuine but for another amount: refused (WeChat keeps retrying, each retry refused the same way); for an
    // order that does not exist: acknowledged and kept as an orphan for a person. Neither is applied.
    const other = await h.notify('wxpay-virtual', push(message({ GoodsInfo: { ProductId: 'ep01', Quantity: 1, OrigPrice: 990, ActualPrice: 1, Attach: '' } })));
    const unknown = await h.notify('wxpay-virtual', push(message({ OutTradeNo: 'VK0000000000000000000000' })));
    expect([JSON.parse(other.body).ErrCode, JSON.parse(unknown.body).ErrCode]).toEqual([1, 0]);
    expect((await orderOf(created.out_trade_no)).status).toBe('pending');
    expect(runs.episode).toBe(0);
    // unverifiable pushes are counted, one sampled error row a minute (bounded); the other amount is its own row
    const errors = (await all(h.t.db, 'payment_errors')).map((e) => JSON.stringify(e));
    expect(errors.some((e) => e.includes('40002') && e.includes('msg_signature mismatch'))).toBe(true);
    expect(errors.some((e) => e.includes('amount 1 fen does not match'))).toBe(true);
    // money reported for an order we do not have is kept for a person (an orphan), never applied
    expect(await all(h.t.db, 'payment_transactions')).toMatchObject([{ out_trade_no: 'VK0000000000000000000000', status: 'orphan' }]);
  });

  it('a lost push: the timer asks query_order with the payer\'s openid and repairs the order, hook once', async () => {
    await start();
    const { openid } = await loggedIn('u5');
    const created = await opened('u5', openid, 'episode', 'ep01');
    h.sandbox.control.setFaults('wxpay-virtual', { unreachable: true });
    h.sandbox.control.pay('wxpay-virtual', created.out_trade_no);
    expect((await orderOf(created.out_trade_no)).status).toBe('pending');
    await timerNow(h);
    const order = await orderOf(created.out_trade_no);
    expect(order).toMatchObject({ status: 'paid', amount: 990, hook_status: 'done' });
    expect(runs.episode).toBe(1);
  });
});
