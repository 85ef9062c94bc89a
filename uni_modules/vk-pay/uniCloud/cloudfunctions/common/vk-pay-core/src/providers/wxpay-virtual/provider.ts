/**
 * `wxpay-virtual`: WeChat mini-program virtual payment (docs/PROTOCOLS.md section 12). There is no prepay call:
 * createOrder signs the order for `uni.requestVirtualPayment` (signData decided here from the catalog item and
 * the config, paySig with the environment's AppKey, signature with the payer's session key); the payment is
 * confirmed by the delivery push (notify.ts) or by /xpay/query_order (the timer's repair path). Refunds go
 * through /xpay/refund_order (refund.ts); coin mode's balance and coin pay through coins.ts.
 */
import { ParamError } from '../../../../../../../common/errors';
import { ProviderError, paidOnClose } from '../error-map';
import { checkCreateInput, clockOf } from '../shared';
import type {
  CreateOrderInput, CreateOrderResult, IncomingNotification, LoginCodeInput, NotificationOutcome, NotifyReply, PayerLogin,
  PaymentProvider, ProviderContext, QueryHint, TradeQueryResult,
} from '../types';
import { exchangeWechatLoginCode } from '../wxpay/login';
import { appKeyFor, WXAPI_BASE_URL, type WxpayVirtualConfig } from './config';
import { createVirtualCoins } from './coins';
import { verifyVirtualPush, virtualNotifyReply } from './notify';
import { createVirtualRefunds } from './refund';
import { buildSignData, paySigOf, userSignatureOf, type VirtualPayMode } from './signing';
import { createXpayCaller } from './xpay';

/** Catalog item fields: a goods item names its console product id, a coin item the number of coins it buys. */
export const PRODUCT_FIELD = 'wxVirtualProductId';
export const COINS_FIELD = 'wxVirtualCoins';

export interface VirtualOrderPlan { mode: VirtualPayMode; buyQuantity: number; productId?: string; goodsPrice?: number }

/** What the catalog item and the config say this order buys; ParamError when the item sells nothing virtual. */
export function planOf(item: Record<string, unknown> | undefined, amount: number, coinPrice: number | undefined): VirtualOrderPlan {
  const productId = item?.[PRODUCT_FIELD];
  const coins = item?.[COINS_FIELD];
  if (typeof productId === 'string' && productId !== '') {
    if (coins !== undefined) throw new ParamError(`a catalog item sells either ${PRODUCT_FIELD} or ${COINS_FIELD}, not both`);
    return { mode: 'short_series_goods', buyQuantity: 1, productId, goodsPrice: amount };
  }
  if (typeof coins === 'number' && Number.isSafeInteger(coins) && coins > 0) {
    if (!coinPrice) throw new ParamError('wxpay-virtual.coinPrice is required to sell coins');
    if (coins * coinPrice !== amount) throw new ParamError(`${coins} coins at ${coinPrice} fen cost ${coins * coinPrice} fen, not the item's ${amount} fen`);
    return { mode: 'short_series_coin', buyQuantity: coins };
  }
  throw new ParamError(`wxpay-virtual sells catalog items that name ${PRODUCT_FIELD} (goods) or ${COINS_FIELD} (coins)`);
}

/** /xpay/query_order's order object -> the fixed outcomes (paid once a paid time and a paid fee are present). */
export function tradeFromQuery(outTradeNo: string, order: Record<string, unknown> | undefined, appId: string): TradeQueryResult {
  if (!order) return { state: 'not_found', out_trade_no: outTradeNo };
  const paidFee = Number(order.paid_fee);
  const paidTime = Number(order.paid_time);
  const refundFee = Number(order.refund_fee ?? 0);
  const state = String(order.status ?? '');
  const paid = Number.isSafeInteger(paidFee) && paidFee > 0 && Number.isFinite(paidTime) && paidTime > 0;
  if (!paid) return { state: 'pending', out_trade_no: outTradeNo, provider_state: `status ${state}` };
  const transaction = [order.wxpay_order_id, order.wx_order_id].find((v) => typeof v === 'string' && v !== '') as string | undefined;
  return {
    state: refundFee > 0 && refundFee >= paidFee ? 'refunded' : 'paid',
    out_trade_no: outTradeNo, amount: paidFee, transaction_id: transaction, paid_at: paidTime * 1000,
    merchant: { app_id: appId }, provider_state: `status ${state}`,
  };
}

export function createWxpayVirtualProvider(config: WxpayVirtualConfig, ctx: ProviderContext): PaymentProvider {
  const env = config.env ?? 0;
  const appKey = appKeyFor(config);
  const xpay = createXpayCaller(config, ctx);
  const now = clockOf(ctx);

  const provider: PaymentProvider = {
    channel: 'wxpay-virtual',
    provider: 'wxpay-virtual',

    async createOrder(input: CreateOrderInput): Promise<CreateOrderResult> {
      checkCreateInput(input);
      if (input.pay_type !== 'mp') throw new ParamError('wxpay-virtual pays in mini programs only (pay_type mp)');
      if (!input.session_key) throw new ParamError('the payer has no mini-program session: call getOpenid with a fresh login code first');
      const plan = planOf(input.catalog_item, input.amount, config.coinPrice);
      const signData = buildSignData({ ...plan, offerId: config.offerId, env, outTradeNo: input.out_trade_no, attach: input.out_trade_no });
      return {
        payment: { kind: 'virtualPayment', mode: plan.mode, signData, paySig: paySigOf(appKey, signData), signature: userSignatureOf(input.session_key, signData) },
      };
    },

    async queryOrder(outTradeNo: string, hint?: QueryHint): Promise<TradeQueryResult> {
      if (!hint?.openid) throw new ParamError('wxpay-virtual queries name the payer: the order has no openid');
      try {
        const doc = await xpay('query_order', { openid: hint.openid, env, order_id: outTradeNo });
        return tradeFromQuery(outTradeNo, doc.order as Record<string, unknown> | undefined, config.appId);
      } catch (err) {
        if (err instanceof ProviderError && err.code === 40005) return { state: 'not_found', out_trade_no: outTradeNo, provider_state: err.providerCode };
        throw err;
      }
    },

    /**
     * WeChat has no close for virtual orders: signData carries no expiry. The order is closed here unless WeChat
     * says it is paid; a payment that still arrives later is recorded as paid after close (money was received).
     */
    async closeOrder(outTradeNo: string, hint?: QueryHint): Promise<void> {
      const q = await provider.queryOrder(outTradeNo, hint);
      if (q.state === 'paid' || q.state === 'refunded') {
        throw paidOnClose('wxpay-virtual', new ProviderError(40006, 'wxpay-virtual', 'PAID', 'order is paid'), q);
      }
    },

    ...createVirtualRefunds(xpay, env),
    ...createVirtualCoins(xpay, env),

    async verifyNotification(req: IncomingNotification): Promise<NotificationOutcome> {
      return verifyVirtualPush(config, req, now());
    },

    notifyReply(ok: boolean): NotifyReply {
      return virtualNotifyReply(ok);
    },

    async exchangeLoginCode(input: LoginCodeInput): Promise<PayerLogin> {
      return exchangeWechatLoginCode({ appId: config.appId, appSecret: config.appSecret, wxapiBaseUrl: config.wxapiBaseUrl ?? WXAPI_BASE_URL }, ctx, 'wxpay-virtual', input);
    },
  };
  return provider;
}
