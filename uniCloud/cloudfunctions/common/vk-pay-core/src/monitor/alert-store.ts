/**
 * Alerts as stored rows (`vk_pay_alerts`, the collection the core's `raiseAlert` writes, same shape), plus a
 * per-kind state document (`vk_pay_alert_kinds`, `_id` = kind) whose timestamps are moved by conditional
 * updates: that is how "at most one per kind per window" holds across concurrent timer runs and instances.
 */
import { isDuplicateKeyError } from '../platform/database';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';

export const ALERT_KINDS_COLLECTION = 'vk_pay_alert_kinds';

/** The core's kinds (outbox/alerts.ts) and the monitor's own. */
export type MonitorAlertKind =
  | 'hook_dead_letter' | 'paid_after_close' | 'amount_mismatch' | 'double_payment' | 'refund_mismatch'
  | 'status_mismatch' | 'provider_outage' | 'error_rate' | 'success_rate' | 'notify_late' | 'refund_success_rate';

export interface AlertDoc {
  _id?: string;
  kind: string;
  out_trade_no?: string;
  message: string;
  delivered: boolean;
  create_date: number;
  delivered_at?: number;
  /** per-target outcome of the delivery that carried this alert */
  delivery?: Array<{ target: string; ok: boolean; status?: number; error?: string }>;
}

export async function recordAlert(ctx: StoreContext, a: { kind: MonitorAlertKind; message: string; out_trade_no?: string }): Promise<boolean> {
  try {
    const row: Record<string, unknown> = { kind: a.kind, message: a.message, delivered: false, create_date: ctx.now() };
    if (a.out_trade_no) row.out_trade_no = a.out_trade_no;
    await ctx.dao.add({ dbName: COLLECTIONS.alerts, dataJson: row, cancelAddTime: true });
    return true;
  } catch (err) {
    console.error('[vk-pay] alert write failed:', (err as Error).message);
    return false;
  }
}

/**
 * Moves `field` of the kind's document to `now` when it is older than `now - windowMs` (or absent): true for the
 * one caller that moved it. The document is created on first use; a concurrent creator loses on the unique _id.
 */
export async function takeKindSlot(ctx: StoreContext, kind: string, field: 'last_raised_at' | 'last_sent_at', windowMs: number, now: number): Promise<boolean> {
  const _ = ctx.db.command;
  const moved = await ctx.dao.update({
    dbName: ALERT_KINDS_COLLECTION,
    whereJson: { _id: kind, [field]: _.or(_.exists(false), _.lte(now - windowMs)) },
    dataJson: { [field]: now },
  });
  if (moved === 1) return true;
  const exists = await ctx.dao.findById({ dbName: ALERT_KINDS_COLLECTION, id: kind });
  if (exists) return false;
  try {
    await ctx.dao.add({ dbName: ALERT_KINDS_COLLECTION, dataJson: { _id: kind, [field]: now }, cancelAddTime: true });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

/** Gives a slot back (a delivery that reached no target should be retried, not silenced for the window). */
export async function returnKindSlot(ctx: StoreContext, kind: string, field: 'last_raised_at' | 'last_sent_at', takenAt: number): Promise<void> {
  await ctx.dao.update({ dbName: ALERT_KINDS_COLLECTION, whereJson: { _id: kind, [field]: takenAt }, dataJson: { [field]: 0 } });
}

/** Raises an alert of a condition that persists (outage, thresholds) at most once per window. */
export async function raiseThrottled(ctx: StoreContext, a: { kind: MonitorAlertKind; message: string }, windowMs: number, now = ctx.now()): Promise<boolean> {
  if (!(await takeKindSlot(ctx, a.kind, 'last_raised_at', windowMs, now))) return false;
  return recordAlert(ctx, a);
}
