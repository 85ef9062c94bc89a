/**
 * Coin accounts of the sandbox mini program (docs/PROTOCOLS.md section 12): a coin-mode payment credits the
 * payer's coins in its environment; `/xpay/query_user_balance` reads them, `/xpay/currency_pay` spends them for a
 * merchant's order (the same order_id twice: 268490004, the earlier pay stands), `/xpay/cancel_currency_pay`
 * gives a pay's coins back once (a second give-back: 268490005). Not enough coins: 268490006. The user-state
 * signature and the session it needs are checked before these run (wxpay-virtual.ts).
 */
import type { GatewayContext } from './context';
import type { SandboxCoinAccount, SandboxCoinPay, SandboxOrder } from './state';
import type { ErrFn } from './wxpay-virtual-refunds';

type Answer = Record<string, unknown>;
const ORDER_ID_RE = /^(?!_)[0-9A-Za-z_\-|*@]{8,32}$/;

export class CoinAccounts {
  constructor(private readonly ctx: GatewayContext) {}

  private account(env: 0 | 1, openid: string): SandboxCoinAccount {
    const coins = (this.ctx.state.data.coins ??= {});
    return (coins[`${env}:${openid}`] ??= { balance: 0, sum_save: 0, sum_cost: 0 });
  }

  private pays(): Record<string, SandboxCoinPay> {
    return (this.ctx.state.data.coinPays ??= {});
  }

  /** A paid coin-mode order: the coins it bought are the payer's (once: called when the order becomes paid). */
  credit(order: SandboxOrder): void {
    const vp = order.virtual;
    if (!vp || vp.mode !== 'short_series_coin' || !order.payer_id) return;
    const a = this.account(vp.env, order.payer_id);
    a.balance += vp.quantity;
    a.sum_save += vp.quantity;
    void this.ctx.state.save();
  }

  balance(openid: string, env: 0 | 1): Answer {
    const a = this.account(env, openid);
    return {
      errcode: 0, errmsg: 'ok', balance: a.balance, present_balance: 0, sum_save: a.sum_save, sum_present: 0,
      sum_balance: a.sum_save, sum_cost: a.sum_cost, first_save_flag: a.sum_save === 0,
    };
  }

  pay(body: Record<string, unknown>, openid: string, env: 0 | 1, err: ErrFn): Answer {
    const { amount, order_id: orderId } = body;
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0) return err(268490002, 'amount字段错误');
    if (typeof orderId !== 'string' || !ORDER_ID_RE.test(orderId)) return err(268490002, 'order_id字段错误');
    if (typeof body.payitem !== 'string' || body.payitem === '') return err(268490002, 'payitem字段错误');
    if (body.remark !== undefined && typeof body.remark !== 'string') return err(268490002, 'remark字段错误');
    const key = `${env}:${orderId}`;
    const earlier = this.pays()[key];
    if (earlier) return earlier.openid === openid && earlier.amount === amount ? err(268490004, '重复操作') : err(268490002, 'order_id已被使用');
    const a = this.account(env, openid);
    if (a.balance < (amount as number)) return err(268490006, '代币的退款/支付操作金额不足');
    a.balance -= amount as number;
    a.sum_cost += amount as number;
    this.pays()[key] = { openid, env, order_id: orderId, amount: amount as number, payitem: body.payitem, cancelled: 0, created_at: this.ctx.now() };
    void this.ctx.state.save();
    return { errcode: 0, errmsg: 'ok', order_id: orderId, balance: a.balance, used_present_amount: 0 };
  }

  cancel(body: Record<string, unknown>, openid: string, env: 0 | 1, err: ErrFn): Answer {
    const { amount, order_id: orderId, pay_order_id: payOrderId } = body;
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0) return err(268490002, 'amount字段错误');
    if (typeof orderId !== 'string' || !ORDER_ID_RE.test(orderId)) return err(268490002, 'order_id字段错误');
    const pay = typeof payOrderId === 'string' ? this.pays()[`${env}:${payOrderId}`] : undefined;
    if (!pay || pay.openid !== openid) return err(268490002, '数据不存在');
    const key = `${env}:cancel:${orderId}`;
    if (this.pays()[key]) return err(268490004, '重复操作');
    if (pay.cancelled > 0) return err(268490005, '订单已经通过cancel_currency_pay接口退款，不支持再退款');
    if ((amount as number) > pay.amount) return err(268490006, '代币的退款/支付操作金额不足');
    pay.cancelled = amount as number;
    const a = this.account(env, openid);
    a.balance += amount as number;
    a.sum_cost -= amount as number;
    this.pays()[key] = { openid, env, order_id: orderId, amount: amount as number, payitem: `cancel ${pay.order_id}`, cancelled: 0, created_at: this.ctx.now() };
    void this.ctx.state.save();
    return { errcode: 0, errmsg: 'ok', order_id: orderId };
  }
}
