/**
 * What a direct merchant's and a service provider's create calls share (docs/PROTOCOLS.md section 2): the field
 * checks WeChat makes on the order itself, the failure shapes, and placing the order in the ledger with the ids the
 * caller's mode checked. The ids (appid/mchid, or sp_* and sub_*) and the payer field are checked by the caller.
 */
import { randomBytes } from 'node:crypto';
import { cashierUrl, type GatewayContext, type GatewayRequest } from '../context';
import { compactChina, parseRfc3339 } from '../http-io';
import type { NewOrder } from '../ledger';
import type { SandboxOrder } from '../state';
import { sendV3, type V3Failure } from './v3-auth';

export const TRADE_TYPES: Record<string, string> = { jsapi: 'JSAPI', app: 'APP', h5: 'MWEB', native: 'NATIVE' };
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

export type Fail = (f: V3Failure) => void;

export function required(field: string): V3Failure {
  const label = field.split('/').pop();
  return { status: 400, code: 'PARAM_ERROR', message: `输入源“/body/${field}”映射到值字段“${label}”必填性规则校验失败，此字段为必填项` };
}

export function invalid(field: string, why: string): V3Failure {
  return { status: 400, code: 'PARAM_ERROR', message: `输入源“/body/${field}”映射到值字段“${field.split('/').pop()}”${why}` };
}

export const NOT_EXIST: V3Failure = { status: 404, code: 'ORDER_NOT_EXIST', message: '订单不存在' };
export const MCH_NOT_EXISTS: V3Failure = { status: 400, code: 'MCH_NOT_EXISTS', message: '商户号不存在' };
export const APPID_MCHID_NOT_MATCH: V3Failure = { status: 400, code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配，请检查后再试' };
export const OPENID_MISMATCH: V3Failure = { status: 500, code: 'OPENID_MISMATCH', message: 'openid和appid不匹配' };
/** a service provider calling a direct merchant's path, and a direct merchant naming a sub-merchant */
export const SUB_MCH_REQUIRED: V3Failure = { status: 400, code: 'PARAM_ERROR', message: '受理机构必须传入sub_mch_id' };
export const SUB_MCH_REFUSED: V3Failure = { status: 400, code: 'PARAM_ERROR', message: '普通商户不允许传sub_mch_id' };

/** The order's own fields, the same in both modes; returns the expiry, or the failure to answer. */
export function checkOrderFields(ctx: GatewayContext, kind: string, b: any): { expiresAt?: number } | { failure: V3Failure } {
  for (const f of ['description', 'out_trade_no', 'notify_url']) if (typeof b[f] !== 'string' || b[f] === '') return { failure: required(f) };
  if (!b.amount || typeof b.amount !== 'object') return { failure: required('amount') };
  if (!Number.isSafeInteger(b.amount.total) || b.amount.total < 1) return { failure: invalid('amount/total', '必须为大于0的整数') };
  if (b.amount.currency !== undefined && b.amount.currency !== 'CNY') return { failure: invalid('amount/currency', '取值无效') };
  if (!OUT_TRADE_NO.test(b.out_trade_no)) return { failure: invalid('out_trade_no', '格式不正确，只能是6-32位数字、大小写字母_-|*') };
  if ([...b.description].length > 127) return { failure: invalid('description', '长度超过127') };
  if (!/^https?:\/\//.test(b.notify_url)) return { failure: invalid('notify_url', '格式不正确，应为http(s)://开头的完整URL') };
  if (kind === 'h5') {
    if (typeof b.scene_info?.payer_client_ip !== 'string') return { failure: required('scene_info/payer_client_ip') };
    if (typeof b.scene_info?.h5_info?.type !== 'string') return { failure: required('scene_info/h5_info/type') };
  }
  if (b.time_expire === undefined) return {};
  const expiresAt = parseRfc3339(b.time_expire);
  if (expiresAt === undefined) return { failure: invalid('time_expire', '格式不正确，应为RFC3339格式') };
  if (expiresAt <= ctx.now()) return { failure: { status: 400, code: 'INVALID_REQUEST', message: 'time_expire已过期' } };
  return { expiresAt };
}

/** The ids a create call's mode checked: who the order is for and who pays it. */
export type OrderIds = Pick<NewOrder, 'app_id' | 'merchant_id' | 'sub_merchant_id' | 'sub_app_id' | 'payer_id' | 'payer_field'>;

/** Books the order and answers prepay_id / h5_url / code_url, or WeChat's refusal of a reused out_trade_no. */
export function placeOrder(ctx: GatewayContext, r: GatewayRequest, kind: string, b: any, ids: OrderIds, expiresAt: number | undefined, fail: Fail): void {
  const out = ctx.ledger.create({
    channel: 'wxpay', out_trade_no: b.out_trade_no, amount: b.amount.total, subject: b.description, pay_type: TRADE_TYPES[kind],
    attach: typeof b.attach === 'string' ? b.attach : undefined, notify_url: b.notify_url, expires_at: expiresAt, ...ids,
  });
  if (!out.ok) {
    if (out.reason === 'paid') return fail({ status: 400, code: 'ORDERPAID', message: '该订单已支付' });
    if (out.reason === 'closed') return fail({ status: 400, code: 'ORDER_CLOSED', message: '订单已关闭' });
    return fail({ status: 403, code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' });
  }
  const order = out.order;
  if (!order.prepay_id) {
    order.prepay_id = `wx${compactChina(ctx.now())}${randomBytes(10).toString('hex')}`;
    void ctx.state.save();
  }
  const cashier = `${cashierUrl(ctx, 'wxpay', order.out_trade_no)}?prepay_id=${order.prepay_id}`;
  const reply = kind === 'h5' ? { h5_url: cashier } : kind === 'native' ? { code_url: cashier } : { prepay_id: order.prepay_id };
  sendV3(r.res, ctx.creds, ctx.now(), 200, reply);
}

/** An order is visible only to the merchant that made it, and a partner order only for its sub-merchant. */
export function ownedBy(order: SandboxOrder | undefined, mchid: string, subMchid?: string): SandboxOrder | undefined {
  return order && order.merchant_id === mchid && (order.sub_merchant_id ?? undefined) === (subMchid || undefined) ? order : undefined;
}
