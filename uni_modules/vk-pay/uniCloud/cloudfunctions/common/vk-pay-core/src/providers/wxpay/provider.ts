/**
 * The WeChat Pay API v3 provider, direct merchant or service provider for a sub-merchant (partner.ts says where the
 * two differ): orders for jsapi, mp, app, h5, native; query, close, refund and refund query; notifications.
 * Amounts are integer fen on both sides (WeChat speaks fen).
 */
import { ParamError, VkPayError } from '../../../../../../../common/errors';
import { hasProviderCode, resolveRefusedClose } from '../error-map';
import { checkCreateInput, checkRefundInput, clockOf, parseRfc3339, toRfc3339Beijing } from '../shared';
import type {
  ClientPayment, CreateOrderInput, CreateOrderResult, PaymentProvider, ProviderContext, RefundInput, RefundResult,
  TradeQueryResult, TradeState, WxpayPayType,
} from '../types';
import { resolveWxpayConfig, type ResolvedWxpayConfig, type WxpayConfig } from './config';
import { exchangeWechatLoginCode } from './login';
import { verifyWxpayNotification, wxpayNotifyReply } from './notify';
import { buildAppPaySignMessage, buildPaySignMessage, createNonce, pickWechatpayHeaders, signSha256Rsa } from './signing';
import { verificationKeysFor } from './platform-cert-store';
import { createWxpayTransport, type WxpayCall } from './transport';
import { createWxpayStatementDownload } from './statement';
import { createWxpayTransfers } from './transfer';
import { partnerLoginApps, wxpayRoutes } from './partner';

const TRADE_STATES: Record<string, TradeState> = {
  SUCCESS: 'paid', REFUND: 'refunded', NOTPAY: 'pending', USERPAYING: 'pending', ACCEPT: 'pending',
  CLOSED: 'closed', REVOKED: 'closed', PAYERROR: 'closed',
};
/** trade states that mean the payer tried and the payment did not go through (their desc says why) */
const FAILED_STATES = new Set(['PAYERROR', 'REVOKED']);

const REFUND_STATES: Record<string, RefundResult['state']> = {
  SUCCESS: 'success', PROCESSING: 'processing', CLOSED: 'failed', ABNORMAL: 'held',
};

function parseBody(text: string): Record<string, any> {
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new VkPayError(50000, 'wxpay answered 2xx with a body that is not JSON');
  }
}

