/** WeChat Pay API v2 (XML) as the core sees it: serves `provider: "wxpay"` when the config's wxpayChannel says so. */
import { z } from 'zod';
import { ParamError } from '../../../../../../../common/errors';
import { defineProvider } from '../definition';
import { nonEmpty, pem } from '../config-fields';
import { requireOpenid, wechatAppsShape, wechatAuthorizeUrl, wechatMerchants, WECHAT_KEY_FIELDS, WXPAY_PAY_TYPES } from '../wxpay/definition';
import { wechatAppIdFor } from '../wxpay/login';
import type { WxpayV2Config } from './config';
import { createWxpayV2Provider } from './provider';

export const wxpayV2Schema = z.object({
  appId: nonEmpty,
  mchId: nonEmpty,
  apiV2Key: z.string().length(32, 'apiV2Key must be 32 characters'),
  /** the merchant's API client certificate for refunds (mutual TLS): apiclient_cert.p12 (Buffer or base64), or the PEM pair */
  clientP12: z.union([z.instanceof(Buffer), z.string().min(1)]).optional(),
  clientP12Passphrase: z.string().min(1).optional(),
  clientCertPem: pem('clientCertPem').optional(),
  clientKeyPem: pem('clientKeyPem').optional(),
  caPem: pem('caPem').optional(),
  secapiBaseUrl: z.string().url().optional(),
  baseUrl: z.string().url().default('https://api.mch.weixin.qq.com/'),
  ...wechatAppsShape,
}).passthrough();

export type WxpayV2Section = z.output<typeof wxpayV2Schema>;

/** Payment codes through v2 micropay (v3's codepay is not built): a shop scans the payer's code, offered to no payer's device. */
const WXPAY_V2_PAY_TYPES = [...WXPAY_PAY_TYPES, { name: 'codepay', platforms: [], scanned: true }] as const;
/** WeChat payment codes: 18 digits starting 10-15 */
const WECHAT_AUTH_CODE = /^1[0-5]\d{16}$/;

export const wxpayV2Definition = defineProvider<WxpayV2Section>({
  channel: 'wxpay-v2',
  provider: 'wxpay',
  payTypes: WXPAY_V2_PAY_TYPES,
  configSchema: wxpayV2Schema,
  gatewayUrls: (s) => [s.baseUrl, s.wxapiBaseUrl, s.oauthAuthorizeUrl, ...(s.secapiBaseUrl ? [s.secapiBaseUrl] : [])],
  keyFields: WECHAT_KEY_FIELDS,
  notifications: { kinds: ['paid', 'refund_succeeded', 'refund_failed', 'refund_held', 'ignored'] },
  merchant: { labels: { app_id: 'appid', merchant_id: 'mchid' }, expected: wechatMerchants },
  orderBinding: 'amount',
  refunds: 'merchant',
  payerAppId: wechatAppIdFor,
  loginAuthorizeUrl: wechatAuthorizeUrl,
  checkCreate: (input) => {
    if (input.pay_type === 'codepay' && !WECHAT_AUTH_CODE.test(input.auth_code ?? '')) throw new ParamError('auth_code: not a WeChat payment code (18 digits starting 10-15)');
    requireOpenid(WXPAY_PAY_TYPES, input);
  },
  create: (section, ctx) => createWxpayV2Provider(section as unknown as WxpayV2Config, ctx),
});
