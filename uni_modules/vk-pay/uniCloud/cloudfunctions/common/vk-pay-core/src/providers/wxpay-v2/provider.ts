/**
 * The WeChat Pay v2 provider (legacy merchants, XML, MD5 / HMAC-SHA256): unifiedorder for jsapi, mp, app, h5
 * (MWEB), native; orderquery, closeorder, refund (/secapi/pay/refund) and refundquery; notifications.
 * /secapi/pay/refund goes over mutual TLS with the merchant's API certificate (config clientP12 or the PEM pair;
 * transport.ts), as WeChat requires and the sandbox checks.
 */
import { ParamError, VkPayError } from '../../../../../../../common/errors';
import { hasProviderCode, refundNotListed, resolveRefusedClose } from '../error-map';
import { checkCreateInput, checkRefundInput, clockOf, fenFromDigits, parseCompactBeijing, parseDashedBeijing, toCompactBeijing } from '../shared';
import type {
  ClientPayment, CreateOrderInput, CreateOrderResult, PaymentProvider, ProviderContext, RefundInput, RefundResult,
  TradeQueryResult, TradeState, WxpayPayType,
} from '../types';
import { resolveWxpayV2Config, type WxpayV2Config } from './config';
import { exchangeWechatLoginCode } from '../wxpay/login';
import { createNonceV2 } from './nonce';
import { verifyWxpayV2Notification, wxpayV2NotifyReply } from './notify';
import { signV2 } from './signing';
import { createWxpayV2StatementDownload } from './statement';
import { createWxpayV2Transport } from './transport';

const TRADE_TYPES: Record<WxpayPayType, string> = { jsapi: 'JSAPI', mp: 'JSAPI', app: 'APP', h5: 'MWEB', native: 'NATIVE' };

const TRADE_STATES: Record<string, TradeState> = {
  SUCCESS: 'paid', REFUND: 'refunded', NOTPAY: 'pending', USERPAYING: 'pending', CLOSED: 'closed', REVOKED: 'closed', PAYERROR: 'closed',
};

const REFUND_STATES: Record<string, RefundResult['state']> = { SUCCESS: 'success', PROCESSING: 'processing', REFUNDCLOSE: 'failed', CHANGE: 'held' };