export function createWxpayProvider(config: WxpayConfig, ctx: ProviderContext): PaymentProvider {
  const r: ResolvedWxpayConfig = resolveWxpayConfig(config, ctx);
  const call: WxpayCall = createWxpayTransport(r, ctx);
  const now = clockOf(ctx);
  const routes = wxpayRoutes(config);

  function clientPayment(payType: WxpayPayType, appId: string, answer: Record<string, any>, input: CreateOrderInput): ClientPayment {
    if (payType === 'h5') {
      const h5 = String(answer.h5_url ?? '');
      if (!h5) throw new VkPayError(50000, 'wxpay h5 order answered without h5_url');
      const url = input.return_url ? `${h5}${h5.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(input.return_url)}` : h5;
      return { kind: 'h5_url', h5_url: url };
    }
    if (payType === 'native') {
      if (!answer.code_url) throw new VkPayError(50000, 'wxpay native order answered without code_url');
      return { kind: 'code_url', code_url: String(answer.code_url) };
    }
    const prepayId = String(answer.prepay_id ?? '');
    if (!prepayId) throw new VkPayError(50000, 'wxpay order answered without prepay_id');
    const timeStamp = String(Math.floor(now() / 1000));
    const nonceStr = createNonce();
    if (payType === 'app') {
      // uni.requestPayment({ provider: 'wxpay', orderInfo }) on App: the OpenSDK PayReq fields
      const sign = signSha256Rsa(buildAppPaySignMessage(appId, timeStamp, nonceStr, prepayId), r.merchantKey);
      return { kind: 'requestPayment', params: { appid: appId, partnerid: routes.appPartnerId(), prepayid: prepayId, package: 'Sign=WXPay', noncestr: nonceStr, timestamp: timeStamp, sign } };
    }
    const paySign = signSha256Rsa(buildPaySignMessage(appId, timeStamp, nonceStr, prepayId), r.merchantKey);
    return { kind: 'requestPayment', params: { appId, timeStamp, nonceStr, package: `prepay_id=${prepayId}`, signType: 'RSA', paySign } };
  }

  function refundResult(body: Record<string, any>, fallback: { out_refund_no: string; out_trade_no: string; amount?: number }): RefundResult {
    const status = String(body.status ?? '');
    return {
      state: REFUND_STATES[status] ?? 'processing',
      out_refund_no: String(body.out_refund_no ?? fallback.out_refund_no),
      out_trade_no: String(body.out_trade_no ?? fallback.out_trade_no),
      refund_id: body.refund_id ? String(body.refund_id) : undefined,
      amount: Number.isSafeInteger(body.amount?.refund) ? body.amount.refund : fallback.amount ?? 0,
      success_at: parseRfc3339(body.success_time),
      provider_state: status || undefined,
    };
  }

  const provider: PaymentProvider = {
    channel: 'wxpay',
    provider: 'wxpay',

    async createOrder(input: CreateOrderInput): Promise<CreateOrderResult> {
      checkCreateInput(input);
      const payType = input.pay_type as WxpayPayType;
      const path = routes.orderPath(payType);
      if (!path) throw new ParamError(`wxpay does not support pay_type ${input.pay_type}`);
      const appId = routes.clientAppId(payType);
      const payerNeeded = payType === 'jsapi' || payType === 'mp';
      if (payerNeeded && !input.openid) throw new ParamError(`openid is required for wxpay ${payType}`);
      const body: Record<string, unknown> = {
        ...routes.orderIds(appId, payerNeeded ? input.openid : undefined), description: input.subject.slice(0, 127), out_trade_no: input.out_trade_no,
        time_expire: toRfc3339Beijing(input.expires_at), notify_url: input.notify_url,
        amount: { total: input.amount, currency: 'CNY' },
      };
      if (payType === 'h5') {
        if (!input.client_ip) throw new ParamError('client_ip is required for wxpay h5 (scene_info.payer_client_ip)');
        body.scene_info = { payer_client_ip: input.client_ip, h5_info: { type: 'Wap', ...config.h5Info } };
      } else if (input.client_ip) {
        body.scene_info = { payer_client_ip: input.client_ip };
      }
      const res = await call('POST', path, body);
      const answer = parseBody(res.body);
      return { payment: clientPayment(payType, appId, answer, input), provider_order_id: answer.prepay_id ? String(answer.prepay_id) : undefined };
    },

    async queryOrder(outTradeNo: string): Promise<TradeQueryResult> {
      let res;
      try {
        res = await call('GET', routes.queryPath(outTradeNo));
      } catch (err) {
        if (hasProviderCode(err, 'ORDER_NOT_EXIST', 'ORDERNOTEXIST')) return { state: 'not_found', out_trade_no: outTradeNo, provider_state: err.providerCode };
        throw err;
      }
      const t = parseBody(res.body);
      const tradeState = String(t.trade_state ?? '');
      return {
        state: TRADE_STATES[tradeState] ?? 'pending',
        out_trade_no: String(t.out_trade_no ?? outTradeNo),
        amount: Number.isSafeInteger(t.amount?.total) ? t.amount.total : undefined,
        transaction_id: t.transaction_id ? String(t.transaction_id) : undefined,
        paid_at: parseRfc3339(t.success_time),
        merchant: routes.merchantOf(t),
        provider_state: tradeState,
        ...(FAILED_STATES.has(tradeState) && t.trade_state_desc ? { provider_reason: String(t.trade_state_desc).slice(0, 120) } : {}),
      };
    },

    async closeOrder(outTradeNo: string): Promise<void> {
      try {
        await call('POST', routes.closePath(outTradeNo), routes.closeBody());
        return;
      } catch (err) {
        await resolveRefusedClose('wxpay', err, () => provider.queryOrder(outTradeNo));
      }
    },

    async refund(input: RefundInput): Promise<RefundResult> {
      checkRefundInput(input);
      const body: Record<string, unknown> = {
        ...routes.refundIds(), out_trade_no: input.out_trade_no, out_refund_no: input.out_refund_no,
        reason: input.reason ? input.reason.slice(0, 80) : undefined, notify_url: input.notify_url,
        amount: { refund: input.refund_amount, total: input.total_amount, currency: 'CNY' },
      };
      const res = await call('POST', '/v3/refund/domestic/refunds', body);
      return refundResult(parseBody(res.body), { ...input, amount: input.refund_amount });
    },

    async queryRefund(outRefundNo: string, outTradeNo: string): Promise<RefundResult> {
      const res = await call('GET', routes.refundQueryPath(outRefundNo));
      return refundResult(parseBody(res.body), { out_refund_no: outRefundNo, out_trade_no: outTradeNo });
    },

    async verifyNotification(req) {
      const keys = await verificationKeysFor(r, pickWechatpayHeaders(req.headers));
      return verifyWxpayNotification({ ...r, verifyKeys: keys }, req, now(), routes);
    },

    // a partner merchant's payers log in to the app they pay in (partner.ts): the sub-merchant's own, else the provider's
    exchangeLoginCode: (input) => exchangeWechatLoginCode(routes.partner ? partnerLoginApps(config, routes.partner) : config, ctx, 'wxpay', input),
    notifyReply: wxpayNotifyReply,
    downloadStatement: createWxpayStatementDownload(r, ctx, call),

    // payouts (transfer.ts): a direct merchant's; a service provider pays out through other (partner) APIs, not here
    ...(routes.partner ? {} : createWxpayTransfers(r, call, now)),
  };
  return provider;
}
