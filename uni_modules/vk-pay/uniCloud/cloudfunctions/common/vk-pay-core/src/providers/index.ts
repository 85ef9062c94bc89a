/**
 * The providers' public face: one factory per channel, `createProvider(channel, config, ctx)`, the config types,
 * the registry (registry.ts: what the core asks about channels), and mappers from the credentials shape of
 * docs/CONTRACTS.md section 12 (what the sandbox generates and the config holds).
 * Point a provider at the sandbox with `baseUrl: 'http://127.0.0.1:<port>/sandbox/wxpay/'` or
 * `gatewayUrl: 'http://127.0.0.1:<port>/sandbox/alipay/gateway.do'`.
 */
import { createAlipayProvider } from './alipay/provider';
import type { AlipayConfig } from './alipay/config';
import { ParamError } from '../../../../../../common/errors';
import type { PaymentProvider, ProviderContext } from './types';
import { createWxpayProvider } from './wxpay/provider';
import type { WxpayConfig } from './wxpay/config';
import { createWxpayV2Provider } from './wxpay-v2/provider';
import type { WxpayV2Config } from './wxpay-v2/config';
import type { V2SignType } from './wxpay-v2/signing';
import { createAppleiapProvider } from './appleiap/provider';
import type { AppleiapSection } from './appleiap/config';
import { createWxpayVirtualProvider } from './wxpay-virtual/provider';
import type { WxpayVirtualConfig } from './wxpay-virtual/config';

export { createWxpayProvider, createWxpayV2Provider, createAlipayProvider, createAppleiapProvider, createWxpayVirtualProvider };
export type { AppleiapSection };
export type { WxpayVirtualConfig } from './wxpay-virtual/config';
export { fetchWxpayPlatformCertificates } from './wxpay/certificates';
export type { WxpayConfig, WxpayVerifyKeyConfig } from './wxpay/config';
export type { WxpayV2Config } from './wxpay-v2/config';
export type { AlipayConfig } from './alipay/config';
export type { RetryTuning } from './shared';
export { ProviderError, isRetryable } from './error-map';
export * from './types';
export { PROVIDER_DEFINITIONS, CHANNELS, PROVIDER_NAMES, PAY_TYPES, definitionOf, findDefinition, isChannel, channelFor, channelsServing } from './registry';
export type { ProviderDefinition, PayTypeSpec, NotificationKind, CreateCheckInput } from './definition';

/** The provider clients' own config shapes (the providers' names for the keys, before a config section is mapped). */
export interface ProviderConfigs {
  wxpay: WxpayConfig;
  'wxpay-v2': WxpayV2Config;
  alipay: AlipayConfig;
  appleiap: AppleiapSection;
  'wxpay-virtual': WxpayVirtualConfig;
}

/**
 * One provider client for a channel from the client's own config shape; bad or missing keys throw
 * KeyConfigError (40003) naming the field. (The core builds providers from config sections through the
 * registry's `definition.create`.)
 */
export function createProvider<C extends keyof ProviderConfigs>(channel: C, config: ProviderConfigs[C], ctx: ProviderContext): PaymentProvider {
  const factories: { [K in keyof ProviderConfigs]: (c: ProviderConfigs[K], x: ProviderContext) => PaymentProvider } = {
    wxpay: createWxpayProvider, 'wxpay-v2': createWxpayV2Provider, alipay: createAlipayProvider, appleiap: createAppleiapProvider, 'wxpay-virtual': createWxpayVirtualProvider,
  };
  const make = Object.prototype.hasOwnProperty.call(factories, channel) ? factories[channel] : undefined;
  if (!make) throw new ParamError(`unknown channel ${String(channel)}`);
  return make(config, ctx);
}

/** docs/CONTRACTS.md section 12, `wxpay` entry. */
export interface WxpayCredentials {
  appId: string;
  mchId: string;
  apiV3Key: string;
  apiV2Key?: string;
  merchant: { serialNo: string; privateKeyPem: string; publicKeyPem?: string };
  platform?: { publicKeyId: string; publicKeyPem: string; privateKeyPem?: string };
}

/** docs/CONTRACTS.md section 12, `alipay` entry. */
export interface AlipayCredentials {
  appId: string;
  sellerId?: string;
  app: { privateKeyPem: string; publicKeyPem?: string };
  alipay: { publicKeyPem: string; privateKeyPem?: string };
}

export function wxpayConfigFromCredentials(c: WxpayCredentials, baseUrl?: string): WxpayConfig {
  return {
    appId: c.appId, mchId: c.mchId, apiV3Key: c.apiV3Key,
    merchant: { serialNo: c.merchant?.serialNo, privateKeyPem: c.merchant?.privateKeyPem },
    verifyKeys: c.platform ? [{ serial: c.platform.publicKeyId, publicKeyPem: c.platform.publicKeyPem }] : [],
    baseUrl,
  };
}

export function wxpayV2ConfigFromCredentials(c: WxpayCredentials, baseUrl?: string, signType?: V2SignType): WxpayV2Config {
  return { appId: c.appId, mchId: c.mchId, apiV2Key: c.apiV2Key ?? '', signType, baseUrl };
}

export function alipayConfigFromCredentials(c: AlipayCredentials, gatewayUrl?: string): AlipayConfig {
  return {
    appId: c.appId, sellerId: c.sellerId, appPrivateKeyPem: c.app?.privateKeyPem, alipayPublicKeyPem: c.alipay?.publicKeyPem, gatewayUrl,
  };
}
