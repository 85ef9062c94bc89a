/**
 * The pull side of a sweep step (orders, refunds, payouts): the due documents of a collection read a page at a
 * time in keyset order (a document the run changes never shifts the next page, and one the run gave back is
 * never read twice), handed to the worker pool one at a time while the run's budget lasts, skipping channels
 * whose outage breaker is open.
 *
 * The key is `_id`, or (`sortField`, `_id`) when a sweep wants its documents in some other order (the order
 * sweep: oldest first). `sortField` must be a numeric field the `where` itself bounds, so every scanned
 * document has one and the cursor's `_.gt` compares like with like.
 */
import type { Channel } from '../providers/types';
import { budgetLeft, type RunState } from './run-context';

export interface KeysetOptions {
  sortField?: string;
}

export function keysetPuller<T extends { _id: string; channel?: string }>(
  run: RunState,
  collection: string,
  where: Record<string, unknown>,
  onPage: (scanned: number) => void,
  opts: KeysetOptions = {},
): () => Promise<T | null> {
  const { ctx, settings } = run;
  const _ = ctx.db.command;
  const field = opts.sortField;
  let last: { id: string; key: unknown } | null = null;
  let page: T[] = [];
  let exhausted = false;

  const after = (): Record<string, unknown> => {
    if (!last) return where;
    if (!field) return { ...where, _id: _.gt(last.id) };
    // (key, _id) > (last.key, last.id); the where may carry its own `_.or`, so the two are ANDed, not merged
    return _.and(where, _.or({ [field]: _.gt(last.key) }, { [field]: last.key, _id: _.gt(last.id) })) as Record<string, unknown>;
  };

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
      let q = ctx.db.collection<T>(collection).where(after());
      if (field) q = q.orderBy(field, 'asc');
      const res = await q.orderBy('_id', 'asc').limit(settings.pageSize).get();
      page = res.data;
      onPage(page.length);
      if (page.length < settings.pageSize) exhausted = true;
      if (!page.length) return null;
      const tail = page[page.length - 1] as T & Record<string, unknown>;
      last = { id: String(tail._id), key: field ? tail[field] : undefined };
    }
  };
}
