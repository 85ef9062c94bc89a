/**
 * /sandbox/alipay/gateway.do: the Alipay OpenAPI gateway (RSA2, public-key mode). Common parameters may come
 * in the query string (as alipay-sdk sends them) or in the form body; the request signature covers all of
 * them except `sign`, empty values dropped. Server methods answer signed JSON; the page methods (wap, page,
 * and an app order string opened in a browser) create the order and send the person to the cashier.
 */
import { randomBytes } from 'node:crypto';
import { alipayBillUrl } from '../statements/routes';
import { cashierUrl, type GatewayContext, type GatewayRequest } from '../context';
import { dateTimeChina, holdUnanswered, parseDateTimeChina, redirect, send } from '../http-io';
import { alipaySignContent, rsaVerify } from '../protocol/crypto';
import { fenToYuan, yuanToFen } from '../../uni_modules/vk-pay/common/money';
import { alipayResponseText, buyerOf, queryFields, responseKey } from './objects';
import { FUND_METHODS, fundMethod } from './transfers';
import { tradeCancel, tradePay } from './codepay';
import { certDownload, checkCertParams } from './certs';
import { alipayScope, inScope, miniProgramMismatch, sellerMismatch, type AlipayScope } from './app-auth';

const SERVER_METHODS = new Set(['alipay.system.oauth.token', 'alipay.trade.create', 'alipay.trade.precreate', 'alipay.trade.query', 'alipay.trade.close', 'alipay.trade.refund', 'alipay.trade.fastpay.refund.query', 'alipay.data.dataservice.bill.downloadurl.query', 'alipay.trade.pay', 'alipay.trade.cancel', 'alipay.open.app.alipaycert.download']);
const PAGE_METHODS: Record<string, string> = { 'alipay.trade.wap.pay': 'wap', 'alipay.trade.page.pay': 'page', 'alipay.trade.app.pay': 'app' };

type Biz = Record<string, any>;
type Reply = Record<string, unknown>;

const ok = (fields: Reply): Reply => ({ code: '10000', msg: 'Success', ...fields });
const bizFail = (subCode: string, subMsg: string, extra: Reply = {}): Reply => ({ code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg, ...extra });
const missing = (what: string, zh: string): Reply => ({ code: '40001', msg: 'Missing Required Arguments', sub_code: `isv.missing-${what}`, sub_msg: zh });
const invalid = (what: string, zh: string): Reply => ({ code: '40002', msg: 'Invalid Arguments', sub_code: `isv.invalid-${what}`, sub_msg: zh });

function yuan(v: unknown): number | undefined {
  try {
    return yuanToFen(typeof v === 'number' ? String(v) : (v as string));
  } catch {
    return undefined;
  }
}

/** Query + form body; a parameter in both places takes the body's value. */
function collectParams(r: GatewayRequest): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of r.query) params[k] = v;
  const type = String(r.req.headers['content-type'] ?? '');
  if (r.rawBody && (type.includes('application/x-www-form-urlencoded') || type === '')) {
    for (const [k, v] of new URLSearchParams(r.rawBody)) params[k] = v;
  }
  return params;
}

/** Common-parameter and signature checks, in the order the gateway reports them. */
function checkCommon(ctx: GatewayContext, p: Record<string, string>): Reply | undefined {
  if (!p.app_id) return missing('app-id', '缺少AppID参数');
  if (p.app_id !== ctx.creds.alipay.appId) return invalid('app-id', '无效的AppID参数');
  if (!p.sign) return missing('signature', '缺少签名参数');
  if (!p.sign_type) return missing('signature-type', '缺少签名类型参数');
  if (p.sign_type !== 'RSA2') return invalid('signature-type', '无效的签名类型参数');
  if (!p.timestamp) return missing('timestamp', '缺少时间戳参数');
  // Format only: alipay-sdk stamps the machine's local time, so a window would depend on this host's zone.
  if (parseDateTimeChina(p.timestamp) === undefined) return invalid('timestamp', '非法的时间戳参数');
  if (p.charset && !/^utf-?8$/i.test(p.charset)) return invalid('charset', '字符集错误');
  if (!p.version) return missing('version', '缺少版本参数');
  const certProblem = checkCertParams(ctx.creds, p);
  if (certProblem) return certProblem;
  const content = alipaySignContent(p, ['sign']);
  if (!rsaVerify(content, p.sign, ctx.creds.alipay.app.publicKeyPem)) {
    return invalid('signature', `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content.replace(/&/g, '&amp;')}`);
  }
  return undefined;
}

