/**
 * The demo app's words (checkout, result and the admin console), one table per language in this folder - the
 * folder uni-app also reads for `%key%` page titles in pages.json. zh-Hans first; English when `uni.getLocale()`
 * says so. `t()` follows `uni.setLocale()` at run time: templates re-render through the app's reactive `$locale`.
 */
import { initVueI18n } from '@dcloudio/uni-i18n';
import en from './en.json';
import zhHans from './zh-Hans.json';

export const messages = { en, 'zh-Hans': zhHans };
export type MessageKey = keyof typeof zhHans;

// uni-ui's call form (messages only): the locale comes from the app when it is ready.
const i18n = (initVueI18n as unknown as (m: typeof messages) => ReturnType<typeof initVueI18n>)(messages);

export function t(key: MessageKey, values?: Record<string, unknown>): string {
  return i18n.t(key, values);
}

/** The error table's language for the current locale ('zh' unless English). */
export function lang(): 'zh' | 'en' {
  return t('lang') === 'en' ? 'en' : 'zh';
}

export const LOCALES = [{ code: 'zh-Hans', label: '中文' }, { code: 'en', label: 'English' }] as const;

/** Switches the app's language (uni-app keeps the choice; pages and the <vk-pay> component follow). */
export function switchLocale(code: string): void {
  if (typeof uni !== 'undefined' && typeof uni.setLocale === 'function') uni.setLocale(code);
}

/** Local date and time for tables: 2026-12-02 11:04:05 (China time, as the payments are). */
export function formatTime(ms: number | undefined | null): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
