/**
 * The WeChat Pay API v2 (XML) endpoints under /sandbox/wxpay: /pay/unifiedorder, /pay/micropay (payment codes),
 * /pay/orderquery, /pay/closeorder, /pay/refundquery, /secapi/pay/refund and /secapi/pay/reverse. Communication failures (bad XML, bad signature,
 * missing parameters) answer return_code FAIL; business failures answer return_code SUCCESS with
 * result_code FAIL and the err_code, signed like every other answer. (The real /secapi/ path also demands
 * the merchant's client certificate over mutual TLS; this plain-HTTP sandbox does not.)
 */
import { statementOf } from '../statements/routes';
import { wxpayBillText } from '../statements/writers';
import { randomBytes } from 'node:crypto';
import { randomAlnum } from '../credentials';
import { cashierUrl, type GatewayContext, type GatewayRequest } from '../context';
import { clientCertMerchant } from '../tls';
import { compactChina, dateTimeChina, parseCompactChina, send } from '../http-io';
import { v2Sign, v2SignMatches, type V2SignType } from '../protocol/crypto';
import { buildFlatXml, parseFlatXml } from '../protocol/xml';
import type { SandboxOrder, SandboxRefund } from '../state';

type Fields = Record<string, string | number | undefined>;

function sendXml(r: GatewayRequest, fields: Fields): void {
  send(r.res, 200, { 'content-type': 'text/xml; charset=utf-8' }, buildFlatXml(fields));
}

function fail(r: GatewayRequest, msg: string): void {
  sendXml(r, { return_code: 'FAIL', return_msg: msg });
}

const REQUIRED: Record<string, string[]> = {
  '/pay/unifiedorder': ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type'],
  '/pay/orderquery': [],
  '/pay/closeorder': ['out_trade_no'],
  '/pay/refundquery': [],
  '/secapi/pay/refund': ['out_refund_no', 'total_fee', 'refund_fee'],
  '/pay/micropay': ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'auth_code'],
  '/secapi/pay/reverse': [],
  '/pay/downloadbill': ['bill_date'],
};

export function isV2Path(subPath: string): boolean {
  return Object.prototype.hasOwnProperty.call(REQUIRED, subPath);
}