function parseBiz(p: Record<string, string>): Biz | undefined {
  if (!p.biz_content) return {};
  try {
    const biz = JSON.parse(p.biz_content);
    return biz && typeof biz === 'object' && !Array.isArray(biz) ? biz : undefined;
  } catch {
    return undefined;
  }
}

export async function handleAlipay(ctx: GatewayContext, r: GatewayRequest): Promise<void> {
  const p = collectParams(r);
  const method = p.method;
  const sendJson = (key: string, obj: Reply, signed = true) =>
    send(r.res, 200, { 'content-type': 'application/json;charset=utf-8' }, alipayResponseText(ctx.creds, key, obj, signed));
  if (!method) return sendJson('error_response', missing('method', '缺少方法名参数'), false);
  const page = PAGE_METHODS[method];
  if (!page && !SERVER_METHODS.has(method) && !FUND_METHODS.has(method)) return sendJson('error_response', invalid('method', '不存在的方法名'), false);
  const key = responseKey(method);
  const commonError = checkCommon(ctx, p);
  const biz = parseBiz(p);
  // app_auth_token (third-party app mode) is checked once the request is authentic: whose trades it acts on
  const auth = commonError ? undefined : alipayScope(ctx.creds, p);
  if (page) {
    if (commonError) return errorPage(r, commonError);
    if (auth && 'error' in auth) return errorPage(r, auth.error);
    if (!biz) return errorPage(r, invalid('biz-content', 'biz_content格式错误'));
    const reply = createOrder(ctx, method, page, p, biz, auth!.scope);
    if (reply.code !== '10000') return errorPage(r, reply);
    return redirect(r.res, cashierUrl(ctx, 'alipay', String(biz.out_trade_no)));
  }
  if (commonError) return sendJson(key, commonError);
  if (auth && 'error' in auth) return sendJson(key, auth.error);
  const scope = auth!.scope;
  if (method === 'alipay.system.oauth.token') {
    const out = oauthToken(ctx, p, scope);
    return 'error' in out ? sendJson('error_response', out.error) : sendJson(key, out.ok);
  }
  if (!biz) return sendJson(key, bizFail('ACQ.INVALID_PARAMETER', 'biz_content格式错误'));
  if (FUND_METHODS.has(method)) {
    const reply = fundMethod(ctx, method, p.app_id, biz);
    return reply ? sendJson(key, reply) : holdUnanswered(r);
  }
  sendJson(key, serverMethod(ctx, method, p, biz, scope));
}

/**
 * alipay.system.oauth.token: grant_type and code are plain request parameters. A success carries no `code`
 * (open_id, access_token and their lifetimes); a bad code is an `error_response` with isv.code-invalid. A code is
 * redeemed for the app the call acts for: the calling app's own, or with an app_auth_token the authorising
 * merchant's (a third-party app exchanging its merchant's mini-program code); a code of any other app - the
 * merchant's without its token, or with another merchant's - is invalid, as at Alipay.
 */
