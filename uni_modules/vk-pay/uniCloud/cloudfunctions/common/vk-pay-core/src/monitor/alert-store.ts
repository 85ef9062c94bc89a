/**
 * Alerts as stored rows (`vk_pay_alerts`, written only by outbox/alerts.ts `raiseAlert`), plus a
 * per-kind state document (`vk_pay_alert_kinds`, `_id` = kind) whose timestamps are moved by conditional
 * updates: that is how "at most one per kind per window" holds across concurrent timer runs and instances.
 */
import { isDuplicateKeyError } from '../platform/database';
import { raiseAlert, type AlertInput } from '../outbox/alerts';
import type { StoreContext } from '../state/transition';

export const ALERT_KINDS_COLLECTION = 'vk_pay_alert_kinds';

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

/** Raises an alert of a condition that persists (outage, thresholds) at most once per window, through raiseAlert. */
export async function raiseThrottled(ctx: StoreContext, a: AlertInput, windowMs: number, now = ctx.now()): Promise<boolean> {
  if (!(await takeKindSlot(ctx, a.kind, 'last_raised_at', windowMs, now))) return false;
  return raiseAlert(ctx, a);
}
