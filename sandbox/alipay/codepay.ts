/**
 * alipay.trade.pay with a scanned payment code (scene bar_code) and alipay.trade.cancel (docs/PROTOCOLS.md
 * section 8). A good code pays at once (10000); a code that needs the payer's password answers 10003 (the trade
 * waits, WAIT_BUYER_PAY) and is paid when the payer confirms; an unknown, used or expired code is refused with
 * ACQ.PAYMENT_AUTH_CODE_INVALID in the words Alipay shows the cashier. Cancel closes an unpaid trade and refunds
 * a paid one.
 */
import { fenToYuan, yuanToFen } from '../../uni_modules/vk-pay/common/money';
import type { GatewayContext } from '../context';
import { dateTimeChina } from '../http-io';
import type { SandboxOrder } from '../state';
import { buyerOf } from './objects';
import type { AlipayScope } from './app-auth';

type Reply = Record<string, unknown>;
const bizFail = (subCode: string, subMsg: string): Reply => ({ code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg });

function paidFields(order: SandboxOrder): Reply {
  const buyer = buyerOf(order);
  return {
    trade_no: order.transaction_id, out_trade_no: order.out_trade_no, buyer_logon_id: buyer.buyer_logon_id, buyer_user_id: buyer.buyer_id,
    total_amount: fenToYuan(order.amount), receipt_amount: fenToYuan(order.amount), gmt_payment: dateTimeChina(order.paid_at ?? order.created_at),
  };
}

export function tradePay(ctx: GatewayContext, appId: string, biz: Record<string, any>, scope: AlipayScope): Reply {
  if (biz.scene !== 'bar_code') return bizFail('ACQ.INVALID_PARAMETER', '参数无效: scene');
  const outTradeNo = typeof biz.out_trade_no === 'string' ? biz.out_trade_no : '';
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(outTradeNo)) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: out_trade_no');
  let amount: number | undefined;
  try { amount = yuanToFen(String(biz.total_amount)); } catch { amount = undefined; }
  if (amount === undefined || amount < 1) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: total_amount');
  if (typeof biz.subject !== 'string' || !biz.subject) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: subject不能为空');
  const code = ctx.codes.take('alipay', String(biz.auth_code ?? ''), outTradeNo);
  if (code === 'invalid') return bizFail('ACQ.PAYMENT_AUTH_CODE_INVALID', '支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款');
  const out = ctx.ledger.create({ channel: 'alipay', out_trade_no: outTradeNo, app_id: appId, merchant_id: scope.seller_id, ...(scope.auth_app_id ? { auth_app_id: scope.auth_app_id } : {}), amount, subject: biz.subject, pay_type: 'bar_code', payer_id: `2088${code.code.slice(-12)}` });
  if (!out.ok) {
    // the same pay call again once settled: its result (the code is the same one)
    if (out.reason === 'paid') return { code: '10000', msg: 'Success', ...paidFields(out.order) };
    if (out.reason === 'closed') return bizFail('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
    return bizFail('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
  }
  if (!code.password) {
    const paid = ctx.ledger.pay('alipay', outTradeNo);
    return { code: '10000', msg: 'Success', ...paidFields(paid.ok ? paid.order : out.order) };
  }
  if (!out.repeated) ctx.codes.awaitPassword('alipay', outTradeNo, code);
  return { code: '10003', msg: ' order success pay inprocess', trade_no: out.order.transaction_id, out_trade_no: outTradeNo, total_amount: fenToYuan(amount) };
}

export function tradeCancel(ctx: GatewayContext, order: SandboxOrder): Reply {
  const ids = { out_trade_no: order.out_trade_no, trade_no: order.transaction_id, retry_flag: 'N' };
  if (order.status === 'SUCCESS') {
    const out = ctx.ledger.refund({ channel: 'alipay', out_trade_no: order.out_trade_no, out_refund_no: `${order.out_trade_no}-cancel`, amount: order.amount - order.refunded, initial: 'SUCCESS' });
    return out.ok || order.refunded >= order.amount ? { code: '10000', msg: 'Success', ...ids, action: 'refund' } : bizFail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
  }
  if (order.status === 'NOTPAY') ctx.ledger.close('alipay', order.out_trade_no);
  return { code: '10000', msg: 'Success', ...ids, action: 'close' };
}
