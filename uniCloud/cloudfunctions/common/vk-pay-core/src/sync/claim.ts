/**
 * Per-document claims, so two overlapping timer runs (or a run and an admin's syncOrder) never handle the same
 * order or refund at once: a claim is ONE conditional update `where({_id, <lease free>})` that writes a fresh
 * token and a lease expiry, and only the caller whose token is on the document afterwards owns it. A run that
 * dies keeps its claims until the lease expires; the next run then takes them over.
 *
 * Fields written (none of them is a status; the status only ever moves through the transition function):
 *   sync_lease, sync_lease_until  - the claim
 *   sync_next_at                  - when the document is due again (recheck interval or error backoff)
 *   sync_errors                   - consecutive failed attempts (drives the backoff; 0 after a clean check)
 */
import { randomBytes } from 'node:crypto';
import type { StoreContext } from '../state/transition';

export interface Claimed<T> {
  doc: T;
  token: string;
}

/** `field` is absent or at most `t`: a lease that never existed or has run out. */
export function freeOrDue(ctx: StoreContext, t: number): unknown {
  const _ = ctx.db.command;
  return _.or(_.exists(false), _.lte(t));
}

export async function claimDoc<T extends { _id?: string }>(
  ctx: StoreContext,
  dbName: string,
  id: string,
  extraWhere: Record<string, unknown>,
  leaseMs: number,
): Promise<Claimed<T> | null> {
  const now = ctx.now();
  const token = randomBytes(12).toString('hex');
  const doc = await ctx.dao.updateAndReturn<T & { sync_lease?: string }>({
    dbName,
    whereJson: { ...extraWhere, _id: id, sync_lease_until: freeOrDue(ctx, now) },
    dataJson: { sync_lease: token, sync_lease_until: now + leaseMs },
  });
  if (!doc || doc.sync_lease !== token) return null;
  return { doc, token };
}

/** Gives the claim back without a trace: the document is exactly as it was before the claim (outages). */
export async function releaseDoc(ctx: StoreContext, dbName: string, id: string, token: string): Promise<void> {
  const _ = ctx.db.command;
  await ctx.dao.update({ dbName, whereJson: { _id: id, sync_lease: token }, dataJson: { sync_lease: _.remove(), sync_lease_until: _.remove() } });
}

/** Ends the claim and says when the document is due again. Written only while the claim is still ours. */
export async function finishDoc(
  ctx: StoreContext,
  dbName: string,
  id: string,
  token: string,
  p: { nextAt: number; failed: boolean },
): Promise<void> {
  const _ = ctx.db.command;
  await ctx.dao.update({
    dbName,
    whereJson: { _id: id, sync_lease: token },
    dataJson: {
      sync_lease: _.remove(),
      sync_lease_until: _.remove(),
      sync_next_at: p.nextAt,
      sync_checked_at: ctx.now(),
      sync_errors: p.failed ? _.inc(1) : 0,
    },
  });
}

export function errorBackoff(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures, 30)));
}
