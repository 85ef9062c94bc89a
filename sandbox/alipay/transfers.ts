/**
 * Alipay single transfers to an account (docs/PROTOCOLS.md section 10.2): alipay.fund.trans.uni.transfer answers
 * synchronously (SUCCESS at once in the sandbox), alipay.fund.trans.common.query finds it by out_biz_no (with the
 * same product_code and biz_scene) or by order_id. The same out_biz_no with other content is refused.
 */
import { fenToYuan, yuanToFen } from '../../uni_modules/vk-pay/common/money';
import type { GatewayContext } from '../context';
import { dateTimeChina } from '../http-io';
import type { SandboxTransfer } from '../state';

type Reply = Record<string, unknown>;
const ok = (fields: Reply): Reply => ({ code: '10000', msg: 'Success', ...fields });
const fail = (subCode: string, subMsg: string): Reply => ({ code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg });

export const FUND_METHODS = new Set(['alipay.fund.trans.uni.transfer', 'alipay.fund.trans.common.query']);

const PAYEE_PATTERNS: Record<string, RegExp> = {
  ALIPAY_USER_ID: /^2088\d{12}$/, ALIPAY_OPEN_ID: /^[A-Za-z0-9_-]{10,64}$/, ALIPAY_LOGON_ID: /^(1\d{10}|[^\s@]+@[^\s@]+\.[A-Za-z]{2,})$/,
};

function ids(t: SandboxTransfer): Reply {
  return { out_biz_no: t.out_bill_no, order_id: t.transfer_bill_no, pay_fund_order_id: `${t.transfer_bill_no}01` };
}

/** The answer of a fund method; `null` when the `transferTimeouts` fault swallows the answer (payout made). */
export function fundMethod(ctx: GatewayContext, method: string, appId: string, biz: Record<string, any>): Reply | null {
  if (method === 'alipay.fund.trans.common.query') {
    let t: SandboxTransfer | undefined;
    if (biz.order_id) t = ctx.payouts.list('alipay').find((x) => x.transfer_bill_no === String(biz.order_id));
    else if (biz.out_biz_no) {
      if (biz.product_code !== 'TRANS_ACCOUNT_NO_PWD' || biz.biz_scene !== 'DIRECT_TRANSFER') return fail('INVALID_PARAMETER', '参数有误: 传入out_biz_no时product_code和biz_scene必填');
      t = ctx.payouts.get('alipay', String(biz.out_biz_no));
    } else return fail('INVALID_PARAMETER', '参数有误: out_biz_no、order_id不能同时为空');
    if (!t) return fail('ORDER_NOT_EXIST', '转账订单不存在');
    return ok({ ...ids(t), status: t.state === 'SUCCESS' ? 'SUCCESS' : t.state === 'FAIL' ? 'FAIL' : 'DEALING', trans_amount: fenToYuan(t.amount), pay_date: dateTimeChina(t.updated_at), ...(t.fail_reason ? { fail_reason: t.fail_reason } : {}) });
  }
  // alipay.fund.trans.uni.transfer
  const outBizNo = typeof biz.out_biz_no === 'string' ? biz.out_biz_no : '';
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(outBizNo)) return fail('INVALID_PARAMETER', '参数有误: out_biz_no');
  if (biz.product_code !== 'TRANS_ACCOUNT_NO_PWD') return fail('INVALID_PARAMETER', '参数有误: product_code');
  if (biz.biz_scene !== 'DIRECT_TRANSFER') return fail('INVALID_PARAMETER', '参数有误: biz_scene');
  let amount: number | undefined;
  try { amount = yuanToFen(String(biz.trans_amount)); } catch { amount = undefined; }
  if (amount === undefined || amount < 10) return fail('INVALID_PARAMETER', '参数有误: trans_amount不能小于0.1元');
  if (typeof biz.order_title !== 'string' || !biz.order_title) return fail('INVALID_PARAMETER', '参数有误: order_title');
  const payee = biz.payee_info ?? {};
  const pattern = PAYEE_PATTERNS[String(payee.identity_type)];
  if (!pattern || typeof payee.identity !== 'string') return fail('INVALID_PARAMETER', '参数有误: payee_info');
  if (!pattern.test(payee.identity)) return fail('PAYEE_NOT_EXIST', '收款账号不存在或姓名有误，建议核实账号和姓名是否准确');
  if (payee.identity_type === 'ALIPAY_LOGON_ID' && !payee.name) return fail('PAYEE_USER_INFO_ERROR', '支付宝登录号需要提供收款方真实姓名');
  const out = ctx.payouts.create({
    channel: 'alipay', out_bill_no: outBizNo, app_id: appId, merchant_id: ctx.creds.alipay.sellerId, amount,
    payee_type: payee.identity_type, payee: payee.identity, payee_name: payee.name, remark: String(biz.remark ?? ''),
  }, { waitUser: false });
  if (!out.ok) return fail('PARAM_ILLEGAL', '商户订单号重复，且与原请求参数不一致');
  if (ctx.payouts.takeTimeout('alipay')) return null;
  return ok({ ...ids(out.transfer), status: 'SUCCESS', trans_date: dateTimeChina(out.transfer.created_at) });
}
