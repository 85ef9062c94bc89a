/**
 * Which providers and pay types can be offered where the component runs. The server says it (getPayOptions:
 * each configured provider with its pay types and the uni-app platforms each opens on, from its provider
 * registry), so the client names no provider of its own: a provider added on the server shows up here.
 */
import type { PayOptions, PayType, ProviderName } from './api-types';
import { vkPayText, type VkPayMessageKey } from './i18n';

/** A message of the table, or undefined when the table has none for that key (a provider it does not know yet). */
function known(key: string): string | undefined {
  const text = vkPayText(key as VkPayMessageKey);
  return text && text !== key ? text : undefined;
}

/** The provider's name in the app's language (微信支付 / WeChat Pay); its own name when the table has none. */
export function providerName(p: ProviderName): string {
  return known(`vkpay.provider.${p}`) ?? p;
}

/** The payment method's name in the app's language; the same pay_type reads differently per provider. */
export function payTypeName(pt: PayType): string {
  return known(`vkpay.payType.${pt}`) ?? pt;
}

/**
 * The platform tags of where we run: uni's platform name (web, mp-weixin, mp-alipay, app), and for App also
 * `app-ios` / `app-android`, since some pay types exist on one system only (Apple's in-app purchase).
 */
export function platformTags(uniPlatform: string, osName?: string): string[] {
  if (uniPlatform !== 'app') return [uniPlatform];
  const os = (osName ?? '').toLowerCase();
  return os === 'ios' || os === 'android' ? ['app', `app-${os}`] : ['app'];
}

function tagsOf(platform: string | readonly string[]): readonly string[] {
  return typeof platform === 'string' ? platformTags(platform) : platform;
}

/** The pay types of a provider that open where we run, in the server's order. */
export function payTypesFor(options: PayOptions | null | undefined, provider: ProviderName, platform: string | readonly string[]): PayType[] {
  const entry = options?.providers.find((p) => p.provider === provider);
  if (!entry) return [];
  const tags = tagsOf(platform);
  return entry.pay_types.filter((pt) => (entry.platforms?.[pt] ?? []).some((where) => tags.includes(where)));
}

/** The configured providers that have a pay type opening where we run. */
export function providersFor(options: PayOptions | null | undefined, platform: string | readonly string[]): ProviderName[] {
  return (options?.providers ?? []).map((p) => p.provider).filter((p) => payTypesFor(options, p, platform).length > 0);
}
