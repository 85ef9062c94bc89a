/**
 * The Alipay provider (OpenAPI gateway.do, RSA2; public-key mode, or certificate mode following Alipay's change of
 * certificate through cert-store.ts): mp (trade.create), app (signed order string),
 * wap and page (signed GET URLs), qr (trade.precreate); trade.query, trade.close, trade.refund with
 * out_request_no = our out_refund_no (stable across retries), fastpay.refund.query; notifications.
 */
import { ParamError, VkPayError } from '../../../../../../../common/errors';
import { fenToYuan } from '../../../../../../../common/money';
import { ProviderError, resolveRefusedClose } from '../error-map';
import { checkCreateInput, checkRefundInput, clockOf } from '../shared';
import type {
  AlipayPayType, CreateOrderInput, CreateOrderResult, PaymentProvider, ProviderContext, RefundInput, RefundResult,
  TradeQueryResult, TradeState,
} from '../types';
import { fenFromYuan, optionalFen } from './amounts';
import { resolveAlipayConfig, type AlipayConfig } from './config';
import { alipayNotifyReply, verifyAlipayNotification } from './notify';
import { formatAlipayTimestamp, parseAlipayTimestamp } from './signing';
import { createAlipayStatementDownload } from './statement';
import { createAlipayExec, downloadAlipayCert, encodeParams, signedParams } from './transport';
import { createAlipayCertStore } from './cert-store';
import { alipayPayerAppId, exchangeAlipayAuthCode } from './login';
import { createAlipayTransfers } from './transfer';

const TRADE_STATES: Record<string, TradeState> = {
  WAIT_BUYER_PAY: 'pending', TRADE_SUCCESS: 'paid', TRADE_FINISHED: 'paid', TRADE_CLOSED: 'closed',
};

const PRODUCT_CODES: Record<AlipayPayType, string> = {
  mp: 'JSAPI_PAY', app: 'QUICK_MSECURITY_PAY', wap: 'QUICK_WAP_WAY', page: 'FAST_INSTANT_TRADE_PAY', qr: 'FACE_TO_FACE_PAYMENT',
  codepay: 'FACE_TO_FACE_PAYMENT',
};

const PAGE_METHODS: Partial<Record<AlipayPayType, string>> = { wap: 'alipay.trade.wap.pay', page: 'alipay.trade.page.pay' };

function isNotExist(err: unknown): err is ProviderError {
  return err instanceof ProviderError && err.verified && err.providerCode === 'ACQ.TRADE_NOT_EXIST';
}


/** The query parameter quit_url carries: `vkpay_return=quit` (the page's hint; the server still decides). */
export const QUIT_MARK = 'vkpay_return=quit';

