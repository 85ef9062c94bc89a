/**
 * Which pay_type fits which uni-app platform (docs/CONTRACTS.md section 6): a mini-program pays with its own provider's
 * `mp`, App with `app`, H5 with a payment page or a QR code (WeChat `jsapi` only inside WeChat's browser).
 */
import type { PayType, ProviderName } from './api-types';

export const PROVIDER_NAMES: Record<ProviderName, string> = { wxpay: 'WeChat Pay', alipay: 'Alipay' };

export const PAY_TYPE_NAMES: Record<PayType, string> = {
  jsapi: 'In WeChat (JSAPI)',
  mp: 'Mini-program',
  app: 'App',
  h5: 'Mobile web (H5)',
  native: 'QR code (Native)',
  wap: 'Mobile web (WAP)',
  page: 'Desktop web page',
  qr: 'QR code',
};

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
