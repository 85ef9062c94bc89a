/**
 * The pull side of a sweep step (refunds, payouts): the due documents of a collection read a page at a time in
 * `_id` order (keyset paging: a document the run changes never shifts the next page), handed to the worker pool
 * one at a time while the run's budget lasts, skipping channels whose outage breaker is open.
 */
import type { Channel } from '../providers/types';
import { budgetLeft, type RunState } from './run-context';

export function keysetPuller<T extends { _id: string; channel?: string }>(
  run: RunState,
  collection: string,
  where: Record<string, unknown>,
  onPage: (scanned: number) => void,
): () => Promise<T | null> {
  const { ctx, settings } = run;
  const _ = ctx.db.command;
  let lastId: string | null = null;
  let page: T[] = [];
  let exhausted = false;
  return async () => {
    for (;;) {
      if (budgetLeft(run) <= 0) {
        run.summary.budget_exhausted = true;
        return null;
      }
      const next = page.shift();
      if (next) {
        if (run.breaker.isOpen(next.channel as Channel)) continue;
        return next;
      }
      if (exhausted) return null;
      const res = await ctx.db.collection<T>(collection)
        .where(lastId ? { ...where, _id: _.gt(lastId) } : where)
        .orderBy('_id', 'asc').limit(settings.pageSize).get();
      page = res.data;
      onPage(page.length);
      if (page.length < settings.pageSize) exhausted = true;
      if (page.length) lastId = String(page[page.length - 1]._id);
      else return null;
    }
  };
}
