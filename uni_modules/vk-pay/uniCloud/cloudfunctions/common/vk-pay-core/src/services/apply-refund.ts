/**
 * Applying a refund's result - from the refund call itself, a query, the timer or a notification - the same way
 * every time. The ORDER carries the money (state/refund-ledger.ts) and decides exactly-once: success settles the
 * reserved amount through the transition function, failure releases it, each guarded by refunds_done. The refund
 * RECORD then follows through its own status table (processing -> success | failed | held, held -> success); the
 * record's success move also makes the onRefunded hook owed, in the same update. The record write depends on
 * nothing but the settled order, so it is queued with the log (one round trip); if it is lost, the next delivery
 * or query sees the order settled and finishes the record.
 */
import { OrderNotFoundError, ParamError } from '../../../../../../common/errors';
import type { RefundStatus } from '../../../../../../common/status';
import { isDuplicateKeyError } from '../platform/database';
import type { Channel, RefundResult } from '../providers/types';
import { owedHook, raiseAlert, type HookRef } from '../outbox';
import { COLLECTIONS } from '../state/collections';
import type { CarriedHook } from '../state/hook-status';
import type { OrderDoc, OrderHistoryEntry } from '../state/order';
import { findOrder, releaseRefund, settleAdopted, settleRefund } from '../state/refund-ledger';
import { transitionRefund } from '../state/transition';
import type { CoreContext } from './context';
import type { WriteBatch } from './write-batch';

/** The provider's refund amount differs from ours: nothing is applied, and the reservation is kept. */
export class RefundMismatchError extends ParamError {
  constructor(detail: string) { super(detail); this.name = 'RefundMismatchError'; }
}

export interface RefundRecord extends CarriedHook {
  _id?: string;
  out_refund_no: string;
  out_trade_no: string;
  amount: number;
  reason?: string;
  status: RefundStatus;
  refund_id?: string;
  provider: string;
  channel: string;
  /** the order's merchant (config/merchants.ts); absent for the section's own */
  merchant?: string;
  user_id: string;
  type: string;
  source: string;
  create_date: number;
  update_date: number;
  success_at?: number;
  fail_reason?: string;
  history?: Array<Omit<OrderHistoryEntry, 'event' | 'to'> & { event: string; to: RefundStatus }>;
}

export function findRefund(ctx: CoreContext, out_refund_no: string): Promise<RefundRecord | null> {
  return ctx.dao.findByWhereJson<RefundRecord>({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no } });
}

export type RefundFact = Pick<RefundResult, 'state' | 'amount' | 'refund_id' | 'success_at' | 'provider_state'> & { fail_reason?: string };

export interface RefundApplyResult {
  status: RefundStatus;
  /** this call settled the money on the order */
  settled: boolean;
  /** nothing was left to do */
  duplicate: boolean;
  /** hooks this call made owed and holds the claim of; filled when the batch is flushed */
  hooks: HookRef[];
}

function succeedRecord(ctx: CoreContext, p: { record: Pick<RefundRecord, 'out_refund_no' | 'out_trade_no' | 'amount' | 'type'>; fact: RefundFact; source: string; order: OrderDoc; batch: WriteBatch; result: RefundApplyResult }): void {
  const owed = owedHook(ctx, p.record.type, 'refunded');
  const set: Record<string, unknown> = { success_at: p.fact.success_at ?? ctx.now(), fail_reason: '', ...owed.fields };
  if (p.fact.refund_id) set.refund_id = p.fact.refund_id;
  p.batch.need(async () => {
    const moved = await transitionRefund(ctx, { out_refund_no: p.record.out_refund_no, event: 'succeed', source: p.source, set });
    if (moved && owed.token) p.result.hooks.push({ event: 'refunded', out_trade_no: p.record.out_trade_no, out_refund_no: p.record.out_refund_no, token: owed.token, order: p.order, refund: { out_refund_no: p.record.out_refund_no, amount: p.record.amount } });
  });
}

/**
 * What the provider says about one of OUR refunds (a record exists). `order` is the order when the caller has
 * read it already. Independent writes (the record, alerts) go into `batch`; the order's money moves here.
 */
