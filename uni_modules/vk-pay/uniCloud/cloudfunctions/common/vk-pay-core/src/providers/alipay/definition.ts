/** Alipay (OpenAPI, RSA2) as the core sees it: its config section, pay types and bindings. */
import { z } from 'zod';
import { ParamError } from '../../../../../../../common/errors';
import { defineProvider } from '../definition';
import { nonEmpty, pem } from '../config-fields';
import { alipayPayerAppId } from './login';
import { createAlipayProvider } from './provider';

export const alipaySchema = z.object({
  appId: nonEmpty,
  sellerId: z.string().min(1).optional(),
  app: z.object({ privateKeyPem: pem('app.privateKeyPem'), publicKeyPem: pem('app.publicKeyPem').optional() }),
  /** public-key mode: Alipay's public key (certificate mode takes it from alipayCertPem) */
  alipay: z.object({ publicKeyPem: pem('alipay.publicKeyPem').optional() }).passthrough().optional(),
  /** certificate mode (alipay/cert.ts): appCertPublicKey_<appId>.crt, alipayCertPublicKey_RSA2.crt, alipayRootCert.crt */
  appCertPem: pem('appCertPem').optional(),
  alipayCertPem: pem('alipayCertPem').optional(),
  alipayRootCertPem: pem('alipayRootCertPem').optional(),
  gatewayUrl: z.string().url().default('https://openapi.alipay.com/gateway.do'),
  /**
   * Third-party app mode (docs/PROTOCOLS.md section 4, third-party app mode): `appId` is the third-party app that signs, acting for the
   * merchant who authorised it with this token; `auth_app_id` is that merchant's app (its notifications name it).
   */
  app_auth_token: nonEmpty.optional(),
  auth_app_id: nonEmpty.optional(),
  /**
   * The mini program mp orders are paid in when it is not the app that signs (alipay.trade.create's op_app_id). In
   * third-party app mode it defaults to auth_app_id: the merchant's own mini program (docs/PROTOCOLS.md section 4).
   */
  mpAppId: nonEmpty.optional(),
}).passthrough().superRefine((s, tctx) => {
  if (s.app_auth_token !== undefined && s.auth_app_id === undefined) tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['auth_app_id'], message: 'required with app_auth_token (the authorising merchant\'s app, which its notifications name)' });
  if (s.auth_app_id !== undefined && s.app_auth_token === undefined) tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['app_auth_token'], message: 'required with auth_app_id (third-party app mode)' });
  // key mode: Alipay's public key, or certificate mode's three files (all of them)
  const certs = [s.appCertPem, s.alipayCertPem, s.alipayRootCertPem];
  if (!s.alipay?.publicKeyPem && !certs.some(Boolean)) tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['alipay', 'publicKeyPem'], message: 'alipay.publicKeyPem (public-key mode) or appCertPem + alipayCertPem + alipayRootCertPem (certificate mode) is required' });
  if (certs.some(Boolean) && !certs.every(Boolean)) tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['appCertPem'], message: 'certificate mode needs all three of appCertPem, alipayCertPem and alipayRootCertPem' });
});

export type AlipaySection = z.output<typeof alipaySchema>;

/** In the order a client offers them. */
const ALIPAY_PAY_TYPES = [
  { name: 'page', platforms: ['web'] },
  { name: 'wap', platforms: ['web'] },
  { name: 'qr', platforms: ['web'] },
  { name: 'mp', platforms: ['mp-alipay'], needsPayerId: true },
  { name: 'app', platforms: ['app'] },
  // a shop scans the payer's payment code (alipay.trade.pay, scene bar_code): offered to no payer's device
  { name: 'codepay', platforms: [], scanned: true },
] as const;

/** Alipay payment codes: 16-24 digits starting 25-30 (the code the payer's Alipay shows). */
const ALIPAY_AUTH_CODE = /^(2[5-9]|30)\d{14,22}$/;

export const alipayDefinition = defineProvider<AlipaySection>({
  channel: 'alipay',
  provider: 'alipay',
  payTypes: ALIPAY_PAY_TYPES,
  configSchema: alipaySchema,
  gatewayUrls: (s) => [s.gatewayUrl],
  // TRADE_CLOSED of an unpaid APP/WAP trade closes the order; WAIT_BUYER_PAY and the like are acknowledged only
  notifications: { kinds: ['paid', 'refund_succeeded', 'closed', 'ignored'] },
  merchant: {
    labels: { app_id: 'appid', merchant_id: 'seller_id' },
    // in third-party app mode the merchant is the authorising app (auth_app_id), not the app that signs
    expected: (s) => [{ app_id: s.auth_app_id ?? s.appId, merchant_id: s.sellerId }],
  },
  orderBinding: 'amount',
  refunds: 'merchant',
  // a payer's id belongs to the app its auth code came from: the signing app, or in third-party app mode the
  // merchant's mini program, whose code the exchange redeems with the merchant's app_auth_token (alipay/login.ts)
  payerAppId: (s) => alipayPayerAppId({ appId: s.appId, authAppId: s.auth_app_id, mpAppId: s.mpAppId }),
  checkCreate: (i) => {
    if (i.pay_type === 'codepay' && !ALIPAY_AUTH_CODE.test(i.auth_code ?? '')) throw new ParamError('auth_code: not an Alipay payment code (16-24 digits starting 25-30)');
  },
  // alipay.fund.trans.uni.transfer: 0.10 yuan and up; the answer is synchronous, no transfer notifications
  transfers: {
    payees: { ALIPAY_USER_ID: /^2088\d{12}$/, ALIPAY_OPEN_ID: /^[A-Za-z0-9_-]{10,64}$/, ALIPAY_LOGON_ID: /^(1\d{10}|[^\s@]{1,64}@[^\s@]{1,64}\.[A-Za-z]{2,})$/ },
    minAmount: 10,
    notifications: false,
  },
  // the section's key fields renamed to the provider's own names
  create: (s, ctx) => createAlipayProvider({
    ...(s as Record<string, unknown>), appId: s.appId, sellerId: s.sellerId, appPrivateKeyPem: s.app.privateKeyPem,
    alipayPublicKeyPem: s.alipay?.publicKeyPem, gatewayUrl: s.gatewayUrl, appAuthToken: s.app_auth_token, authAppId: s.auth_app_id,
  }, ctx),
});
