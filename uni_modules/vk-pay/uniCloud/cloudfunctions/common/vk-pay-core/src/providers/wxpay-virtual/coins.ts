/**
 * Coin mode's server APIs (docs/PROTOCOLS.md section 12): the coins a payer bought with `short_series_coin` sit in
 * WeChat's account for them, and the merchant's server reads the balance (`/xpay/query_user_balance`), spends
 * coins for an order of its own (`/xpay/currency_pay`) and gives them back (`/xpay/cancel_currency_pay`). Each call
 * acts for the user, so besides pay_sig it carries `signature` = HMAC-SHA256(session_key, body) (xpay.ts); WeChat
 * answers 268490009 when that session is gone (mapped to 40009: the user signs in again) and 268490006 when there
 * are not enough coins (40007).
 */
import { ParamError } from '../../../../../../../common/errors';
import { ProviderError } from '../error-map';
import type { CoinBalance, CoinCancelInput, CoinPayInput, CoinPayResult, CoinUser } from '../types';
import { REPEATED_OPERATION, type XpayCall } from './xpay';

/** The merchant's coin order numbers: WeChat's outTradeNo alphabet, 8-32 long (the rule of its other order ids). */
export const COIN_ORDER_ID_RE = /^(?!_)[0-9A-Za-z_\-|*@]{8,32}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

const count = (v: unknown): number => (Number.isSafeInteger(Number(v)) && Number(v) >= 0 ? Number(v) : 0);

function checkUser(u: CoinUser): void {
  if (typeof u.openid !== 'string' || u.openid === '') throw new ParamError('openid is required');
  if (typeof u.session_key !== 'string' || u.session_key === '') throw new ParamError('the payer has no mini-program session key');
  if (typeof u.user_ip !== 'string' || !(IPV4.test(u.user_ip) || (u.user_ip.includes(':') && IPV6.test(u.user_ip)))) throw new ParamError('user_ip must be an IP address');
}

function checkCoins(amount: unknown): void {
  if (!Number.isSafeInteger(amount) || (amount as number) <= 0) throw new ParamError('amount must be a positive integer of coins');
}

export function createVirtualCoins(xpay: XpayCall, env: 0 | 1) {
  return {
    async coinBalance(u: CoinUser): Promise<CoinBalance> {
      checkUser(u);
      const doc = await xpay('query_user_balance', { openid: u.openid, env, user_ip: u.user_ip }, { sessionKey: u.session_key });
      return {
        balance: count(doc.balance), present_balance: count(doc.present_balance), sum_save: count(doc.sum_save), sum_present: count(doc.sum_present),
        sum_balance: count(doc.sum_balance), sum_cost: count(doc.sum_cost), first_save_flag: Boolean(Number(doc.first_save_flag ?? 0)),
      };
    },

    async payWithCoins(p: CoinPayInput): Promise<CoinPayResult> {
      checkUser(p);
      checkCoins(p.amount);
      if (!COIN_ORDER_ID_RE.test(p.order_id)) throw new ParamError('order_id must be 8-32 of digits, letters and _-|*@, not starting with _');
      const body = { openid: p.openid, env, user_ip: p.user_ip, amount: p.amount, order_id: p.order_id, payitem: p.payitem, remark: p.remark };
      try {
        const doc = await xpay('currency_pay', body, { sessionKey: p.session_key });
        return { order_id: p.order_id, balance: count(doc.balance), used_present_amount: count(doc.used_present_amount), repeated: false };
      } catch (err) {
        // the same order_id was paid before (a retry after a lost answer): the coins were taken once
        if (err instanceof ProviderError && err.providerCode === REPEATED_OPERATION) return { order_id: p.order_id, repeated: true };
        throw err;
      }
    },

    async cancelCoinPay(p: CoinCancelInput): Promise<{ order_id: string }> {
      checkUser(p);
      checkCoins(p.amount);
      if (!COIN_ORDER_ID_RE.test(p.order_id) || !COIN_ORDER_ID_RE.test(p.pay_order_id)) throw new ParamError('order_id and pay_order_id must be 8-32 of digits, letters and _-|*@');
      const body = { openid: p.openid, env, user_ip: p.user_ip, pay_order_id: p.pay_order_id, order_id: p.order_id, amount: p.amount };
      await xpay('cancel_currency_pay', body, { sessionKey: p.session_key });
      return { order_id: p.order_id };
    },
  };
}
