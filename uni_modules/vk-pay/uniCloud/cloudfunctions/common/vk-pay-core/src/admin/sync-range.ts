/**
 * syncRange({ from, to, cursor?, limit? }): the admin's batch sync of every pending order created in a date
 * range, in resumable slices. Each call handles at most `limit` orders (and stops inside a time budget), and
 * returns `{ done, total, processed, next_cursor }`; calling again with `next_cursor` continues after the last
 * order handled, so a page can draw a progress bar and a dropped connection loses nothing.
 */
import { ParamError } from '../../../../../../common/errors';
import type { CoreContext } from '../services/context';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { runPool } from '../sync/limiter';
import { syncOneOrder } from './sync-one';

interface Cursor { c: number; i: string; n: number }

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decode(raw: unknown): Cursor | null {
  if (raw === undefined || raw === null || raw === '') return null;
  try {
    const c = JSON.parse(Buffer.from(String(raw), 'base64url').toString('utf8')) as Cursor;
    if (typeof c.c === 'number' && typeof c.i === 'string' && Number.isInteger(c.n)) return c;
  } catch { /* fall through */ }
  throw new ParamError('cursor is not one this method returned');
}

export interface SyncRangeResult {
  done: boolean;
  /** orders in the range still pending when this call started, plus those handled by earlier calls */
  total: number;
  /** handled so far, by this and earlier calls of the same sweep */
  processed: number;
  next_cursor: string | null;
  outcomes: Record<string, number>;
  errors: Array<{ out_trade_no: string; code: number; message: string }>;
}

export async function syncRange(ctx: CoreContext, params: Record<string, unknown>, opts: { budgetMs?: number; concurrency?: number } = {}): Promise<SyncRangeResult> {
  const from = Number(params.from);
  const to = Number(params.to);
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) throw new ParamError('from and to must be ms timestamps with from <= to');
  const limit = params.limit === undefined ? 50 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ParamError('limit must be an integer from 1 to 500');
  const cursor = decode(params.cursor);
  const _ = ctx.db.command;
  const base = { status: 'pending', create_date: _.gte(from).and(_.lte(to)) };
  const where = cursor ? _.and(base, _.or({ create_date: _.gt(cursor.c) }, { create_date: cursor.c, _id: _.gt(cursor.i) })) : base;

  const remaining = await ctx.dao.count({ dbName: COLLECTIONS.orders, whereJson: where as Record<string, unknown> });
  const page = await ctx.dao.select<OrderDoc & { _id: string }>({
    dbName: COLLECTIONS.orders, whereJson: where as Record<string, unknown>,
    sortArr: [{ name: 'create_date', type: 'asc' }, { name: '_id', type: 'asc' }], pageSize: limit,
  });
  const deadline = performance.now() + (opts.budgetMs ?? 20_000);
  const outcomes: Record<string, number> = {};
  const errors: SyncRangeResult['errors'] = [];
  let handled = 0;
  let last: { c: number; i: string } | null = cursor ? { c: cursor.c, i: cursor.i } : null;
  // Orders are handed out in order; `last` only advances over a contiguous prefix that was handled.
  const rows = page.rows;
  const finished = new Array<boolean>(rows.length).fill(false);
  let next = 0;
  let prefix = 0;
  await runPool(opts.concurrency ?? 4, async () => (next < rows.length && performance.now() < deadline ? next++ : null), async (idx) => {
    const order = rows[idx];
    try {
      const r = await syncOneOrder(ctx, order, 'admin');
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    } catch (err) {
      const e = err as { code?: number; message?: string };
      errors.push({ out_trade_no: order.out_trade_no, code: e.code ?? 50000, message: String(e.message ?? err).slice(0, 200) });
    }
    finished[idx] = true;
    while (prefix < rows.length && finished[prefix]) {
      last = { c: Number(rows[prefix].create_date), i: String(rows[prefix]._id) };
      prefix++;
      handled++;
    }
  });
  const processed = (cursor?.n ?? 0) + handled;
  const done = handled === remaining; // everything after the cursor when this call started is handled
  const at = last as { c: number; i: string } | null;
  return {
    done,
    total: (cursor?.n ?? 0) + remaining,
    processed,
    next_cursor: done ? null : encode(at ? { ...at, n: processed } : { c: from - 1, i: '', n: processed }),
    outcomes,
    errors,
  };
}
