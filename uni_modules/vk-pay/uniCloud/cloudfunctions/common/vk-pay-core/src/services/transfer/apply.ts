/**
 * The one path by which what a provider says about a payout - its answer to the transfer call, a query, a
 * cancel, a verified notification - reaches the record: mapped onto an event of the transfer table and applied
 * by the one transition function. Only the caller whose conditional update moved the record does what must
 * happen once with the move (give the quota back, raise the failure alert).
 */
import { VkPayError } from '../../../../../../../common/errors';
import { raiseAlert } from '../../outbox/alerts';
import type { TransferResult } from '../../providers/types';
import { COLLECTIONS } from '../../state/collections';
import { transitionTransfer, type StoreContext } from '../../state/transition';
import type { TransferEvent } from '../../state/transfer-status';
import { findTransfer, type TransferDoc } from './record';
import { releaseQuota } from './quota';

const EVENT_OF: Record<Exclude<TransferResult['state'], 'not_found'>, TransferEvent> = {
  accepted: 'accept', waiting_user: 'await_user', succeeded: 'succeed', failed: 'fail', cancelled: 'cancel',
};

/** Applies a provider fact; returns the record as it stands afterwards and whether this call moved it. */
export async function applyTransferFact(ctx: StoreContext, record: TransferDoc, fact: TransferResult, source: string): Promise<{ record: TransferDoc; moved: boolean }> {
  if (fact.out_bill_no !== record.out_bill_no) throw new VkPayError(50000, `answer for ${fact.out_bill_no.slice(0, 40)} applied to ${record.out_bill_no}`);
  if (fact.state === 'not_found') return { record, moved: false };
  if (fact.amount !== undefined && fact.amount !== record.amount) {
    await raiseAlert(ctx, { kind: 'transfer_mismatch', message: `payout ${record.out_bill_no}: the provider says ${fact.amount} fen, recorded ${record.amount} fen`, dedupe_key: `transfer_mismatch:${record.out_bill_no}` });
    throw new VkPayError(50000, `payout ${record.out_bill_no}: provider amount ${fact.amount} differs from ${record.amount}`);
  }
  const set: Record<string, unknown> = { answered: true, sync_next_at: ctx.now() + 60_000 };
  if (fact.transfer_bill_no) set.transfer_bill_no = fact.transfer_bill_no;
  if (fact.provider_state) set.provider_state = fact.provider_state;
  if (fact.confirm) set.confirm = fact.confirm;
  if (fact.fail_reason) set.fail_reason = fact.fail_reason.slice(0, 200);
  if (fact.state === 'succeeded') set.success_at = fact.success_at ?? ctx.now();
  const event = EVENT_OF[fact.state];
  const moved = await transitionTransfer(ctx, { out_bill_no: record.out_bill_no, event, source, set });
  if (!moved && !record.answered) {
    // same status as before (e.g. accepted twice): still remember that the provider has answered
    await ctx.dao.update({ dbName: COLLECTIONS.transfers, whereJson: { out_bill_no: record.out_bill_no, answered: false }, dataJson: { answered: true, ...(fact.transfer_bill_no ? { transfer_bill_no: fact.transfer_bill_no } : {}) } });
  }
  if (moved && (event === 'fail' || event === 'cancel')) {
    await releaseQuota(ctx, record.quota_keys, record.out_bill_no, record.amount);
    if (event === 'fail') {
      await raiseAlert(ctx, { kind: 'transfer_failed', message: `payout ${record.out_bill_no} of ${record.amount} fen failed: ${(fact.fail_reason ?? fact.provider_state ?? 'no reason given').slice(0, 120)}`, dedupe_key: `transfer_failed:${record.out_bill_no}` });
    }
  }
  return { record: (await findTransfer(ctx, record.out_bill_no)) ?? record, moved };
}
