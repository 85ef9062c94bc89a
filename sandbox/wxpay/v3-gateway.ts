/**
 * The WeChat Pay API v3 endpoints under /sandbox/wxpay (paths mirror api.mch.weixin.qq.com): order for
 * jsapi/app/h5/native, query, close, refund create and query, for each merchant the sandbox serves (merchants.ts)
 * and, for a service provider, the partner paths (v3-partner.ts). Every request's signature is verified first, with
 * the keys of the merchant it names; every answer is signed with that merchant's platform key. Business outcomes
 * come from the ledger and are mapped here onto WeChat's codes.
 */
import type { SandboxWxMerchant } from '../credentials';
import type { GatewayContext, GatewayRequest } from '../context';
import { sendV3, sendV3Error, verifyV3Request, type V3Failure } from './v3-auth';
import { v3Refund, v3Transaction } from './v3-objects';
import { handleWxpayBill } from '../statements/routes';
import { handleV3Transfers } from './v3-transfers';
import { handlePlatformCertificates } from './platform-certs';
import { appsOf, credsOfRequest, merchantById } from './merchants';
import { checkPartnerIds, handlePartner } from './v3-partner';
import {
  APPID_MCHID_NOT_MATCH, checkOrderFields, invalid, MCH_NOT_EXISTS, NOT_EXIST, OPENID_MISMATCH, ownedBy, placeOrder, required,
  SUB_MCH_REFUSED, SUB_MCH_REQUIRED, type Fail,
} from './v3-orders';

const NO_ROUTE: V3Failure = { status: 404, code: 'NOT_FOUND', message: '请求的资源不存在' };

