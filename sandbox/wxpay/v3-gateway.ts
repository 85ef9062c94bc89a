/**
 * The WeChat Pay API v3 endpoints under /sandbox/wxpay (paths mirror api.mch.weixin.qq.com): order for
 * jsapi/app/h5/native, query, close, refund create and query. Every request's signature is verified first;
 * every answer is signed. Business outcomes come from the ledger and are mapped here onto WeChat's codes.
 */
import { randomBytes } from 'node:crypto';
import { cashierUrl, type GatewayContext, type GatewayRequest } from '../context';
import { compactChina, parseRfc3339 } from '../http-io';
import { sendV3, sendV3Error, verifyV3Request, type V3Failure } from './v3-auth';
import { v3Refund, v3Transaction } from './v3-objects';
import { handleWxpayBill } from '../statements/routes';
import { handleV3Transfers } from './v3-transfers';
import { handlePlatformCertificates } from './platform-certs';

const TRADE_TYPES: Record<string, string> = { jsapi: 'JSAPI', app: 'APP', h5: 'MWEB', native: 'NATIVE' };
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

function required(field: string): V3Failure {
  const label = field.split('/').pop();
  return { status: 400, code: 'PARAM_ERROR', message: `输入源“/body/${field}”映射到值字段“${label}”必填性规则校验失败，此字段为必填项` };
}

function invalid(field: string, why: string): V3Failure {
  return { status: 400, code: 'PARAM_ERROR', message: `输入源“/body/${field}”映射到值字段“${field.split('/').pop()}”${why}` };
}

const NOT_EXIST: V3Failure = { status: 404, code: 'ORDER_NOT_EXIST', message: '订单不存在' };
const NO_ROUTE: V3Failure = { status: 404, code: 'NOT_FOUND', message: '请求的资源不存在' };

