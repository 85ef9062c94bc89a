/**
 * Refunds of virtual payment orders (docs/PROTOCOLS.md section 12). `/xpay/refund_order` only STARTS a refund
 * task; its outcome arrives by the `xpay_refund_notify` push (notify.ts) or is read with `/xpay/query_order` on
 * the refund order's own number, which is our out_refund_no (`refund_order_id`).
 *
 * refund_order wants `left_fee`, what WeChat still holds refundable on the order, and refuses the refund when it
 * differs (268490016). It is read with query_order on the payment just before, so WeChat's own figure bounds the
 * refund: a refund larger than what WeChat says is left is refused here, before WeChat is asked. Before that, the
 * refund number itself is looked up: a retry finds the task its first call started and answers it.
 */
import { ParamError } from '../../../../../../../common/errors';
import type { QueryHint, RefundInput, RefundResult } from '../types';
import { ProviderError } from '../error-map';
import type { XpayCall } from './xpay';

/** WeChat's rule for refund_order_id: 8-32 of letters, digits, `_` and `-`. */
export const REFUND_ORDER_ID_RE = /^[A-Za-z0-9_-]{8,32}$/;
export const REFUND_ORDER_ID_MAX = 32;

/** refund_reason "0": no description; req_from "1": a person at the merchant (customer service) started it. */
const REFUND_REASON_NONE = '0';
const REQ_FROM_MERCHANT = '1';
const BIZ_META_MAX = 1024;

/**
 * query_order's `status` of a REFUND order (order_type 1) -> our refund states. WeChat's table: 5 refunded,
 * 7 refund failed, 8 refund completed. Which of 5 and 8 a refund order ends in is not documented, so both
 * count as done; everything else (created, in progress, unknown) stays processing - never failed on a guess.
 */
export function refundStateOfStatus(status: number): RefundResult['state'] {
  if (status === 5 || status === 8) return 'success';
  if (status === 7) return 'failed';
  return 'processing';
}

function fen(v: unknown): number | undefined {
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function createVirtualRefunds(xpay: XpayCall, env: 0 | 1) {
  const payerOf = (openid: string | undefined, what: string): string => {
    if (!openid) throw new ParamError(`wxpay-virtual ${what} names the payer: the order has no openid`);
    return openid;
  };

  /** The refund order with our number, or undefined when WeChat holds none (268490002 数据不存在). */
  async function refundOrderOf(openid: string, outRefundNo: string): Promise<Record<string, unknown> | undefined> {
    let order: Record<string, unknown> | undefined;
    try {
      order = (await xpay('query_order', { openid, env, order_id: outRefundNo })).order as Record<string, unknown> | undefined;
    } catch (err) {
      if (err instanceof ProviderError && err.code === 40005) return undefined;
      throw err;
    }
    if (!order) return undefined;
    // the number names a payment, not a refund: never read a payment's state as a refund's
    if (Number(order.order_type) !== 1) throw new ProviderError(40001, 'wxpay-virtual', 'NOT_A_REFUND', `${outRefundNo} is order_type ${String(order.order_type)}, not a refund`);
    return order;
  }

  function resultOf(order: Record<string, unknown>, outRefundNo: string, outTradeNo: string): RefundResult {
    const status = Number(order.status);
    const state = refundStateOfStatus(status);
    const amount = fen(order.refund_fee);
    // a final answer must say how much, or the books cannot check it against the refund record
    if (state !== 'processing' && !amount) throw new ProviderError(40010, 'wxpay-virtual', 'NO_REFUND_FEE', `refund ${outRefundNo} is final (status ${status}) but states no refund_fee`);
    const at = Number(order.paid_time);
    const refundId = typeof order.wx_order_id === 'string' && order.wx_order_id ? order.wx_order_id : undefined;
    return {
      state, out_refund_no: outRefundNo, out_trade_no: outTradeNo, refund_id: refundId, amount: amount ?? 0,
      success_at: state === 'success' && at > 0 ? at * 1000 : undefined, provider_state: `status ${status}`,
    };
  }

  return {
    async refund(input: RefundInput): Promise<RefundResult> {
      const openid = payerOf(input.openid, 'refunds');
      if (!REFUND_ORDER_ID_RE.test(input.out_refund_no)) throw new ParamError('wxpay-virtual refund numbers are 8-32 of letters, digits, _ and -');
      if (!Number.isSafeInteger(input.refund_amount) || input.refund_amount <= 0) throw new ParamError('refund amount must be a positive integer of fen');
      // A retry of a refund whose first call may have reached WeChat (a timeout, 268490014): WeChat may already
      // hold the task under our number, and its left_fee may already be lower. Answer that task, never start or
      // refuse a second one on the lowered figure.
      const started = await refundOrderOf(openid, input.out_refund_no);
      if (started) return resultOf(started, input.out_refund_no, input.out_trade_no);
      const paid = (await xpay('query_order', { openid, env, order_id: input.out_trade_no })).order as Record<string, unknown> | undefined;
      const left = fen(paid?.left_fee);
      if (left === undefined) throw new ProviderError(40010, 'wxpay-virtual', 'NO_LEFT_FEE', 'query_order answered without left_fee');
      if (input.refund_amount > left) throw new ParamError(`refund of ${input.refund_amount} fen exceeds the ${left} fen WeChat says is left on ${input.out_trade_no}`);
      const doc = await xpay('refund_order', {
        openid, order_id: input.out_trade_no, refund_order_id: input.out_refund_no, left_fee: left, refund_fee: input.refund_amount,
        biz_meta: (input.reason ?? '').slice(0, BIZ_META_MAX), refund_reason: REFUND_REASON_NONE, req_from: REQ_FROM_MERCHANT, env,
      });
      const refundWx = typeof doc.refund_wx_order_id === 'string' && doc.refund_wx_order_id ? doc.refund_wx_order_id : undefined;
      // started, not done: the push or a query on the refund order says how it ends
      return { state: 'processing', out_refund_no: input.out_refund_no, out_trade_no: input.out_trade_no, refund_id: refundWx, amount: input.refund_amount, provider_state: 'refund task started' };
    },

    async queryRefund(outRefundNo: string, outTradeNo: string, hint?: QueryHint): Promise<RefundResult> {
      const order = await refundOrderOf(payerOf(hint?.openid, 'refund queries'), outRefundNo);
      if (!order) throw new ProviderError(40005, 'wxpay-virtual', 'NO_REFUND_ORDER', `WeChat holds no refund order ${outRefundNo}`);
      return resultOf(order, outRefundNo, outTradeNo);
    },
  };
}