function oauthToken(ctx: GatewayContext, p: Record<string, string>, scope: AlipayScope): { ok: Reply } | { error: Reply } {
  if (!p.grant_type) return { error: missing('grant-type', '缺少grant_type参数') };
  if (p.grant_type !== 'authorization_code') return { error: invalid('grant-type', '无效的grant_type参数') };
  if (!p.code) return { error: missing('code', '缺少code参数') };
  const out = ctx.logins.redeem('alipay', scope.auth_app_id ?? p.app_id, p.code);
  if (!out.ok) return { error: { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.code-invalid', sub_msg: '授权码code无效' } };
  const token = () => `authusrB${randomBytes(16).toString('hex')}`;
  return { ok: { access_token: token(), auth_start: dateTimeChina(ctx.now()), expires_in: 1296000, re_expires_in: 2592000, refresh_token: token(), open_id: out.openid } };
}

function serverMethod(ctx: GatewayContext, method: string, p: Record<string, string>, biz: Biz, scope: AlipayScope): Reply {
  const { ledger } = ctx;
  if (method === 'alipay.open.app.alipaycert.download') return certDownload(ctx.creds, biz);
  if (method === 'alipay.data.dataservice.bill.downloadurl.query') {
    if (biz.bill_type !== 'trade' && biz.bill_type !== 'signcustomer') return bizFail('isv.invalid-arguments', '参数无效: bill_type');
    const out = alipayBillUrl(ctx, String(biz.bill_date ?? ''), scope);
    return 'url' in out ? ok({ bill_download_url: out.url }) : bizFail(out.sub_code, out.sub_msg);
  }
  if (method === 'alipay.trade.pay') return tradePay(ctx, p.app_id, biz, scope);
  if (method === 'alipay.trade.create' || method === 'alipay.trade.precreate') {
    const reply = createOrder(ctx, method, method === 'alipay.trade.create' ? 'create' : 'precreate', p, biz, scope);
    if (reply.code !== '10000') return reply;
    const order = ledger.get('alipay', String(biz.out_trade_no))!;
    return method === 'alipay.trade.create'
      ? ok({ out_trade_no: order.out_trade_no, trade_no: order.transaction_id })
      : ok({ out_trade_no: order.out_trade_no, qr_code: cashierUrl(ctx, 'alipay', order.out_trade_no) });
  }
  // another merchant's trade (another authorising merchant's, or the app's own for a token call) does not exist here
  const order = inScope(biz.out_trade_no
    ? ledger.get('alipay', String(biz.out_trade_no))
    : biz.trade_no ? Object.values(ctx.state.data.orders).find((o) => o.channel === 'alipay' && o.transaction_id === String(biz.trade_no)) : undefined, scope);
  if (!biz.out_trade_no && !biz.trade_no) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: out_trade_no和trade_no不能同时为空');
  if (!order) return bizFail('ACQ.TRADE_NOT_EXIST', '交易不存在');
  const ids = { out_trade_no: order.out_trade_no, trade_no: order.transaction_id };
  switch (method) {
    case 'alipay.trade.query':
      return queryFields(order);
    case 'alipay.trade.cancel':
      return tradeCancel(ctx, order);
    case 'alipay.trade.close': {
      const out = ledger.close('alipay', order.out_trade_no);
      return out.ok ? ok(ids) : bizFail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    }
    case 'alipay.trade.refund': {
      const amount = yuan(biz.refund_amount);
      if (amount === undefined || amount <= 0) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: refund_amount');
      const requestNo = biz.out_request_no ? String(biz.out_request_no) : order.out_trade_no;
      if (!biz.out_request_no && amount !== order.amount) return bizFail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
      const out = ledger.refund({ channel: 'alipay', out_trade_no: order.out_trade_no, out_refund_no: requestNo, amount, reason: biz.refund_reason, initial: 'SUCCESS' });
      if (!out.ok) {
        if (out.reason === 'not_paid') return bizFail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        if (out.reason === 'exceeds') return bizFail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
        return bizFail('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改: 同一退款请求号的退款金额与之前请求不一致');
      }
      const buyer = buyerOf(order);
      return ok({
        ...ids, buyer_logon_id: buyer.buyer_logon_id, buyer_user_id: buyer.buyer_id, fund_change: out.repeated ? 'N' : 'Y',
        refund_fee: fenToYuan(order.refunded), gmt_refund_pay: dateTimeChina(out.refund.success_at ?? out.refund.created_at),
        send_back_fee: fenToYuan(out.refund.amount),
      });
    }
    case 'alipay.trade.fastpay.refund.query': {
      const requestNo = biz.out_request_no ? String(biz.out_request_no) : order.out_trade_no;
      const refund = ledger.refundOf('alipay', order.out_trade_no, requestNo);
      if (!refund) return ok({ ...ids, out_request_no: requestNo });
      return ok({
        ...ids, out_request_no: requestNo, total_amount: fenToYuan(order.amount), refund_amount: fenToYuan(refund.amount),
        refund_status: 'REFUND_SUCCESS', gmt_refund_pay: dateTimeChina(refund.success_at ?? refund.created_at),
      });
    }
  }
  return bizFail('ACQ.SYSTEM_ERROR', '系统错误');
}

function createOrder(ctx: GatewayContext, method: string, payType: string, p: Record<string, string>, biz: Biz, scope: AlipayScope): Reply {
  const seller = sellerMismatch(biz, scope);
  if (seller) return seller;
  const outTradeNo = biz.out_trade_no === undefined ? '' : String(biz.out_trade_no);
  if (!outTradeNo) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: out_trade_no不能为空');
  if (!/^[0-9A-Za-z_\-]{1,64}$/.test(outTradeNo)) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: out_trade_no格式错误');
  const amount = yuan(biz.total_amount);
  if (amount === undefined || amount < 1 || amount > 100_000_000_00) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: total_amount');
  if (typeof biz.subject !== 'string' || biz.subject === '') return bizFail('ACQ.INVALID_PARAMETER', '参数无效: subject不能为空');
  const payer = biz.op_buyer_open_id ?? biz.buyer_open_id ?? biz.buyer_id;
  if (method === 'alipay.trade.create' && !payer) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: buyer_id和buyer_open_id不能同时为空');
  if (method === 'alipay.trade.create') {
    const mp = miniProgramMismatch(biz, p.app_id, scope, (id) => ctx.logins.appOf(id));
    if (mp) return mp;
  }
  let expiresAt: number | undefined;
  if (biz.time_expire !== undefined) {
    expiresAt = parseDateTimeChina(biz.time_expire);
    if (expiresAt === undefined) return bizFail('ACQ.INVALID_PARAMETER', '参数无效: time_expire');
  }
  const out = ctx.ledger.create({
    channel: 'alipay', out_trade_no: outTradeNo, app_id: p.app_id, merchant_id: scope.seller_id, amount,
    ...(scope.auth_app_id ? { auth_app_id: scope.auth_app_id } : {}),
    subject: biz.subject, pay_type: payType, notify_url: p.notify_url || undefined, return_url: p.return_url || undefined,
    quit_url: typeof biz.quit_url === 'string' && biz.quit_url ? biz.quit_url : undefined,
    payer_id: payer ? String(payer) : undefined, expires_at: expiresAt,
  });
  if (out.ok) return ok({});
  if (out.reason === 'paid') return bizFail('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
  if (out.reason === 'closed') return bizFail('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
  return bizFail('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
}

/** The page methods answer a browser: an HTML error page like the real gateway's. */
function errorPage(r: GatewayRequest, reply: Reply): void {
  const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  send(r.res, 200, { 'content-type': 'text/html; charset=utf-8' },
    `<!doctype html><meta charset="utf-8"><title>支付宝 - 错误</title><h1>抱歉，无法付款</h1><p>错误代码：<code>${esc(reply.sub_code ?? reply.code)}</code></p><p>${esc(reply.sub_msg ?? reply.msg)}</p>`);
}
