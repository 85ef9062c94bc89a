/**
 * Why an order closed, kept on the order beside `closed_at` so the payer's result page can say "cancelled",
 * "failed: <reason>" or "expired" from what the server knows, never from a URL. Written with the close
 * transition itself (one update); orders closed before this field existed, or by a path that does not set it,
 * are read through `closeReasonOf`.
 */
import type { TradeQueryResult } from '../providers/types';
import type { OrderDoc } from '../state/order';

export const CLOSE_REASONS = ['cancelled', 'failed', 'expired', 'provider_closed', 'closed', 'create_failed'] as const;
/**
 * cancelled: the payer backed out and the provider confirmed the close · failed: the provider says the payment was
 * attempted and refused (WeChat PAYERROR/REVOKED) · expired: not paid in time · provider_closed: closed at the
 * provider for another reason · closed: closed by the owner or an admin · create_failed: the provider refused it.
 */
export type CloseReason = (typeof CLOSE_REASONS)[number];

export interface CloseFields { closed_at: number; close_reason: CloseReason; provider_state?: string; provider_reason?: string }

const FAILED_PROVIDER_STATES = new Set(['PAYERROR', 'REVOKED']);

/** The fields a close decided by a provider answer writes (services/reconcile.ts: queries, the timer, admin sync). */
export function closeFieldsFromAnswer(answer: Pick<TradeQueryResult, 'state' | 'provider_state' | 'provider_reason'>, order: Pick<OrderDoc, 'expires_at'>, now: number): CloseFields {
  const failed = answer.provider_state !== undefined && FAILED_PROVIDER_STATES.has(answer.provider_state);
  const reason: CloseReason = failed ? 'failed' : answer.state === 'closed' && order.expires_at > now ? 'provider_closed' : 'expired';
  const fields: CloseFields = { closed_at: now, close_reason: reason };
  if (answer.provider_state) fields.provider_state = answer.provider_state;
  if (failed && answer.provider_reason) fields.provider_reason = answer.provider_reason;
  return fields;
}

/** The reason of a closed order: the stored one, else what its history and times say. */
export function closeReasonOf(order: Pick<OrderDoc, 'status' | 'expires_at' | 'closed_at' | 'history'> & { close_reason?: string }): CloseReason | undefined {
  if (order.status !== 'closed') return undefined;
  if ((CLOSE_REASONS as readonly string[]).includes(order.close_reason ?? '')) return order.close_reason as CloseReason;
  const close = [...(order.history ?? [])].reverse().find((h) => h.event === 'close');
  if (close?.source === 'create_failed') return 'create_failed';
  if (close?.source === 'close') return 'closed';
  return (order.closed_at ?? close?.at ?? 0) >= order.expires_at ? 'expired' : 'provider_closed';
}