export async function handleV2(ctx: GatewayContext, r: GatewayRequest): Promise<void> {
  const { creds } = ctx;
  if (r.method !== 'POST') return fail(r, '请使用post方法');
  const p = parseFlatXml(r.rawBody);
  if (!p) return fail(r, 'XML格式错误');
  for (const f of ['appid', 'mch_id', 'nonce_str', 'sign']) if (!p[f]) return fail(r, `缺少参数${f}`);
  if (p.mch_id !== creds.wxpay.mchId) return fail(r, 'mch_id参数格式错误');
  const signType = (p.sign_type || 'MD5') as V2SignType;
  if (signType !== 'MD5' && signType !== 'HMAC-SHA256') return fail(r, 'sign_type参数格式错误');
  if (!v2SignMatches(p, creds.wxpay.apiV2Key, signType)) return fail(r, '签名错误');
  if (!ctx.logins.app('wxpay', p.appid)) return fail(r, 'appid和mch_id不匹配');
  // /secapi/ over mutual TLS: the handshake already required a certificate of the sandbox CA; it must be this
  // merchant's (a request over plain HTTP has none, and is refused when the sandbox requires certificates)
  if (r.subPath.startsWith('/secapi/') && ctx.requireClientCert && clientCertMerchant(r.req) !== p.mch_id) return fail(r, '证书错误：请使用商户API证书（双向TLS）');
  for (const f of REQUIRED[r.subPath]) if (!p[f]) return fail(r, `缺少参数${f}`);

  // A signed answer: the common part plus either the result fields or the business error.
  const answer = (fields: Fields) => {
    const all: Fields = { return_code: 'SUCCESS', return_msg: 'OK', appid: p.appid, mch_id: p.mch_id, nonce_str: randomAlnum(32), ...fields };
    all.sign = v2Sign(all, creds.wxpay.apiV2Key, signType);
    sendXml(r, all);
  };
  const bizError = (code: string, des: string) => answer({ result_code: 'FAIL', err_code: code, err_code_des: des });
  const findOrder = (): SandboxOrder | undefined => {
    if (p.out_trade_no) return ctx.ledger.get('wxpay-v2', p.out_trade_no);
    return Object.values(ctx.state.data.orders).find((o) => o.channel === 'wxpay-v2' && o.transaction_id === p.transaction_id);
  };

  switch (r.subPath) {
    case '/pay/unifiedorder': {
      const total = Number(p.total_fee);
      if (!/^[1-9]\d{0,11}$/.test(p.total_fee)) return bizError('PARAM_ERROR', 'total_fee参数格式错误');
      if (!['JSAPI', 'NATIVE', 'APP', 'MWEB'].includes(p.trade_type)) return bizError('PARAM_ERROR', 'trade_type参数格式错误');
      if (p.trade_type === 'JSAPI' && !p.openid) return bizError('PARAM_ERROR', 'trade_type=JSAPI时，openid为必填参数');
      if (p.trade_type === 'JSAPI' && (ctx.logins.appOf(p.openid) ?? p.appid) !== p.appid) return bizError('PARAM_ERROR', 'appid和openid不匹配');
      if (p.trade_type === 'NATIVE' && !p.product_id) return bizError('PARAM_ERROR', 'trade_type=NATIVE时，product_id为必填参数');
      if (!/^[0-9A-Za-z_\-|*@]{1,32}$/.test(p.out_trade_no)) return bizError('PARAM_ERROR', 'out_trade_no参数格式错误');
      let expiresAt: number | undefined;
      if (p.time_expire) {
        expiresAt = parseCompactChina(p.time_expire);
        if (expiresAt === undefined) return bizError('PARAM_ERROR', 'time_expire参数格式错误');
        if (expiresAt <= ctx.now()) return bizError('PARAM_ERROR', 'time_expire时间过短，刷卡至少1分钟，其他5分钟');
      }
      const out = ctx.ledger.create({
        channel: 'wxpay-v2', out_trade_no: p.out_trade_no, app_id: p.appid, merchant_id: p.mch_id, amount: total,
        subject: p.body, pay_type: p.trade_type, attach: p.attach, notify_url: p.notify_url, payer_id: p.openid,
        sign_type: signType, expires_at: expiresAt,
      });
      if (!out.ok) {
        if (out.reason === 'paid') return bizError('ORDERPAID', '该订单已支付');
        if (out.reason === 'closed') return bizError('ORDERCLOSED', '该订单已关闭');
        return bizError('OUT_TRADE_NO_USED', '商户订单号重复');
      }
      const order = out.order;
      if (!order.prepay_id) {
        order.prepay_id = `wx${compactChina(ctx.now())}${randomBytes(10).toString('hex')}`;
        void ctx.state.save();
      }
      const cashier = `${cashierUrl(ctx, 'wxpay-v2', order.out_trade_no)}?prepay_id=${order.prepay_id}`;
      return answer({
        result_code: 'SUCCESS', prepay_id: order.prepay_id, trade_type: p.trade_type,
        code_url: p.trade_type === 'NATIVE' ? cashier : undefined, mweb_url: p.trade_type === 'MWEB' ? cashier : undefined,
      });
    }
    case '/pay/micropay': {
      // a scanned payment code (auth-codes.ts): paid at once, USERPAYING while the payer enters a password
      if (!/^[1-9]\d{0,11}$/.test(p.total_fee)) return bizError('PARAM_ERROR', 'total_fee参数格式错误');
      if (!/^[0-9A-Za-z_\-|*@]{1,32}$/.test(p.out_trade_no)) return bizError('PARAM_ERROR', 'out_trade_no参数格式错误');
      if (!/^1[0-5]\d{16}$/.test(p.auth_code)) return bizError('AUTH_CODE_INVALID', '请扫描微信支付授权码(以10、11、12、13、14、15开头的18位数字)');
      const code = ctx.codes.take('wxpay', p.auth_code, p.out_trade_no);
      if (code === 'invalid') return bizError('AUTHCODEEXPIRE', '二维码已过期，请用户在微信上刷新后再试');
      const out = ctx.ledger.create({
        channel: 'wxpay-v2', out_trade_no: p.out_trade_no, app_id: p.appid, merchant_id: p.mch_id, amount: Number(p.total_fee),
        subject: p.body, pay_type: 'MICROPAY', attach: p.attach, payer_id: `oSandboxPayer${code.code.slice(-12)}`, sign_type: signType,
      });
      if (!out.ok) {
        if (out.reason === 'paid') return answer({ result_code: 'SUCCESS', ...v2OrderFields(out.order) });
        if (out.reason === 'closed') return bizError('ORDERREVERSED', '订单已撤销');
        return bizError('OUT_TRADE_NO_USED', '商户订单号重复');
      }
      if (!code.password) {
        const paid = ctx.ledger.pay('wxpay-v2', p.out_trade_no);
        return answer({ result_code: 'SUCCESS', ...v2OrderFields(paid.ok ? paid.order : out.order) });
      }
      if (!out.repeated) ctx.codes.awaitPassword('wxpay-v2', p.out_trade_no, code);
      return bizError('USERPAYING', '需要用户输入支付密码');
    }
    case '/secapi/pay/reverse': {
      if (!p.out_trade_no && !p.transaction_id) return fail(r, '缺少参数out_trade_no');
      const order = findOrder();
      if (!order) return bizError('ORDERNOTEXIST', '此交易订单号不存在');
      if (order.status === 'NOTPAY') ctx.ledger.close('wxpay-v2', order.out_trade_no);
      else if (order.status === 'SUCCESS' && order.refunded < order.amount) {
        ctx.ledger.refund({ channel: 'wxpay-v2', out_trade_no: order.out_trade_no, out_refund_no: `${order.out_trade_no}R`, amount: order.amount - order.refunded, total: order.amount, initial: 'SUCCESS' });
      }
      return answer({ result_code: 'SUCCESS', recall: 'N' });
    }
    case '/pay/orderquery': {
      if (!p.out_trade_no && !p.transaction_id) return fail(r, '缺少参数out_trade_no');
      const order = findOrder();
      if (!order) return bizError('ORDERNOTEXIST', '此交易订单号不存在');
      return answer({ result_code: 'SUCCESS', ...v2OrderFields(order) });
    }
    case '/pay/closeorder': {
      const out = ctx.ledger.get('wxpay-v2', p.out_trade_no);
      if (!out) return bizError('ORDERNOTEXIST', '此交易订单号不存在');
      if (out.status === 'CLOSED') return bizError('ORDERCLOSED', '订单已关闭，无法重复关闭');
      const closed = ctx.ledger.close('wxpay-v2', p.out_trade_no);
      if (!closed.ok) return bizError('ORDERPAID', '订单已支付，不能发起关单');
      return answer({ result_code: 'SUCCESS' });
    }
    case '/secapi/pay/refund': {
      if (!p.out_trade_no && !p.transaction_id) return fail(r, '缺少参数out_trade_no');
      if (!/^[1-9]\d{0,11}$/.test(p.refund_fee) || !/^[1-9]\d{0,11}$/.test(p.total_fee)) return bizError('PARAM_ERROR', 'refund_fee或total_fee参数格式错误');
      const order = findOrder();
      if (!order) return bizError('ORDERNOTEXIST', '订单不存在');
      const out = ctx.ledger.refund({
        channel: 'wxpay-v2', out_trade_no: order.out_trade_no, out_refund_no: p.out_refund_no, amount: Number(p.refund_fee),
        total: Number(p.total_fee), reason: p.refund_desc, notify_url: p.notify_url, initial: 'PROCESSING',
        settle_as: (ctx.state.data.faults['wxpay-v2']?.refund?.toUpperCase() as 'SUCCESS' | 'ABNORMAL' | 'CLOSED' | undefined),
      });
      if (!out.ok) {
        if (out.reason === 'not_paid') return bizError('TRADE_STATE_ERROR', '订单状态错误，未支付的订单不能退款');
        if (out.reason === 'exceeds') return bizError('INVALID_REQUEST', '累计退款金额大于支付金额');
        if (out.reason === 'total_mismatch') return bizError('INVALID_REQUEST', '订单金额与实际支付金额不一致');
        if (out.reason === 'conflict') return bizError('INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试');
        return bizError('ORDERNOTEXIST', '订单不存在');
      }
      return answer({
        result_code: 'SUCCESS', transaction_id: order.transaction_id, out_trade_no: order.out_trade_no,
        out_refund_no: out.refund.out_refund_no, refund_id: out.refund.refund_id, refund_fee: out.refund.amount,
        total_fee: order.amount, cash_fee: order.amount, cash_refund_fee: out.refund.amount, refund_channel: '',
      });
    }
    case '/pay/refundquery': {
      const order = p.out_refund_no
        ? (() => { const rf = ctx.ledger.refundByNo('wxpay-v2', p.out_refund_no); return rf && ctx.ledger.get('wxpay-v2', rf.out_trade_no); })()
        : findOrder();
      const refunds = order ? ctx.ledger.refundsOf('wxpay-v2', order.out_trade_no).filter((rf) => !p.out_refund_no || rf.out_refund_no === p.out_refund_no) : [];
      if (!order || refunds.length === 0) return bizError('REFUNDNOTEXIST', '退款订单查询失败');
      return answer({ result_code: 'SUCCESS', ...v2RefundQueryFields(order, refunds) });
    }
    case '/pay/downloadbill': {
      // the bill text itself on success (unsigned, no hash); a failure is unsigned XML with an error_code
      const m = /^(\d{4})(\d{2})(\d{2})$/.exec(p.bill_date);
      if (!m) return sendXml(r, { return_code: 'FAIL', return_msg: 'invalid bill_date', error_code: '20001' });
      if (p.bill_type && !['ALL', 'SUCCESS', 'REFUND'].includes(p.bill_type)) return sendXml(r, { return_code: 'FAIL', return_msg: 'invalid bill_type', error_code: '20001' });
      const out = statementOf(ctx, 'wxpay-v2', `${m[1]}-${m[2]}-${m[3]}`);
      if (!out.ok) return sendXml(r, { return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' });
      const day = p.bill_type === 'SUCCESS' ? { ...out.day, refunds: [] } : p.bill_type === 'REFUND' ? { ...out.day, payments: [] } : out.day;
      let text = wxpayBillText(day);
      // damaged in transit: the download stops before its summary rows
      if (ctx.state.data.faults['wxpay-v2']?.statement?.corrupt) text = text.split('\r\n').slice(0, -3).join('\r\n');
      return send(r.res, 200, { 'content-type': 'text/plain; charset=utf-8' }, text);
    }
  }
}

/** v2 spells the final refund states its own way. */
export const V2_REFUND_STATUS: Record<string, string> = { PROCESSING: 'PROCESSING', SUCCESS: 'SUCCESS', ABNORMAL: 'CHANGE', CLOSED: 'REFUNDCLOSE' };

export function v2TradeState(order: SandboxOrder): string {
  // a payment code waiting for the payer's password
  if (order.status === 'NOTPAY' && order.pay_type === 'MICROPAY') return 'USERPAYING';
  if (order.status === 'SUCCESS') return order.refunded > 0 ? 'REFUND' : 'SUCCESS';
  if (order.status === 'CLOSED' && order.failed_reason) return 'PAYERROR';
  return order.status;
}

function v2OrderFields(order: SandboxOrder): Fields {
  const state = v2TradeState(order);
  const desc: Record<string, string> = { SUCCESS: '支付成功', REFUND: '转入退款', NOTPAY: '订单未支付', CLOSED: '已关闭' };
  const paid = order.status === 'SUCCESS';
  return {
    device_info: '', openid: order.payer_id, is_subscribe: paid ? 'N' : undefined, trade_type: order.pay_type,
    trade_state: state, trade_state_desc: state === 'PAYERROR' ? order.failed_reason : desc[state], bank_type: paid ? 'OTHERS' : undefined,
    total_fee: order.amount, fee_type: 'CNY', cash_fee: paid ? order.amount : undefined,
    transaction_id: paid ? order.transaction_id : undefined, out_trade_no: order.out_trade_no, attach: order.attach,
    time_end: paid && order.paid_at ? compactChina(order.paid_at) : undefined,
  };
}

function v2RefundQueryFields(order: SandboxOrder, refunds: SandboxRefund[]): Fields {
  const fields: Fields = {
    transaction_id: order.transaction_id, out_trade_no: order.out_trade_no, total_fee: order.amount, cash_fee: order.amount,
    refund_fee: refunds.reduce((s, rf) => s + rf.amount, 0), refund_count: refunds.length,
  };
  refunds.forEach((rf, i) => {
    Object.assign(fields, {
      [`out_refund_no_${i}`]: rf.out_refund_no, [`refund_id_${i}`]: rf.refund_id, [`refund_fee_${i}`]: rf.amount,
      [`refund_status_${i}`]: V2_REFUND_STATUS[rf.status], [`refund_recv_accout_${i}`]: '支付用户的零钱', [`refund_channel_${i}`]: 'ORIGINAL',
      [`refund_success_time_${i}`]: rf.success_at ? dateTimeChina(rf.success_at) : undefined,
    });
  });
  return fields;
}
