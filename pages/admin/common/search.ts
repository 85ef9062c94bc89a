/**
 * The order search form, checked before a request is made: dates as YYYY-MM-DD (China days, the "to" day
 * included) or YYYY-MM-DD HH:mm, a real calendar date, from not after to; the status and provider from their
 * lists; an order number of letters, digits, _ and -. A bad field is a message naming it, never a request.
 */
import { ORDER_STATUSES } from '../../../uni_modules/vk-pay/common/status';
import type { MessageKey } from '../../../locale';

export const STATUS_CHOICES = ['', ...ORDER_STATUSES] as const;
/** Until the server has listed its providers (getPayOptions), the two every config has served so far. */
export const PROVIDER_CHOICES: readonly string[] = ['', 'wxpay', 'alipay'];

export interface SearchForm { out_trade_no: string; user_id: string; status: string; provider: string; from: string; to: string }
export interface OrderSearch { out_trade_no?: string; user_id?: string; status?: string; provider?: string; from?: number; to?: number }
export type SearchResult = { ok: true; search: OrderSearch } | { ok: false; problem: { key: MessageKey; values?: Record<string, unknown> } };

const CHINA = 8 * 3600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/;

/** ms epoch of a China wall-clock date (start of the day, or of the minute), or undefined when not a real date. */
export function parseChinaDate(text: string, endOfDay = false): number | undefined {
  const m = DATE.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? undefined : Number(m[4]), m[5] === undefined ? undefined : Number(m[5])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || (h !== undefined && h > 23) || (mi !== undefined && mi > 59)) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h ?? 0, mi ?? 0);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined; // 02-30
  const start = utc - CHINA;
  if (h === undefined) return endOfDay ? start + 86_400_000 - 1 : start;
  return endOfDay ? start + 59_999 : start;
}

/** `providers`: the provider names the server serves (getPayOptions), so a provider added there is searchable. */
export function parseSearch(form: SearchForm, providers: readonly string[] = PROVIDER_CHOICES): SearchResult {
  const search: OrderSearch = {};
  const no = form.out_trade_no.trim();
  if (no) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(no)) return { ok: false, problem: { key: 'orders.bad.no' } };
    search.out_trade_no = no;
  }
  const user = form.user_id.trim();
  if (user) {
    if (user.length > 64) return { ok: false, problem: { key: 'orders.bad.user' } };
    search.user_id = user;
  }
  if (form.status) {
    if (!(ORDER_STATUSES as readonly string[]).includes(form.status)) return { ok: false, problem: { key: 'orders.bad.status', values: { status: form.status } } };
    search.status = form.status;
  }
  if (form.provider) {
    if (!providers.includes(form.provider)) return { ok: false, problem: { key: 'orders.bad.provider', values: { provider: form.provider } } };
    search.provider = form.provider;
  }
  if (form.from.trim()) {
    const from = parseChinaDate(form.from);
    if (from === undefined) return { ok: false, problem: { key: 'orders.bad.date', values: { value: form.from.trim() } } };
    search.from = from;
  }
  if (form.to.trim()) {
    const to = parseChinaDate(form.to, true);
    if (to === undefined) return { ok: false, problem: { key: 'orders.bad.date', values: { value: form.to.trim() } } };
    search.to = to;
  }
  if (search.from !== undefined && search.to !== undefined && search.from > search.to) return { ok: false, problem: { key: 'orders.bad.range' } };
  return { ok: true, search };
}
