/**
 * Per-document claims, so two overlapping timer runs (or a run and an admin's syncOrder) never handle the same
 * order or refund at once: a claim is ONE conditional update `where({_id, ..., <free>})` that writes a fresh
 * token and pushes the document's due time out by the lease; only the caller whose token is on the document
 * afterwards owns it. A run that dies keeps its claims until the lease runs out; the next run then takes over.
 *
 * Fields written (none of them is a status; the status only ever moves through the transition function):
 *   sync_lease, sync_lease_until  - the claim (token and expiry)
 *   sync_next_at                  - when the document is due again; while claimed, the lease expiry, so that
 *                                   "due" alone also means "not claimed" for the timer's scan and claim
 *   sync_errors                   - consecutive failed attempts (drives the backoff; 0 after a clean check)
 *
 * Each where() carries at most ONE `_.or` next to plain equalities on `_id`/`status`: MongoDB plans either
 * shape well, and the local host's embedded store finds `_id` and index prefixes only at the top level.
 */
import { randomBytes } from 'node:crypto';
import type { StoreContext } from '../state/transition';

export interface Claimed<T> {
  doc: T;
  token: string;
}

/** The field is absent or at most `t`: never set, or run out. */
export function freeOrDue(ctx: StoreContext, t: number): unknown {
  const _ = ctx.db.command;
  return _.or(_.exists(false), _.lte(t));
}

/**
 * `due`: the timer's claim - the document must be due at `t0` (which also means no live claim holds it).
 * `lease`: an admin's claim of one order whatever its due time - only a live claim stops it.
 */
export async function claimDoc<T extends { _id?: string }>(
  ctx: StoreContext,
  dbName: string,
  id: string,
  extraWhere: Record<string, unknown>,
  leaseMs: number,
  mode: { due: number } | 'lease',
): Promise<Claimed<T> | null> {
  const now = ctx.now();
  const token = randomBytes(12).toString('hex');
  const free = mode === 'lease' ? { sync_lease_until: freeOrDue(ctx, now) } : { sync_next_at: freeOrDue(ctx, mode.due) };
  const doc = await ctx.dao.updateAndReturn<T & { sync_lease?: string }>({
    dbName,
    whereJson: { ...extraWhere, _id: id, ...free },
    dataJson: { sync_lease: token, sync_lease_until: now + leaseMs, sync_next_at: now + leaseMs },
  });
  if (!doc || doc.sync_lease !== token) return null;
  return { doc, token };
}

/** Gives the claim back: the document's sync fields are as before the claim (outages leave no trace). */
export async function releaseDoc(ctx: StoreContext, dbName: string, id: string, token: string, previousNextAt: number | undefined): Promise<void> {
  const _ = ctx.db.command;
  await ctx.dao.update({
    dbName,
    whereJson: { _id: id, sync_lease: token },
    dataJson: { sync_lease: _.remove(), sync_lease_until: _.remove(), sync_next_at: previousNextAt === undefined ? _.remove() : previousNextAt },
  });
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
