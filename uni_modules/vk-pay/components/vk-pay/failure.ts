/**
 * Turns whatever ended a payment into what the person is shown: the error table's message and action for a code
 * (describeError), or the fixed wording for an order that closed or was not confirmed in time.
 */
import { VkPayError, describeError, toVkPayError } from '../../common/errors';
import type { PayFailure } from './api-types';

export type Lang = 'zh' | 'en';

const WORDING = {
  closed: {
    zh: { msg: '订单已关闭，未支付', action: '请重新发起支付' },
    en: { msg: 'the order was closed without payment', action: 'start a new payment' },
  },
  timeout: {
    zh: { msg: '暂未确认支付结果', action: '稍后查询订单；订单已保存，支付成功会自动到账' },
    en: { msg: 'the payment is not confirmed yet', action: 'query the order later; it is kept and credited once confirmed' },
  },
} as const;

/**
 * What the server said beyond the table's own words: its envelope msg is "<table message>: <detail>", so the
 * table part (which the modal already shows) is cut off; nothing is left when it said no more.
 */
export function extraDetail(code: number, text: string | undefined): string | undefined {
  if (!text) return undefined;
  let rest = text;
  for (const lang of ['en', 'zh'] as const) {
    const table = describeError(code, lang).msg;
    if (rest === table) return undefined;
    if (rest.startsWith(`${table}: `)) rest = rest.slice(table.length + 2);
  }
  return rest || undefined;
}

export function failureFromError(err: unknown, lang: Lang, out_trade_no?: string): PayFailure {
  const e: VkPayError = toVkPayError(err);
  const { msg, action } = describeError(e.code, lang);
  return { reason: 'error', code: e.code, msg, action, detail: extraDetail(e.code, e.detail), out_trade_no };
}

export function failureFor(reason: 'closed' | 'timeout', lang: Lang, out_trade_no?: string): PayFailure {
  const w = WORDING[reason][lang];
  return { reason, msg: w.msg, action: w.action, out_trade_no };
}

/** Errors worth another poll: the table marks network, rate-limit and busy errors as retryable. */
export function isTransient(err: unknown): boolean {
  return toVkPayError(err).retryable;
}
