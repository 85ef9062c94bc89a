/**
 * Which pay_type fits which uni-app platform (docs/CONTRACTS.md section 6): a mini-program pays with its own provider's
 * `mp`, App with `app`, H5 with a payment page or a QR code (WeChat `jsapi` only inside WeChat's browser).
 */
import type { PayType, ProviderName } from './api-types';
import { vkPayText, type VkPayMessageKey } from './i18n';

/** The provider's name in the app's language (微信支付 / WeChat Pay). */
export function providerName(p: ProviderName): string {
  return vkPayText(`vkpay.provider.${p}` as VkPayMessageKey);
}

/** The payment method's name in the app's language; the same pay_type reads differently per provider. */
export function payTypeName(pt: PayType): string {
  return vkPayText(`vkpay.payType.${pt}` as VkPayMessageKey);
}

const BY_PLATFORM: Record<string, Partial<Record<ProviderName, PayType[]>>> = {
  web: { wxpay: ['native', 'h5', 'jsapi'], alipay: ['page', 'wap', 'qr'] },
  'mp-weixin': { wxpay: ['mp'] },
  'mp-alipay': { alipay: ['mp'] },
  app: { wxpay: ['app'], alipay: ['app'] },
};

export function payTypesFor(provider: ProviderName, platform: string): PayType[] {
  return BY_PLATFORM[platform]?.[provider] ?? [];
}

export function providersFor(platform: string): ProviderName[] {
  const entry = BY_PLATFORM[platform];
  return entry ? (Object.keys(entry) as ProviderName[]) : ['wxpay', 'alipay'];
}