export async function handleV3(ctx: GatewayContext, r: GatewayRequest): Promise<void> {
  const { creds } = ctx;
  const now = ctx.now();
  const fail = (f: V3Failure) => sendV3Error(r.res, creds, now, f);
  const authFailure = verifyV3Request(creds, r.method, r.rawUrl, r.rawBody, r.req.headers.authorization, now);
  if (authFailure) return fail(authFailure);

  let body: any = {};
  // a transfer bill's cancel is a POST without a body (docs/PROTOCOLS.md section 10.1)
  const bodiless = r.method === 'POST' && r.rawBody === '' && /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/[^/]+\/cancel$/.test(r.subPath);
  if (r.method === 'POST' && !bodiless) {
    try {
      body = JSON.parse(r.rawBody);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SyntaxError('not an object');
    } catch {
      return fail({ status: 400, code: 'PARAM_ERROR', message: '解析请求体失败，请检查JSON格式' });
    }
  }

  const path = r.subPath;
  if (path.startsWith('/v3/fund-app/mch-transfer/') && handleV3Transfers(ctx, r, body, fail)) return;
  let m: RegExpMatchArray | null;
  if (r.method === 'POST' && (m = path.match(/^\/v3\/pay\/transactions\/(jsapi|app|h5|native)$/))) return createOrder(ctx, r, m[1], body, fail);
  if (r.method === 'GET' && (m = path.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/))) {
    if (r.query.get('mchid') !== creds.wxpay.mchId) return fail({ status: 400, code: 'PARAM_ERROR', message: '商户号mchid与请求不符' });
    const order = ctx.ledger.get('wxpay', decodeURIComponent(m[1]));
    return order ? sendV3(r.res, creds, now, 200, v3Transaction(order)) : fail(NOT_EXIST);
  }
  if (r.method === 'GET' && (m = path.match(/^\/v3\/pay\/transactions\/id\/([^/]+)$/))) {
    const id = decodeURIComponent(m[1]);
    const order = Object.values(ctx.state.data.orders).find((o) => o.channel === 'wxpay' && o.transaction_id === id && o.status === 'SUCCESS');
    return order ? sendV3(r.res, creds, now, 200, v3Transaction(order)) : fail(NOT_EXIST);
  }
  if (r.method === 'POST' && (m = path.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/))) {
    if (body.mchid !== creds.wxpay.mchId) return fail(body.mchid ? { status: 400, code: 'MCH_NOT_EXISTS', message: '商户号不存在' } : required('mchid'));
    const out = ctx.ledger.close('wxpay', decodeURIComponent(m[1]));
    if (out.ok) return sendV3(r.res, creds, now, 204);
    return fail(out.reason === 'paid' ? { status: 400, code: 'ORDERPAID', message: '订单已支付，不能关闭' } : NOT_EXIST);
  }
  if (r.method === 'POST' && path === '/v3/refund/domestic/refunds') return createRefund(ctx, r, body, fail);
  if (r.method === 'GET' && (m = path.match(/^\/v3\/refund\/domestic\/refunds\/([^/]+)$/))) {
    const refund = ctx.ledger.refundByNo('wxpay', decodeURIComponent(m[1]));
    const order = refund && ctx.ledger.get('wxpay', refund.out_trade_no);
    if (!refund || !order) return fail({ status: 404, code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' });
    return sendV3(r.res, creds, now, 200, v3Refund(refund, order));
  }
  if (r.method === 'GET' && path === '/v3/certificates') return handlePlatformCertificates(creds, (status, value) => sendV3(r.res, creds, now, status, value), fail);
  if (r.method === 'GET' && (path === '/v3/bill/tradebill' || path === '/v3/billdownload/file')) {
    return handleWxpayBill(ctx, r, (status, value) => sendV3(r.res, creds, now, status, value), fail);
  }
  return fail(NO_ROUTE);
}

function createOrder(ctx: GatewayContext, r: GatewayRequest, kind: string, b: any, fail: (f: V3Failure) => void): void {
  const { creds } = ctx;
  for (const f of ['appid', 'mchid', 'description', 'out_trade_no', 'notify_url']) if (typeof b[f] !== 'string' || b[f] === '') return fail(required(f));
  if (!b.amount || typeof b.amount !== 'object') return fail(required('amount'));
  if (!Number.isSafeInteger(b.amount.total) || b.amount.total < 1) return fail(invalid('amount/total', '必须为大于0的整数'));
  if (b.amount.currency !== undefined && b.amount.currency !== 'CNY') return fail(invalid('amount/currency', '取值无效'));
  if (b.mchid !== creds.wxpay.mchId) return fail({ status: 400, code: 'MCH_NOT_EXISTS', message: '商户号不存在' });
  if (!ctx.logins.app('wxpay', b.appid)) return fail({ status: 400, code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配，请检查后再试' });
  if (!OUT_TRADE_NO.test(b.out_trade_no)) return fail(invalid('out_trade_no', '格式不正确，只能是6-32位数字、大小写字母_-|*'));
  if ([...b.description].length > 127) return fail(invalid('description', '长度超过127'));
  if (!/^https?:\/\//.test(b.notify_url)) return fail(invalid('notify_url', '格式不正确，应为http(s)://开头的完整URL'));
  if (kind === 'jsapi' && (typeof b.payer?.openid !== 'string' || b.payer.openid === '')) return fail(required('payer/openid'));
  // an openid this sandbox issued under another appid is refused as WeChat refuses it
  if (kind === 'jsapi' && (ctx.logins.appOf(b.payer.openid) ?? b.appid) !== b.appid) return fail({ status: 500, code: 'OPENID_MISMATCH', message: 'openid和appid不匹配' });
  if (kind === 'h5') {
    if (typeof b.scene_info?.payer_client_ip !== 'string') return fail(required('scene_info/payer_client_ip'));
    if (typeof b.scene_info?.h5_info?.type !== 'string') return fail(required('scene_info/h5_info/type'));
  }
  let expiresAt: number | undefined;
  if (b.time_expire !== undefined) {
    expiresAt = parseRfc3339(b.time_expire);
    if (expiresAt === undefined) return fail(invalid('time_expire', '格式不正确，应为RFC3339格式'));
    if (expiresAt <= ctx.now()) return fail({ status: 400, code: 'INVALID_REQUEST', message: 'time_expire已过期' });
  }
  const out = ctx.ledger.create({
    channel: 'wxpay', out_trade_no: b.out_trade_no, app_id: b.appid, merchant_id: b.mchid, amount: b.amount.total,
    subject: b.description, pay_type: TRADE_TYPES[kind], attach: typeof b.attach === 'string' ? b.attach : undefined,
    notify_url: b.notify_url, payer_id: b.payer?.openid, expires_at: expiresAt,
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
  sendV3(r.res, creds, ctx.now(), 200, reply);
}

function createRefund(ctx: GatewayContext, r: GatewayRequest, b: any, fail: (f: V3Failure) => void): void {
  const { creds } = ctx;
  if (typeof b.out_refund_no !== 'string' || b.out_refund_no === '') return fail(required('out_refund_no'));
  if (b.out_refund_no.length > 64) return fail(invalid('out_refund_no', '长度超过64'));
  if (typeof b.out_trade_no !== 'string' && typeof b.transaction_id !== 'string') return fail(required('out_trade_no'));
  if (!b.amount || typeof b.amount !== 'object') return fail(required('amount'));
  if (!Number.isSafeInteger(b.amount.refund) || b.amount.refund < 1) return fail(invalid('amount/refund', '必须为大于0的整数'));
  if (!Number.isSafeInteger(b.amount.total) || b.amount.total < 1) return fail(invalid('amount/total', '必须为大于0的整数'));
  if (b.amount.currency !== 'CNY') return fail(required('amount/currency'));
  if (b.notify_url !== undefined && (typeof b.notify_url !== 'string' || !/^https?:\/\//.test(b.notify_url))) return fail(invalid('notify_url', '格式不正确'));
  let outTradeNo: string | undefined = b.out_trade_no;
  if (typeof outTradeNo !== 'string') {
    outTradeNo = Object.values(ctx.state.data.orders).find((o) => o.channel === 'wxpay' && o.transaction_id === b.transaction_id)?.out_trade_no;
    if (!outTradeNo) return fail({ status: 404, code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
  }
  const out = ctx.ledger.refund({
    channel: 'wxpay', out_trade_no: outTradeNo, out_refund_no: b.out_refund_no, amount: b.amount.refund, total: b.amount.total,
    reason: typeof b.reason === 'string' ? b.reason : undefined, notify_url: b.notify_url, initial: 'PROCESSING',
    settle_as: (ctx.state.data.faults.wxpay?.refund?.toUpperCase() as 'SUCCESS' | 'ABNORMAL' | 'CLOSED' | undefined),
  });
  if (!out.ok) {
    switch (out.reason) {
      case 'order_not_found': return fail({ status: 404, code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
      case 'not_paid': return fail({ status: 403, code: 'TRADE_ERROR', message: '订单未支付，不能发起退款' });
      case 'exceeds': return fail({ status: 400, code: 'INVALID_REQUEST', message: '申请退款金额超过订单可退金额，请核实后再试' });
      case 'total_mismatch': return fail({ status: 400, code: 'INVALID_REQUEST', message: '订单金额与实际支付金额不一致，请核实后再试' });
      case 'conflict': return fail({ status: 400, code: 'INVALID_REQUEST', message: '订单金额或退款金额与之前请求不一致，请核实后再试' });
    }
  }
  sendV3(r.res, creds, ctx.now(), 200, v3Refund(out.refund, out.order));
}