export function createWxpayV2Provider(config: WxpayV2Config, ctx: ProviderContext): PaymentProvider {
  const r = resolveWxpayV2Config(config);
  const call = createWxpayV2Transport(r, ctx);
  const now = clockOf(ctx);
  const appIdFor = (t: WxpayPayType) => config.appIds?.[t] ?? config.appId;
  const base = (t: WxpayPayType = 'jsapi') => ({ appid: appIdFor(t), mch_id: config.mchId });

  function clientPayment(payType: WxpayPayType, appId: string, a: Record<string, string>, input: CreateOrderInput): ClientPayment {
    if (payType === 'h5') {
      if (!a.mweb_url) throw new VkPayError(50000, 'wxpay-v2 MWEB order answered without mweb_url');
      const url = input.return_url ? `${a.mweb_url}${a.mweb_url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(input.return_url)}` : a.mweb_url;
      return { kind: 'h5_url', h5_url: url };
    }
    if (payType === 'native') {
      if (!a.code_url) throw new VkPayError(50000, 'wxpay-v2 NATIVE order answered without code_url');
      return { kind: 'code_url', code_url: a.code_url };
    }
    if (!a.prepay_id) throw new VkPayError(50000, 'wxpay-v2 order answered without prepay_id');
    const ts = String(Math.floor(now() / 1000));
    const nonce = createNonceV2();
    if (payType === 'app') {
      const params = { appid: appId, partnerid: config.mchId, prepayid: a.prepay_id, package: 'Sign=WXPay', noncestr: nonce, timestamp: ts };
      return { kind: 'requestPayment', params: { ...params, sign: signV2(params, r.key, r.signType) } };
    }
    // signType is part of the signed fields in v2 and must match the order's sign type
    const params = { appId, timeStamp: ts, nonceStr: nonce, package: `prepay_id=${a.prepay_id}`, signType: r.signType };
    return { kind: 'requestPayment', params: { ...params, paySign: signV2(params, r.key, r.signType) } };
  }

  // micropay is never re-sent blindly: an unknown answer is settled by orderquery (docs/PROTOCOLS.md section 11.2)
  const callOnce = createWxpayV2Transport({ ...r, config: { ...r.config, retry: { ...r.config.retry, maxAttempts: 1 } } }, ctx);

  /** /pay/micropay with the scanned code: SUCCESS = paid; USERPAYING = the payer enters a password (query). */
  async function micropay(input: CreateOrderInput): Promise<CreateOrderResult> {
    if (!input.auth_code) throw new ParamError('auth_code is required for wxpay codepay');
    try {
      const a = await callOnce('/pay/micropay', {
        ...base(), body: input.subject.slice(0, 127), out_trade_no: input.out_trade_no, total_fee: input.amount,
        spbill_create_ip: input.client_ip ?? '127.0.0.1', auth_code: input.auth_code, time_expire: toCompactBeijing(input.expires_at),
      });
      return { payment: { kind: 'codepay', state: 'paid' }, provider_order_id: a.transaction_id || undefined };
    } catch (err) {
      if (hasProviderCode(err, 'USERPAYING')) return { payment: { kind: 'codepay', state: 'paying' } };
      throw err;
    }
  }

  const provider: PaymentProvider = {
    channel: 'wxpay-v2',
    provider: 'wxpay',

    async createOrder(input: CreateOrderInput): Promise<CreateOrderResult> {
      checkCreateInput(input);
      if (input.pay_type === 'codepay') return micropay(input);
      const payType = input.pay_type as WxpayPayType;
      const tradeType = TRADE_TYPES[payType];
      if (!tradeType) throw new ParamError(`wxpay-v2 does not support pay_type ${input.pay_type}`);
      if (tradeType === 'JSAPI' && !input.openid) throw new ParamError(`openid is required for wxpay-v2 ${payType}`);
      if (tradeType === 'MWEB' && !input.client_ip) throw new ParamError('client_ip is required for wxpay-v2 h5 (spbill_create_ip)');
      const appId = appIdFor(payType);
      const a = await call('/pay/unifiedorder', {
        ...base(payType), body: input.subject.slice(0, 127), out_trade_no: input.out_trade_no, total_fee: input.amount,
        spbill_create_ip: input.client_ip ?? '127.0.0.1', notify_url: input.notify_url, trade_type: tradeType,
        time_expire: toCompactBeijing(input.expires_at),
        openid: tradeType === 'JSAPI' ? input.openid : undefined,
        product_id: tradeType === 'NATIVE' ? input.out_trade_no : undefined,
        scene_info: tradeType === 'MWEB' ? JSON.stringify({ h5_info: { type: 'Wap', ...config.h5Info } }) : undefined,
      });
      return { payment: clientPayment(payType, appId, a, input), provider_order_id: a.prepay_id || undefined };
    },

    async queryOrder(outTradeNo: string): Promise<TradeQueryResult> {
      let a: Record<string, string>;
      try {
        a = await call('/pay/orderquery', { ...base(), out_trade_no: outTradeNo });
      } catch (err) {
        if (hasProviderCode(err, 'ORDERNOTEXIST')) return { state: 'not_found', out_trade_no: outTradeNo, provider_state: err.providerCode };
        throw err;
      }
      const state = a.trade_state ?? '';
      return {
        state: TRADE_STATES[state] ?? 'pending', out_trade_no: a.out_trade_no || outTradeNo,
        amount: a.total_fee ? fenFromDigits(a.total_fee, 'total_fee') : undefined,
        transaction_id: a.transaction_id || undefined, paid_at: parseCompactBeijing(a.time_end),
        merchant: { app_id: a.appid, merchant_id: a.mch_id }, provider_state: state,
        ...((state === 'PAYERROR' || state === 'REVOKED') && a.trade_state_desc ? { provider_reason: a.trade_state_desc.slice(0, 120) } : {}),
      };
    },

    async closeOrder(outTradeNo: string): Promise<void> {
      try {
        await call('/pay/closeorder', { ...base(), out_trade_no: outTradeNo });
      } catch (err) {
        if (hasProviderCode(err, 'ORDERCLOSED')) return;
        if (hasProviderCode(err, 'ORDERPAID')) throw err;
        await resolveRefusedClose('wxpay-v2', err, () => provider.queryOrder(outTradeNo));
      }
    },

    // /secapi/pay/reverse: closes an unpaid code payment, refunds a paid one; recall=Y asks for another call
    async reverseOrder(outTradeNo: string): Promise<void> {
      for (let i = 0; i < 3; i++) {
        try {
          const a = await call('/secapi/pay/reverse', { ...base(), out_trade_no: outTradeNo });
          if (a.recall !== 'Y') return;
        } catch (err) {
          if (hasProviderCode(err, 'ORDERNOTEXIST')) return;
          throw err;
        }
      }
      throw new VkPayError(40010, `wxpay-v2 reverse of ${outTradeNo} still asks to be called again`);
    },

    async refund(input: RefundInput): Promise<RefundResult> {
      checkRefundInput(input);
      const a = await call('/secapi/pay/refund', {
        ...base(), out_trade_no: input.out_trade_no, out_refund_no: input.out_refund_no, total_fee: input.total_amount,
        refund_fee: input.refund_amount, refund_desc: input.reason, notify_url: input.notify_url,
      });
      // v2 refunds are accepted here and settle later (notification or refundquery)
      return { state: 'processing', out_refund_no: input.out_refund_no, out_trade_no: input.out_trade_no, refund_id: a.refund_id || undefined, amount: input.refund_amount, provider_state: 'ACCEPTED' };
    },

    async queryRefund(outRefundNo: string, outTradeNo: string): Promise<RefundResult> {
      const a = await call('/pay/refundquery', { ...base(), out_refund_no: outRefundNo });
      const count = Number(a.refund_count ?? '0');
      let i = 0;
      for (; i < count; i++) if (a[`out_refund_no_${i}`] === outRefundNo) break;
      if (i >= count) throw refundNotListed('wxpay-v2', outRefundNo);
      const status = a[`refund_status_${i}`] ?? '';
      return {
        state: REFUND_STATES[status] ?? 'processing', out_refund_no: outRefundNo, out_trade_no: a.out_trade_no || outTradeNo,
        refund_id: a[`refund_id_${i}`] || undefined, amount: fenFromDigits(a[`refund_fee_${i}`], `refund_fee_${i}`),
        success_at: parseDashedBeijing(a[`refund_success_time_${i}`]), provider_state: status,
      };
    },

    async verifyNotification(req) {
      return verifyWxpayV2Notification(r, req, now());
    },

    exchangeLoginCode: (input) => exchangeWechatLoginCode(config, ctx, 'wxpay-v2', input),
    notifyReply: wxpayV2NotifyReply,
    downloadStatement: createWxpayV2StatementDownload(r, ctx),
  };
  return provider;
}