function withQuery(url: string, param: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${param}`;
}

export function createAlipayProvider(config: AlipayConfig, ctx: ProviderContext): PaymentProvider {
  const r = resolveAlipayConfig(config);
  const now = clockOf(ctx);
  if (r.certSns && r.alipayCertSn) {
    // certificate mode: follow Alipay's change of certificate (cert-store.ts), held per merchant in the process
    const merchant = [r.gatewayUrl, config.appId, r.certSns.alipay_root_cert_sn, r.alipayCertSn].join('|');
    r.certStore = createAlipayCertStore(merchant, { sn: r.alipayCertSn, key: r.alipayKey }, config.alipayRootCertPem as string, (sn) => downloadAlipayCert(r, ctx, sn), now);
  }
  const exec = createAlipayExec(r, ctx);

  async function queryRefundInternal(outRefundNo: string, outTradeNo: string, fallbackAmount?: number): Promise<RefundResult> {
    const d = await exec('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: outRefundNo, query_options: ['gmt_refund_pay'] });
    const status = typeof d.refund_status === 'string' ? d.refund_status : '';
    // refund_status absent = not received or failed (docs/PROTOCOLS.md 4): not proof of failure, so still processing;
    // a retry with the same out_request_no is safe either way.
    const state: RefundResult['state'] = status === 'REFUND_SUCCESS' ? 'success' : status === 'REFUND_FAIL' ? 'failed' : 'processing';
    return {
      // no refund_id: Alipay's trade_no names the trade, shared by all its refunds; out_request_no names the refund
      state, out_refund_no: outRefundNo, out_trade_no: String(d.out_trade_no ?? outTradeNo),
      amount: optionalFen(d.refund_amount, 'refund_amount') ?? fallbackAmount ?? 0,
      success_at: state === 'success' ? parseAlipayTimestamp(d.gmt_refund_pay) : undefined,
      provider_state: status || 'REFUND_NOT_FOUND',
    };
  }

  /**
   * alipay.trade.pay with the scanned code (scene bar_code; docs/PROTOCOLS.md section 11): 10000 = paid, 10003 =
   * the payer is confirming (WAIT_BUYER_PAY), settled by querying. No notify_url: the query pays the order.
   */
  async function payByCode(input: CreateOrderInput, biz: Record<string, unknown>): Promise<CreateOrderResult> {
    if (!input.auth_code) throw new ParamError('auth_code is required for alipay codepay');
    const { time_expire: _unused, ...rest } = biz;
    try {
      const d = await exec('alipay.trade.pay', { ...rest, scene: 'bar_code', auth_code: input.auth_code });
      return { payment: { kind: 'codepay', state: 'paid' }, provider_order_id: d.trade_no ? String(d.trade_no) : undefined };
    } catch (err) {
      if (err instanceof ProviderError && err.verified && err.providerCode === '10003') return { payment: { kind: 'codepay', state: 'paying' } };
      throw err;
    }
  }

  const provider: PaymentProvider = {
    channel: 'alipay',
    provider: 'alipay',

    async createOrder(input: CreateOrderInput): Promise<CreateOrderResult> {
      checkCreateInput(input);
      const payType = input.pay_type as AlipayPayType;
      const productCode = PRODUCT_CODES[payType];
      if (!productCode) throw new ParamError(`alipay does not support pay_type ${input.pay_type}`);
      const biz: Record<string, unknown> = {
        out_trade_no: input.out_trade_no, total_amount: fenToYuan(input.amount), subject: input.subject.slice(0, 256),
        product_code: productCode, time_expire: formatAlipayTimestamp(input.expires_at),
      };
      if (payType === 'mp') {
        if (!input.openid) throw new ParamError('openid (buyer_id 2088... or buyer_open_id) is required for alipay mp');
        // op_app_id: the mini program the cashier opens in, when it is not the signing app (third-party app mode:
        // the merchant's). An open_id is per app: one of that mini program travels as op_buyer_open_id, one of the
        // signing app as buyer_open_id; a 2088 user_id is the same under every app (docs/PROTOCOLS.md section 4).
        const payerApp = alipayPayerAppId(config);
        const opAppId = config.mpAppId ?? (payerApp !== config.appId ? payerApp : undefined);
        if (opAppId) biz.op_app_id = opAppId;
        if (/^2088\d{12}$/.test(input.openid)) biz.buyer_id = input.openid;
        else if (payerApp !== config.appId) biz.op_buyer_open_id = input.openid;
        else biz.buyer_open_id = input.openid;
        const d = await exec('alipay.trade.create', biz, { notify_url: input.notify_url });
        if (!d.trade_no) throw new VkPayError(50000, 'alipay.trade.create answered without trade_no');
        return { payment: { kind: 'trade_no', trade_no: String(d.trade_no) }, provider_order_id: String(d.trade_no) };
      }
      if (payType === 'codepay') return payByCode(input, biz);
      if (payType === 'qr') {
        const d = await exec('alipay.trade.precreate', biz, { notify_url: input.notify_url });
        if (!d.qr_code) throw new VkPayError(50000, 'alipay.trade.precreate answered without qr_code');
        return { payment: { kind: 'code_url', code_url: String(d.qr_code) } };
      }
      if (payType === 'app') {
        const params = signedParams(r, 'alipay.trade.app.pay', JSON.stringify(biz), now(), { notify_url: input.notify_url });
        return { payment: { kind: 'order_string', order_string: encodeParams(params) } };
      }
      // quit_url: where a payer who backs out lands. Marked, so the page there asks the server to cancel (which
      // closes the trade at Alipay first) instead of waiting for a payment that is not coming.
      if (payType === 'wap' && input.return_url) biz.quit_url = withQuery(input.return_url, QUIT_MARK);
      const params = signedParams(r, PAGE_METHODS[payType]!, JSON.stringify(biz), now(), { notify_url: input.notify_url, return_url: input.return_url });
      const url = new URL(r.gatewayUrl);
      url.search = '';
      return { payment: { kind: 'page_url', page_url: `${url.toString()}?${encodeParams(params)}` } };
    },

    async queryOrder(outTradeNo: string): Promise<TradeQueryResult> {
      let d: Record<string, any>;
      try {
        d = await exec('alipay.trade.query', { out_trade_no: outTradeNo });
      } catch (err) {
        if (isNotExist(err)) return { state: 'not_found', out_trade_no: outTradeNo, provider_state: err.providerCode };
        throw err;
      }
      const status = String(d.trade_status ?? '');
      return {
        state: TRADE_STATES[status] ?? 'pending',
        out_trade_no: String(d.out_trade_no ?? outTradeNo),
        amount: optionalFen(d.total_amount, 'total_amount'),
        transaction_id: d.trade_no ? String(d.trade_no) : undefined,
        paid_at: TRADE_STATES[status] === 'paid' ? parseAlipayTimestamp(d.send_pay_date) : undefined,
        // trade.query answers carry no app_id/seller_id (unlike notifications). The answer is verified with this
        // app's Alipay key and answers a request signed for this app_id, so that is the merchant it speaks for;
        // without it the core's bind check refused every Alipay query answer, and a payment whose notification
        // had not arrived yet read as pending (the person back from the cashier saw "pending" until it came).
        merchant: { app_id: r.config.authAppId ?? r.config.appId, merchant_id: d.seller_id ? String(d.seller_id) : undefined },
        provider_state: status,
      };
    },

    async closeOrder(outTradeNo: string): Promise<void> {
      try {
        await exec('alipay.trade.close', { out_trade_no: outTradeNo });
        return;
      } catch (err) {
        // never created at Alipay (the buyer never opened the cashier): nothing to close (docs/PROTOCOLS.md section 4)
        if (isNotExist(err)) return;
        await resolveRefusedClose('alipay', err, () => provider.queryOrder(outTradeNo));
      }
    },

    // alipay.trade.cancel: closes an unpaid trade, refunds one paid meanwhile (action close / refund)
    async reverseOrder(outTradeNo: string): Promise<void> {
      try {
        await exec('alipay.trade.cancel', { out_trade_no: outTradeNo });
      } catch (err) {
        if (isNotExist(err)) return; // never reached Alipay: nothing to reverse
        throw err;
      }
    },

    async refund(input: RefundInput): Promise<RefundResult> {
      checkRefundInput(input);
      const d = await exec('alipay.trade.refund', {
        out_trade_no: input.out_trade_no, refund_amount: fenToYuan(input.refund_amount),
        out_request_no: input.out_refund_no, refund_reason: input.reason,
      });
      if (d.fund_change === 'Y') {
        return {
          state: 'success', out_refund_no: input.out_refund_no, out_trade_no: input.out_trade_no,
          // no refund_id (see queryRefundInternal): trade_no is the trade's, the same for every refund of it
          amount: input.refund_amount,
          success_at: parseAlipayTimestamp(d.gmt_refund_pay) ?? now(), provider_state: 'FUND_CHANGE_Y',
        };
      }
      // fund_change N: a repeat of an earlier request, or not yet settled; the refund query says which
      return queryRefundInternal(input.out_refund_no, input.out_trade_no, input.refund_amount);
    },

    queryRefund(outRefundNo: string, outTradeNo: string): Promise<RefundResult> {
      return queryRefundInternal(outRefundNo, outTradeNo);
    },

    // certificate mode may download Alipay's new certificate here: still before anything is written
    verifyNotification: (req) => verifyAlipayNotification(r, req, now()),

    notifyReply: alipayNotifyReply,

    exchangeLoginCode: (input) => exchangeAlipayAuthCode(exec, alipayPayerAppId(config), input),
    downloadStatement: createAlipayStatementDownload(r, ctx, exec),
    // payouts (transfer.ts)
    ...createAlipayTransfers(exec, now),
  };
  return provider;
}

