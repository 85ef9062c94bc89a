/**
 * Alerts the core raises (a dead-lettered hook, money received for a closed order, a provider answer that does
 * not match the order). Stored in `vk_pay_alerts`; delivery to webhooks and rate limiting belong to the
 * monitoring part, which reads this collection.
 */
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';

export type AlertKind = 'hook_dead_letter' | 'paid_after_close' | 'amount_mismatch' | 'double_payment' | 'refund_mismatch';

export async function raiseAlert(ctx: StoreContext, a: { kind: AlertKind; out_trade_no?: string; message: string }): Promise<void> {
  try {
    await ctx.dao.add({ dbName: COLLECTIONS.alerts, dataJson: { ...a, delivered: false, create_date: ctx.now() }, cancelAddTime: true });
  } catch (err) {
    console.error('[vk-pay] alert write failed:', (err as Error).message);
  }
}
