/**
 * The component's words, one message table per language (uni-app's convention for uni_modules components, as
 * uni-ui does it): zh-Hans first, English when `uni.getLocale()` says so. `initVueI18n` follows the app's locale,
 * including `uni.setLocale()` at run time (templates re-render through the app's reactive `$locale`).
 */
import { initVueI18n } from '@dcloudio/uni-i18n';
import en from './en.json';
import zhHans from './zh-Hans.json';

export const messages = { en, 'zh-Hans': zhHans };

export type VkPayMessageKey = keyof typeof zhHans;

// uni-ui's call form: the messages alone, the locale read from the app when it is ready (on mini-programs `uni`
// may not exist yet while modules load); the package's .d.ts lists only the long form.
const { t } = (initVueI18n as unknown as (m: typeof messages) => ReturnType<typeof initVueI18n>)(messages);

/** A message of the component's table, `{name}` filled from `values`. */
export function vkPayText(key: VkPayMessageKey, values?: Record<string, unknown>): string {
  return t(key, values);
}
