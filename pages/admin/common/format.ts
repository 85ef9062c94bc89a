/** Small display helpers shared by the admin screens. */
import { describeError, toVkPayError } from '../../../uni_modules/vk-pay/common/errors';
import { fenToYuan } from '../../../uni_modules/vk-pay/common/money';
import { lang, t } from '../../../locale';

export { formatTime } from '../../../locale';

export function yuan(fen: unknown): string {
  return typeof fen === 'number' && Number.isFinite(fen) ? `¥${fenToYuan(fen)}` : '';
}

/** A failed admin call in the admin's words; the server's detail (safe, never a stack) after it, for admins. */
export function explain(err: unknown): string {
  const e = toVkPayError(err);
  const d = describeError(e.code, lang());
  const detail = e.detail && e.code !== 50000 ? e.detail : '';
  return `${t('common.errorLine', { msg: d.msg, action: d.action })}${detail ? ` (${e.code}: ${detail})` : ` (${e.code})`}`;
}

export function percent(rate: number | null | undefined): string {
  return typeof rate === 'number' ? `${Math.round(rate * 1000) / 10}%` : '–';
}

/** The words for an order status (paid, pending, ...). */
export function statusText(status: string, closeReason?: string): string {
  if (status === 'closed' && closeReason) return `${t('status.closed')} · ${t(`close.${closeReason}` as Parameters<typeof t>[0])}`;
  return t(`status.${status}` as Parameters<typeof t>[0]);
}
