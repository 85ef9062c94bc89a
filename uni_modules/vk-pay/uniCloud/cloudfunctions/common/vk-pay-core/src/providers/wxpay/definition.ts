/** WeChat Pay API v3 as the core sees it (providers/definition.ts): its config section, pay types and bindings. */
import { z } from 'zod';
import { ParamError } from '../../../../../../../common/errors';
import { defineProvider } from '../definition';
import { nonEmpty, pem } from '../config-fields';
import type { WxpayConfig } from './config';
import { createWxpayProvider } from './provider';
import { wechatAppIdFor } from './login';
import { checkPartner, partnerDefaults, wxpayPartnerShape } from './partner-config';
import { partnerMerchants, partnerOf, partnerPayerAppId } from './partner';

/**
 * The apps a WeChat merchant pays through and what exchanging their login codes needs (providers/wxpay/login.ts):
 * an appid per pay_type under the one mchId, and the AppSecrets (the main one, and one per own appid).
 */
const payTypeKeys = z.enum(['jsapi', 'mp', 'app', 'h5', 'native']);
export const wechatAppsShape = {
  appIds: z.record(payTypeKeys, nonEmpty).optional(),
  appSecret: nonEmpty.optional(),
  appSecrets: z.record(payTypeKeys, nonEmpty).optional(),
  /** open-platform API base (login codes); the sandbox's is `<base>/sandbox/wxapi/` */
  wxapiBaseUrl: z.string().url().default('https://api.weixin.qq.com/'),
  /** the official account's OAuth authorize page (jsapi login codes); the sandbox's is `<base>/sandbox/wxopen/connect/oauth2/authorize` */
  oauthAuthorizeUrl: z.string().url().default('https://open.weixin.qq.com/connect/oauth2/authorize'),
};

/** jsapi pages get their code from the official account's OAuth redirect; mini programs from wx.login. */
export function wechatAuthorizeUrl(section: { oauthAuthorizeUrl?: string }, payType: string): string | undefined {
  return payType === 'jsapi' ? section.oauthAuthorizeUrl : undefined;
}

/** Mistakes in AppSecrets are key problems (40003), like the merchant keys. */
export const WECHAT_KEY_FIELDS = /^(appSecrets?|sub_appsecret|clientP12(Passphrase)?)$/;

export const wxpayV3Schema = z.preprocess(partnerDefaults, z.object({
  appId: nonEmpty,
  mchId: nonEmpty,
  apiV3Key: z.string().length(32, 'apiV3Key must be 32 characters'),
  apiV2Key: z.string().length(32, 'apiV2Key must be 32 characters').optional(),
  merchant: z.object({ serialNo: nonEmpty, privateKeyPem: pem('merchant.privateKeyPem'), publicKeyPem: pem('merchant.publicKeyPem').optional() }),
  /** WeChat Pay public key mode (`PUB_KEY_ID_...`); the sandbox also puts its private key here, which the core never uses */
  platform: z.object({ publicKeyId: nonEmpty, publicKeyPem: pem('platform.publicKeyPem') }).optional(),
  /** platform certificates / public keys during a rotation: several may verify at once */
  verifyKeys: z.array(z.object({ serial: nonEmpty, publicKeyPem: pem('verifyKeys[].publicKeyPem') })).optional(),
  /** platform-certificate mode: download /v3/certificates and follow WeChat's changes of certificate (true, or the refresh tuning) */
  platformCertificates: z.union([z.boolean(), z.object({ minRefreshSeconds: z.number().int().min(0).optional(), maxAgeSeconds: z.number().int().min(60).optional() }).strict()]).optional(),
  /** gateway base URL; the sandbox's is `<base>/sandbox/wxpay/` */
  baseUrl: z.string().url().default('https://api.mch.weixin.qq.com/'),
  ...wechatAppsShape,
  // service-provider mode (partner-config.ts)
  ...wxpayPartnerShape,
}).passthrough().superRefine(checkPartner).refine((c) => Boolean(c.platform || c.verifyKeys?.length || c.platformCertificates), { message: 'platform (WeChat Pay public key), verifyKeys or platformCertificates is required', path: ['platform'] }));

export type WxpayV3Section = z.output<typeof wxpayV3Schema>;

/**
 * The pay types both WeChat Pay APIs serve and where uni-app can open each, in the order a client offers them
 * (on the web a QR code first: it works on any browser; JSAPI only inside WeChat's).
 */
export const WXPAY_PAY_TYPES = [
  { name: 'native', platforms: ['web'] },
  { name: 'h5', platforms: ['web'] },
  // JSAPI is WeChat's in-browser bridge: it exists only in WeChat's built-in browser
  { name: 'jsapi', platforms: ['web-weixin'], needsPayerId: true },
  { name: 'mp', platforms: ['mp-weixin'], needsPayerId: true },
  { name: 'app', platforms: ['app'] },
] as const;

/** The appids a WeChat message may name: the main one and any per-pay_type ones (`appIds`), all under one mchid. */
export function wechatMerchants(section: { appId: string; mchId: string; appIds?: Record<string, string | undefined> }) {
  const appIds = new Set([section.appId, ...Object.values(section.appIds ?? {}).filter((a): a is string => typeof a === 'string' && a !== '')]);
  return [...appIds].map((app_id) => ({ app_id, merchant_id: section.mchId }));
}

/** jsapi and mp pay as a known WeChat user: the openid must come with the order. */
export function requireOpenid(payTypes: ReadonlyArray<{ name: string; needsPayerId?: boolean }>, input: { pay_type: string; openid?: string }): void {
  const spec = payTypes.find((p) => p.name === input.pay_type);
  if (spec?.needsPayerId && !input.openid) throw new ParamError(`openid is required for wxpay ${input.pay_type}`);
}

export const wxpayDefinition = defineProvider<WxpayV3Section>({
  channel: 'wxpay',
  provider: 'wxpay',
  defaultForProvider: true,
  payTypes: WXPAY_PAY_TYPES,
  configSchema: wxpayV3Schema,
  gatewayUrls: (s) => [s.baseUrl, s.wxapiBaseUrl, s.oauthAuthorizeUrl],
  keyFields: WECHAT_KEY_FIELDS,
  notifications: { kinds: ['paid', 'refund_succeeded', 'refund_failed', 'refund_held', 'ignored'] },
  // a partner merchant is the sub-merchant (sub_mchid) under the provider's or its own appid (partner.ts)
  merchant: { labels: { app_id: 'appid', merchant_id: 'mchid' }, expected: (s) => { const p = partnerOf(s); return p ? partnerMerchants(p) : wechatMerchants(s); } },
  orderBinding: 'amount',
  refunds: 'merchant',
  payerAppId: (s, t) => { const p = partnerOf(s); return p ? partnerPayerAppId(p) : wechatAppIdFor(s, t); },
  // merchant transfer (transfer-bills): to an openid under one of the merchant's appids; 0.01 yuan and up
  transfers: { payees: { openid: /^[A-Za-z0-9_-]{6,64}$/ }, minAmount: 1, notifications: true },
  loginAuthorizeUrl: wechatAuthorizeUrl,
  checkCreate: (input) => requireOpenid(WXPAY_PAY_TYPES, input),
  create: (section, ctx) => createWxpayProvider(section as unknown as WxpayConfig, ctx),
});
