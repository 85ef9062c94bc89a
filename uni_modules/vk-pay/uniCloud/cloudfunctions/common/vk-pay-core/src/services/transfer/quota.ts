/**
 * Payout limits that hold under concurrency: each limit is one document (`vk_pay_transfer_quota`, `_id` = the
 * limit's key and day) whose totals only move by a conditional update guarded by "still within the limit after
 * this payout" - the only atomic write uniCloud has - so twenty concurrent payouts can only take what the limit
 * leaves. A payout that fails or is cancelled gives its amount back.
 */
import { createHash } from 'node:crypto';
import type { TransfersConfig } from '../../config/schema';
import { isDuplicateKeyError } from '../../platform/database';
import { COLLECTIONS } from '../../state/collections';
import type { StoreContext } from '../../state/transition';

export interface QuotaLimit { key: string; maxAmount: number; maxCount?: number }

/** The day in Beijing time (the gateways' day), `YYYY-MM-DD`. */
export function beijingDay(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The limits one payout counts against: the day's total, and the payee's day (keyed by the user_id given, else
 * by the account - hashed, so a quota id never carries an openid or a phone number).
 */
export function limitsFor(cfg: TransfersConfig, p: { channel: string; user_id?: string; identity: string }, now: number): QuotaLimit[] {
  const day = beijingDay(now);
  const who = p.user_id ? `u:${p.user_id}` : `a:${createHash('sha256').update(`${p.channel}:${p.identity}`).digest('hex').slice(0, 24)}`;
  return [
    { key: `day:${day}`, maxAmount: cfg.dailyAmount },
    { key: `payee:${who}:${day}`, maxAmount: cfg.perUserDaily.amount, maxCount: cfg.perUserDaily.count },
  ];
}

type Take = 'taken' | 'already' | 'refused';

/**
 * Reservations are keyed by out_bill_no and amount (`bills`, like the refunds reserved on an order): a payout asked
 * twice, concurrently or after a crash, is counted once, and giving it back (`released`) happens at most once. The
 * amount is in the tag so that a conflicting request (same number, other amount) racing the first one holds a
 * reservation of its own, which it gives back when it loses.
 */
const tagOf = (out_bill_no: string, amount: number) => `${out_bill_no}:${amount}`;

async function takeOne(ctx: StoreContext, l: QuotaLimit, out_bill_no: string, amount: number): Promise<Take> {
  const _ = ctx.db.command;
  const tag = tagOf(out_bill_no, amount);
  const where: Record<string, unknown> = { _id: l.key, amount: _.lte(l.maxAmount - amount), bills: _.nin([tag]) };
  if (l.maxCount !== undefined) where.count = _.lte(l.maxCount - 1);
  for (let round = 0; round < 2; round++) {
    const moved = await ctx.dao.update({ dbName: COLLECTIONS.transferQuota, whereJson: where, dataJson: { amount: _.inc(amount), count: _.inc(1), bills: _.push(tag) } });
    if (moved === 1) return 'taken';
    const doc = await ctx.dao.findById<{ bills?: string[] }>({ dbName: COLLECTIONS.transferQuota, id: l.key });
    if (doc) return doc.bills?.includes(tag) ? 'already' : 'refused';
    try {
      await ctx.dao.add({ dbName: COLLECTIONS.transferQuota, dataJson: { _id: l.key, amount: 0, count: 0, bills: [], released: [] }, cancelAddTime: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // a concurrent first payout of the day made it
    }
  }
  return 'refused';
}

/**
 * Reserves the payout on every limit, or on none: `refused` is the key of the first limit that refused (null when
 * all hold), `taken` the keys this call reserved itself (not those a request for the same payout reserved before).
 */
export async function reserveQuota(ctx: StoreContext, limits: QuotaLimit[], out_bill_no: string, amount: number): Promise<{ refused: string | null; taken: string[] }> {
  const taken: string[] = [];
  for (const l of limits) {
    const r = amount > l.maxAmount ? 'refused' : await takeOne(ctx, l, out_bill_no, amount);
    if (r === 'refused') {
      await releaseQuota(ctx, taken, out_bill_no, amount);
      return { refused: l.key, taken: [] };
    }
    if (r === 'taken') taken.push(l.key);
  }
  return { refused: null, taken };
}

/** Gives a payout's reservation back (failed or cancelled, or refused by another limit); at most once per key. */
export async function releaseQuota(ctx: StoreContext, keys: string[], out_bill_no: string, amount: number): Promise<void> {
  const _ = ctx.db.command;
  for (const key of keys) {
    await ctx.dao.update({
      dbName: COLLECTIONS.transferQuota,
      whereJson: { _id: key, bills: tagOf(out_bill_no, amount), released: _.nin([tagOf(out_bill_no, amount)]) },
      dataJson: { amount: _.inc(-amount), count: _.inc(-1), released: _.push(tagOf(out_bill_no, amount)) },
    });
  }
}
