/**
 * Per-user rate limit for order creation, kept in the database because cloud instances share nothing in
 * memory. One counter document per user and minute (`key` unique); a request is admitted by a conditional
 * increment guarded by `count < limit`, so concurrent requests on several instances cannot exceed it.
 */
import { VkPayError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';

export class RateLimitError extends VkPayError {
  constructor(detail: string) { super(40008, detail); this.name = 'RateLimitError'; }
}

/** Admits one request for `user_id` or throws RateLimitError (40008). */
export async function admitRequest(ctx: StoreContext, p: { user_id: string; perMinute: number; scope: string }): Promise<void> {
  const _ = ctx.db.command;
  const now = ctx.now();
  const minute = Math.floor(now / 60_000);
  const key = `${p.scope}:${p.user_id}:${minute}`;
  const inc = () => ctx.dao.update({
    dbName: COLLECTIONS.rateLimits,
    whereJson: { key, count: _.lt(p.perMinute) },
    dataJson: { count: _.inc(1) },
  });
  if ((await inc()) === 1) return;
  try {
    await ctx.dao.add({
      dbName: COLLECTIONS.rateLimits,
      dataJson: { key, user_id: p.user_id, scope: p.scope, count: 1, create_date: now, expire_date: new Date((minute + 2) * 60_000) },
      cancelAddTime: true,
    });
    return;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  // Someone created this minute's counter between our two calls: one more conditional increment decides.
  if ((await inc()) === 1) return;
  throw new RateLimitError(`more than ${p.perMinute} requests a minute`);
}
