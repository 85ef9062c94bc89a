/**
 * Turns whatever ended a payment into what the PAYER is shown: the error table's payer words for a code
 * (describeError), or the component's own words for an order that closed, failed, expired or was not confirmed
 * in time. The developer's detail (the server's message, the platform's errMsg) rides along in `detail` for the
 * app's `fail` handler and the console, and is never part of the words shown.
 */
import { VkPayError, describeError, developerMessage, isErrorCode, toVkPayError } from '../../common/errors';
import type { PayFailure } from './api-types';
import type { VkPayMessageKey } from './i18n';

export type Lang = 'zh' | 'en';
export type Translate = (key: VkPayMessageKey, values?: Record<string, unknown>) => string;

/**
 * What the server said beyond the table's developer words: its envelope msg is "<dev message>: <detail>", so the
 * table part is cut off; nothing is left when it said no more.
 */
export function extraDetail(code: number, text: string | undefined): string | undefined {
  if (!text) return undefined;
  const dev = developerMessage(isErrorCode(code) && code !== 0 ? code : 50000);
  if (text === dev) return undefined;
  if (text.startsWith(`${dev}: `)) return text.slice(dev.length + 2) || undefined;
  return text;
}

export function failureFromError(err: unknown, lang: Lang, out_trade_no?: string): PayFailure {
  const e: VkPayError = toVkPayError(err);
  const { msg, action } = describeError(e.code, lang);
  return { reason: 'error', code: e.code, msg, action, detail: extraDetail(e.code, e.detail), out_trade_no };
}

/** The closes and endings the component words itself (the server's close_reason picks among them). */
export type EndingReason = 'closed' | 'expired' | 'timeout' | 'cancelled' | 'failed' | 'sheet';

export function failureFor(reason: EndingReason, t: Translate, out_trade_no?: string, providerReason?: string): PayFailure {
  const msg = t(`vkpay.${reason}.msg` as VkPayMessageKey);
  const action = t(`vkpay.${reason}.action` as VkPayMessageKey);
  const failure: PayFailure = { reason: reason === 'expired' ? 'closed' : reason === 'sheet' ? 'failed' : reason, msg, action, out_trade_no };
  // the provider's own words to the payer ("银行卡余额不足") say why, in the payer's terms: shown on their own line
  if (providerReason) failure.provider_reason = providerReason;
  return failure;
}

/** Errors worth another poll: the table marks network, rate-limit and busy errors as retryable. */
export function isTransient(err: unknown): boolean {
  return toVkPayError(err).retryable;
}

/** The developer's view of a failure, for the console (never the modal). */
export function logFailure(failure: PayFailure, cause?: unknown): void {
  if (typeof console === 'undefined') return;
  const parts = [`[vk-pay] ${failure.reason}`, failure.code ? `code ${failure.code}` : '', failure.out_trade_no ?? '', failure.detail ?? ''].filter(Boolean);
  console.warn(parts.join(' · '), ...(cause instanceof Error ? [cause] : []));
}
