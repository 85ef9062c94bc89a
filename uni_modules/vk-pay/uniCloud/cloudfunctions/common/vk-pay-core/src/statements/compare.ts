/**
 * One day's statement against our books. The statement's rows are held by order and refund number; our side
 * is read in pages (orders paid in the day, refunds accepted in the day, UTC+8), each looked up in the
 * statement; whatever is left of the statement is then looked up here by number. Every kind of disagreement
 * becomes a discrepancy; the one thing repaired is a payment the provider has and we do not have as paid - and
 * that repair is not done here: it goes through the one "ask the provider, apply the answer" path
 * (services/reconcile.ts), so a statement row alone never moves money (the caller passes `repair`).
 */
import { PAID_STATUSES, type OrderDoc } from '../state/order';
import { COLLECTIONS } from '../state/collections';
import type { RefundRecord } from '../services/apply-refund';
import type { StoreContext } from '../state/transition';
import type { Channel } from '../providers/types';
import { addTo, type StatementPayment, type StatementRefund, type StatementRow, type StatementTotals } from './types';

export type DiscrepancyKind =
  | 'repaired' | 'repair_failed' | 'missing_here' | 'missing_at_provider' | 'amount_mismatch' | 'paid_twice' | 'revoked'
  | 'refund_missing_here' | 'refund_missing_at_provider' | 'refund_amount_mismatch' | 'totals_mismatch';

export interface Discrepancy {
  kind: DiscrepancyKind;
  out_trade_no?: string;
  out_refund_no?: string;
  /** what the statement says (amounts in fen) */
  provider?: Record<string, unknown>;
  /** what our books say */
  local?: Record<string, unknown>;
}

export interface RepairResult { ok: boolean; outcome: string }

export interface CompareResult {
  provider_count: number;
  local_count: number;
  matched: number;
  discrepancies: Discrepancy[];
  repaired: Array<{ out_trade_no: string; transaction_id: string; amount: number }>;
  provider_totals: StatementTotals;
  local_totals: StatementTotals;
}

export interface CompareInput {
  channel: Channel;
  /** the day, ms epoch bounds [start, end) */
  start: number;
  end: number;
  /** the statement's rows, read to the end before anything is written (a stream may still fail: nothing is repaired then) */
  rows: Iterable<StatementRow> | AsyncIterable<StatementRow>;
  /** the statement's own totals, checked against its rows; a function is asked once the rows are read (a stream) */
  summary: StatementTotals | null | (() => StatementTotals | null);
  /** asks the provider about an order the statement says is paid and applies the answer (reconcileOrder) */
  repair(order: OrderDoc): Promise<RepairResult>;
  /** out_trade_no repaired by an earlier run of the same day: a rerun lists them again, never repairs twice */
  repairedBefore?: ReadonlyArray<{ out_trade_no: string; transaction_id: string; amount: number }>;
  pageSize?: number;
}

const LOOKUP_CHUNK = 200;

/**
 * The documents of a day in pages, read by time slices of the day (`field` within [from, to)) instead of by
 * skip: each read is one indexed range of at most `pageSize` documents, so a day of 100,000 orders costs about
 * N / pageSize reads, none of them re-sorting the day. A slice that fills a page is halved and read again; one
 * that comes back small is doubled for the next read. A single millisecond holding more than a page is paged
 * by `_id`.
 */
async function* slices<T>(ctx: StoreContext, dbName: string, where: Record<string, unknown>, field: string, start: number, end: number, pageSize: number): AsyncGenerator<T[]> {
  const _ = ctx.db.command;
  let from = start;
  let width = 15 * 60_000;
  while (from < end) {
    const to = Math.min(end, from + width);
    const whereJson = { ...where, [field]: _.gte(from).and(_.lt(to)) };
    const r = await ctx.dao.select<T>({ dbName, whereJson, pageIndex: 1, pageSize });
    if (r.rows.length >= pageSize && to - from > 1) {
      width = Math.max(1, Math.floor((to - from) / 2));
      continue;
    }
    if (r.rows.length >= pageSize) {
      for (let pageIndex = 1; ; pageIndex += 1) {
        const page = await ctx.dao.select<T>({ dbName, whereJson, sortArr: [{ name: '_id', type: 'asc' }], pageIndex, pageSize });
        if (page.rows.length > 0) yield page.rows;
        if (page.rows.length < pageSize) break;
      }
    } else if (r.rows.length > 0) {
      yield r.rows;
    }
    from = to;
    if (r.rows.length < pageSize / 4) width *= 2;
  }
}

async function lookup<T>(ctx: StoreContext, dbName: string, field: string, keys: string[]): Promise<Map<string, T>> {
  const _ = ctx.db.command;
  const found = new Map<string, T>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    const r = await ctx.dao.select<T>({ dbName, whereJson: { [field]: _.in(chunk) }, pageSize: chunk.length + 1 });
    for (const doc of r.rows) found.set((doc as Record<string, string>)[field], doc);
  }
  return found;
}

const pay = (p: StatementPayment) => ({ transaction_id: p.transaction_id, amount: p.amount, fee: p.fee, time: p.time });
const mine = (o: OrderDoc) => ({ status: o.status, transaction_id: o.transaction_id, amount: o.amount, paid_at: o.paid_at });

