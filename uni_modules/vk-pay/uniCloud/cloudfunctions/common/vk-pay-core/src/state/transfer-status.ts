/**
 * A payout's statuses as data (docs/PROTOCOLS.md section 10.3), checked once when the core loads like the order
 * table. A transfer is recorded `created` BEFORE the provider is called, so a crash leaves a row that says
 * "we may have asked": whoever touches it next asks the provider with the same out_bill_no before anything else.
 *
 *   created --accept--> accepted <--await_user / accept--> waiting_user
 *   created | accepted | waiting_user --succeed--> succeeded | --fail--> failed | --cancel--> cancelled
 *
 * accepted and waiting_user share a rank: WeChat moves a bill ACCEPTED -> WAIT_USER_CONFIRM -> TRANSFERING, so
 * both directions between them are progress, never a regression. The three final statuses never move again.
 */
import { assertStatusTable } from '../../../../../../common/status';

export const TRANSFER_STATUSES = ['created', 'accepted', 'waiting_user', 'succeeded', 'failed', 'cancelled'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

const OPEN = ['created', 'accepted', 'waiting_user'] as const;

export const TRANSFER_TRANSITIONS = {
  /** the provider accepted it (or the payee confirmed and the money is moving) */
  accept: { from: ['created', 'waiting_user'], to: 'accepted' },
  /** the provider waits for the payee's confirmation (WeChat WAIT_USER_CONFIRM) */
  await_user: { from: ['created', 'accepted'], to: 'waiting_user' },
  succeed: { from: OPEN, to: 'succeeded' },
  fail: { from: OPEN, to: 'failed' },
  cancel: { from: OPEN, to: 'cancelled' },
} as const satisfies Record<string, { from: readonly TransferStatus[]; to: TransferStatus }>;

export type TransferEvent = keyof typeof TRANSFER_TRANSITIONS;

export const TRANSFER_RANK: Record<TransferStatus, number> = { created: 0, accepted: 1, waiting_user: 1, succeeded: 2, failed: 2, cancelled: 2 };

export const FINAL_TRANSFER_STATUSES: readonly TransferStatus[] = ['succeeded', 'failed', 'cancelled'];
export const OPEN_TRANSFER_STATUSES: readonly TransferStatus[] = OPEN;

export function assertTransferTable(table: Record<string, { from: readonly string[]; to: string }> = TRANSFER_TRANSITIONS): void {
  assertStatusTable('transfer', table, TRANSFER_STATUSES, TRANSFER_RANK);
}

// Checked when the core loads: a table naming an unknown status or moving a payout backwards never ships.
assertTransferTable();
