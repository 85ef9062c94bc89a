/**
 * The admin's view of daily reconciliation: run (or rerun) one channel and day, and list the stored reports
 * newest day first. A report leaves with its discrepancies only when one day is asked for (`channel` + `date`),
 * so a list page stays small however many discrepancies a day had.
 */
import { z } from 'zod';
import type { CoreContext } from '../services/context';
import { reconcileDay, type ReconciliationReport } from '../services/daily-reconcile';
import { parseParams } from '../services/validate';
import { COLLECTIONS } from '../state/collections';
import { withPageIndex } from './lists';

const reconcileParams = z.object({ channel: z.string().trim().min(1).max(32), date: z.string().trim().min(1).max(10) }).strict();

const listParams = withPageIndex(z.object({
  channel: z.string().trim().min(1).max(32).optional(),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  status: z.enum(['done', 'pending', 'failed']).optional(),
  page: z.number().int().min(1).max(10_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(20),
}).strict());

export function runReconcile(ctx: CoreContext, params: unknown): Promise<ReconciliationReport> {
  const p = parseParams(reconcileParams, params);
  return reconcileDay(ctx, { channel: p.channel, date: p.date, source: 'admin' });
}

export async function listReconciliations(ctx: CoreContext, params: unknown) {
  const p = parseParams(listParams, params);
  const where: Record<string, unknown> = {};
  for (const f of ['channel', 'date', 'status'] as const) if (p[f] !== undefined) where[f] = p[f];
  const one = p.channel !== undefined && p.date !== undefined;
  const res = await ctx.dao.select<ReconciliationReport>({
    dbName: COLLECTIONS.reconciliations, whereJson: where, sortArr: [{ name: 'date', type: 'desc' }, { name: 'channel', type: 'asc' }],
    pageIndex: p.page, pageSize: p.pageSize, getCount: true, ...(one ? {} : { fieldJson: { discrepancies: false, repaired: false } }),
  });
  return { rows: res.rows, total: res.total, page: p.page, pageIndex: p.page, pageSize: p.pageSize, hasMore: res.hasMore };
}
