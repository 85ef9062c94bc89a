/**
 * The one way anything in vk-pay raises an alert: the core (a dead-lettered hook, money received for a closed
 * order, a provider answer that does not match the order), the timer (a repaired status mismatch, a provider
 * outage) and the thresholds (error, success, late-notification and refund rates). Every alert is one row of
 * `vk_pay_alerts` in one shape; delivery to webhooks and the one-per-kind-per-window limit belong to monitor/.
 */
import { isDuplicateKeyError } from '../platform/database';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';

export const ALERT_KINDS = [
  // raised by the core
  'hook_dead_letter', 'paid_after_close', 'amount_mismatch', 'double_payment', 'refund_mismatch',
  // a genuine notification that can never be applied: money for an order we do not have, or fields out of bounds
  'orphan_payment', 'notify_refused',
  // payouts: every failed one, and a provider answer that does not match the recorded payout
  'transfer_failed', 'transfer_mismatch',
  // raised by the timer
  'status_mismatch', 'provider_outage',
  // raised by daily reconciliation (services/daily-reconcile.ts)
  'statement_mismatch', 'statement_unreadable',
  // raised by the thresholds (monitor/thresholds.ts)
  'error_rate', 'success_rate', 'notify_late', 'refund_success_rate',
] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertInput {
  kind: AlertKind;
  message: string;
  out_trade_no?: string;
  /**
   * Raise it once: a second alert with the same key is not stored (unique index). For alerts raised by
   * something that may be repeated - a redelivered notification, a retried query - so that a person is told
   * once, and so that the alert can be written beside the work instead of after learning it was new.
   */
  dedupe_key?: string;
}

/** The stored row (`vk_pay_alerts`); `delivered*` fields are set by the delivery in monitor/alerts.ts. */
export interface AlertRow { kind: AlertKind; message: string; out_trade_no?: string; dedupe_key?: string; delivered: false; create_date: number }

/**
 * Stores the alert. Never throws: an alert is a side effect of work that must not fail because of it (the
 * failure is logged). Returns whether the row was written.
 */
export async function raiseAlert(ctx: StoreContext, a: AlertInput): Promise<boolean> {
  const row: AlertRow = { kind: a.kind, message: a.message, delivered: false, create_date: ctx.now() };
  if (a.out_trade_no) row.out_trade_no = a.out_trade_no;
  if (a.dedupe_key) row.dedupe_key = a.dedupe_key;
  try {
    await ctx.dao.add({ dbName: COLLECTIONS.alerts, dataJson: row, cancelAddTime: true });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false; // raised before: once is enough
    console.error('[vk-pay] alert write failed:', (err as Error).message);
    return false;
  }
}