export async function handleV3(base: GatewayContext, r: GatewayRequest): Promise<void> {
  // the merchant the Authorization names: its keys verify the request and sign the answer (the main one's if unknown)
  const creds = credsOfRequest(base.creds, r.req.headers.authorization);
  const ctx: GatewayContext = creds === base.creds ? base : { ...base, creds };
  const me = merchantById(base.creds, creds.wxpay.mchId)!;
  const now = ctx.now();
  const fail = (f: V3Failure) => sendV3Error(r.res, creds, now, f);
  const authFailure = verifyV3Request(creds, r.method, r.rawUrl, r.rawBody, r.req.headers.authorization, now);
  if (authFailure) return fail(authFailure);
  const provider = Boolean(me.subMerchants?.length);

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
  if (path.startsWith('/v3/pay/partner/') && handlePartner(ctx, me, r, body, fail)) return;
  // a service provider takes no payments of its own: the direct paths need a sub-merchant it cannot name there
  if (provider && path.startsWith('/v3/pay/transactions/')) return fail(SUB_MCH_REQUIRED);
  const mine = (order: Parameters<typeof ownedBy>[0]) => ownedBy(order, me.mchId);
  let m: RegExpMatchArray | null;
  if (r.method === 'POST' && (m = path.match(/^\/v3\/pay\/transactions\/(jsapi|app|h5|native)$/))) return createOrder(ctx, me, r, m[1], body, fail);
  if (r.method === 'GET' && (m = path.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/))) {
    if (r.query.get('mchid') !== creds.wxpay.mchId) return fail({ status: 400, code: 'PARAM_ERROR', message: '商户号mchid与请求不符' });
    const order = mine(ctx.ledger.get('wxpay', decodeURIComponent(m[1])));
    return order ? sendV3(r.res, creds, now, 200, v3Transaction(order)) : fail(NOT_EXIST);
  }
  if (r.method === 'GET' && (m = path.match(/^\/v3\/pay\/transactions\/id\/([^/]+)$/))) {
    const id = decodeURIComponent(m[1]);
    const order = mine(Object.values(ctx.state.data.orders).find((o) => o.channel === 'wxpay' && o.transaction_id === id && o.status === 'SUCCESS'));
    return order ? sendV3(r.res, creds, now, 200, v3Transaction(order)) : fail(NOT_EXIST);
  }
  if (r.method === 'POST' && (m = path.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/))) {
    if (body.mchid !== creds.wxpay.mchId) return fail(body.mchid ? MCH_NOT_EXISTS : required('mchid'));
    if (!mine(ctx.ledger.get('wxpay', decodeURIComponent(m[1])))) return fail(NOT_EXIST);
    const out = ctx.ledger.close('wxpay', decodeURIComponent(m[1]));
    if (out.ok) return sendV3(r.res, creds, now, 204);
    return fail(out.reason === 'paid' ? { status: 400, code: 'ORDERPAID', message: '订单已支付，不能关闭' } : NOT_EXIST);
  }
  if (r.method === 'POST' && path === '/v3/refund/domestic/refunds') return createRefund(ctx, me, r, body, fail);
  if (r.method === 'GET' && (m = path.match(/^\/v3\/refund\/domestic\/refunds\/([^/]+)$/))) {
    // a service provider names the sub-merchant in the query; a direct merchant may not
    const subMchid = r.query.get('sub_mchid') ?? undefined;
    if (provider || subMchid !== undefined) {
      const ids = checkPartnerIds(me, me.mchId, subMchid, 'query');
      if ('failure' in ids) return fail(ids.failure);
    }
    const refund = ctx.ledger.refundByNo('wxpay', decodeURIComponent(m[1]));
    const order = refund && ownedBy(ctx.ledger.get('wxpay', refund.out_trade_no), me.mchId, subMchid);
    if (!refund || !order) return fail({ status: 404, code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' });
    return sendV3(r.res, creds, now, 200, v3Refund(refund, order));
  }
  if (r.method === 'GET' && path === '/v3/certificates') return handlePlatformCertificates(creds, (status, value) => sendV3(r.res, creds, now, status, value), fail);
  if (r.method === 'GET' && (path === '/v3/bill/tradebill' || path === '/v3/billdownload/file')) {
    return handleWxpayBill(ctx, r, (status, value) => sendV3(r.res, creds, now, status, value), fail);
  }
  return fail(NO_ROUTE);
}

function createOrder(ctx: GatewayContext, me: SandboxWxMerchant, r: GatewayRequest, kind: string, b: any, fail: Fail): void {
  for (const f of ['appid', 'mchid']) if (typeof b[f] !== 'string' || b[f] === '') return fail(required(f));
  if (b.sub_mchid !== undefined) return fail(SUB_MCH_REFUSED);
  if (b.mchid !== me.mchId) return fail(MCH_NOT_EXISTS);
  if (!appsOf(ctx.creds, me).includes(b.appid)) return fail(APPID_MCHID_NOT_MATCH);
  const fields = checkOrderFields(ctx, kind, b);
  if ('failure' in fields) return fail(fields.failure);
  if (kind === 'jsapi' && (typeof b.payer?.openid !== 'string' || b.payer.openid === '')) return fail(required('payer/openid'));
  // an openid this sandbox issued under another appid is refused as WeChat refuses it
  if (kind === 'jsapi' && (ctx.logins.appOf(b.payer.openid) ?? b.appid) !== b.appid) return fail(OPENID_MISMATCH);
  placeOrder(ctx, r, kind, b, { app_id: b.appid, merchant_id: b.mchid, payer_id: b.payer?.openid }, fields.expiresAt, fail);
}

function createRefund(ctx: GatewayContext, me: SandboxWxMerchant, r: GatewayRequest, b: any, fail: Fail): void {
  // a service provider refunds for a sub-merchant it serves (sub_mchid); a direct merchant names none
  if (me.subMerchants?.length || b.sub_mchid !== undefined) {
    const ids = checkPartnerIds(me, me.mchId, b.sub_mchid, 'body');
    if ('failure' in ids) return fail(ids.failure);
  }
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
  // another merchant's (or another sub-merchant's) order does not exist for this one
  if (!ownedBy(ctx.ledger.get('wxpay', outTradeNo), me.mchId, b.sub_mchid)) return fail({ status: 404, code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
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
  sendV3(r.res, ctx.creds, ctx.now(), 200, v3Refund(out.refund, out.order));
}
