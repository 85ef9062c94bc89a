/**
 * Coin mode through the core's server API (`vkPayVirtual()` = core.virtualCoins) and the sandbox: a coin purchase
 * credits the payer's coins at WeChat, the balance is read with query_user_balance and coins are spent with
 * currency_pay, each signed with pay_sig and the user-state signature of the session getOpenid stored. WeChat's
 * refusals reach the caller as table codes with an error row: not enough coins 40007, a session WeChat no longer
 * holds 40009 (sign in again), bad input 40001.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import type { Harness } from '../support/harness';
import { loggedIn, paidOrder, startVirtual } from '../support/virtual-payment';
import { clearAccessTokenCache } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/token';

let h: Harness;
afterEach(async () => { clearAccessTokenCache(); await h?.close(); });

const coins = () => h.core.virtualCoins;
const item = [{ productid: 'ep02', unit_price: 25, quantity: 1 }];

async function withCoins(uid: string) {
  ({ h } = await startVirtual());
  return paidOrder(h, uid, 'coins', 'c60');
}

describe('wxpay-virtual coins', () => {
  it('coin purchase -> balance -> currency_pay -> balance decreased; the same order_id is charged once', async () => {
    const paid = await withCoins('c1');
    expect(await coins().queryUserBalance({ user_id: 'c1', user_ip: '10.0.0.8' })).toMatchObject({ balance: 60, sum_save: 60, sum_cost: 0 });
    const spent = await coins().currencyPay({ user_id: 'c1', order_id: 'SPEND00000001', amount: 25, payitem: item, remark: 'episode 2', user_ip: '10.0.0.8' });
    expect(spent).toEqual({ order_id: 'SPEND00000001', balance: 35, used_present_amount: 0, repeated: false });
    expect(await coins().queryUserBalance({ user_id: 'c1' })).toMatchObject({ balance: 35, sum_cost: 25 });
    // a retry after a lost answer: WeChat says it was done (268490004), nothing is taken twice
    expect(await coins().currencyPay({ user_id: 'c1', order_id: 'SPEND00000001', amount: 25, payitem: item })).toEqual({ order_id: 'SPEND00000001', repeated: true });
    expect((await coins().queryUserBalance({ user_id: 'c1' })).balance).toBe(35);
    // given back once
    expect(await coins().cancelCurrencyPay({ user_id: 'c1', pay_order_id: 'SPEND00000001', order_id: 'BACK00000001', amount: 25 })).toEqual({ order_id: 'BACK00000001' });
    expect((await coins().queryUserBalance({ user_id: 'c1' })).balance).toBe(60);
    await expect(coins().cancelCurrencyPay({ user_id: 'c1', pay_order_id: 'SPEND00000001', order_id: 'BACK00000002', amount: 25 })).rejects.toMatchObject({ code: 40001 });
    expect(h.sandbox.control.order('wxpay-virtual', paid.out_trade_no)?.status).toBe('SUCCESS');
  });

  it('not enough coins: 40007 with an error row, and the balance unchanged', async () => {
    await withCoins('c2');
    await expect(coins().currencyPay({ user_id: 'c2', order_id: 'SPEND00000002', amount: 61, payitem: item })).rejects.toMatchObject({ code: 40007 });
    expect((await coins().queryUserBalance({ user_id: 'c2' })).balance).toBe(60);
    const errors = await all(h.t.db, 'payment_errors');
    expect(errors).toEqual([expect.objectContaining({ code: 40007, action: 'server.currencyPay', user_id: 'c2' })]);
    expect(JSON.stringify(errors)).not.toMatch(/session_key|sessionKey/);
  });

  it('a session WeChat no longer holds: 40009, sign in again; after a fresh login it works', async () => {
    const paid = await withCoins('c3');
    expect(h.sandbox.control.expireVirtualSession(paid.openid)).toBe(true);
    await expect(coins().queryUserBalance({ user_id: 'c3' })).rejects.toMatchObject({ code: 40009, message: expect.stringContaining('sign in again') });
    await expect(coins().currencyPay({ user_id: 'c3', order_id: 'SPEND00000003', amount: 1, payitem: item })).rejects.toMatchObject({ code: 40009 });
    await loggedIn(h, 'c3');
    expect((await coins().queryUserBalance({ user_id: 'c3' })).balance).toBe(60);
    // a user who never signed in to the mini program has no session here at all: the same code, nothing sent
    await expect(coins().queryUserBalance({ user_id: 'stranger' })).rejects.toMatchObject({ code: 40009 });
  });

  it('bad input is refused with 40001 before WeChat is asked', async () => {
    await withCoins('c4');
    const bad = [
      { user_id: 'c4', order_id: 'short', amount: 1, payitem: item },
      { user_id: 'c4', order_id: 'SPEND00000004', amount: 0, payitem: item },
      { user_id: 'c4', order_id: 'SPEND00000004', amount: 1.5, payitem: item },
      { user_id: 'c4', order_id: 'SPEND00000004', amount: 1 },
      { user_id: 'c4', order_id: 'SPEND00000004', amount: 1, payitem: item, user_ip: 'not-an-ip' },
    ];
    for (const p of bad) await expect(coins().currencyPay(p)).rejects.toMatchObject({ code: 40001 });
    expect((await coins().queryUserBalance({ user_id: 'c4' })).balance).toBe(60);
  });
});
