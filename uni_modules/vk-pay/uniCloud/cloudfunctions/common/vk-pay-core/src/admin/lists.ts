/**
 * listLogs / listErrors / listAlerts / listTransfers: filtered, paginated reads of `payment_logs`, `payment_errors`,
 * `vk_pay_alerts` and `payment_transfers`, newest first, for the admin console. Filters are validated (zod) so a typo is a 40001, not a
 * silently empty page. Error rows leave without their stack trace: it stays in the stored row (the uniCloud
 * console shows it to whoever may read the collection), never on a page.
 */
import { z } from 'zod';
import { ParamError } from '../../../../../../common/errors';
import type { CoreContext } from '../services/context';
import { parseParams, providerName } from '../services/validate';
import { COLLECTIONS } from '../state/collections';
import { TRANSFER_STATUSES } from '../state/transfer-status';
import type { TransferDoc } from '../services/transfer/record';

const common = {
  out_trade_no: z.string().trim().min(1).max(64).optional(),
  from: z.number().int().nonnegative().optional(),
  to: z.number().int().nonnegative().optional(),
  page: z.number().int().positive().default(1),
  pageSize: z.number().int().positive().max(500).default(20),
};

/**
 * VK's paging names the page `pageIndex` (vk.baseDao, VK admin tables); ours says `page`. Either is accepted;
 * both at once must agree.
 */
export function withPageIndex<S extends z.ZodTypeAny>(schema: S) {
  return z.preprocess((raw) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !('pageIndex' in raw)) return raw;
    const { pageIndex, ...rest } = raw as Record<string, unknown>;
    if ('page' in rest && rest.page !== pageIndex) throw new ParamError('page and pageIndex name different pages: send one of them');
    return { ...rest, page: pageIndex };
  }, schema);
}

export const listLogsParams = withPageIndex(z.object({
  ...common,
  type: z.string().trim().min(1).max(32).optional(),
  status: z.string().trim().min(1).max(64).optional(),
  provider: providerName.optional(),
}).strict());

export const listErrorsParams = withPageIndex(z.object({
  ...common,
  code: z.number().int().optional(),
  action: z.string().trim().min(1).max(64).optional(),
}).strict());

export const listAlertsParams = withPageIndex(z.object({
  ...common,
  kind: z.string().trim().min(1).max(64).optional(),
  delivered: z.boolean().optional(),
}).strict());

export const listTransfersParams = withPageIndex(z.object({
  out_bill_no: z.string().trim().min(1).max(32).optional(),
  user_id: z.string().trim().min(1).max(64).optional(),
  status: z.enum(TRANSFER_STATUSES).optional(),
  provider: providerName.optional(),
  from: common.from, to: common.to, page: common.page, pageSize: common.pageSize,
}).strict());

/** One page, numbered both ways (`page` and VK's `pageIndex`). */
export interface Page<T> { rows: T[]; total: number; page: number; pageIndex: number; pageSize: number; hasMore: boolean }

async function list<T>(ctx: CoreContext, dbName: string, p: Record<string, unknown> & { from?: number; to?: number; page: number; pageSize: number }, fields: string[], fieldJson?: Record<string, boolean>): Promise<Page<T>> {
  if (p.from !== undefined && p.to !== undefined && p.from > p.to) throw new ParamError('from must not be after to');
  const _ = ctx.db.command;
  const where: Record<string, unknown> = {};
  for (const f of fields) if (p[f] !== undefined) where[f] = p[f];
  if (p.from !== undefined && p.to !== undefined) where.create_date = _.gte(p.from).and(_.lte(p.to));
  else if (p.from !== undefined) where.create_date = _.gte(p.from);
  else if (p.to !== undefined) where.create_date = _.lte(p.to);
  const res = await ctx.dao.select<T>({
    dbName, whereJson: where, sortArr: [{ name: 'create_date', type: 'desc' }, { name: '_id', type: 'desc' }],
    pageIndex: p.page, pageSize: p.pageSize, getCount: true, ...(fieldJson ? { fieldJson } : {}),
  });
  return { rows: res.rows, total: res.total, page: p.page, pageIndex: p.page, pageSize: p.pageSize, hasMore: res.hasMore };
}

export function listLogs(ctx: CoreContext, params: unknown) {
  const p = parseParams(listLogsParams, params);
  return list(ctx, COLLECTIONS.logs, p, ['type', 'status', 'provider', 'out_trade_no']);
}

export function listErrors(ctx: CoreContext, params: unknown) {
  const p = parseParams(listErrorsParams, params);
  return list(ctx, COLLECTIONS.errors, p, ['code', 'action', 'out_trade_no'], { stack: false });
}

/** Payouts for the admin: the payee's account without the real name, and none of the send lease or quota internals. */
export async function listTransfers(ctx: CoreContext, params: unknown) {
  const p = parseParams(listTransfersParams, params);
  const page = await list<TransferDoc>(ctx, COLLECTIONS.transfers, p, ['out_bill_no', 'user_id', 'status', 'provider']);
  return {
    ...page,
    rows: page.rows.map(({ send_lease_until: _lease, quota_keys: _quota, payee, ...row }) => ({ ...row, payee: { identity_type: payee.identity_type, identity: payee.identity } })),
  };
}

export function listAlerts(ctx: CoreContext, params: unknown) {
  const p = parseParams(listAlertsParams, params);
  return list(ctx, COLLECTIONS.alerts, p, ['kind', 'delivered', 'out_trade_no']);
}
