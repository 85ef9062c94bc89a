/**
 * A day's statement rows taken from the sandbox's own books, as the gateways bill them (docs/PROTOCOLS.md
 * section 8): a payment on the day it succeeded, a refund on the day it was accepted (WeChat; Alipay refunds
 * succeed at once), UTC+8 days. The statement faults then make it disagree the way real statements do: a row
 * missing, an amount changed. (A refund made in the merchant platform is a real ledger refund, made by the
 * control `platformRefund`, so it shows in queries too.) Fees: 0.6 %, rounded half up to the fen.
 */
import { orderKey, type SandboxChannel, type SandboxOrder, type SandboxRefund, type SandboxState } from '../state';

export interface StatementFaults {
  /** out_trade_no whose payment row the statement leaves out */
  drop?: string[];
  /** out_trade_no -> the amount (fen) the statement shows instead */
  amount?: Record<string, number>;
  /** the statement is not published yet (WeChat NO_STATEMENT_EXIST / STATEMENT_CREATING, Alipay bill-not-exist) */
  pending?: boolean;
  /** the file is damaged in transit: WeChat's hash no longer matches it, Alipay's zip is cut short */
  corrupt?: boolean;
}

export interface DayPayment { order: SandboxOrder; amount: number; fee: number; paid_at: number }
export interface DayRefund { refund: SandboxRefund; order: SandboxOrder; fee: number }
export interface DayRows { payments: DayPayment[]; refunds: DayRefund[] }

const UTC8 = 8 * 3600_000;
export const feeOf = (fen: number) => Math.floor((fen * 6 + 500) / 1000);

/** [start, end) of a YYYY-MM-DD day in UTC+8, or undefined for text that is not a calendar day. */
export function chinaDay(date: string): { start: number; end: number } | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const midnight = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(midnight) || new Date(midnight).toISOString().slice(0, 10) !== date) return undefined;
  return { start: midnight - UTC8, end: midnight - UTC8 + 86_400_000 };
}

export function dayRows(state: SandboxState, channel: SandboxChannel, day: { start: number; end: number }, faults: StatementFaults = {}): DayRows {
  const inDay = (t: number | undefined) => t !== undefined && t >= day.start && t < day.end;
  const drop = new Set(faults.drop ?? []);
  const payments: DayPayment[] = [];
  for (const order of Object.values(state.data.orders)) {
    if (order.channel !== channel || order.status !== 'SUCCESS' || !inDay(order.paid_at) || drop.has(order.out_trade_no)) continue;
    const amount = faults.amount?.[order.out_trade_no] ?? order.amount;
    payments.push({ order, amount, fee: feeOf(amount), paid_at: order.paid_at as number });
  }
  payments.sort((a, b) => a.paid_at - b.paid_at);
  const refunds: DayRefund[] = [];
  for (const refund of Object.values(state.data.refunds)) {
    if (refund.channel !== channel || refund.status === 'CLOSED' || !inDay(refund.created_at)) continue;
    const order = state.data.orders[orderKey(channel, refund.out_trade_no)];
    if (order) refunds.push({ refund, order, fee: feeOf(refund.amount) });
  }
  refunds.sort((a, b) => a.refund.created_at - b.refund.created_at);
  return { payments, refunds };
}
