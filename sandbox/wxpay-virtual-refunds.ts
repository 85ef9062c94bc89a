/**
 * `/xpay/refund_order` and the refund orders `/xpay/query_order` reads back (docs/PROTOCOLS.md section 12), with
 * the checks WeChat's page lists: the payer's order in the environment asked, a paid order, refund_order_id of
 * 8-32 letters, digits, `_` and `-`, refund_reason "0".."5", req_from "1".."3", biz_meta up to 1024 characters,
 * `left_fee` equal to what is still refundable (else 268490016) and refund_fee in (0, left_fee]. The refund task is
 * accepted (PROCESSING) and settles a moment later like WeChat Pay's refunds (the ledger's settle timer), then
 * `xpay_refund_notify` is pushed; the `refund` fault `closed` makes it fail (RetCode 1, status 7).
 */
import type { GatewayContext } from './context';
import type { SandboxOrder, SandboxRefund } from './state';

type Answer = Record<string, unknown>;
export type ErrFn = (errcode: number, errmsg: string) => Answer;

const REFUND_ORDER_ID_RE = /^[A-Za-z0-9_-]{8,32}$/;
const REFUND_REASONS = ['0', '1', '2', '3', '4', '5'];
const REQ_FROM = ['1', '2', '3'];

/** What is still refundable on an order: paid less every refund not failed (processing ones included). */
export const leftFeeOf = (order: SandboxOrder): number => (order.status === 'SUCCESS' ? order.amount - order.refunded : 0);

/** The payer's virtual payment order by order_id (our outTradeNo) or wx_order_id, in the environment asked. */
export function paymentOf(ctx: GatewayContext, body: Record<string, unknown>, env: 0 | 1): SandboxOrder | undefined {
  const byNo = typeof body.order_id === 'string' ? ctx.ledger.get('wxpay-virtual', body.order_id) : undefined;
  const order = byNo ?? (typeof body.wx_order_id === 'string'
    ? Object.values(ctx.state.data.orders).find((o) => o.channel === 'wxpay-virtual' && `wxo${o.transaction_id}` === body.wx_order_id)
    : undefined);
  return order && order.payer_id === body.openid && order.virtual?.env === env ? order : undefined;
}

export function refundOrder(ctx: GatewayContext, body: Record<string, unknown>, env: 0 | 1, err: ErrFn): Answer {
  if (typeof body.openid !== 'string' || !body.openid) return err(268490001, 'openid错误');
  const order = paymentOf(ctx, body, env);
  if (!order) return err(268490002, '数据不存在');
  const id = body.refund_order_id;
  if (typeof id !== 'string' || !REFUND_ORDER_ID_RE.test(id)) return err(268490002, 'refund_order_id字段错误');
  if (typeof body.refund_reason !== 'string' || !REFUND_REASONS.includes(body.refund_reason)) return err(268490002, 'refund_reason字段错误');
  if (typeof body.req_from !== 'string' || !REQ_FROM.includes(body.req_from)) return err(268490002, 'req_from字段错误');
  if (body.biz_meta !== undefined && (typeof body.biz_meta !== 'string' || body.biz_meta.length > 1024)) return err(268490002, 'biz_meta字段错误');
  const fee = body.refund_fee;
  const left = body.left_fee;
  if (!Number.isSafeInteger(fee) || !Number.isSafeInteger(left)) return err(268490002, 'refund_fee或left_fee字段错误');
  // the same refund_order_id again (a retry after a lost answer): the task already started, answered again
  const earlier = ctx.ledger.refundByNo('wxpay-virtual', id);
  if (earlier) {
    if (earlier.out_trade_no !== order.out_trade_no || earlier.amount !== fee) return err(268490002, 'refund_order_id已被使用');
    return accepted(earlier, order);
  }
  if (order.status !== 'SUCCESS') return err(268490002, '订单状态错误，不可退款');
  if (left !== leftFeeOf(order)) return err(268490016, '退款的left_fee字段与实际不符，请通过query_order接口查询确认');
  if ((fee as number) <= 0 || (fee as number) > (left as number)) return err(268490002, 'refund_fee字段错误');
  const faults = ctx.state.data.faults['wxpay-virtual'] ?? {};
  const out = ctx.ledger.refund({
    channel: 'wxpay-virtual', out_trade_no: order.out_trade_no, out_refund_no: id, amount: fee as number,
    reason: typeof body.biz_meta === 'string' ? body.biz_meta : '', initial: 'PROCESSING', settle_as: faults.refund === 'closed' ? 'CLOSED' : 'SUCCESS',
  });
  if (!out.ok) return err(268490002, out.reason === 'exceeds' ? 'refund_fee字段错误' : '数据不存在');
  return accepted(out.refund, order);
}

function accepted(refund: SandboxRefund, order: SandboxOrder): Answer {
  return {
    errcode: 0, errmsg: 'ok', refund_order_id: refund.out_refund_no, refund_wx_order_id: `wxr${refund.refund_id}`,
    pay_order_id: order.out_trade_no, pay_wx_order_id: `wxo${order.transaction_id}`,
  };
}

/**
 * A refund order as query_order shows it (order_type 1). The sandbox's reading of the status words for a refund
 * order: 1 while the task runs, 8 (refund completed) when it reached the payer, 7 (refund failed) when not.
 */
export function refundOrderView(refund: SandboxRefund, order: SandboxOrder, env: 0 | 1): Answer {
  const status = refund.status === 'PROCESSING' ? 1 : refund.status === 'SUCCESS' ? 8 : 7;
  const at = Math.floor((refund.success_at ?? refund.created_at) / 1000);
  return {
    order_id: refund.out_refund_no, create_time: Math.floor(refund.created_at / 1000), update_time: at, status, biz_type: 0,
    order_fee: refund.amount, coupon_fee: 0, paid_fee: 0, order_type: 1, refund_fee: refund.amount,
    paid_time: refund.status === 'SUCCESS' ? at : 0, provide_time: 0, biz_meta: refund.reason ?? '', env_type: env === 1 ? 2 : 1,
    left_fee: 0, wx_order_id: `wxr${refund.refund_id}`, channel_order_id: '', wxpay_order_id: refund.status === 'SUCCESS' ? refund.refund_id : '',
    pay_order_id: order.out_trade_no,
  };
}