export async function compareStatement(ctx: StoreContext, input: CompareInput): Promise<CompareResult> {
  const pageSize = input.pageSize ?? 500;
  const out: CompareResult = {
    provider_count: 0, local_count: 0, matched: 0, discrepancies: [], repaired: [...(input.repairedBefore ?? [])],
    provider_totals: { count: 0, amount: 0, refunds: 0, fees: 0 }, local_totals: { count: 0, amount: 0, refunds: 0, fees: 0 },
  };
  const note = (d: Discrepancy) => out.discrepancies.push(d);
  const repairedBefore = new Set(out.repaired.map((r) => r.out_trade_no));

  // The statement, held by number. A second payment row for one order is a second payment.
  const payments = new Map<string, StatementPayment>();
  const refunds = new Map<string, StatementRefund>();
  const totals: StatementTotals = { count: 0, amount: 0, refunds: 0, fees: 0 };
  for await (const row of input.rows) {
    addTo(totals, row);
    if (row.kind === 'refund') { refunds.set(row.out_refund_no, row); continue; }
    out.provider_count += 1;
    if (row.revoked) note({ kind: 'revoked', out_trade_no: row.out_trade_no, provider: pay(row) });
    const first = payments.get(row.out_trade_no);
    if (first) note({ kind: 'paid_twice', out_trade_no: row.out_trade_no, provider: { first: pay(first), second: pay(row) } });
    else payments.set(row.out_trade_no, row);
  }
  out.provider_totals = totals;
  const s = typeof input.summary === 'function' ? input.summary() : input.summary;
  if (s && (s.amount !== out.provider_totals.amount || s.refunds !== out.provider_totals.refunds || s.fees !== out.provider_totals.fees)) {
    note({ kind: 'totals_mismatch', provider: { summary: s, rows: out.provider_totals } });
  }

  // Our orders paid in the day, page by page.
  const _ = ctx.db.command;
  const paidWhere = { channel: input.channel, status: _.in([...PAID_STATUSES]) };
  for await (const page of slices<OrderDoc>(ctx, COLLECTIONS.orders, paidWhere, 'paid_at', input.start, input.end, pageSize)) {
    for (const order of page) {
      out.local_count += 1;
      out.local_totals.count += 1;
      out.local_totals.amount += order.amount;
      const row = payments.get(order.out_trade_no);
      if (!row) { note({ kind: 'missing_at_provider', out_trade_no: order.out_trade_no, local: mine(order) }); continue; }
      payments.delete(order.out_trade_no);
      checkPaid(order, row);
    }
  }

  function checkPaid(order: OrderDoc, row: StatementPayment): void {
    if (order.transaction_id && order.transaction_id !== row.transaction_id) note({ kind: 'paid_twice', out_trade_no: order.out_trade_no, provider: pay(row), local: mine(order) });
    else if (order.amount !== row.amount) note({ kind: 'amount_mismatch', out_trade_no: order.out_trade_no, provider: pay(row), local: mine(order) });
    else out.matched += 1;
  }

  // What is left of the statement's payments: paid at the provider, not paid here in the day.
  const left = [...payments.values()];
  const found = await lookup<OrderDoc>(ctx, COLLECTIONS.orders, 'out_trade_no', left.map((p) => p.out_trade_no));
  for (const row of left) {
    const order = found.get(row.out_trade_no);
    if (!order || order.channel !== input.channel) { note({ kind: 'missing_here', out_trade_no: row.out_trade_no, provider: pay(row) }); continue; }
    if ((PAID_STATUSES as readonly string[]).includes(order.status)) {
      // paid here on another day (the day cut falls between our clock and theirs) or by another transaction
      if (repairedBefore.has(order.out_trade_no) && order.transaction_id === row.transaction_id) out.matched += 1;
      else checkPaid(order, row);
      continue;
    }
    const r = await input.repair(order);
    if (r.ok) {
      out.repaired.push({ out_trade_no: row.out_trade_no, transaction_id: row.transaction_id, amount: row.amount });
      note({ kind: 'repaired', out_trade_no: row.out_trade_no, provider: pay(row), local: { ...mine(order), outcome: r.outcome } });
    } else {
      note({ kind: 'repair_failed', out_trade_no: row.out_trade_no, provider: pay(row), local: { ...mine(order), outcome: r.outcome } });
    }
  }

  // Refunds accepted in the day here, then what is left of the statement's refunds.
  const refundWhere = { channel: input.channel, status: _.in(['processing', 'success', 'held']) };
  for await (const page of slices<RefundRecord>(ctx, COLLECTIONS.refunds, refundWhere, 'create_date', input.start, input.end, pageSize)) {
    for (const refund of page) {
      out.local_totals.refunds += refund.amount;
      const row = refunds.get(refund.out_refund_no);
      if (!row) { note({ kind: 'refund_missing_at_provider', out_trade_no: refund.out_trade_no, out_refund_no: refund.out_refund_no, local: { status: refund.status, amount: refund.amount } }); continue; }
      refunds.delete(refund.out_refund_no);
      if (row.amount !== refund.amount) note({ kind: 'refund_amount_mismatch', out_trade_no: refund.out_trade_no, out_refund_no: refund.out_refund_no, provider: { amount: row.amount, refund_id: row.refund_id }, local: { status: refund.status, amount: refund.amount } });
    }
  }
  const leftRefunds = [...refunds.values()];
  const knownRefunds = await lookup<RefundRecord>(ctx, COLLECTIONS.refunds, 'out_refund_no', leftRefunds.map((r) => r.out_refund_no).filter(Boolean));
  for (const row of leftRefunds) {
    const refund = knownRefunds.get(row.out_refund_no);
    const provider = { amount: row.amount, refund_id: row.refund_id, time: row.time };
    if (!refund) note({ kind: 'refund_missing_here', out_trade_no: row.out_trade_no, out_refund_no: row.out_refund_no, provider });
    else if (refund.amount !== row.amount) note({ kind: 'refund_amount_mismatch', out_trade_no: row.out_trade_no, out_refund_no: row.out_refund_no, provider, local: { status: refund.status, amount: refund.amount } });
  }
  return out;
}
