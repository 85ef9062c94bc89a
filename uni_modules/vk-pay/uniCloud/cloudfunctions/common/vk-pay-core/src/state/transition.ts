/**
 * The ONE function that moves an order from one status to another (docs/CONTRACTS.md section 9). Each move is a
 * single-document conditional update `where({ out_trade_no, status: _.in(from) })` - the only write uniCloud
 * makes atomic - that also appends to `history`. The caller learns whether THIS call made the change, which is
 * what makes side effects exactly-once: only the winner of the update may treat the move as its own.
 */
import { ORDER_TRANSITIONS, assertTransitionTable, type OrderEvent } from '../../../../../../common/status';
import type { BaseDao } from '../dao/types';
import type { Database } from '../platform/database';
import { COLLECTIONS } from './collections';

export interface StoreContext {
  dao: BaseDao;
  db: Database;
  now: () => number;
}

// Checked once, when the core is loaded: a table that names an unknown status or regresses never ships.
assertTransitionTable(ORDER_TRANSITIONS);

export interface TransitionRequest {
  out_trade_no: string;
  event: OrderEvent;
  /** what caused the move (notify, query, close, timer, refund, ...) */
  source: string;
  /** fields written together with the status (transaction_id, paid_at, refund totals, ...) */
  set?: Record<string, unknown>;
  /** extra conditions that must hold in the same atomic update (e.g. a refund not yet settled) */
  where?: Record<string, unknown>;
}

/** Applies one transition; returns true only when this call changed the order. */
export async function transitionOrder(ctx: StoreContext, req: TransitionRequest): Promise<boolean> {
  const { from, to } = ORDER_TRANSITIONS[req.event];
  const _ = ctx.db.command;
  const at = ctx.now();
  const updated = await ctx.dao.update({
    dbName: COLLECTIONS.orders,
    whereJson: { ...req.where, out_trade_no: req.out_trade_no, status: _.in([...from]) },
    dataJson: {
      ...req.set,
      status: to,
      update_date: at,
      history: _.push({ event: req.event, to, at, source: req.source }),
    },
  });
  return updated === 1;
}

/**
 * Payment confirmed (notification, query or timer). A pending order becomes paid; a closed one becomes paid with
 * `paid_after_close` (money was received). Returns which event this call applied, or null if the order was
 * already paid (or further) - by this payment or a concurrent copy of it.
 */
export async function markPaid(
  ctx: StoreContext,
  p: { out_trade_no: string; amount: number; transaction_id: string; paid_at: number; source: string; knownStatus?: string },
): Promise<'pay' | 'pay_after_close' | null> {
  const set = { transaction_id: p.transaction_id, paid_at: p.paid_at, refundable_remaining: p.amount };
  const afterClose = { ...set, paid_after_close: true };
  // Try the move the last read suggests first, so the common case is one round trip.
  const order: Array<'pay' | 'pay_after_close'> = p.knownStatus === 'closed' ? ['pay_after_close', 'pay'] : ['pay', 'pay_after_close'];
  for (const event of order) {
    const changed = await transitionOrder(ctx, { out_trade_no: p.out_trade_no, event, source: p.source, set: event === 'pay' ? set : afterClose });
    if (changed) return event;
  }
  return null;
}
