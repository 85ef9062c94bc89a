/** WeChat mini-program virtual payment as the core sees it (docs/PROTOCOLS.md section 12): its own provider name. */
import { z } from 'zod';
import { ParamError } from '../../../../../../../common/errors';
import { defineProvider } from '../definition';
import { wxpayVirtualSchema, type WxpayVirtualConfig, type WxpayVirtualSection } from './config';
import { COINS_FIELD, PRODUCT_FIELD, createWxpayVirtualProvider, planOf } from './provider';
import { REFUND_ORDER_ID_MAX, REFUND_ORDER_ID_RE } from './refund';

export const WXPAY_VIRTUAL_PAY_TYPES = [
  { name: 'mp', platforms: ['mp-weixin'], needsPayerId: true, signsWithSessionKey: true },
] as const;

export const wxpayVirtualDefinition = defineProvider<WxpayVirtualSection>({
  channel: 'wxpay-virtual',
  provider: 'wxpay-virtual',
  payTypes: WXPAY_VIRTUAL_PAY_TYPES,
  configSchema: wxpayVirtualSchema,
  keyFields: /^(appSecret|appKey|sandboxAppKey|token|encodingAESKey)$/,
  gatewayUrls: (s) => [s.wxapiBaseUrl],
  catalogFields: { [PRODUCT_FIELD]: z.string().min(1).max(64), [COINS_FIELD]: z.number().int().positive() },
  notifications: { kinds: ['paid', 'refund_succeeded', 'refund_failed', 'ignored'] },
  merchant: { labels: { app_id: 'appid', merchant_id: 'offer_id' }, expected: (s) => [{ app_id: s.appId }] },
  orderBinding: 'amount',
  // /xpay/refund_order starts a refund task; xpay_refund_notify or query_order on the refund order ends it
  refunds: 'merchant',
  refundNo: { pattern: REFUND_ORDER_ID_RE, maxLength: REFUND_ORDER_ID_MAX },
  // query_order names the payer (openid), for refund orders as for payments
  refundQueryNeedsPayer: true,
  // coin mode: the coins belong to the payer of the mini program (pay_type mp)
  coinPayType: 'mp',
  payerAppId: (s) => s.appId,
  checkCreate: (input) => {
    if (input.pay_type !== 'mp') throw new ParamError('wxpay-virtual pays in mini programs only (pay_type mp)');
    if (!input.openid) throw new ParamError('openid is required for wxpay-virtual mp');
    if (!input.goods) throw new ParamError(`wxpay-virtual sells catalog items only: order type ${input.type} has no catalog`);
    const section = input.section as WxpayVirtualSection;
    planOf(input.goods.item, Number(input.goods.item.amount), section.coinPrice);
  },
  create: (section, ctx) => createWxpayVirtualProvider(section as unknown as WxpayVirtualConfig, ctx),
});
