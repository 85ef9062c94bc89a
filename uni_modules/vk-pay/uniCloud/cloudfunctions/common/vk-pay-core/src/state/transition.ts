/**
 * The ONE function that moves a status (docs/CONTRACTS.md section 9), for orders and for refund records alike. Each
 * move is a single-document conditional update `where({ <key>, status: _.in(from) })` - the only write uniCloud
 * makes atomic - that also appends to `history`. The caller learns whether THIS call made the change, which is
 * what makes side effects exactly-once: only the winner of the update may treat the move as its own. Whatever
 * must happen exactly once with the move (the transaction id, the business hook that becomes due) is written
 * by the same update through `set`.
 */
import {
  ORDER_TRANSITIONS, REFUND_TRANSITIONS, assertRefundTable, assertTransitionTable, type OrderEvent, type RefundEvent,
} from '../../../../../../common/status';
import type { BaseDao } from '../dao/types';
import type { Database } from '../platform/database';
import { COLLECTIONS } from './collections';
import { TRANSFER_TRANSITIONS, type TransferEvent } from './transfer-status';

export interface StoreContext {
  dao: BaseDao;
  db: Database;
  now: () => number;
}

// Checked once, when the core is loaded: a table that names an unknown status or regresses never ships.
assertTransitionTable(ORDER_TRANSITIONS);
assertRefundTable(REFUND_TRANSITIONS);

export interface TransitionRequest {
  out_trade_no: string;
  event: OrderEvent;
  /** what caused the move (notify, query, close, timer, refund, ...) */
  source: string;
  /** fields written together with the status (transaction_id, paid_at, refund totals, the due hook, ...) */
  set?: Record<string, unknown>;
  /** extra conditions that must hold in the same atomic update (e.g. a refund not yet settled) */
  where?: Record<string, unknown>;
}

interface Move { dbName: string; key: Record<string, unknown>; from: readonly string[]; to: string; event: string; source: string; set?: Record<string, unknown>; where?: Record<string, unknown> }

async function move(ctx: StoreContext, m: Move): Promise<boolean> {
  const _ = ctx.db.command;
  const at = ctx.now();
  const updated = await ctx.dao.update({
    dbName: m.dbName,
    whereJson: { ...m.where, ...m.key, status: _.in([...m.from]) },
    dataJson: { ...m.set, status: m.to, update_date: at, history: _.push({ event: m.event, to: m.to, at, source: m.source }) },
  });
  return updated === 1;
}

/** Applies one order transition; returns true only when this call changed the order. */
export function transitionOrder(ctx: StoreContext, req: TransitionRequest): Promise<boolean> {
  const { from, to } = ORDER_TRANSITIONS[req.event];
  return move(ctx, { dbName: COLLECTIONS.orders, key: { out_trade_no: req.out_trade_no }, from, to, event: req.event, source: req.source, set: req.set, where: req.where });
}

export interface RefundTransitionRequest {
  out_refund_no: string;
  event: RefundEvent;
  source: string;
  set?: Record<string, unknown>;
  where?: Record<string, unknown>;
}

/** Applies one refund-record transition; returns true only when this call changed the record. */
export function transitionRefund(ctx: StoreContext, req: RefundTransitionRequest): Promise<boolean> {
  const { from, to } = REFUND_TRANSITIONS[req.event];
  return move(ctx, { dbName: COLLECTIONS.refunds, key: { out_refund_no: req.out_refund_no }, from, to, event: req.event, source: req.source, set: req.set, where: req.where });
}

export interface TransferTransitionRequest {
  out_bill_no: string;
  event: TransferEvent;
  source: string;
  set?: Record<string, unknown>;
  where?: Record<string, unknown>;
}

/** Applies one payout transition (state/transfer-status.ts); returns true only when this call changed the record. */
export function transitionTransfer(ctx: StoreContext, req: TransferTransitionRequest): Promise<boolean> {
  const { from, to } = TRANSFER_TRANSITIONS[req.event];
  return move(ctx, { dbName: COLLECTIONS.transfers, key: { out_bill_no: req.out_bill_no }, from, to, event: req.event, source: req.source, set: req.set, where: req.where });
}
