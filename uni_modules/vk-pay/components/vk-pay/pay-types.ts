/**
 * Which providers and pay types can be offered where the component runs. The server says it (getPayOptions:
 * each configured provider with its pay types and the uni-app platforms each opens on, from its provider
 * registry), so the client names no provider of its own: a provider added on the server shows up here.
 */
import type { PayOptions, PayType, ProviderName } from './api-types';
import { messages, vkPayText, type VkPayMessageKey } from './i18n';

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
export function platformTags(uniPlatform: string, osName?: string, inWeixinBrowser = false): string[] {
  // WeChat's built-in browser is a web page with WeChat's JSAPI bridge: `web-weixin` narrows `web` to it
  if (uniPlatform === 'web') return inWeixinBrowser ? ['web', 'web-weixin'] : ['web'];
  if (uniPlatform !== 'app') return [uniPlatform];
  const os = (osName ?? '').toLowerCase();
  return os === 'ios' || os === 'android' ? ['app', `app-${os}`] : ['app'];
}

function tagsOf(platform: string | readonly string[]): readonly string[] {
  return typeof platform === 'string' ? platformTags(platform) : platform;
}

/** True inside WeChat's built-in browser (its user agent names MicroMessenger; mini programs are not browsers). */
export function isWeixinBrowser(userAgent: string | undefined): boolean {
  return /MicroMessenger/i.test(userAgent ?? '');
}

/**
 * Why a pay type cannot be opened where we run, as a message key (undefined when it can): the first platform the
 * server says it opens on names where to go instead ("open this page in WeChat"); `none` when the provider does
 * not offer it at all.
 */
export function unavailableReason(options: PayOptions | null | undefined, provider: ProviderName, payType: PayType, platform: string | readonly string[]): VkPayMessageKey | undefined {
  const entry = options?.providers.find((p) => p.provider === provider);
  if (!entry || !entry.pay_types.includes(payType)) return 'vkpay.unavailable.other';
  const where = entry.platforms?.[payType] ?? [];
  const tags = tagsOf(platform);
  if (where.some((w) => tags.includes(w))) return undefined;
  const key = `vkpay.unavailable.${where[0] ?? 'other'}`;
  return key in messages['zh-Hans'] ? (key as VkPayMessageKey) : 'vkpay.unavailable.other';
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