export async function applyRefundFact(ctx: CoreContext, p: { record: RefundRecord; fact: RefundFact; source: string; batch: WriteBatch; order?: OrderDoc | null }): Promise<RefundApplyResult> {
  const { record, fact, batch } = p;
  const result: RefundApplyResult = { status: record.status, settled: false, duplicate: false, hooks: [] };
  if (fact.state !== 'processing' && fact.amount !== record.amount) {
    await raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, dedupe_key: `refund_amount:${record.out_refund_no}:${fact.amount}`, message: `refund ${record.out_refund_no}: provider says ${fact.amount} fen, record ${record.amount}` });
    throw new RefundMismatchError(`refund amount ${fact.amount} fen does not match the record's ${record.amount} fen`);
  }
  const key = { out_trade_no: record.out_trade_no, out_refund_no: record.out_refund_no, amount: record.amount };
  switch (fact.state) {
    case 'success': {
      if (record.status === 'success') return { ...result, duplicate: true };
      if (record.status === 'failed') {
        // We gave the money back to the refundable pool after a refusal, and now the provider says it was refunded.
        batch.keep(() => raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, dedupe_key: `refund_after_release:${record.out_refund_no}`, message: `refund ${record.out_refund_no} succeeded after it was released as failed` }));
        return { ...result, duplicate: true };
      }
      const order = p.order !== undefined && p.order !== null ? p.order : await findOrder(ctx, record.out_trade_no);
      if (!order) throw new OrderNotFoundError(record.out_trade_no);
      if (!order.refunds_done?.includes(record.out_refund_no)) {
        const outcome = await settleRefund(ctx, { ...key, source: p.source }, order);
        if (outcome === 'released') {
          batch.keep(() => raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, dedupe_key: `refund_after_release:${record.out_refund_no}`, message: `refund ${record.out_refund_no} succeeded after it was released as failed` }));
          return { ...result, duplicate: true };
        }
        result.settled = outcome === 'settled';
      } else if (order.refunds_released?.includes(record.out_refund_no)) {
        return { ...result, duplicate: true };
      }
      succeedRecord(ctx, { record, fact, source: p.source, order, batch, result });
      return { ...result, status: 'success', hooks: result.hooks };
    }
    case 'failed': {
      // A held refund left the merchant: a later failure report cannot give it back to the pool.
      if (record.status !== 'processing') return { ...result, duplicate: true };
      await releaseRefund(ctx, key);
      batch.need(() => transitionRefund(ctx, { out_refund_no: record.out_refund_no, event: 'fail', source: p.source, set: { fail_reason: fact.fail_reason ?? 'refused by the provider' } }));
      return { ...result, status: 'failed' };
    }
    case 'held': {
      // WeChat ABNORMAL (v2 CHANGE): the money left the merchant but could not reach the person (card closed...).
      // Not refundable again - releasing it would invite a second refund - so it stays reserved; a person acts.
      if (record.status !== 'processing') return { ...result, duplicate: true };
      const word = fact.provider_state ?? 'held';
      batch.need(() => transitionRefund(ctx, { out_refund_no: record.out_refund_no, event: 'hold', source: p.source, set: { fail_reason: `provider reports ${word}: handle it in the merchant platform` } }));
      batch.keep(() => raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, dedupe_key: `refund_held:${record.out_refund_no}`, message: `refund ${record.out_refund_no} is ${word}: the money is held at the provider; handle it manually` }));
      return { ...result, status: 'held' };
    }
    default: {
      if (fact.refund_id && !record.refund_id) {
        batch.keep(() => ctx.dao.update({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no: record.out_refund_no }, dataJson: { refund_id: fact.refund_id, update_date: ctx.now() } }));
      }
      return result;
    }
  }
}

/**
 * A refund made outside vk-pay (the merchant platform), reported by the provider with its own amount: the money
 * has left, so it is adopted - reserved and settled on the order in one update (or found already there), then
 * recorded (source "provider") already succeeded, its hook owed by that insert. If it does not fit what is left
 * to refund, the books and the provider disagree: refused (the provider retries) with an alert.
 */
export async function adoptProviderRefund(
  ctx: CoreContext,
  p: { channel: Channel; out_trade_no: string; out_refund_no: string; amount: number; fact: RefundFact; source: string; batch: WriteBatch; order: OrderDoc },
): Promise<RefundApplyResult> {
  const { order } = p;
  if (order.channel !== p.channel) throw new ParamError(`refund ${p.out_refund_no} came through ${p.channel}, the order through ${order.channel}`);
  const key = { out_trade_no: order.out_trade_no, out_refund_no: p.out_refund_no, amount: p.amount };
  const adopted = await settleAdopted(ctx, { ...key, source: p.source }, order);
  if (adopted === 'insufficient') {
    await raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: order.out_trade_no, dedupe_key: `refund_exceeds:${p.out_refund_no}`, message: `provider refunded ${p.amount} fen (${p.out_refund_no}) but only ${order.refundable_remaining} fen is left to refund` });
    throw new ParamError(`refund ${p.out_refund_no} exceeds what is left to refund on ${order.out_trade_no}`);
  }
  if (adopted === 'known' && !order.refunds_done?.includes(p.out_refund_no)) {
    // Reserved before (an earlier adoption that stopped between its steps): settle that reservation.
    await settleRefund(ctx, { ...key, source: p.source }, order);
  }
  const result: RefundApplyResult = { status: 'success', settled: adopted === 'settled', duplicate: false, hooks: [] };
  const owed = owedHook(ctx, order.type, 'refunded');
  const now = ctx.now();
  const record: RefundRecord = {
    out_refund_no: p.out_refund_no, out_trade_no: order.out_trade_no, amount: p.amount, reason: 'made at the provider', status: 'success',
    provider: order.provider, channel: order.channel, user_id: order.user_id, type: order.type, source: 'provider',
    create_date: now, update_date: now, success_at: p.fact.success_at ?? now, ...owed.fields,
    history: [{ event: 'adopt', to: 'success', at: now, source: p.source }],
  };
  if (p.fact.refund_id) record.refund_id = p.fact.refund_id;
  p.batch.need(async () => {
    try {
      await ctx.dao.add({ dbName: COLLECTIONS.refunds, dataJson: record, cancelAddTime: true });
      if (owed.token) result.hooks.push({ event: 'refunded', out_trade_no: order.out_trade_no, out_refund_no: p.out_refund_no, token: owed.token, order, refund: { out_refund_no: p.out_refund_no, amount: p.amount } });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // recorded by a concurrent delivery, which owns the hook
    }
  });
  return result;
}
