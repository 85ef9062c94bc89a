/**
 * The admin console's order list and order page. listOrders searches by order number, user, status, provider,
 * type and creation date, newest first, a page at a time (an equality on out_trade_no or user_id uses their
 * indexes). getOrder gathers everything about one order: its history, provider transactions, refunds, the raw
 * notifications received, its business-hook runs, alerts and log rows, and what is still refundable.
 */
import { z } from 'zod';
import { OrderNotFoundError } from '../../../../../../common/errors';
import { ORDER_STATUSES } from '../../../../../../common/status';
import { closeReasonOf } from '../services/close-reason';
import type { CoreContext } from '../services/context';
import { outTradeNo, parseParams, providerName } from '../services/validate';
import { COLLECTIONS } from '../state/collections';
import type { CarriedHook } from '../state/hook-status';
import type { OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { withPageIndex, type Page } from './lists';

export const listOrdersParams = withPageIndex(z.object({
  out_trade_no: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'out_trade_no: letters, digits, _ and - only').optional(),
  user_id: z.string().trim().min(1).max(64).optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  provider: providerName.optional(),
  type: z.string().trim().min(1).max(64).optional(),
  from: z.number().int().nonnegative().optional(),
  to: z.number().int().nonnegative().optional(),
  page: z.number().int().positive().max(10_000).default(1),
  pageSize: z.number().int().positive().max(100).default(20),
}).strict().refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, { message: 'from must not be after to', path: ['from'] }));

/** What a row of the list shows: no payment parameters, user profile or sync bookkeeping. */
const ROW_FIELDS = ['out_trade_no', 'user_id', 'type', 'subject', 'provider', 'pay_type', 'amount', 'status', 'refunded_amount', 'create_date', 'paid_at', 'closed_at', 'close_reason', 'paid_after_close'] as const;

export type OrderRow = Pick<OrderDoc, 'out_trade_no' | 'user_id' | 'type' | 'subject' | 'provider' | 'pay_type' | 'amount' | 'status' | 'refunded_amount' | 'create_date' | 'paid_at' | 'closed_at' | 'paid_after_close'> & { close_reason?: string };

export async function listOrders(ctx: CoreContext, params: unknown): Promise<Page<OrderRow>> {
  const p = parseParams(listOrdersParams, params);
  const _ = ctx.db.command;
  const where: Record<string, unknown> = {};
  for (const f of ['out_trade_no', 'user_id', 'status', 'provider', 'type'] as const) if (p[f] !== undefined) where[f] = p[f];
  if (p.from !== undefined && p.to !== undefined) where.create_date = _.gte(p.from).and(_.lte(p.to));
  else if (p.from !== undefined) where.create_date = _.gte(p.from);
  else if (p.to !== undefined) where.create_date = _.lte(p.to);
  const res = await ctx.dao.select<OrderRow>({
    dbName: COLLECTIONS.orders, whereJson: where, fieldJson: Object.fromEntries(ROW_FIELDS.map((f) => [f, true])),
    sortArr: [{ name: 'create_date', type: 'desc' }, { name: '_id', type: 'desc' }],
    pageIndex: p.page, pageSize: p.pageSize, getCount: true,
  });
  const rows = res.rows.map((r) => {
    const { _id: _drop, ...rest } = r as OrderRow & { _id?: string };
    return rest as OrderRow;
  });
  return { rows, total: res.total, page: p.page, pageIndex: p.page, pageSize: p.pageSize, hasMore: res.hasMore };
}

const getOrderParams = z.object({ out_trade_no: outTradeNo }).strict();

/** Order fields an admin page never needs (the payer's encrypted profile, timer leases). */
const HIDDEN = ['user_info', 'sync_lease', 'sync_lease_until', 'fingerprint', 'dedupe_key', 'hook_lease'];
const RELATED_LIMIT = 100;

export async function getOrder(ctx: CoreContext, params: unknown) {
  const p = parseParams(getOrderParams, params);
  const order = await findOrder(ctx, p.out_trade_no);
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  const related = (dbName: string, sort: 'asc' | 'desc' = 'asc') => ctx.dao.select<Record<string, unknown>>({
    dbName, whereJson: { out_trade_no: p.out_trade_no }, sortArr: [{ name: 'create_date', type: sort }], pageSize: RELATED_LIMIT,
  }).then((r) => r.rows);
  const [unapplied, refunds, notifications, alerts, logs] = await Promise.all([
    related(COLLECTIONS.transactions), related(COLLECTIONS.refunds), related(COLLECTIONS.notifications),
    related(COLLECTIONS.alerts), related(COLLECTIONS.logs, 'desc'),
  ]);
  // The provider's money movements for this order: its payment and settled refunds live on the order and the
  // refund records (written by the moves themselves); payment_transactions keeps only what could not be applied
  // (an orphan, a second payment), which is listed after them.
  const stored = order as OrderDoc & { paid_source?: string; paid_recorded_at?: number };
  const transactions: Array<Record<string, unknown>> = [];
  if (stored.transaction_id) {
    transactions.push({ action: 'pay', transaction_id: stored.transaction_id, amount: order.amount, source: stored.paid_source, paid_at: order.paid_at, create_date: stored.paid_recorded_at ?? order.paid_at });
  }
  for (const r of refunds as Array<Record<string, unknown>>) {
    if (r.status === 'success') transactions.push({ action: 'refund', out_refund_no: r.out_refund_no, transaction_id: r.refund_id, amount: r.amount, create_date: r.success_at ?? r.update_date });
  }
  transactions.push(...unapplied);
  // A hook rides on the document whose move made it owed: onPaid on the order, onRefunded on each refund record.
  const hooks = [order as OrderDoc & CarriedHook, ...(refunds as Array<Record<string, unknown> & CarriedHook>)]
    .filter((d) => d.hook_status)
    .map((d) => ({
      type: order.type, event: 'out_refund_no' in d && d.out_refund_no ? 'refunded' : 'paid',
      out_refund_no: 'out_refund_no' in d ? d.out_refund_no : undefined,
      status: d.hook_status, attempts: d.hook_attempts ?? 0, next_run_at: d.hook_next_at, done_at: d.hook_done_at, last_error: d.hook_error,
    }));
  const shown: Record<string, unknown> = { ...order };
  for (const k of HIDDEN) delete shown[k];
  const reason = closeReasonOf(order as OrderDoc & { close_reason?: string });
  if (reason) shown.close_reason = reason;
  return {
    order: shown,
    /** what a new refund may still take: the paid amount less refunds done and in flight */
    refundable: order.status === 'paid' || order.status === 'partially_refunded' ? Math.max(0, order.refundable_remaining ?? 0) : 0,
    transactions,
    // (a refund record carries its onRefunded hook's lease token too: only its runner needs it)
    refunds: (refunds as Array<Record<string, unknown>>).map(({ hook_lease: _lease, ...rest }) => rest),
    notifications,
    // (the lease token lets a runner finish its claim; nobody else needs it, so it is not shown)
    hooks,
    alerts,
    logs,
  };
}
