/**
 * Small helpers every provider needs: context defaults, Beijing-time formatting (both gateways speak UTC+8
 * whatever the host's zone), input checks at the interface edge, and the retry wiring.
 */
import { ParamError } from '../../../../../../common/errors';
import { isFen } from '../../../../../../common/money';
import { withRetry, type AttemptInfo } from '../platform/retry';
import { isRetryable } from './error-map';
import type { CreateOrderInput, ProviderContext, RefundInput } from './types';

/** Optional retry tuning on a provider's config (the time budget itself comes from ProviderContext). */
export interface RetryTuning {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export const DEFAULT_BUDGET_MS = 8_000;
export const DEFAULT_TIMEOUT_MS = 5_000;

export function clockOf(ctx: ProviderContext): () => number {
  return ctx.now ?? Date.now;
}

/** Runs one gateway call with the context's budget and the config's tuning; `run` re-signs per attempt. */
export function retrying<T>(ctx: ProviderContext, tuning: RetryTuning | undefined, run: (info: AttemptInfo) => Promise<T>): Promise<T> {
  return withRetry(run, {
    budgetMs: ctx.budgetMs ?? DEFAULT_BUDGET_MS,
    timeoutMs: ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    isRetryable,
    ...tuning,
  });
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function beijing(ms: number): Date {
  return new Date(ms + 8 * 3600_000);
}

/** RFC 3339 with +08:00, e.g. 2018-06-08T10:34:56+08:00 (WeChat v3 time_expire). */
export function toRfc3339Beijing(ms: number): string {
  const d = beijing(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+08:00`;
}

/** yyyyMMddHHmmss in Beijing time (WeChat v2 time_expire / time_end). */
export function toCompactBeijing(ms: number): string {
  const d = beijing(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** Parses yyyyMMddHHmmss (Beijing) to ms epoch. */
export function parseCompactBeijing(text: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text ?? '');
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - 8 * 3600_000;
}

/** RFC 3339 to ms epoch; undefined when absent or malformed. */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Merchant order numbers: WeChat allows 6-32 of [A-Za-z0-9_-|*], Alipay up to 64; the common subset. */
const TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

export function checkCreateInput(input: CreateOrderInput): void {
  if (!input || typeof input !== 'object') throw new ParamError('createOrder input missing');
  if (typeof input.out_trade_no !== 'string' || !TRADE_NO.test(input.out_trade_no)) throw new ParamError('out_trade_no must be 6-32 of [A-Za-z0-9_-|*]');
  if (!isFen(input.amount)) throw new ParamError('amount must be a positive integer number of fen');
  if (typeof input.subject !== 'string' || input.subject.trim() === '') throw new ParamError('subject missing');
  if (typeof input.notify_url !== 'string' || !/^https?:\/\//.test(input.notify_url)) throw new ParamError('notify_url must be an http(s) URL');
  if (!Number.isFinite(input.expires_at)) throw new ParamError('expires_at must be a ms epoch');
}

export function checkRefundInput(input: RefundInput): void {
  if (!input || typeof input !== 'object') throw new ParamError('refund input missing');
  if (typeof input.out_trade_no !== 'string' || input.out_trade_no === '') throw new ParamError('out_trade_no missing');
  if (typeof input.out_refund_no !== 'string' || !/^[A-Za-z0-9_\-|*@]{1,64}$/.test(input.out_refund_no)) throw new ParamError('out_refund_no must be 1-64 of [A-Za-z0-9_-|*@]');
  if (!isFen(input.refund_amount)) throw new ParamError('refund_amount must be a positive integer number of fen');
  if (!isFen(input.total_amount)) throw new ParamError('total_amount must be a positive integer number of fen');
  if (input.refund_amount > input.total_amount) throw new ParamError('refund_amount exceeds total_amount');
}

/** Joins a configured base URL (which may carry a path prefix such as /sandbox/wxpay/) with an API path. */
export function joinUrl(baseUrl: string, apiPath: string): URL {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${base.origin}${prefix}${apiPath}`);
}

/** Parses `yyyy-MM-dd HH:mm:ss` (Beijing) to ms epoch (v2 refund success_time; Alipay uses the same). */
export function parseDashedBeijing(text: string | undefined): number | undefined {
  // Alipay's gmt_refund carries milliseconds ("2008-10-29 20:38:00.123"); the other times do not
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text ?? '');
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms) - 8 * 3600_000;
}

/** A decimal-digits string of fen ("100") as a number; ParamError otherwise. */
export function fenFromDigits(value: unknown, field: string): number {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ParamError(`${field} is not an integer number of fen`);
  return Number(value);
}
