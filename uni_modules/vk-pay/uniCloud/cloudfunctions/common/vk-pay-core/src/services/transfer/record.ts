/** The stored payout (`payment_transfers`, unique out_bill_no) and the view callers get of it. */
import type { Channel } from '../../providers/types';
import { COLLECTIONS } from '../../state/collections';
import type { StoreContext } from '../../state/transition';
import type { TransferStatus } from '../../state/transfer-status';

export interface TransferDoc {
  _id?: string;
  out_bill_no: string;
  provider: string;
  channel: Channel;
  /** integer fen */
  amount: number;
  status: TransferStatus;
  /** the payee: identity type and account; the real name is kept encrypted when the config has userInfoKey */
  payee: { identity_type: string; identity: string; name?: unknown };
  /** the app's user being paid, when the caller named one (the per-user limit counts on it) */
  user_id?: string;
  /** the channel's merchant that pays (config/merchants.ts); absent for the section's own */
  merchant?: string;
  remark: string;
  scene_id?: string;
  scene_report_infos?: Array<{ info_type: string; info_content: string }>;
  title?: string;
  /** who asked: `admin` (the cloud object) or `server` (business code through the server API) */
  requested_by: 'admin' | 'server';
  /** the quota documents this payout reserved (given back when it fails or is cancelled) */
  quota_keys: string[];
  /**
   * Until when the last sender holds the right to talk to the provider about this payout. While it holds, no
   * one else sends or queries; once it lapses (the sender died), the next one queries the same out_bill_no first.
   */
  send_lease_until: number;
  send_attempts: number;
  /** true once any answer from the provider was applied */
  answered: boolean;
  transfer_bill_no?: string;
  /** what the client needs for the payee's confirmation (uni.requestMerchantTransfer), while waiting_user */
  confirm?: Record<string, string>;
  fail_reason?: string;
  provider_state?: string;
  success_at?: number;
  /** when the timer should ask the provider next (open payouts only) */
  sync_next_at?: number;
  create_date: number;
  update_date: number;
  history: Array<{ event: string; to: string; at: number; source: string }>;
}

export interface TransferView {
  out_bill_no: string;
  provider: string;
  amount: number;
  status: TransferStatus;
  transfer_bill_no?: string;
  /** present while the payee's confirmation is awaited: the arguments of uni.requestMerchantTransfer */
  confirm?: Record<string, string>;
  fail_reason?: string;
  success_at?: number;
  create_date: number;
}

export function findTransfer(ctx: StoreContext, out_bill_no: string): Promise<TransferDoc | null> {
  return ctx.dao.findByWhereJson<TransferDoc>({ dbName: COLLECTIONS.transfers, whereJson: { out_bill_no } });
}

export function transferView(t: TransferDoc): TransferView {
  const v: TransferView = { out_bill_no: t.out_bill_no, provider: t.provider, amount: t.amount, status: t.status, create_date: t.create_date };
  if (t.transfer_bill_no) v.transfer_bill_no = t.transfer_bill_no;
  if (t.status === 'waiting_user' && t.confirm) v.confirm = t.confirm;
  if (t.fail_reason) v.fail_reason = t.fail_reason;
  if (t.success_at) v.success_at = t.success_at;
  return v;
}
