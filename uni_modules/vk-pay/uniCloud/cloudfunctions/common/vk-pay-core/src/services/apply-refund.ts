/**
 * Applying a refund's result - from the refund call itself, a query, or a notification - the same way every
 * time: success settles the reserved amount on the order (one conditional update through the transition
 * function), then marks the refund record, records the transaction once and enqueues `onRefunded`; failure
 * releases the reservation. Each step is idempotent, so a result applied twice changes nothing the second time.
 */
import { ParamError } from '../../../../../../common/errors';

/** The provider's refund amount differs from ours: nothing is applied, and the reservation is kept. */
export class RefundMismatchError extends ParamError {
  constructor(detail: string) { super(detail); this.name = 'RefundMismatchError'; }
}
import type { RefundResult } from '../providers/types';
import { enqueueHook, raiseAlert } from '../outbox';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { releaseRefund, settleRefund } from '../state/refund-ledger';
import { recordTransaction } from './apply-payment';
import type { CoreContext } from './context';

export interface RefundRecord {
  _id?: string;
  out_refund_no: string;
  out_trade_no: string;
  amount: number;
  reason?: string;
  status: 'processing' | 'success' | 'failed';
  refund_id?: string;
  provider: string;
  channel: string;
  user_id: string;
  type: string;
  source: string;
  create_date: number;
  update_date: number;
  success_at?: number;
  fail_reason?: string;
  /** the provider holds the money (WeChat ABNORMAL): kept reserved until a person handles it */
  abnormal?: boolean;
}

export function findRefund(ctx: CoreContext, out_refund_no: string): Promise<RefundRecord | null> {
  return ctx.dao.findByWhereJson<RefundRecord>({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no } });
}

export interface RefundApplyResult { status: RefundRecord['status']; settled: boolean; hookKey?: string }

export async function applyRefundResult(
  ctx: CoreContext,
  record: RefundRecord,
  result: Pick<RefundResult, 'state' | 'amount' | 'refund_id' | 'success_at' | 'provider_state'> & { fail_reason?: string },
  source: string,
  order?: OrderDoc | null,
): Promise<RefundApplyResult> {
  if (result.state !== 'processing' && result.amount !== record.amount) {
    await raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, message: `refund ${record.out_refund_no}: provider says ${result.amount} fen, record ${record.amount}` });
    throw new RefundMismatchError(`refund amount ${result.amount} fen does not match the record's ${record.amount} fen`);
  }
  const key = { out_trade_no: record.out_trade_no, out_refund_no: record.out_refund_no, amount: record.amount };
  const now = ctx.now();
  if (result.state === 'success') {
    const outcome = await settleRefund(ctx, { ...key, source }, order);
    if (outcome === 'released') {
      // We gave the money back to the refundable pool after a refusal, and now the provider says it was refunded.
      await raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, message: `refund ${record.out_refund_no} succeeded after it was released as failed` });
    }
    const settled = outcome === 'settled';
    const set: Record<string, unknown> = { status: 'success', success_at: result.success_at ?? now, update_date: now };
    if (result.refund_id) set.refund_id = result.refund_id;
    await ctx.dao.update({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no: record.out_refund_no, status: 'processing' }, dataJson: set });
    await recordTransaction(ctx, {
      provider: record.provider, transaction_id: result.refund_id ?? record.out_refund_no, action: 'refund',
      out_trade_no: record.out_trade_no, out_refund_no: record.out_refund_no, amount: record.amount, source,
    });
    const enq = await enqueueHook(ctx, { out_trade_no: record.out_trade_no, event: 'refunded', type: record.type, amount: record.amount, out_refund_no: record.out_refund_no });
    return { status: 'success', settled, hookKey: enq.added ? enq.key : undefined };
  }
  if (result.state === 'held') {
    // WeChat ABNORMAL (v2 CHANGE): the money left the merchant but could not reach the person (card closed...).
    // It is not refundable again - releasing it would invite a second refund - so it stays reserved and a
    // person settles it in the merchant platform. Alert once.
    const _ = ctx.db.command;
    const flagged = await ctx.dao.update({
      dbName: COLLECTIONS.refunds,
      whereJson: { out_refund_no: record.out_refund_no, status: 'processing', abnormal: _.neq(true) },
      dataJson: { abnormal: true, fail_reason: `provider reports ${result.provider_state ?? 'the refund held'}: handle it in the merchant platform`, update_date: now },
    });
    if (flagged === 1) await raiseAlert(ctx, { kind: 'refund_mismatch', out_trade_no: record.out_trade_no, message: `refund ${record.out_refund_no} is ${result.provider_state ?? 'held'}: the money is held at the provider; handle it manually` });
    return { status: 'processing', settled: false };
  }
  if (result.state === 'failed') {
    await releaseRefund(ctx, key);
    await ctx.dao.update({
      dbName: COLLECTIONS.refunds,
      whereJson: { out_refund_no: record.out_refund_no, status: 'processing' },
      dataJson: { status: 'failed', fail_reason: result.fail_reason ?? 'refused by the provider', update_date: now },
    });
    return { status: 'failed', settled: false };
  }
  if (result.refund_id && !record.refund_id) {
    await ctx.dao.update({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no: record.out_refund_no }, dataJson: { refund_id: result.refund_id, update_date: now } });
  }
  return { status: 'processing', settled: false };
}
