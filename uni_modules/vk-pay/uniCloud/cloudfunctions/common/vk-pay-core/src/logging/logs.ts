/**
 * `payment_logs` (one row per create/notify/query/close/refund, readable in the uniCloud console) and
 * `payment_errors` (one row per failure). Writing a log must never break a payment: failures to log are
 * swallowed (and reported on stderr), since the payment itself is already safe in the database.
 */
import { toVkPayError } from '../../../../../../common/errors';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';
import { sanitize } from './sanitize';

export type LogType = 'create' | 'notify' | 'query' | 'close' | 'refund' | 'query_refund' | 'hook' | 'timer' | 'transfer';

export interface PaymentLogEntry {
  type: LogType;
  status: 'success' | 'fail' | 'duplicate' | 'pending' | string;
  out_trade_no?: string;
  provider?: string;
  amount?: number;
  user_id?: string;
  error_info?: string;
  ip?: string;
  user_agent?: string;
  /** ms spent in the provider call (or the whole handling when no provider was called) */
  response_time?: number;
  /** anything else worth reading (sanitised) */
  detail?: Record<string, unknown>;
}

export async function writePaymentLog(ctx: StoreContext, entry: PaymentLogEntry): Promise<void> {
  try {
    const row: Record<string, unknown> = { ...entry, create_date: ctx.now() };
    if (entry.detail) row.detail = sanitize(entry.detail);
    for (const k of Object.keys(row)) if (row[k] === undefined) delete row[k];
    await ctx.dao.add({ dbName: COLLECTIONS.logs, dataJson: row, cancelAddTime: true });
  } catch (err) {
    console.error('[vk-pay] payment_logs write failed:', (err as Error).message);
  }
}

const MAX_MESSAGE_CHARS = 500;

export interface PaymentErrorEntry {
  action: string;
  error: unknown;
  input?: unknown;
  out_trade_no?: string;
  user_id?: string;
}

export async function writePaymentError(ctx: StoreContext, entry: PaymentErrorEntry): Promise<void> {
  try {
    const err = toVkPayError(entry.error);
    const original = entry.error instanceof Error ? entry.error : err;
    // Bounded whatever the error carries: a message may quote what an untrusted caller sent.
    const row: Record<string, unknown> = {
      code: err.code,
      message: err.message.slice(0, MAX_MESSAGE_CHARS),
      action: entry.action,
      input: entry.input === undefined ? undefined : sanitize(entry.input),
      stack: original.stack?.split('\n').slice(0, 12).map((l) => l.slice(0, 240)).join('\n'),
      out_trade_no: entry.out_trade_no,
      user_id: entry.user_id,
      create_date: ctx.now(),
    };
    for (const k of Object.keys(row)) if (row[k] === undefined) delete row[k];
    await ctx.dao.add({ dbName: COLLECTIONS.errors, dataJson: row, cancelAddTime: true });
  } catch (err) {
    console.error('[vk-pay] payment_errors write failed:', (err as Error).message);
  }
}
