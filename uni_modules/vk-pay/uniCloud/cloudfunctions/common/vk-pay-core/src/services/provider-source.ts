/**
 * Providers built from the validated config: each channel's config section is handed to the providers'
 * `createProvider` (Alipay's key fields renamed to the provider's names). HTTP goes through uniCloud.httpclient
 * on uniCloud and Node's fetch elsewhere.
 */
import type { VkPayConfig } from '../config/schema';
import type { HttpClient } from '../platform/http';
import { createFetchHttpClient } from '../platform/http-fetch';
import { createUniCloudHttpClient } from '../platform/http-unicloud';
import { createProvider, type AlipayConfig as ProviderAlipayConfig, type WxpayConfig, type WxpayV2Config } from '../providers';
import type { Channel, PaymentProvider } from '../providers/types';

declare const uniCloud: { httpclient?: unknown } | undefined;

export function defaultHttpClient(): HttpClient {
  return typeof uniCloud !== 'undefined' && uniCloud?.httpclient ? createUniCloudHttpClient() : createFetchHttpClient();
}

export function providersFromConfig(opts: { http?: HttpClient; now?: () => number } = {}): (channel: Channel, section: unknown) => PaymentProvider {
  const http = opts.http ?? defaultHttpClient();
  const ctx = { http, now: opts.now };
  return (channel, section) => {
    if (channel === 'alipay') {
      const a = section as NonNullable<VkPayConfig['providers']['alipay']> & Partial<ProviderAlipayConfig>;
      return createProvider('alipay', {
        ...a,
        appId: a.appId, sellerId: a.sellerId, appPrivateKeyPem: a.app.privateKeyPem, alipayPublicKeyPem: a.alipay.publicKeyPem, gatewayUrl: a.gatewayUrl,
      }, ctx);
    }
    if (channel === 'wxpay-v2') return createProvider('wxpay-v2', section as WxpayV2Config, ctx);
    return createProvider('wxpay', section as WxpayConfig, ctx);
  };
}
