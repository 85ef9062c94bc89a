/**
 * The cashier's words: one message table per language (zh-Hans first, as the real cashiers are Chinese), chosen
 * by `?lang=` or the browser's Accept-Language, the way a real cashier follows the phone's language.
 */
import en from './en.json';
import zhHans from './zh-Hans.json';

export type CashierLocale = 'zh-Hans' | 'en';
export type CashierKey = keyof typeof zhHans;

const TABLES: Record<CashierLocale, Record<CashierKey, string>> = { 'zh-Hans': zhHans, en };

/** `?lang=en|zh-Hans` wins; else English only when the browser's first language is English. */
export function cashierLocale(query: URLSearchParams, acceptLanguage: string | undefined): CashierLocale {
  const asked = query.get('lang');
  if (asked === 'en' || asked === 'zh-Hans') return asked;
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'zh-Hans';
}

export function cashierText(locale: CashierLocale): (key: CashierKey, vars?: Record<string, string>) => string {
  const table = TABLES[locale];
  return (key, vars = {}) => table[key].replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}
